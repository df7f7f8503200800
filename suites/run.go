package suites

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/plugincheck/plugincheck/clip"
	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
)

// Defaults for RunOptions.
const (
	// DefaultLatencyBudget is generous on purpose: GOST calls admission, the
	// recorder and the service limiter inside its accept loop, but a budget
	// that flakes on a loaded CI machine teaches people to ignore it. It is
	// compared with each step's median, and only warns (latency.go).
	DefaultLatencyBudget = 500 * time.Millisecond
	// DefaultConcurrency is how many identical calls the concurrent check
	// makes at once.
	DefaultConcurrency = 8
	// MaxConcurrency caps the concurrent check: each call holds goroutines,
	// buffers and a connection, and past a thousand identical calls the
	// check proves nothing more while memory grows with the count.
	MaxConcurrency = 1000
)

// RunOptions tune a run.
type RunOptions struct {
	Filter        Filter
	LatencyBudget time.Duration
	// LatencyBudgetExplicit says the budget was chosen by the user, so a
	// step over it fails; a default budget only warns (see latency.go).
	LatencyBudgetExplicit bool
	Concurrency           int
	// Workers bounds how many cases run at once; zero means
	// DefaultGRPCWorkers over gRPC and DefaultWorkers over HTTP, and 1
	// runs one case at a time. Modules whose calls share plugin state
	// (ingress, sd) always run one case at a time.
	Workers int
	// ShowToken puts the real token into reports and reproducers.
	ShowToken bool
	// Observe, when set, sees each call's observation as the call ends,
	// one call at a time. The run's TLS section is left to the caller
	// (package check audits the plugin's TLS), which can read here what
	// the calls negotiated.
	Observe func(*mockclient.Observation)
	// OnCase, when set, sees each case of the run once, as it finishes,
	// for streaming output (plugincheck -o jsonl): in completion order,
	// which in a parallel run is not report order; one call at a time;
	// cases that do not apply to the transport first, before any call.
	// The case is final but for the run-wide latency judgement of short
	// steps (made when every case is done), and is not yet redacted by
	// package check's last pass; OnCase must not keep or change it. run
	// holds the module, transport and target only.
	OnCase func(run *report.Run, c *report.Case)
}

