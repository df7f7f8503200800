package mockclient

import (
	"bytes"
	"io"
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

// replyKeysOf is replyKeys, remembered for the client's last replies. The
// keys returned are shared: callers only read them.
func (c *Client) replyKeysOf(reply []byte) ([]string, bool) {
	return memoKeys(&c.keysMemo, reply)
}

// keysMemoSize is how many distinct replies a memo remembers. A module run
// has a few cases in flight, each answered with its own reply, so one
// remembered reply missed most of the time over conformance's net/http
// path; a few cover the cases in flight.
const keysMemoSize = 8

// keysMemos remembers the key scans of the last keysMemoSize distinct
// replies, replacing the oldest.
type keysMemos struct {
	slots [keysMemoSize]atomic.Pointer[keysMemo]
	next  atomic.Uint32
}

// memoKeys is replyKeys, remembered in memo for the last replies: a
// client's, or a prepared call's, whose replies differ from the other
// cases' but rarely from call to call.
func memoKeys(memo *keysMemos, reply []byte) ([]string, bool) {
	for i := range memo.slots {
		if m := memo.slots[i].Load(); m != nil && m.reply == string(reply) {
			return m.keys, m.ok
		}
	}
	keys, ok := replyKeys(reply)
	if len(reply) <= maxMemoReply {
		slot := memo.next.Add(1) % keysMemoSize
		memo.slots[slot].Store(&keysMemo{reply: string(reply), keys: keys, ok: ok})
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

// leanReply is how a prepared HTTP call reads its reply over the lean
// pool. Most plugins answer a load's case with the same bytes every time,
// and decoding them with encoding/json is a seventh of a lean call's CPU,
// so the last reply decoded is remembered with its decoded value, when
// that value can be handed out again (plain), and a reply equal to it is
// not decoded again.
type leanReply[R any] struct {
	// fresh returns a new reply pointer to decode into and its read; nil
	// when GOST never reads the body.
	fresh func() (reply any, read func() R)
	// typ is the type of fresh's reply pointer, for the reply-key facts.
	typ reflect.Type
	// plain says R holds only booleans, numbers and strings, so that a
	// copy of a remembered R is the R a fresh decode gives: nothing in it
	// is shared, and the verdict rule, which gets a copy, cannot change
	// the one remembered.
	plain bool
	memo  atomic.Pointer[decodedReply[R]]
}

// decodedReply is a reply body that came whole in decodeFirst's first
// Read, and the value it decodes to.
type decodedReply[R any] struct {
	body []byte // shared by the Observations of the calls that recall it
	r    R
}

// newLeanReply returns the leanReply of an httpSpec's fresh and reply.
func newLeanReply[R any](fresh func() (any, func() R), reply any) *leanReply[R] {
	return &leanReply[R]{fresh: fresh, typ: reflect.TypeOf(reply), plain: PlainType(reflect.TypeFor[R]())}
}

// recall returns the remembered reply when first, the reply's first Read
// with its error, is the whole body (io.EOF) and equal to it. decodeFirst
// decodes such a body with json.Unmarshal, or with a json.Decoder on the
// same bytes when it has a syntax error: either way a function of those
// bytes alone, into a fresh value.
func (rd *leanReply[R]) recall(first []byte, err error) (*decodedReply[R], bool) {
	if err != io.EOF {
		return nil, false
	}
	m := rd.memo.Load()
	if m == nil || !bytes.Equal(m.body, first) {
		return nil, false
	}
	return m, true
}

// remember keeps r, decoded without error from first, when recall may
// hand it out again.
func (rd *leanReply[R]) remember(first []byte, err error, r R) {
	if !rd.plain || err != io.EOF || len(first) > maxMemoReply {
		return
	}
	rd.memo.Store(&decodedReply[R]{body: bytes.Clone(first), r: r})
}

// verdictBox boxes a prepared call's verdicts for Outcome.Verdict: a
// plain verdict equal to the last one boxed gets the same box, since the
// same verdict thousands of times a second is one allocation each.
type verdictBox[V any] struct {
	plain bool
	last  atomic.Pointer[any]
}

func newVerdictBox[V any]() *verdictBox[V] {
	return &verdictBox[V]{plain: PlainType(reflect.TypeFor[V]())}
}

// box returns v as an any.
func (b *verdictBox[V]) box(v V) any {
	if !b.plain {
		return v
	}
	// Comparing a plain value cannot panic: == is reflect.DeepEqual for it.
	if p := b.last.Load(); p != nil && *p == any(v) {
		return *p
	}
	a := any(v)
	b.last.Store(&a)
	return a
}

// PlainType reports whether t is built only of booleans, numbers and
// strings (in structs and arrays): a copy of such a value shares nothing,
// and == on it is reflect.DeepEqual and cannot panic, at a fraction of its
// cost per call. Loads compare every verdict with a baseline by it.
func PlainType(t reflect.Type) bool {
	if t == nil {
		return false
	}
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128, reflect.String:
		return true
	case reflect.Array:
		return PlainType(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if !PlainType(t.Field(i).Type) {
				return false
			}
		}
		return true
	}
	return false
}
