package suites

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
)

// caseDecision is what a run decides about a case, without the timings that
// differ from run to run.
type caseDecision struct {
	ID, Status, SkipReason string
	Steps                  []string
}

func decisions(run *report.Run) []caseDecision {
	out := make([]caseDecision, 0, len(run.Cases))
	for _, c := range run.Cases {
		cs := caseDecision{ID: c.ID, Status: string(c.Status), SkipReason: c.SkipReason}
		for _, st := range c.Steps {
			var checks []string
			for _, ch := range st.Checks {
				msg := ch.Message
				if ch.Name == CheckLatency {
					msg = "" // quotes timings
				}
				checks = append(checks, ch.Name+"="+string(ch.Status)+":"+msg)
			}
			cs.Steps = append(cs.Steps, fmt.Sprintf("%s %s expected=%s actual=%s checks=%v",
				st.Op, st.Status, compactJSON(st.Expected), compactJSON(st.Actual), checks))
		}
		out = append(out, cs)
	}
	return out
}

// largeCases is 10,000, or 2,000 under the race detector, which makes each
// call about ten times slower (the schedule is the same at any count).
func largeCases() int {
	if raceEnabled {
		return 2000
	}
	return 10000
}

// TestRunParallelSameAsSerial runs 10,000 auth cases against the reference
// plugin with the default workers and one case at a time: the reports
// name the same cases in the same order with the same statuses, verdicts
// and checks.
func TestRunParallelSameAsSerial(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		transport mockclient.Transport
		cases     int
		checks    []string
	}{
		// One call per case keeps 10,000 cases quick.
		{name: "grpc 10000 cases", transport: mockclient.GRPC, cases: largeCases(), checks: []string{CheckReply}},
		{name: "grpc every check", transport: mockclient.GRPC, cases: 500},
		{name: "http every check", transport: mockclient.HTTP, cases: 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ss := largeAuthSuites(t, tt.cases, tt.checks...)
			// Two concurrent calls per step keep the test quick under
			// -race; the schedule is the same at any count.
			opts := RunOptions{Concurrency: 2}
			c := refClient(t, tt.transport, mockclient.Auth)

			opts.Workers = 1
			serial, err := Run(t.Context(), c, mockclient.Auth, ss, opts)
			require.NoError(t, err)
			opts.Workers = 0
			parallel, err := Run(t.Context(), c, mockclient.Auth, ss, opts)
			require.NoError(t, err)

			require.Len(t, serial.Cases, tt.cases)
			want, got := decisions(serial), decisions(parallel)
			for i := range want {
				if !assert.Equal(t, want[i], got[i], "case %d", i) {
					break // one difference says it; 10,000 would drown it
				}
			}
			statuses := map[report.Status]int{}
			for _, c := range parallel.Cases {
				statuses[c.Status]++
			}
			assert.Positive(t, statuses[report.Pass])
			assert.Positive(t, statuses[report.Fail])
			assert.Positive(t, statuses[report.Warn])
			assert.Equal(t, tt.transport == mockclient.HTTP, statuses[report.Skip] > 0, "gRPC-only cases skip over HTTP")
			assert.Equal(t, serial.Latency.Count, parallel.Latency.Count, "every call counted once")
		})
	}
}

// recordingPlugin serves GOST's HTTP protocol for one module and records
// each call's tag (a field of its request) in arrival order. It counts the
// calls in flight at once.
type recordingPlugin struct {
	mu       sync.Mutex
	tags     []string
	inflight atomic.Int32
	most     atomic.Int32

	// holdFirst makes the first call wait until a second one is in
	// flight (or a minute passes), so that a schedule that runs cases at
	// once shows it on any machine.
	holdFirst bool
	held      atomic.Bool
	two       chan struct{}
	twoOnce   sync.Once
}

func (p *recordingPlugin) serve(t *testing.T, m mockclient.Module, tag func(*http.Request) string, reply string) *mockclient.Client {
	t.Helper()
	p.two = make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := p.inflight.Add(1)
		defer p.inflight.Add(-1)
		raiseMost(&p.most, n)
		if n >= 2 {
			p.twoOnce.Do(func() { close(p.two) })
		}
		if p.holdFirst && p.held.CompareAndSwap(false, true) {
			select {
			case <-p.two:
			case <-time.After(time.Minute):
			case <-r.Context().Done():
			}
		}
		p.mu.Lock()
		p.tags = append(p.tags, tag(r))
		p.mu.Unlock()
		_, _ = fmt.Fprint(w, reply)
	}))
	t.Cleanup(srv.Close)
	c, err := mockclient.New(mockclient.Config{Addr: srv.URL + "/" + string(m), CallTimeout: time.Minute})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func (p *recordingPlugin) recorded() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.tags...)
}