// Run runs every case of module m in ss against c and returns the run's
// report, with an empty TLS section: package check fills it from its TLS
// audit. Failed checks are report data; an error means the run could not
// be done (no case selected, or ctx ended, in which case the partial run is
// returned too). Steps of the report share equal values (verdicts, texts,
// lists of checks) to keep a large run small: a caller that changes a
// step's values in place must copy them first.
func Run(ctx context.Context, c *mockclient.Client, m mockclient.Module, ss []*Suite, opts RunOptions) (*report.Run, error) {
	if opts.LatencyBudget <= 0 {
		opts.LatencyBudget = DefaultLatencyBudget
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	opts.Concurrency = min(opts.Concurrency, MaxConcurrency)
	r := &runner{c: c, opts: opts, lat: newLatencyJudge(c.Config(), c.Transport(), opts)}
	t := c.Transport()
	run := &report.Run{Module: string(m), Transport: string(t), Target: target(c.Config(), opts.ShowToken)}
	r.run = run
	// Sized for every case of the module up front: appending 10,000
	// cases one at a time copied each list a dozen times and left up to
	// a quarter of it unused.
	n := 0
	for _, s := range ss {
		if s.Module == m {
			n += len(s.Cases)
		}
	}
	run.Cases = make([]*report.Case, 0, n)
	jobs := make([]job, 0, n)
	selected := 0 // cases --run and --skip leave in the run
	var ids idBlocks
	for _, s := range ss {
		if s.Module != m {
			continue
		}
		prefix := s.Slug() + "/" + string(t) + "/"
		for _, cs := range s.Cases {
			id := ids.join(prefix, cs.Name)
			rc := &report.Case{ID: id, Suite: s.Name, Name: cs.Name, Doc: cs.Doc, File: s.File, Line: cs.Line}
			if pat, ok := opts.Filter.SkippedBy(id); ok {
				// Listed, not run: reports show what --skip removed.
				rc.Status = report.Skip
				rc.SkipReason = "--skip " + pat
				run.Cases = append(run.Cases, rc)
				continue
			}
			if !opts.Filter.Selected(id) {
				continue
			}
			selected++
			run.Cases = append(run.Cases, rc)
			if !appliesTo(s.Transports, t) || !appliesTo(cs.Transports, t) {
				rc.Status = report.Skip
				rc.SkipReason = "case does not apply to " + string(t)
				r.finished(run, rc)
				continue
			}
			jobs = append(jobs, job{rc: rc, cs: cs})
		}
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = defaultWorkers(c.Transport())
	}
	if sharesState(m) {
		workers = 1
	}
	r.runCases(ctx, jobs, workers)
	if n := r.redone.Load(); n > 0 {
		run.Notes = append(run.Notes, redoneNote(int(n), r.alone.Load()))
	}
	if selected == 0 {
		return nil, fmt.Errorf("%w for module %s over %s", ErrNoMatch, m, t)
	}
	r.lat.finish(run)
	run.Causes = Explain(run, c.Config(), ExplainOptions{ShowToken: opts.ShowToken})
	if t == mockclient.GRPC {
		run.Notes = append(run.Notes, fmt.Sprintf(
			"plugincheck ends each call after %s; GOST sets no deadline on gRPC plugin calls, so a plugin that never answers blocks GOST's caller for good",
			time.Duration(run.Target.CallTimeout)))
	}
	return run, ctx.Err()
}

// idBlockSize is the size of the blocks case IDs are carved from.
const idBlockSize = 4 << 10

// idBlocks carves a run's case IDs out of shared blocks: a large suite
// keeps an ID per case for as long as its report lives, and one
// allocation each cost a size class's rounding and a header apiece.
type idBlocks struct {
	b strings.Builder
}

// join returns a + b, in the current block while it has room.
func (ids *idBlocks) join(a, b string) string {
	n := len(a) + len(b)
	if ids.b.Cap()-ids.b.Len() < n {
		// A fresh block rather than growing the full one: growing copies
		// it, and the IDs already carved would keep the old copy alive.
		ids.b = strings.Builder{}
		ids.b.Grow(max(n, idBlockSize))
	}
	start := ids.b.Len()
	ids.b.WriteString(a)
	ids.b.WriteString(b)
	return ids.b.String()[start:]
}

type runner struct {
	c    *mockclient.Client
	opts RunOptions

	// mu serialises Observe and guards the latency figures and every
	// caseRun while calls of several cases are in flight.
	mu  sync.Mutex
	lat *latencyJudge

	// The parallel schedule (parallel.go).
	pool     chan func() // idle callers of concurrent checks take work here
	gate     sync.RWMutex
	inflight atomic.Int64 // cases running under gate's read lock
	started  atomic.Int64 // cases started under gate's read lock, ever
	redone   atomic.Int64 // cases run again alone
	alone    atomic.Bool  // the rest of the run goes one case at a time

	verdicts verdicts // decoded verdicts the steps' reports share (repeat.go)
	texts    texts    // texts the steps' reports share (share.go)

	// run is the run's report, whose module, transport and target
	// OnCase sees; onCaseMu makes OnCase's calls one at a time.
	run      *report.Run
	onCaseMu sync.Mutex
}

// finished shows a finished case to OnCase.
func (r *runner) finished(run *report.Run, rc *report.Case) {
	if r.opts.OnCase == nil {
		return
	}
	r.onCaseMu.Lock()
	defer r.onCaseMu.Unlock()
	r.opts.OnCase(run, rc)
}

// record adds a call's outcome to the case's figures and shows it to
// Observe. It takes a pointer: Observe's argument escapes, and an Outcome
// passed by value would be copied to the heap on every call.
func (r *runner) record(cr *caseRun, out *mockclient.Outcome) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if out.Sent && out.Failure != mockclient.FailureRequest {
		cr.lat.record(&out.Observation)
	}
	if r.disturbed(&out.Observation) {
		cr.disturbed = true
	}
	if r.opts.Observe != nil {
		r.opts.Observe(&out.Observation)
	}
}

