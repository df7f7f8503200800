package suites

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"

	"github.com/plugincheck/plugincheck/clip"
	"github.com/plugincheck/plugincheck/mockclient"
)

// maxCompared is the longest verdict string the repeated-call checks keep
// as is; a longer one is compared by its digest, so that a thousand
// concurrent calls answering megabytes each do not all stay in memory.
const maxCompared = clip.Size

// digestLong replaces every string of a JSON value longer than
// maxCompared by its start, its length and its SHA-256. Equal strings stay
// equal and different ones different; applying it twice changes nothing.
func digestLong(v any) any {
	return boundValue(v, func(s string) string {
		if len(s) <= maxCompared {
			return s
		}
		sum := sha256.Sum256([]byte(s))
		return s[:maxCompared/8] + "… (" + strconv.Itoa(len(s)) + " bytes, sha256 " + hex.EncodeToString(sum[:8]) + ")"
	})
}

// slim keeps of a repeated call only what its check and the latency judge
// use: the verdict's stable keys, long strings digested, and the
// observation without its request and reply copies.
func slim(o mockclient.Outcome, keys []string) mockclient.Outcome {
	o.Verdict = digestLong(project(toJSONValue(o.Verdict), keys))
	o.Request, o.Reply, o.Notes = nil, nil, nil
	return o
}
