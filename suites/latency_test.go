package suites

import (
	"math"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
)

const ms = time.Millisecond

// calls builds the observations of a step, one per latency, as mockclient
// records them over t.
func observedCalls(t mockclient.Transport, lat ...time.Duration) []*mockclient.Observation {
	out := make([]*mockclient.Observation, len(lat))
	for i, l := range lat {
		out[i] = &mockclient.Observation{Transport: t, Sent: true, Latency: l,
			Timing: &mockclient.Timing{Reused: i > 0, FirstByte: l}}
	}
	return out
}

// burst is a default step: one call, a repeat and eight at once.
func burst(t mockclient.Transport, lat time.Duration) []*mockclient.Observation {
	l := make([]time.Duration, 10)
	for i := range l {
		l[i] = lat
	}
	return observedCalls(t, l...)
}

// gostTimeoutErr is the error GOST's http.Client returns at its timeout.
var gostTimeoutErr = &url.Error{Op: "Post", URL: "http://127.0.0.1:1/auth", Err: timeoutErr{}}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "Client.Timeout exceeded while awaiting headers" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestLatencyCheck(t *testing.T) {
	t.Parallel()
	outlier := burst(mockclient.HTTP, 5*ms)
	outlier[7].Latency = 1200 * ms
	outlier[7].Timing = &mockclient.Timing{Connect: 1003 * ms, FirstByte: 2 * ms}

	slowHalf := burst(mockclient.GRPC, 5*ms)
	for _, o := range slowHalf[5:] {
		o.Latency = 900 * ms
	}

	timedOut := burst(mockclient.HTTP, 5*ms)
	timedOut[3].Latency, timedOut[3].Failure, timedOut[3].Err = time.Second, mockclient.FailureTransport, gostTimeoutErr

	ownDeadline := burst(mockclient.HTTP, 5*ms)
	ownDeadline[2].Latency, ownDeadline[2].Failure = 5*time.Second, mockclient.FailureTimeout

	grpcTimeoutIgnored := burst(mockclient.GRPC, 5*ms)
	grpcTimeoutIgnored[4].Latency = 3 * time.Second

	tests := []struct {
		name     string
		cfg      mockclient.Config
		explicit bool
		obs      []*mockclient.Observation
		want     report.Status
		msg      []string // substrings of the message; none means no message
		short    bool
	}{
		// happy
		{name: "fast", obs: burst(mockclient.GRPC, 5*ms), want: report.Pass},
		{name: "one outlier in a burst passes and is explained", obs: outlier, want: report.Pass,
			msg: []string{"1 of 10 calls over the 500ms budget, but the median, 5ms, is within it", "slowest 1.2s (connect 1.003s, first byte 2ms)",
				"TCP connect took 1.003s: SYN retried after 1 s: the plugin's listen backlog overflowed (Python's http.server keeps 5)"}},
		{name: "half the burst slow is still a fast median", obs: slowHalf, want: report.Pass, msg: []string{"5 of 10 calls over the 500ms budget, but the median, 5ms"}},
		{name: "own deadline is not a latency", obs: ownDeadline, want: report.Pass},
		{name: "GOST's timeout does not apply to gRPC", cfg: mockclient.Config{Timeout: time.Second}, obs: grpcTimeoutIgnored, want: report.Pass,
			msg: []string{"1 of 10 calls over"}},
		// sad
		{name: "slow median warns", obs: burst(mockclient.GRPC, 800*ms), want: report.Warn,
			msg: []string{"median of 10 calls 800ms, over plugincheck's 500ms budget", "GOST sets no deadline on gRPC plugin calls", "--strict or an explicit --latency-budget makes it fail"}},
		{name: "slow median over HTTP without a timeout warns", obs: burst(mockclient.HTTP, 800*ms), want: report.Warn,
			msg: []string{"GOST's HTTP plugin client has no timeout configured"}},
		{name: "slow median under GOST's timeout warns", cfg: mockclient.Config{Timeout: 2 * time.Second}, obs: burst(mockclient.HTTP, 800*ms), want: report.Warn,
			msg: []string{"GOST waits up to its timeout of 2s"}},
		{name: "explicit budget fails", explicit: true, obs: burst(mockclient.GRPC, 800*ms), want: report.Fail,
			msg: []string{"median of 10 calls 800ms, over the 500ms budget given with --latency-budget"}},
		{name: "over GOST timeout fails", cfg: mockclient.Config{Timeout: time.Second}, obs: timedOut, want: report.Fail,
			msg: []string{"1 of 10 calls reached GOST's timeout of 1s: GOST's HTTP client gives up there (http.Client.Timeout), so GOST fails the call"}},
		{name: "over GOST timeout fails even with a fast median", cfg: mockclient.Config{Timeout: 100 * ms}, obs: outlier, want: report.Fail,
			msg: []string{"reached GOST's timeout of 100ms"}},
		{name: "a single slow call waits for the run", obs: observedCalls(mockclient.HTTP, 800*ms), want: report.Pass, short: true,
			msg: []string{"1 call over the 500ms budget; judged against the run's median"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tr := tt.obs[0].Transport
			j := newLatencyJudge(tt.cfg, tr, RunOptions{LatencyBudget: DefaultLatencyBudget, LatencyBudgetExplicit: tt.explicit})
			ch, short := j.check(tt.obs)
			assert.Equal(t, CheckLatency, ch.Name)
			assert.Equal(t, tt.want, ch.Status, ch.Message)
			assert.Equal(t, tt.short, short != nil)
			if len(tt.msg) == 0 {
				assert.Empty(t, ch.Message)
			}
			for _, m := range tt.msg {
				assert.Contains(t, withSYN(ch.Message, synLine(tt.obs)), m)
			}
		})
	}
}