func (r *runner) step(ctx context.Context, cr *caseRun, st *Step) *report.Step {
	out := st.Op.Do(ctx, r.c, st.Request)
	r.record(cr, &out)
	verdict := r.verdicts.value(out.Verdict)
	sanity, hasSanity := sanityCheck(st.Op, r.c.Transport(), &out)
	repeats := out.OK() && out.Sent
	stable := repeats && slices.Contains(st.Checks, CheckStable)
	concurrent := repeats && slices.Contains(st.Checks, CheckConcurrent)
	latency := slices.Contains(st.Checks, CheckLatency) && out.Sent && out.Failure != mockclient.FailureTimeout
	reply := slices.Contains(st.Checks, CheckReply)
	rs := newStep(out.Timing != nil)
	tm := rs.Observation.Timing
	*rs = report.Step{
		Op:          st.Op.Name,
		Request:     r.texts.raw(r.hide(string(st.RequestJSON()))),
		Expected:    st.Expect,
		Actual:      verdict,
		Observation: r.observation(&out.Observation, tm),
		Reproducer:  r.texts.str(r.c.Reproducer(&out.Observation, r.opts.ShowToken)),
		// Sized for the checks the step makes, counted below as they are
		// added: a large suite keeps thousands of steps, and room for
		// checks a step does not make (append's doubling, or a step's
		// every selectable check) went unused in each.
		Checks: make([]report.Check, 0, count(reply, st.Expect != nil, st.WarnIf != nil, hasSanity, stable, concurrent, latency)),
	}
	for _, n := range out.Notes {
		rs.Notes = append(rs.Notes, report.Note{Code: n.Code, Text: bound(r.hide(n.Text), maxReportText)})
	}
	timed := []*mockclient.Observation{&out.Observation}
	add := func(ch report.Check) { rs.Checks = append(rs.Checks, ch) }

	if reply {
		add(r.replyCheck(st.Op, &out))
	}
	if st.Expect != nil {
		ch := report.Check{Name: CheckExpect, Status: report.Pass}
		if diffs := diff("", st.Expect, verdict); len(diffs) > 0 {
			ch.Status, ch.Message = report.Fail, strings.Join(diffs, "; ")
		}
		add(ch)
	}
	if st.WarnIf != nil {
		ch := report.Check{Name: CheckPolicy, Status: report.Pass}
		if len(diff("", st.WarnIf, verdict)) == 0 {
			ch.Status, ch.Message = report.Warn, st.Warning
		}
		add(ch)
	}
	if hasSanity {
		add(sanity)
	}
	// The repeats of the stable and concurrent checks keep only verdicts
	// (see slim): mockclient need not copy their requests and replies.
	repeat := mockclient.WithoutCopies(ctx)
	var do func(context.Context) mockclient.Outcome
	if stable || concurrent {
		do = r.repeater(st)
	}
	if stable {
		again := do(repeat)
		r.record(cr, &again)
		timed = append(timed, &again.Observation)
		add(r.sameCheck(CheckStable, st, verdict, out.Verdict, []mockclient.Outcome{again}))
	}
	if concurrent {
		outs := make([]mockclient.Outcome, r.opts.Concurrency)
		r.burst(len(outs), func(i int) {
			outs[i] = do(repeat)
			r.record(cr, &outs[i])
			outs[i] = slim(outs[i], stableKeys(st.Op), out.Verdict)
		})
		for i := range outs {
			timed = append(timed, &outs[i].Observation)
		}
		add(r.sameCheck(CheckConcurrent, st, verdict, out.Verdict, outs))
	}
	pending := false // a latency check finish judges and rewrites
	if latency {
		short := len(cr.lat.short)
		r.lat.judgeInto(&cr.lat, rs, timed)
		pending = len(cr.lat.short) > short
	}

	rs.Status = report.Pass
	for i, ch := range rs.Checks {
		rs.Status = rs.Status.Worse(ch.Status)
		rs.Checks[i].Message = bound(r.hide(ch.Message), maxReportText)
	}
	if !pending {
		rs.Checks = r.texts.checkList(rs.Checks, r.redactedToken())
	}
	rs.Actual = r.hideValue(rs.Actual)
	return rs
}

// redactedToken is the token package check's last pass redacts from the
// run's report: none when the token is shown.
func (r *runner) redactedToken() string {
	if r.opts.ShowToken {
		return ""
	}
	return r.c.Config().Token
}

// timedStep is a step's report and its observation's timing in one
// allocation: 384 bytes, a size class, where the two apart took 352 and
// 48, and a large suite keeps one per step.
type timedStep struct {
	step   report.Step
	timing report.Timing
}

// newStep returns a zero step report whose Observation.Timing, when timed
// is set, points to a zero Timing allocated with it.
func newStep(timed bool) *report.Step {
	if !timed {
		return &report.Step{}
	}
	ts := &timedStep{}
	ts.step.Observation.Timing = &ts.timing
	return &ts.step
}

// count is how many of made are true: the checks a step makes.
func count(made ...bool) int {
	n := 0
	for _, m := range made {
		if m {
			n++
		}
	}
	return n
}

// hideValue redacts the token from a verdict, which may quote the reply
// (an auth id, a rewritten body), and cuts its long strings: a verdict
// field can hold megabytes the plugin sent.
func (r *runner) hideValue(v any) any {
	return boundValue(v, func(s string) string { return bound(r.hide(s), maxVerdictText) })
}

