// Package loadmix turns a fixture request mix into load.Calls: it picks
// cases by weight, makes each call the way GOST makes it, and classifies the
// outcome: a transport error (no reply), a GOST-level failure (a reply GOST
// treats as a failed call, as suites.GOSTFailure decides), GOST's verdict,
// and whether the verdict changed from the case's baseline.
package loadmix

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"sync/atomic"
	"time"

	"github.com/plugincheck/plugincheck/clip"
	"github.com/plugincheck/plugincheck/internal/load"
	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/suites"
)

// ErrEmptyMix is returned by New for a mix without weight.
var ErrEmptyMix = errors.New("loadmix: the request mix is empty")

// Caller makes the calls of one request mix.
type Caller struct {
	cases []suites.MixCase
	// cum holds the cumulative weights, each divided by the largest
	// weight, so that the total is at most len(cases) and cannot overflow
	// however large the fixture's weights are.
	cum   []float64
	total float64
	// last is the last case with a weight above 0: Pick's answer when
	// rounding puts a point at or past the total.
	last    int
	clients []*mockclient.Client
	// prep holds each client's prepared call of each case (client-major),
	// made on first use: a load makes the same few cases thousands of
	// times, and rendering the request once saves most of a call's CPU,
	// while a fixture of 10,000 cases need not render them all up front.
	prep []atomic.Pointer[mockclient.Prepared]
	base []baseline
	// secret is the token GOST sends; the plugin may echo it in a
	// verdict, so labels never carry it.
	secret string
}

// maxLabel bounds a verdict label or failure text: they quote the reply,
// and a label map keeps up to 64 of them for the whole run.
const maxLabel = clip.Size

// label redacts the token from s and cuts it to maxLabel.
func (c *Caller) label(s string) string {
	return clip.Text(clip.Redact(s, c.secret), maxLabel)
}

type baseline struct {
	set     bool
	verdict any
	label   string
	// plain says the verdict's type holds only scalars and strings, so ==
	// is exactly reflect.DeepEqual and cannot panic, at a fraction of
	// its cost per call.
	plain bool
}

// same reports whether v is the baseline's verdict, as reflect.DeepEqual.
func (b *baseline) same(v any) bool {
	if b.plain {
		// A different dynamic type compares false without panicking.
		return v == b.verdict
	}
	return reflect.DeepEqual(v, b.verdict)
}

// New returns a Caller spreading its calls over clients (one per gRPC
// connection; one for an HTTP pool).
func New(cases []suites.MixCase, clients []*mockclient.Client) (*Caller, error) {
	if len(clients) == 0 {
		return nil, errors.New("loadmix: no client")
	}
	c := &Caller{
		cases: cases, clients: clients, base: make([]baseline, len(cases)), secret: clients[0].Config().Token,
		prep: make([]atomic.Pointer[mockclient.Prepared], len(cases)*len(clients)),
	}
	top := 0.0
	for _, mc := range cases {
		if mc.Weight < 0 || math.IsNaN(mc.Weight) || math.IsInf(mc.Weight, 0) {
			return nil, fmt.Errorf("loadmix: %s: weight %v", mc.ID, mc.Weight)
		}
		top = max(top, mc.Weight)
	}
	if top == 0 {
		return nil, ErrEmptyMix
	}
	for i, mc := range cases {
		w := mc.Weight / top
		if w > 0 {
			c.last = i
		}
		c.total += w
		c.cum = append(c.cum, c.total)
	}
	return c, nil
}

// golden is the fractional part of the golden ratio. Call n takes the case
// at n·golden (mod 1) of the cumulative weights: a low-discrepancy sequence,
// so any stretch of calls follows the weights closely, with no shared state
// between callers and no randomness between runs.
const golden = 0.6180339887498949

// Pick returns the index of the case that call n makes; it is always a
// case with a weight above 0.
func (c *Caller) Pick(n uint64) int {
	_, frac := math.Modf(float64(n) * golden)
	x := frac * c.total
	// The first case whose cumulative weight is above x: a point exactly on
	// a boundary belongs to the next case, and cases of weight 0 (whose
	// cumulative weight equals the one before) are never picked.
	i := sort.Search(len(c.cum), func(i int) bool { return c.cum[i] > x })
	if i >= len(c.cum) {
		// Only rounding (x at the total) gets here.
		return c.last
	}
	return i
}

// BaselineOptions bound a baseline pass and report its progress.
type BaselineOptions struct {
	// Deadline, if not zero, is when the pass stops starting calls. A call
	// in flight then still finishes, bounded by the client's call timeout,
	// so the pass ends by Deadline plus one call timeout.
	Deadline time.Time
	// Progress, if not nil, is told before each call and at the end how
	// many of the cases are done.
	Progress func(done, total int)
}

