package mockclient

import (
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// oneRead is a body whose first Read returns all of it, with io.EOF when
// eof is set, as the lean pool's body does for a reply it holds whole.
type oneRead struct {
	b   []byte
	eof bool
}

func (r *oneRead) Read(p []byte) (int, error) {
	n := copy(p, r.b)
	r.b = r.b[n:]
	if len(r.b) == 0 && (r.eof || n == 0) {
		return n, io.EOF
	}
	return n, nil
}

// readLean reads body as callLean does: the first Read looked at, the
// remembered reply recalled, or a fresh decode remembered.
func readLean[R any](rd *leanReply[R], body io.Reader) (r R, hit bool, err error) {
	var buf [firstRead]byte
	n, rerr := body.Read(buf[:])
	first := buf[:n]
	if m, ok := rd.recall(first, rerr); ok {
		return m.r, true, nil
	}
	reply, read := rd.fresh()
	if err := decodeRest(body, first, rerr, reply); err != nil {
		return r, false, err
	}
	r = read()
	rd.remember(first, rerr, r)
	return r, false, nil
}

// TestLeanReplyRecall checks that a remembered reply gives what a fresh
// decode of the same bytes gives, that a reply differing from it is
// decoded again, and that only a whole first Read of a plain reply is
// remembered.
func TestLeanReplyRecall(t *testing.T) {
	t.Parallel()
	type step struct {
		body    string
		partial bool // the first Read does not end the body
		hit     bool
	}
	big := `{"ok":true,"id":"` + strings.Repeat("x", firstRead) + `"}`
	tests := []struct {
		name  string
		steps []step
	}{
		{name: "same reply remembered", steps: []step{
			{body: `{"ok":true,"id":"a"}`}, {body: `{"ok":true,"id":"a"}`, hit: true}, {body: `{"ok":true,"id":"a"}`, hit: true},
		}},
		{name: "reply that changes is decoded again", steps: []step{
			{body: `{"ok":true,"id":"a"}`}, {body: `{"ok":false,"id":"a"}`}, {body: `{"ok":false,"id":"a"}`, hit: true},
			{body: `{"ok":true,"id":"a"}`}, {body: `{"ok":true,"id":"a"} `},
		}},
		{name: "first value then anything", steps: []step{
			{body: `{"ok":true,"id":"a"} tail`}, {body: `{"ok":true,"id":"a"} tail`, hit: true}, {body: `{"ok":true,"id":"a"}`},
		}},
		{name: "reply that does not decode is not remembered", steps: []step{
			{body: `{"ok":true,"id":"a"}`}, {body: `{"ok":"yes"}`}, {body: `{"ok":"yes"}`}, {body: `{"ok":true,"id":"a"}`, hit: true},
		}},
		{name: "first read that is not the whole body", steps: []step{
			{body: `{"ok":true,"id":"a"}`, partial: true}, {body: `{"ok":true,"id":"a"}`},
			{body: `{"ok":true,"id":"a"}`, hit: true}, {body: `{"ok":true,"id":"a"}`, partial: true},
		}},
		{name: "reply longer than the first read", steps: []step{{body: big}, {body: big}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			spec := jsonReply(nil, authFromHTTP)
			rd := newLeanReply(spec.fresh, spec.reply)
			require.True(t, rd.plain)
			for i, s := range tt.steps {
				// What GOST's decoder makes of the bytes, into a fresh value.
				fresh := new(httpAuthReply)
				wantErr := decodeFirst(strings.NewReader(s.body), make([]byte, firstRead), fresh)
				want := authFromHTTP(fresh)

				got, hit, err := readLean(rd, &oneRead{b: []byte(s.body), eof: !s.partial})
				assert.Equal(t, s.hit, hit, "step %d: recalled", i)
				if wantErr != nil {
					assert.Error(t, err, "step %d", i)
					continue
				}
				require.NoError(t, err, "step %d", i)
				assert.Equal(t, want, got, "step %d: verdict", i)
			}
		})
	}
}

// TestLeanReplyNotPlain checks that a reply type holding slices, maps or
// pointers is never remembered: the verdict rule could keep or change
// what a remembered value shares.
func TestLeanReplyNotPlain(t *testing.T) {
	t.Parallel()
	type listReply struct{ IDs []string }
	fresh := func() (any, func() listReply) {
		h := new(listReply)
		return h, func() listReply { return *h }
	}
	reply, _ := fresh()
	rd := newLeanReply(fresh, reply)
	require.False(t, rd.plain)
	body := &oneRead{b: []byte(`{"IDs":["a"]}`), eof: true}
	_, _, err := readLean(rd, body)
	require.NoError(t, err)
	_, hit, err := readLean(rd, &oneRead{b: []byte(`{"IDs":["a"]}`), eof: true})
	require.NoError(t, err)
	assert.False(t, hit)
	assert.Nil(t, rd.memo.Load())
}

// TestVerdictBox checks that equal plain verdicts share a box, different
// ones do not, and a verdict that == cannot compare is boxed each time.
func TestVerdictBox(t *testing.T) {
	t.Parallel()
	b := newVerdictBox[AuthVerdict]()
	require.True(t, b.plain)
	a := AuthVerdict{OK: true, ID: "a"}
	assert.Equal(t, a, b.box(a))
	boxed := b.last.Load()
	assert.Equal(t, a, b.box(AuthVerdict{OK: true, ID: "a"}))
	assert.Same(t, boxed, b.last.Load(), "an equal verdict reuses the box")
	assert.Equal(t, AuthVerdict{OK: false, ID: "a"}, b.box(AuthVerdict{OK: false, ID: "a"}))
	assert.NotSame(t, boxed, b.last.Load(), "a different verdict gets a box of its own")
	assert.Equal(t, a, b.box(a))

	s := newVerdictBox[[]string]()
	require.False(t, s.plain)
	assert.NotPanics(t, func() {
		assert.Equal(t, []string{"x"}, s.box([]string{"x"}))
		assert.Equal(t, []string{"x"}, s.box([]string{"x"}))
	})
	assert.Nil(t, s.last.Load())
}
