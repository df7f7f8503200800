package suites

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
)

// Latency rule. The budget is plugincheck's taste, not GOST's: GOST puts no
// deadline on gRPC plugin calls, and over HTTP only its own `timeout`. So:
//   - a call that reaches GOST's HTTP timeout fails, because GOST fails it;
//   - otherwise a step over the budget warns, and fails only when the budget
//     was given explicitly (--strict turns the warning into exit 1 anyway);
//   - "over the budget" is judged on the median of the step's calls, never on
//     its slowest call.
//
// The median of at least minStepSamples calls moves only when most calls
// are slow. A default step makes 10 (one, a repeat, eight at once), and
// what a busy CI runner does to a burst (scheduling stalls, GC pauses, a
// SYN retried after 1 s) hits a few calls of it, which leaves the median
// alone; a plugin that is slow on every call moves it. A step with fewer
// calls (calls with side effects are not repeated) has no such median, so
// it is over the budget only when the run's median, over all its calls,
// is over too (or alone, when the whole run made fewer than minStepSamples).
const minStepSamples = 5

// synRetryConnect is how long a loopback TCP connect must take to be the
// kernel's SYN retry: the first retransmission comes after 1 s
// (TCP_TIMEOUT_INIT), a connect to a listening socket otherwise takes
// microseconds, and scheduling delay on a loaded machine stays well under it.
const synRetryConnect = 900 * time.Millisecond

// latencyJudge applies the latency rule across a run. The runner gathers
// each case's figures in a caseLatency of its own and adds them with merge
// (under its mutex) once the case's report is kept, so that a case run
// again alone (parallel.go) counts once; judge and finish run once the
// calls they judge ended.
type latencyJudge struct {
	budget time.Duration
	// enforced: the budget was given explicitly, so an overrun fails.
	enforced bool
	// gostTimeout is GOST's HTTP `timeout`; 0 when none applies (gRPC, or
	// none configured).
	gostTimeout time.Duration
	grpc        bool

	// caseLatency holds the run's figures: every kept case's, merged,
	// but for their latencies, which merge moves to kept.
	caseLatency
	kept latencies
}

// latencies holds the latency of every kept call of a run, for the run's
// median and summary, in four bytes a call while every latency fits:
// a 10,000-case run keeps 100,000 of them until it ends, and every
// garbage collection of the run counted them.
type latencies struct {
	// ns are the latencies in nanoseconds while each is under 2³² ns
	// (4.29 s); wide is nil until then.
	ns   []uint32
	wide []time.Duration
}

// add keeps ds.
func (l *latencies) add(ds []time.Duration) {
	for i, d := range ds {
		if l.wide != nil {
			l.wide = append(l.wide, ds[i:]...)
			return
		}
		if d < 0 || d > math.MaxUint32 {
			l.wide = make([]time.Duration, len(l.ns), len(l.ns)+len(ds))
			for k, v := range l.ns {
				l.wide[k] = time.Duration(v)
			}
			l.ns = nil
			l.wide = append(l.wide, ds[i:]...)
			return
		}
		l.ns = append(l.ns, uint32(d))
	}
}

// all returns every latency kept, in a slice of the caller's.
func (l *latencies) all() []time.Duration {
	if l.wide != nil {
		return l.wide
	}
	out := make([]time.Duration, len(l.ns))
	for i, v := range l.ns {
		out[i] = time.Duration(v)
	}
	return out
}

// caseLatency is what calls add to the latency figures: of one case while
// it runs, or of the whole run.
type caseLatency struct {
	samples    []time.Duration
	synRetries int
	// short are the checks of steps with too few calls for a median,
	// judged when the run ends.
	short []shortStep
}

// merge adds one case's figures to the run's.
func (j *latencyJudge) merge(c *caseLatency) {
	j.kept.add(c.samples)
	j.synRetries += c.synRetries
	j.short = append(j.short, c.short...)
}

// shortStep is a latency check waiting for the run's median.
type shortStep struct {
	step   *report.Step
	check  int // index into step.Checks
	median time.Duration
	calls  int
	slow   *mockclient.Observation
	syn    string // synLine of the step's calls
}

func newLatencyJudge(cfg mockclient.Config, t mockclient.Transport, opts RunOptions) *latencyJudge {
	j := &latencyJudge{budget: opts.LatencyBudget, enforced: opts.LatencyBudgetExplicit, grpc: t == mockclient.GRPC}
	if t == mockclient.HTTP && cfg.Timeout > 0 {
		j.gostTimeout = cfg.Timeout
	}
	return j
}

// record adds one call to the figures.
func (c *caseLatency) record(o *mockclient.Observation) {
	c.samples = append(c.samples, o.Latency)
	if synRetried(o) {
		c.synRetries++
	}
}

// measured reports whether o's latency says anything about the plugin: a
// call GOST sent that plugincheck's own deadline did not cut short.
func measured(o *mockclient.Observation) bool {
	return o.Sent && o.Failure != mockclient.FailureRequest && o.Failure != mockclient.FailureTimeout
}