// statefulYAML is a suite of module m with cases × steps steps, each step
// tagged "c<case>s<step>" in the request field the plugin records.
func statefulYAML(m mockclient.Module, cases, steps int) (string, []string) {
	var b strings.Builder
	var order []string
	fmt.Fprintf(&b, "name: Order\nmodule: %s\ncases:\n", m)
	for c := range cases {
		fmt.Fprintf(&b, "  - name: case-%d\n    steps:\n", c)
		for s := range steps {
			tag := fmt.Sprintf("c%ds%d", c, s)
			order = append(order, tag)
			switch m {
			case mockclient.Ingress:
				if s%2 == 0 {
					fmt.Fprintf(&b, "      - op: set_rule\n        request: {host: %s, endpoint: 3f2b8c1e-6d4a-4e9b-9c7f-1a2b3c4d5e6f, service: tunnel}\n", tag)
				} else {
					fmt.Fprintf(&b, "      - op: get_rule\n        request: {host: %s, service: tunnel}\n        checks: [reply]\n", tag)
				}
			case mockclient.SD:
				op := []string{"register", "get", "renew", "deregister"}[s%4]
				if op == "get" {
					fmt.Fprintf(&b, "      - op: get\n        request: {name: %s}\n", tag)
				} else {
					fmt.Fprintf(&b, "      - op: %s\n        request: {service: {id: %s, name: %s, node: n1}}\n", op, tag, tag)
				}
			default:
				fmt.Fprintf(&b, "      - request: {username: %s, password: x}\n        checks: [reply]\n", tag)
			}
		}
	}
	return b.String(), order
}

// tagOf reads the tag of a call: the host or name query parameter of a GET,
// or the first of host, username, service.id, name in a JSON body.
func tagOf(r *http.Request) string {
	q := r.URL.Query()
	for _, k := range []string{"host", "name"} {
		if v := q.Get(k); v != "" {
			return v
		}
	}
	var body struct {
		Host, Username, Name string
		Service              struct{ ID string }
	}
	_ = json.NewDecoder(r.Body).Decode(&body)
	for _, v := range []string{body.Host, body.Username, body.Service.ID, body.Name} {
		if v != "" {
			return v
		}
	}
	return "?"
}

