package suites

import (
	"crypto/sha256"
	"encoding/hex"
	"reflect"
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
// observation without its request and reply copies. A verdict equal to
// the first call's (first, as the operation returned it) becomes
// sameVerdict: equal Go values render the same JSON, so the JSON round
// trip, which cost more than the call's own decoding, is left to the
// verdicts that differ.
func slim(o mockclient.Outcome, keys []string, first any) mockclient.Outcome {
	if sameAs(&o, first) {
		o.Verdict = sameVerdict{}
	} else {
		o.Verdict = digestLong(project(toJSONValue(o.Verdict), keys))
	}
	o.Request, o.Reply, o.Notes = nil, nil, nil
	return o
}

// sameVerdict stands for a repeated call's verdict equal to the first's.
type sameVerdict struct{}

// sameAs reports a call that succeeded with the verdict first, compared as
// Go values.
func sameAs(o *mockclient.Outcome, first any) bool {
	if _, ok := o.Verdict.(sameVerdict); ok {
		return true
	}
	return o.OK() && reflect.DeepEqual(o.Verdict, first)
}
