package mockclient

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sync"

	"google.golang.org/grpc/status"

	"github.com/plugincheck/plugincheck/clip"
)

// MaxErrorText bounds the text of an error built from what the plugin sent
// (a reason phrase, a gRPC status message, a JSON literal quoted by
// encoding/json), so that no layer above keeps or prints more of it.
const MaxErrorText = clip.Size

// DefaultReplyBudget is how many HTTP reply bytes all calls of one Client
// may hold at once when Config.ReplyBudget is zero. It is shared, not per
// call, so that memory stays flat whatever the concurrency.
const DefaultReplyBudget = MaxReplyBytes

// ErrReplyTooLarge is the cause recorded when an HTTP reply did not fit in
// plugincheck's reply bounds (MaxReplyBytes per call, the client's reply
// budget across concurrent calls). GOST itself reads replies without a
// limit.
var ErrReplyTooLarge = errors.New("reply too large for plugincheck")

// boundedError is an error whose text is cut to MaxErrorText. It unwraps to
// a cause that does not carry the plugin's long text either, so errors.Is
// and errors.As still work and nothing keeps the long text alive.
type boundedError struct {
	msg   string
	cause error
}

func (e *boundedError) Error() string { return e.msg }
func (e *boundedError) Unwrap() error { return e.cause }

// GRPCStatus lets status.Code and status.FromError see the code of a
// bounded gRPC status error.
func (e *boundedError) GRPCStatus() *status.Status {
	if s, ok := status.FromError(e.cause); ok {
		return s
	}
	return nil
}

// boundErr returns err unchanged when its text is short, or a boundedError
// whose cause is err with every long part cut. Known carriers of plugin
// text are cut before their Error method is ever called, so a 30 MB literal
// is not copied again. Callers bound the innermost error first and wrap
// the result, so that the wrappers stay short too.
func boundErr(err error) error {
	if err == nil {
		return nil
	}
	cause := shrink(err)
	if cause == err {
		return err
	}
	var msg string
	if cause != nil {
		msg = cause.Error()
	}
	if cause == nil || len(msg) > MaxErrorText {
		msg = err.Error()
	}
	return &boundedError{msg: clip.Text(msg, MaxErrorText), cause: cause}
}

// shrink returns err itself when its text is at most MaxErrorText, a copy
// with the plugin's text cut when err is a type known to carry it, the
// shrunk cause of a wrapper otherwise, and nil when nothing short is left.
func shrink(err error) error {
	switch e := err.(type) {
	case *json.UnmarshalTypeError:
		if len(e.Value) > MaxErrorText/2 {
			c := *e
			c.Value = clip.Text(c.Value, MaxErrorText/2)
			return &c
		}
	case *url.Error:
		if e.Err != nil && (len(e.URL) > MaxErrorText/4 || len(e.Err.Error()) > MaxErrorText/2) {
			c := *e
			c.URL = clip.Text(c.URL, MaxErrorText/4)
			c.Err = boundErr(e.Err)
			return &c
		}
	}
	if s, ok := status.FromError(err); ok && len(s.Message()) > MaxErrorText {
		return status.Error(s.Code(), clip.Text(s.Message(), MaxErrorText))
	}
	if len(err.Error()) <= MaxErrorText {
		return err
	}
	if u := errors.Unwrap(err); u != nil {
		return shrink(u)
	}
	return nil
}

// replyBudget counts the HTTP reply bytes held by a Client's calls in
// flight. A call takes bytes before reading them and gives them back when
// it ends; a call that cannot take more fails instead of waiting, since
// waiting while holding bytes could deadlock every caller.
type replyBudget struct {
	mu    sync.Mutex
	limit int64
	used  int64
	peak  int64
}

func newReplyBudget(limit int64) *replyBudget {
	if limit <= 0 {
		limit = DefaultReplyBudget
	}
	return &replyBudget{limit: limit}
}

// take grants up to want bytes, fewer when the budget is short.
func (b *replyBudget) take(want int64) int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	g := min(want, b.limit-b.used)
	if g <= 0 {
		return 0
	}
	b.used += g
	b.peak = max(b.peak, b.used)
	return g
}

func (b *replyBudget) give(n int64) {
	if n <= 0 {
		return
	}
	b.mu.Lock()
	b.used -= n
	b.mu.Unlock()
}

// highWater is the most bytes ever held at once.
func (b *replyBudget) highWater() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.peak
}

// readChunk bounds one grant, so that a read that blocks holds little of
// the budget it has not filled yet.
const readChunk = 32 << 10

// replyAllowance is what every call may read outside the shared budget.
// Plugin replies are small; without it a single huge reply holding the
// budget would fail every small reply of the calls beside it. It costs at
// most concurrency × 16 KiB.
const replyAllowance = 16 << 10

// budgetReader reads a reply within the per-call cap and the client's
// shared budget, and stops the decoder early when either runs out.
type budgetReader struct {
	r       io.Reader
	b       *replyBudget
	perCall int64
	held    int64 // bytes read in all
	taken   int64 // of which taken from the shared budget
}

func (r *budgetReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	room := r.perCall - r.held
	if room <= 0 {
		return 0, fmt.Errorf("%w: the reply exceeds plugincheck's %d-byte cap per reply (GOST itself reads replies without a limit)",
			ErrReplyTooLarge, r.perCall)
	}
	want := min(int64(len(p)), room, readChunk)
	if free := replyAllowance - r.held; free > 0 {
		n, err := r.r.Read(p[:min(want, free)])
		r.held += int64(n)
		return n, err
	}
	g := r.b.take(want)
	if g == 0 {
		return 0, fmt.Errorf("%w: the reply did not fit in plugincheck's %d-byte reply budget, shared by all calls in flight, "+
			"after %d bytes (GOST itself reads replies without a limit)", ErrReplyTooLarge, r.b.limit, r.held)
	}
	n, err := r.r.Read(p[:g])
	r.held += int64(n)
	r.taken += int64(n)
	r.b.give(g - int64(n))
	return n, err
}

// release gives back every byte the reader took from the budget.
func (r *budgetReader) release() {
	r.b.give(r.taken)
	r.held, r.taken = 0, 0
}