// synRetried reports an HTTP call that spent about a second in the TCP
// handshake: a connect that long (the SYN was dropped), or a new
// connection with retransmissions whose request waited that long (the
// last ACK was dropped, so the plugin took the connection only when it
// resent its SYN-ACK). Over gRPC Connect also holds TLS and HTTP/2 setup,
// so it says nothing this precise.
func synRetried(o *mockclient.Observation) bool {
	t := o.Timing
	if o.Transport != mockclient.HTTP || t == nil || t.Reused {
		return false
	}
	return t.Connect >= synRetryConnect || (t.Retransmits > 0 && t.Connect+t.Wrote+t.FirstByte >= synRetryConnect)
}

// gostTimedOut reports a call GOST's http.Client.Timeout would end (or
// ended: mockclient uses GOST's client, whose timeout error is a url.Error
// that says Timeout).
func (j *latencyJudge) gostTimedOut(o *mockclient.Observation) bool {
	if j.gostTimeout <= 0 {
		return false
	}
	var ue *url.Error
	return o.Latency >= j.gostTimeout || (errors.As(o.Err, &ue) && ue.Timeout())
}

// median is the nearest-rank 50th percentile: for an even count the lower
// middle value, so half the calls may be slow without moving it.
func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return sortedMedian(s)
}

// sortedMedian is median of s, sorted already.
func sortedMedian(s []time.Duration) time.Duration {
	if len(s) == 0 {
		return 0
	}
	return s[int(math.Ceil(float64(len(s))/2))-1]
}

// judge adds the latency check of step rs, whose calls are obs; a step
// too short to judge alone waits in the run's figures.
func (j *latencyJudge) judge(rs *report.Step, obs []*mockclient.Observation) {
	j.judgeInto(&j.caseLatency, rs, obs)
}

// judgeInto is judge with a short step kept in c.
func (j *latencyJudge) judgeInto(c *caseLatency, rs *report.Step, obs []*mockclient.Observation) {
	ch, short := j.check(obs)
	line := synLine(obs)
	if ch.Message != "" {
		ch.Message = withSYN(ch.Message, line)
	}
	if short != nil {
		short.step, short.check, short.syn = rs, len(rs.Checks), line
		c.short = append(c.short, *short)
	}
	rs.Checks = append(rs.Checks, ch)
}

// check judges one step's calls. It returns a shortStep when the step has
// too few calls to judge alone; finish then decides its status.
func (j *latencyJudge) check(obs []*mockclient.Observation) (report.Check, *shortStep) {
	ch := report.Check{Name: CheckLatency, Status: report.Pass}
	var lat []time.Duration
	var slowest *mockclient.Observation
	timedOut, over := 0, 0
	for _, o := range obs {
		if !measured(o) {
			continue
		}
		lat = append(lat, o.Latency)
		if slowest == nil || o.Latency > slowest.Latency {
			slowest = o
		}
		if j.gostTimedOut(o) {
			timedOut++
		}
		if o.Latency > j.budget {
			over++
		}
	}
	if len(lat) == 0 {
		return ch, nil
	}
	n, med := len(lat), median(lat)
	switch {
	case timedOut > 0:
		ch.Status = report.Fail
		ch.Message = fmt.Sprintf("%s reached GOST's timeout of %s: GOST's HTTP client gives up there (http.Client.Timeout), so GOST fails the call and applies the module's failure rule; slowest %s",
			ofCalls(timedOut, n), report.Duration(j.gostTimeout), describe(slowest))
	case med > j.budget && n < minStepSamples:
		ch.Message = fmt.Sprintf("%s over the %s budget; judged against the run's median when the run ends", ofCalls(n, n), report.Duration(j.budget))
		return ch, &shortStep{median: med, calls: n, slow: slowest}
	case med > j.budget:
		ch.Status, ch.Message = j.overrun(figure(n, med, slowest))
	case over > 0:
		ch.Message = fmt.Sprintf("%s over the %s budget, but the median, %s, is within it; slowest %s",
			ofCalls(over, n), report.Duration(j.budget), report.Duration(med), describe(slowest))
	}
	return ch, nil
}

// figure words the latency a step is judged on: its only call, or the
// median of its calls and the slowest one.
func figure(n int, med time.Duration, slowest *mockclient.Observation) (fig, slow string) {
	if n == 1 {
		return "1 call took " + describe(slowest), ""
	}
	return fmt.Sprintf("median of %d calls %s", n, report.Duration(med)), "; slowest " + describe(slowest)
}