// TestRunKeepsStepOrder checks the schedule against plugins that record
// what they receive: ingress and sd cases, which share plugin state, run
// one call at a time in fixture order however many workers are asked for;
// the steps of a case of another module stay in order within the case.
func TestRunKeepsStepOrder(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		module mockclient.Module
		reply  string
		serial bool
	}{
		{name: "ingress", module: mockclient.Ingress, reply: `{"ok":true,"endpoint":"3f2b8c1e-6d4a-4e9b-9c7f-1a2b3c4d5e6f"}`, serial: true},
		{name: "sd", module: mockclient.SD, reply: `{"ok":true,"services":[]}`, serial: true},
		{name: "auth steps", module: mockclient.Auth, reply: `{"ok":false}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := &recordingPlugin{holdFirst: !tt.serial}
			c := p.serve(t, tt.module, tagOf, tt.reply)
			yaml, order := statefulYAML(tt.module, 40, 4)
			run, err := Run(t.Context(), c, tt.module, mustParse(t, yaml), RunOptions{Workers: 16})
			require.NoError(t, err)
			for _, cs := range run.Cases {
				require.NotEqual(t, report.Skip, cs.Status, cs.ID)
			}

			got := p.recorded()
			if tt.serial {
				assert.Equal(t, order, got, "one call at a time, in fixture order")
				assert.EqualValues(t, 1, p.most.Load(), "never two calls at once")
				return
			}
			assert.ElementsMatch(t, order, got)
			byCase := map[string][]string{}
			for _, tag := range got {
				c := tag[:strings.Index(tag, "s")]
				byCase[c] = append(byCase[c], tag)
			}
			for c, tags := range byCase {
				for s, tag := range tags {
					assert.Equal(t, fmt.Sprintf("%ss%d", c, s), tag, "the steps of %s in order", c)
				}
			}
			assert.Greater(t, p.most.Load(), int32(1), "cases of a stateless module run at once")
		})
	}
}

// TestRunObserveOneAtATime checks that Observe, documented as called one
// call at a time, never runs twice at once while cases run in parallel,
// and sees every call.
func TestRunObserveOneAtATime(t *testing.T) {
	t.Parallel()
	c := refClient(t, mockclient.GRPC, mockclient.Auth)
	var inside, most, calls atomic.Int32
	opts := RunOptions{Workers: 8, Observe: func(*mockclient.Observation) {
		n := inside.Add(1)
		defer inside.Add(-1)
		calls.Add(1)
		if n > most.Load() {
			most.Store(n) // only ever raised while n > 1, which is the failure
		}
	}}
	run, err := Run(t.Context(), c, mockclient.Auth, largeAuthSuites(t, 200), opts)
	require.NoError(t, err)
	assert.EqualValues(t, 1, most.Load(), "Observe ran concurrently")
	assert.EqualValues(t, run.Latency.Count, calls.Load(), "Observe saw every call")
}

// TestRunInterrupted cancels a parallel run after some calls: the run
// returns ctx's error with every case in fixture order, those not started
// skipped as interrupted.
func TestRunInterrupted(t *testing.T) {
	t.Parallel()
	c := refClient(t, mockclient.GRPC, mockclient.Auth)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var calls atomic.Int32
	opts := RunOptions{Workers: 4, Observe: func(*mockclient.Observation) {
		if calls.Add(1) == 200 {
			cancel()
		}
	}}
	ss := largeAuthSuites(t, 1000)
	run, err := Run(ctx, c, mockclient.Auth, ss, opts)
	require.ErrorIs(t, err, context.Canceled)
	require.NotNil(t, run, "the partial run comes with the error")
	require.Len(t, run.Cases, 1000)
	interrupted := 0
	for i, cs := range run.Cases {
		assert.Equal(t, fmt.Sprintf("auth-large/grpc/case-%05d", i), cs.ID, "fixture order")
		if cs.Status == report.Skip && cs.SkipReason == "interrupted" {
			interrupted++
			assert.Empty(t, cs.Steps)
		}
	}
	assert.Greater(t, interrupted, 500, "the cases after the cancel did not run")
	assert.Less(t, interrupted, 1000, "the cases before it did")
}

// TestRunTimesSlowCasesAlone runs cases against a plugin that is fast alone
// but slow while another case's calls are in flight (it answers a second
// after a call for another user arrives). Those cases run again alone: the
// latency check judges the plugin, not plugincheck's parallelism, and every
// case passes. A real delay, since the delay is the subject.
func TestRunTimesSlowCasesAlone(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	users := map[string]int{} // calls in flight by user
	// The first call waits for a call of another user, so that the two
	// overlap on any machine.
	var firstUser string
	other := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Username string }
		_ = json.NewDecoder(r.Body).Decode(&req)
		mu.Lock()
		first := firstUser == ""
		if first {
			firstUser = req.Username
		} else if req.Username != firstUser {
			select {
			case <-other:
			default:
				close(other)
			}
		}
		users[req.Username]++
		mu.Unlock()
		defer func() {
			mu.Lock()
			if users[req.Username]--; users[req.Username] == 0 {
				delete(users, req.Username)
			}
			mu.Unlock()
		}()
		if first {
			select {
			case <-other:
			case <-time.After(time.Minute):
			case <-r.Context().Done():
			}
		}
		mu.Lock()
		crowded := len(users) > 1
		mu.Unlock()
		if crowded {
			select {
			case <-time.After(time.Second):
			case <-r.Context().Done():
			}
		}
		_, _ = fmt.Fprint(w, `{"ok":false}`)
	}))
	t.Cleanup(srv.Close)
	c, err := mockclient.New(mockclient.Config{Addr: srv.URL + "/auth", CallTimeout: time.Minute})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })

	var b strings.Builder
	b.WriteString("name: Crowd\nmodule: auth\ncases:\n")
	for i := range 12 {
		fmt.Fprintf(&b, "  - name: user-%d\n    request: {username: user-%d, password: x}\n", i, i)
	}
	run, err := Run(t.Context(), c, mockclient.Auth, mustParse(t, b.String()), RunOptions{Workers: 4, LatencyBudget: 300 * time.Millisecond})
	require.NoError(t, err)
	for _, cs := range run.Cases {
		assert.Equal(t, report.Pass, cs.Status, "%s: %+v", cs.ID, cs.Steps[0].Checks)
	}
	require.NotEmpty(t, run.Notes)
	assert.Contains(t, run.Notes[0], "ran again with no other case in flight")
}