// TestLatencyShortSteps checks steps with too few calls for a median: they
// are judged with the run's median when the run ends.
func TestLatencyShortSteps(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		explicit bool
		run      time.Duration // latency of the run's other calls
		others   int
		want     report.Status
		msg      string
	}{
		{name: "fast run forgives one slow call", run: 5 * ms, others: 20, want: report.Pass,
			msg: "1 call took 800ms (first byte 800ms), over the 500ms budget, but the run's median of 21 calls, 5ms, is within it"},
		{name: "slow run warns", run: 700 * ms, others: 20, want: report.Warn,
			msg: "1 call took 800ms (first byte 800ms) (run median of 21 calls: 700ms), over plugincheck's 500ms budget"},
		{name: "slow run with an explicit budget fails", explicit: true, run: 700 * ms, others: 20, want: report.Fail,
			msg: "over the 500ms budget given with --latency-budget"},
		{name: "a run too short to judge stands alone", run: 5 * ms, others: 1, want: report.Warn,
			msg: "1 call took 800ms (first byte 800ms), over plugincheck's 500ms budget"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			j := newLatencyJudge(mockclient.Config{}, mockclient.HTTP, RunOptions{LatencyBudget: DefaultLatencyBudget, LatencyBudgetExplicit: tt.explicit})
			for range tt.others {
				j.record(&mockclient.Observation{Transport: mockclient.HTTP, Sent: true, Latency: tt.run})
			}
			slow := observedCalls(mockclient.HTTP, 800*ms)
			j.record(slow[0])
			st := &report.Step{Status: report.Pass, Checks: []report.Check{{Name: CheckReply, Status: report.Pass}}}
			j.judge(st, slow)
			c := &report.Case{Status: report.Pass, Steps: []*report.Step{st}}
			run := &report.Run{Cases: []*report.Case{c}}
			j.finish(run)

			ch := st.Checks[1]
			assert.Equal(t, tt.want, ch.Status, ch.Message)
			assert.Contains(t, ch.Message, tt.msg)
			assert.Equal(t, tt.want, st.Status, "the step takes the check's status")
			assert.Equal(t, tt.want, c.Status, "the case takes the step's status")
			assert.Equal(t, tt.others+1, run.Latency.Count)
			assert.Equal(t, tt.explicit, run.Latency.Enforced)
		})
	}
}

func TestMedian(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   []time.Duration
		want time.Duration
	}{
		{in: nil, want: 0},
		{in: []time.Duration{3}, want: 3},
		{in: []time.Duration{9, 1}, want: 1},
		{in: []time.Duration{9, 1, 5}, want: 5},
		{in: []time.Duration{1, 1, 1, 1, 1, 9, 9, 9, 9, 9}, want: 1},
		{in: []time.Duration{1, 1, 1, 1, 9, 9, 9, 9, 9, 9}, want: 9},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, median(tt.in), "median(%v)", tt.in)
	}
}

// TestLatenciesKeepEvery: the run's latencies come back as added, in
// order, whether they fit four bytes each or one does not; they take four
// bytes a call while they fit.
func TestLatenciesKeepEvery(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		adds  [][]time.Duration
		fourB bool
	}{
		{name: "none", adds: nil, fourB: true},
		{name: "fit", adds: [][]time.Duration{{1, 2 * time.Millisecond}, {4294967295}}, fourB: true},
		{name: "one too long first", adds: [][]time.Duration{{5 * time.Second, 3}, {7}}},
		{name: "one too long later", adds: [][]time.Duration{{1, 2}, {3, 5 * time.Second, 4}, {6}}},
		{name: "too long at the end", adds: [][]time.Duration{{1}, {math.MaxInt64}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var l latencies
			var want []time.Duration
			for _, a := range tt.adds {
				l.add(a)
				want = append(want, a...)
			}
			assert.Equal(t, len(want), len(l.all()))
			if len(want) > 0 {
				assert.Equal(t, want, l.all())
			}
			assert.Equal(t, tt.fourB, l.wide == nil, "kept in four bytes a call")
		})
	}
}