// overrun words a step judged over the budget and gives its severity.
func (j *latencyJudge) overrun(fig, slow string) (report.Status, string) {
	if j.enforced {
		return report.Fail, fmt.Sprintf("%s, over the %s budget given with --latency-budget%s",
			fig, report.Duration(j.budget), slow)
	}
	gost := "GOST sets no deadline on gRPC plugin calls and waits"
	switch {
	case !j.grpc && j.gostTimeout > 0:
		gost = fmt.Sprintf("GOST waits up to its timeout of %s", report.Duration(j.gostTimeout))
	case !j.grpc:
		gost = "GOST's HTTP plugin client has no timeout configured and waits"
	}
	return report.Warn, fmt.Sprintf("%s, over plugincheck's %s budget%s. A warning: %s, so GOST's caller is delayed, not failed; --strict or an explicit --latency-budget makes it fail",
		fig, report.Duration(j.budget), slow, gost)
}

// finish judges the short steps against the run's median and fills the
// run's latency summary.
func (j *latencyJudge) finish(run *report.Run) {
	// Every call's latency, in a slice of finish's own: sorted in place,
	// it spares median a copy.
	j.kept.add(j.samples)
	j.samples = j.kept.all()
	j.kept = latencies{}
	slices.Sort(j.samples)
	runMedian := sortedMedian(j.samples)
	for _, s := range j.short {
		ch := &s.step.Checks[s.check]
		fig, slow := figure(s.calls, s.median, s.slow)
		switch {
		case len(j.samples) >= minStepSamples && runMedian <= j.budget:
			ch.Status = report.Pass
			ch.Message = fmt.Sprintf("%s, over the %s budget, but the run's median of %d calls, %s, is within it, and a step this short is not judged alone%s",
				fig, report.Duration(j.budget), len(j.samples), report.Duration(runMedian), slow)
			ch.Message = withSYN(ch.Message, s.syn)
			continue
		case len(j.samples) >= minStepSamples:
			fig += fmt.Sprintf(" (run median of %d calls: %s)", len(j.samples), report.Duration(runMedian))
		}
		ch.Status, ch.Message = j.overrun(fig, slow)
		ch.Message = withSYN(ch.Message, s.syn)
		s.step.Status = s.step.Status.Worse(ch.Status)
	}
	if len(j.short) > 0 {
		for _, c := range run.Cases {
			for _, st := range c.Steps {
				if c.Status != report.Skip {
					c.Status = c.Status.Worse(st.Status)
				}
			}
		}
	}
	run.Latency = report.Summarize(j.samples, j.budget)
	run.Latency.SYNRetries = j.synRetries
	run.Latency.Enforced = j.enforced
}

// synLine is the one line that explains calls of obs whose TCP connect
// took about a second, or "".
func synLine(obs []*mockclient.Observation) string {
	syn, synack := 0, 0
	var slowest time.Duration
	for _, o := range obs {
		if !measured(o) || !synRetried(o) {
			continue
		}
		if o.Timing.Connect >= synRetryConnect {
			syn++
			slowest = max(slowest, o.Timing.Connect)
		} else {
			synack++
		}
	}
	var lines []string
	switch syn {
	case 0:
	case 1:
		lines = append(lines, fmt.Sprintf("TCP connect took %s: %s", report.Duration(slowest), report.SYNRetryCause))
	default:
		lines = append(lines, fmt.Sprintf("%d calls took up to %s in TCP connect: %s", syn, report.Duration(slowest), report.SYNRetryCause))
	}
	switch synack {
	case 0:
	case 1:
		lines = append(lines, "1 call on a new connection waited about 1 s with TCP retransmissions: "+report.SYNACKRetryCause)
	default:
		lines = append(lines, fmt.Sprintf("%d calls on new connections waited about 1 s with TCP retransmissions: %s", synack, report.SYNACKRetryCause))
	}
	return strings.Join(lines, ". ")
}

// withSYN appends the SYN retry line, if any, to msg.
func withSYN(msg, line string) string {
	if line == "" {
		return msg
	}
	return msg + ". " + line
}

// ofCalls says "3 of 10 calls", or "1 call" / "2 calls" when k is all of n.
func ofCalls(k, n int) string {
	switch {
	case k == n && n == 1:
		return "1 call"
	case k == n:
		return fmt.Sprintf("%d calls", n)
	}
	return fmt.Sprintf("%d of %d calls", k, n)
}

// describe says where the time of call o went.
func describe(o *mockclient.Observation) string {
	if o == nil {
		return "unknown"
	}
	s := report.Duration(o.Latency).String()
	if t := o.Timing; t != nil {
		if p := timing(t).String(); p != "" {
			s += " (" + p + ")"
		}
	}
	return s
}

// timing converts mockclient's phases for the report; nil stays nil.
func timing(t *mockclient.Timing) *report.Timing {
	if t == nil {
		return nil
	}
	v := timingValue(t)
	return &v
}

// timingValue converts mockclient's phases, t non-nil, for the report.
func timingValue(t *mockclient.Timing) report.Timing {
	return report.Timing{
		Reused:    t.Reused,
		Connect:   report.Duration(t.Connect),
		TLS:       report.Duration(t.TLS),
		Wrote:     report.Duration(t.Wrote),
		FirstByte: report.Duration(t.FirstByte),

		Retransmits: int(t.Retransmits),
	}
}