// maxReportText bounds a check message or note in a report: they quote the
// plugin's error and verdict.
const maxReportText = 2 * clip.Size

// maxVerdictText bounds each string of a verdict kept in a report.
const maxVerdictText = clip.Size

// boundValue applies fix to every string of a JSON value (map keys
// included) and returns the result: v itself when fix changes nothing.
func boundValue(v any, fix func(string) string) any {
	if !changes(v, fix) {
		// Most verdicts hold nothing to cut or redact; sharing them
		// spares a copy of every verdict a large suite keeps.
		return v
	}
	switch x := v.(type) {
	case string:
		return fix(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = boundValue(e, fix)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[fix(k)] = boundValue(e, fix)
		}
		return out
	}
	return v
}

// changes reports whether boundValue(v, fix) would differ from v.
func changes(v any, fix func(string) string) bool {
	switch x := v.(type) {
	case string:
		return fix(x) != x
	case []any:
		for _, e := range x {
			if changes(e, fix) {
				return true
			}
		}
	case map[string]any:
		for k, e := range x {
			if fix(k) != k || changes(e, fix) {
				return true
			}
		}
	}
	return false
}

// replyCheck passes when the plugin replied and GOST could decode the reply;
// otherwise it says what failed and what GOST does about it.
func (r *runner) replyCheck(op mockclient.Operation, out *mockclient.Outcome) report.Check {
	ch := report.Check{Name: CheckReply, Status: report.Pass}
	if !out.Sent {
		ch.Message = "GOST sends no call for this request"
		return ch
	}
	if out.OK() {
		return ch
	}
	if noNodeReply(op, r.c.Transport(), out) {
		ch.Message = fmt.Sprintf("HTTP %d: the plugin chose no node, which over HTTP only a non-200 reply can say", out.HTTPStatus)
		return ch
	}
	ch.Status = report.Fail
	msg := []string{fmt.Sprintf("%s failure: %s", out.Failure, out.Error())}
	if out.Code == codes.Unauthenticated || out.HTTPStatus == http.StatusUnauthorized {
		if r.c.Config().Token == "" {
			msg = append(msg, "the plugin answered Unauthenticated: does it need --token?")
		} else {
			msg = append(msg, "the plugin rejected the token given with --token")
		}
	}
	if out.Code == codes.Unimplemented && !slices.ContainsFunc(out.Notes, func(n mockclient.Note) bool {
		return n.Code == mockclient.NoteUnimplementedMethod || n.Code == mockclient.NoteUnimplementedService
	}) {
		// mockclient's notes tell a missing method from a missing service
		// when the server is grpc-go; other servers' texts differ.
		msg = append(msg, "the server does not implement this method or service: is --addr the right plugin, built from go-gost/plugin v0.5.0?")
	}
	msg = append(msg, fmt.Sprintf("GOST's verdict: %s", compactJSON(out.Verdict)))
	for _, n := range out.Notes {
		msg = append(msg, n.Text)
	}
	ch.Message = strings.Join(msg, "; ")
	return ch
}

// noNodeReply reports an HTTP hop reply of 204 or 404. A hop plugin has no
// other way to tell GOST "no node" over HTTP (a 200 with null is an empty,
// unusable node), so these are answers, not failures; the sanity check
// still warns that the chain goes direct.
func noNodeReply(op mockclient.Operation, t mockclient.Transport, out *mockclient.Outcome) bool {
	return op.Module == mockclient.Hop && t == mockclient.HTTP && out.Failure == mockclient.FailureStatus &&
		(out.HTTPStatus == http.StatusNoContent || out.HTTPStatus == http.StatusNotFound)
}

// sameCheck passes when every call of outs succeeded with the verdict of
// the first call: first as JSON values, typed as the operation returned it.
func (r *runner) sameCheck(name string, st *Step, first, typed any, outs []mockclient.Outcome) report.Check {
	ch := report.Check{Name: name, Status: report.Pass}
	keys := stableKeys(st.Op)
	var want any
	for i, o := range outs {
		if sameAs(&o, typed) {
			continue
		}
		if want == nil {
			want = digestLong(project(first, keys))
		}
		if !o.OK() {
			ch.Status = report.Fail
			ch.Message = fmt.Sprintf("call %d of %d failed: %s failure: %s", i+1, len(outs), o.Failure, o.Error())
			return ch
		}
		got := digestLong(project(toJSONValue(o.Verdict), keys))
		if d := diff("", want, got); len(d) > 0 {
			ch.Status = report.Fail
			ch.Message = fmt.Sprintf("call %d of %d gave a different verdict: %s", i+1, len(outs), strings.Join(d, "; "))
			return ch
		}
	}
	return ch
}

