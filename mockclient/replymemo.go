package mockclient

import (
	"reflect"
	"sync"
	"sync/atomic"
)

// maxMemoReply bounds the reply a client remembers the keys of.
const maxMemoReply = 4 << 10

// keysMemo is the key scan of one reply. A plugin answers a load with the
// same few bytes again and again, and scanning them with encoding/json's
// token API costs a fifth of a lean HTTP call's CPU.
type keysMemo struct {
	reply string
	keys  []string
	ok    bool
}

// replyKeysOf is replyKeys, remembered for the client's last reply. The
// keys returned are shared: callers only read them.
func (c *Client) replyKeysOf(reply []byte) ([]string, bool) {
	return memoKeys(&c.keysMemo, reply)
}

// memoKeys is replyKeys, remembered in memo for the last reply: a
// client's, or a prepared call's, whose replies differ from the other
// cases' but rarely from call to call.
func memoKeys(memo *atomic.Pointer[keysMemo], reply []byte) ([]string, bool) {
	if m := memo.Load(); m != nil && m.reply == string(reply) {
		return m.keys, m.ok
	}
	keys, ok := replyKeys(reply)
	if len(reply) <= maxMemoReply {
		memo.Store(&keysMemo{reply: string(reply), keys: keys, ok: ok})
	}
	return keys, ok
}

// fieldNames memoises jsonFieldNames per reply type; there are a dozen.
var fieldNames sync.Map // reflect.Type → fieldNamesOf

type fieldNamesOf struct {
	names []string
	ok    bool
}

// jsonFieldNamesOf is jsonFieldNames, computed once per type. The names
// are shared: callers only read them.
func jsonFieldNamesOf(t reflect.Type) ([]string, bool) {
	if v, ok := fieldNames.Load(t); ok {
		f := v.(fieldNamesOf)
		return f.names, f.ok
	}
	names, ok := jsonFieldNames(t)
	fieldNames.Store(t, fieldNamesOf{names: names, ok: ok})
	return names, ok
}