// Baseline calls every case once, one after the other, and records each
// verdict as the one the case must keep under load. A case whose call fails
// gets no baseline, and neither do the cases not called because the pass
// reached its deadline or ctx ended. A call cut short by the end of ctx is
// not recorded: its failure is not the plugin's.
//
// It returns the outcomes of the cases called, in order (all of them
// unless the pass stopped early), for diagnosing a plugin that cannot be
// reached.
func (c *Caller) Baseline(ctx context.Context, opts BaselineOptions) []mockclient.Outcome {
	outs := make([]mockclient.Outcome, 0, len(c.cases))
	for i, mc := range c.cases {
		if opts.Progress != nil {
			opts.Progress(i, len(c.cases))
		}
		if ctx.Err() != nil || (i > 0 && !opts.Deadline.IsZero() && !time.Now().Before(opts.Deadline)) {
			break
		}
		out := mc.Step.Op.Do(ctx, c.clients[0], mc.Step.Request)
		if ctx.Err() != nil {
			break
		}
		outs = append(outs, out)
		if out.Answered() {
			c.base[i] = baseline{set: true, verdict: out.Verdict, label: c.label(suites.VerdictLabel(mc.Step.Op, out.Verdict)), plain: mockclient.PlainType(reflect.TypeOf(out.Verdict))}
		}
	}
	if opts.Progress != nil {
		opts.Progress(len(outs), len(c.cases))
	}
	return outs
}

// Info describes the mix for a load.Result.
func (c *Caller) Info() []load.CaseInfo {
	out := make([]load.CaseInfo, len(c.cases))
	for i, mc := range c.cases {
		out[i] = load.CaseInfo{ID: mc.ID, Weight: mc.Weight, Baseline: c.base[i].label}
	}
	return out
}

// Call makes call n of the run; it is a load.Call. It makes the case's
// prepared call (mockclient.Prepared, over the lean HTTP/1.1 pool for an
// HTTP plugin), where Baseline keeps Op.Do, the conformance path.
func (c *Caller) Call(ctx context.Context, n uint64) load.Outcome {
	i := c.Pick(n)
	mc := &c.cases[i]
	ci := int(n % uint64(len(c.clients)))
	cl := c.clients[ci]
	var out mockclient.Outcome
	if p := c.prepared(ci, i); p != nil {
		out = p.Do(ctx)
	} else {
		out = mc.Step.Op.Do(ctx, cl, mc.Step.Request)
	}
	o := load.Outcome{Case: i}
	replied := out.Answered()
	if out.NoReply() {
		o.Error = ErrorLabel(&out.Observation)
	} else if kind, effect, failed := suites.GOSTFailure(mc.Step.Op, cl.Transport(), &out); failed {
		o.Failure, o.FailureText = c.label(kind), c.label(effect)
	}
	b := &c.base[i]
	if b.set && b.same(out.Verdict) {
		o.Verdict = b.label
		return o
	}
	o.Verdict = c.label(suites.VerdictLabel(mc.Step.Op, out.Verdict))
	// A failed call is counted as an error or a GOST-level failure, with
	// GOST's failure verdict in the distribution; a verdict change is a
	// different usable reply.
	o.Changed = replied && b.set && mc.Stable && o.Verdict != b.label
	return o
}

var _ load.Call = (*Caller)(nil).Call

// prepared returns client ci's prepared call of case i, preparing it on
// first use; nil when the case's request cannot be prepared, and the call
// then goes through Op.Do. Two callers may prepare the same case at once;
// the first one stored is kept.
func (c *Caller) prepared(ci, i int) *mockclient.Prepared {
	slot := &c.prep[ci*len(c.cases)+i]
	if p := slot.Load(); p != nil {
		return p
	}
	mc := &c.cases[i]
	p, err := mc.Step.Op.Prepare(c.clients[ci], mc.Step.Request)
	if err != nil {
		return nil
	}
	if !slot.CompareAndSwap(nil, p) {
		return slot.Load()
	}
	return p
}

// ErrorLabel classifies a failed call: "grpc <Code>", "http <status>",
// "timeout", or the failure class when no status arrived.
func ErrorLabel(o *mockclient.Observation) string {
	switch {
	case o.Failure == mockclient.FailureTimeout:
		return "timeout (plugincheck's --call-timeout)"
	case o.Transport == mockclient.GRPC && o.Failure != mockclient.FailureDecode && o.Failure != mockclient.FailureRequest:
		return "grpc " + o.Code.String()
	case o.HTTPStatus != 0 && o.Failure == mockclient.FailureStatus:
		return fmt.Sprintf("http %d", o.HTTPStatus)
	}
	return string(o.Failure) + " failure"
}