// hide redacts the token from text the plugin or a fixture supplied, so
// that a plugin echoing the token cannot put it into a report.
func (r *runner) hide(s string) string {
	return redact(s, r.c.Config().Token, r.opts.ShowToken)
}

// maxSentRequest bounds the wire request kept in a report; it comes from
// fixtures, but a report must stay readable whatever a fixture holds.
const maxSentRequest = 64 << 10

// maxReportReply bounds the reply kept in a report for each call: enough
// to see what the plugin sent, not megabytes repeated for every case.
const maxReportReply = 4 << 10

// observation copies what the report needs of o, with the token redacted
// from everything that may quote it; the request, reply and error are
// shared with earlier steps of the run that observed the same.
//
// The timing is written to into, which must be non-nil when o has one.
func (r *runner) observation(o *mockclient.Observation, into *report.Timing) report.Observation {
	hide, ts := r.hide, &r.texts
	if o.Timing != nil {
		*into = timingValue(o.Timing)
	}
	ro := report.Observation{
		Method:     o.Method,
		Target:     hide(o.Target),
		Sent:       o.Sent,
		HTTPStatus: o.HTTPStatus,
		Failure:    string(o.Failure),
		Error:      ts.str(bound(hide(o.Error()), clip.Size)),
		Reply:      ts.str(bound(hide(string(o.Reply)), maxReportReply)),
		Latency:    report.Duration(o.Latency),
		Timing:     into,
	}
	for _, rd := range o.Redirects {
		ro.Redirects = append(ro.Redirects, report.Redirect{Method: rd.Method, URL: hide(rd.URL), Status: rd.Status})
	}
	if len(o.Redirects) > 0 {
		ro.FinalURL = hide(o.FinalURL)
	}
	if len(o.Request) > 0 && o.Sent {
		sent := hide(string(o.Request))
		switch {
		case len(sent) > maxSentRequest:
			ro.Request, _ = json.Marshal(bound(sent, maxSentRequest/4))
		case json.Valid([]byte(sent)):
			ro.Request = ts.raw(sent)
		default:
			ro.Request, _ = json.Marshal(sent)
		}
	}
	if o.Transport == mockclient.GRPC && o.Sent {
		ro.Code = o.Code.String()
	}
	return ro
}

func target(cfg mockclient.Config, showToken bool) report.Target {
	t := report.Target{Addr: redact(cfg.Addr, cfg.Token, showToken), Timeout: report.Duration(cfg.Timeout), CallTimeout: report.Duration(cfg.CallTimeout)}
	if cfg.CallTimeout <= 0 {
		t.CallTimeout = report.Duration(mockclient.DefaultCallTimeout)
	}
	if cfg.Token != "" {
		t.Token = "<redacted>"
		if showToken {
			t.Token = cfg.Token
		}
	}
	if cfg.TLS != nil {
		t.TLS = &report.TargetTLS{Secure: cfg.TLS.Secure, ServerName: cfg.TLS.ServerName}
	}
	return t
}

// toJSONValue converts v to the generic shapes encoding/json produces.
func toJSONValue(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

func compactJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// project keeps only keys of a verdict object; nil keys keep everything.
func project(v any, keys []string) any {
	m, ok := v.(map[string]any)
	if !ok || keys == nil {
		return v
	}
	out := make(map[string]any, len(keys))
	for _, k := range keys {
		out[k] = m[k]
	}
	return out
}

// diff compares an expected pattern with an actual value. Objects match
// partially (only the expected keys), lists element by element.
func diff(path string, want, got any) []string {
	label := path
	if label == "" {
		label = "verdict"
	}
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: got %s, want an object", label, compactJSON(got))}
		}
		var out []string
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			out = append(out, diff(joinPath(path, k), w[k], g[k])...)
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{fmt.Sprintf("%s: got %s, want %s", label, compactJSON(got), compactJSON(want))}
		}
		var out []string
		for i := range w {
			out = append(out, diff(fmt.Sprintf("%s[%d]", label, i), w[i], g[i])...)
		}
		return out
	}
	if compactJSON(want) != compactJSON(got) {
		return []string{fmt.Sprintf("%s: got %s, want %s", label, compactJSON(got), compactJSON(want))}
	}
	return nil
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
