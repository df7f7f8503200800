package suites

import (
	"context"
	"fmt"
	"sync"

	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
)

// DefaultWorkers is how many cases a run over HTTP has in flight at once.
// A default case makes ten calls, eight of them at once, so four cases
// keep enough calls in flight to use two cores, plugin included, while the
// report is built in between; over HTTP/1.1 every call in flight holds a
// connection of its own, on both sides, and more only queue calls behind
// each other and lengthen the latencies the latency check judges.
const DefaultWorkers = 4

// DefaultGRPCWorkers is how many cases a run over gRPC has in flight at
// once. A case's first call, its stable re-call and its concurrent burst
// follow each other, so a case mostly waits on round trips; over gRPC
// every call is a stream of GOST's one connection, and twice as many cases
// in flight cost the plugin no more connections. On 2 cores, 10,000 cases
// took 3.8 s with eight against 5.0 s with four, at less client CPU
// (frames of several calls share a write); sixteen were slower again.
const DefaultGRPCWorkers = 8

// defaultWorkers is the number of cases in flight when RunOptions leaves
// Workers zero.
func defaultWorkers(t mockclient.Transport) int {
	if t == mockclient.GRPC {
		return DefaultGRPCWorkers
	}
	return DefaultWorkers
}

// maxPooledCallers bounds the goroutines kept for concurrent checks.
// Reusing them saves the stack growth of a fresh goroutine per call (a
// gRPC or HTTP call grows its stack several times); a burst that finds no
// idle one starts its own, so its calls are still made at once.
const maxPooledCallers = 64

// Parallel schedule. Cases run in parallel when nothing a case sends can
// change what another case's calls see:
//
//   - the steps of one case run in order, in one goroutine, and within a
//     step the first call, the stable re-call and the concurrent burst
//     follow each other as before;
//   - modules whose calls change plugin state (sharesState) run one case
//     at a time, in fixture order;
//   - the report keeps fixture order whatever the completion order: each
//     case's report.Case is allocated before any call is made;
//   - Observe and the latency figures are updated under the runner's
//     mutex, one call at a time.
//
// Latency is the one check our own parallelism can change: calls of other
// cases queue with a case's calls on the plugin and on the machine. A case
// is therefore timed without competing work whenever its timing could
// matter: when one of its calls took longer than the latency budget (or
// than GOST's HTTP timeout), or timed out or failed in transport, while
// another case was in flight, the case is run again with no other case in
// flight (the gate's write lock), and the report keeps that run. Timing a
// case alone only when it is slow keeps a fast plugin's run parallel; a
// correct plugin that is fast alone is judged alone, so our parallelism
// never turns its pass into a warning. After maxRedone such cases, or one
// that is slow or failing alone too, the rest of the run goes one case at
// a time, since a plugin that slow gains nothing from parallel calls and
// each case would otherwise be made twice.

// sharesState reports a module whose calls change what later calls see:
// GOST's ingress SetRule stores the rules GetRule reads, and sd's
// Register, Renew and Deregister change what Get returns. Even a single
// get_rule or get case reads what another case set (the reference suites
// set a rule in one case and look it up in another's way), so every case
// of these modules runs alone, in fixture order. The other modules' calls
// are lookups with no state GOST sets (hop's load balancing, which may
// rotate nodes, is why its stable and concurrent checks compare only
// `selected`).
func sharesState(m mockclient.Module) bool {
	return m == mockclient.Ingress || m == mockclient.SD
}

// maxRedone is how many cases are run again alone before the rest of the
// run goes one case at a time.
const maxRedone = 4

// job is one case to run and its place in the report.
type job struct {
	rc *report.Case
	cs *Case
}

// caseRun is what one run of a case adds to the run's figures, kept apart
// until the case's report is kept. Its fields are guarded by runner.mu.
type caseRun struct {
	lat caseLatency
	// disturbed: a call was slow or failed in a way parallel calls may
	// have caused.
	disturbed bool
}

// runCases runs jobs with at most workers cases in flight and fills each
// job's report.Case. Cases not started when ctx ends are skipped as
// interrupted.
func (r *runner) runCases(ctx context.Context, jobs []job, workers int) {
	workers = max(1, min(workers, len(jobs)))
	callers := make(chan func())
	r.pool = callers
	var pool sync.WaitGroup
	for range min(workers*r.opts.Concurrency, maxPooledCallers) {
		pool.Go(func() {
			for f := range callers {
				f()
			}
		})
	}
	defer func() {
		close(callers)
		pool.Wait()
	}()

	if workers == 1 {
		for _, j := range jobs {
			r.runJob(ctx, j, false)
		}
		return
	}
	next := make(chan job)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for j := range next {
				r.runJob(ctx, j, true)
			}
		})
	}
	for _, j := range jobs {
		next <- j
	}
	close(next)
	wg.Wait()
}

// runJob runs one case: alone when the run is serial, else beside other
// cases and, when it was disturbed, again alone.
func (r *runner) runJob(ctx context.Context, j job, parallel bool) {
	defer r.finished(r.run, j.rc)
	if ctx.Err() != nil {
		j.rc.Status = report.Skip
		j.rc.SkipReason = "interrupted"
		return
	}
	if !parallel {
		r.keep(r.runCase(ctx, j))
		return
	}
	if r.alone.Load() {
		r.gate.Lock()
		cr := r.runCase(ctx, j)
		r.gate.Unlock()
		r.keep(cr)
		return
	}
	r.gate.RLock()
	start := r.started.Add(1)
	busy := r.inflight.Add(1) > 1
	cr := r.runCase(ctx, j)
	r.inflight.Add(-1)
	busy = busy || r.started.Load() != start
	r.gate.RUnlock()
	if r.disturbedCase(cr) && busy && ctx.Err() == nil {
		r.gate.Lock()
		cr = r.runCase(ctx, j)
		// A case that is slow or failing alone too says the plugin is:
		// the rest of the run would only make each case twice.
		if r.redone.Add(1) >= maxRedone || r.disturbedCase(cr) {
			r.alone.Store(true)
		}
		r.gate.Unlock()
	}
	r.keep(cr)
}

// runCase makes the calls of one case's steps, in order, and fills its
// report.Case.
func (r *runner) runCase(ctx context.Context, j job) *caseRun {
	cr := &caseRun{}
	rc := j.rc
	rc.Status, rc.Steps = report.Pass, make([]*report.Step, 0, len(j.cs.Steps))
	for _, st := range j.cs.Steps {
		rs := r.step(ctx, cr, st)
		rc.Steps = append(rc.Steps, rs)
		rc.Status = rc.Status.Worse(rs.Status)
	}
	return cr
}

// keep adds a kept case's latency figures to the run's.
func (r *runner) keep(cr *caseRun) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lat.merge(&cr.lat)
}

func (r *runner) disturbedCase(cr *caseRun) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return cr.disturbed
}

// disturbed reports a call whose outcome parallel calls may have caused:
// slower than the latency budget or GOST's HTTP timeout, cut by
// plugincheck's deadline, or failed in transport (a plugin whose listen
// backlog overflowed, or that caps its connections).
func (r *runner) disturbed(o *mockclient.Observation) bool {
	switch o.Failure {
	case mockclient.FailureTimeout, mockclient.FailureTransport:
		return true
	}
	if !measured(o) {
		return false
	}
	return o.Latency > r.lat.budget || r.lat.gostTimedOut(o)
}

// burst runs f(0) … f(n-1) at once and waits for them, on pooled
// goroutines where one is idle and on new ones otherwise, so that the n
// calls are in flight together either way.
func (r *runner) burst(n int, f func(i int)) {
	var wg sync.WaitGroup
	wg.Add(n)
	for i := range n {
		task := func() {
			defer wg.Done()
			f(i)
		}
		select {
		case r.pool <- task:
		default:
			go task()
		}
	}
	wg.Wait()
}

// redoneNote says which cases the report shows from a run of their own.
func redoneNote(n int, alone bool) string {
	s := fmt.Sprintf("%d case(s) ran again with no other case in flight: a call took longer than the latency budget, timed out or failed in transport while other cases' calls were in flight, and parallel calls may have caused that; the report shows the run alone", n)
	if alone {
		s += fmt.Sprintf("; after %d such cases the rest of the run went one case at a time", maxRedone)
	}
	return s
}

// MaxInFlight is the most calls a run with opts over HTTP keeps in flight
// at once: every worker's case in its concurrent check, plus the first
// call of another case. Package check sizes the HTTP keep-alive pool with
// it.
func MaxInFlight(opts RunOptions) int {
	workers, conc := opts.Workers, opts.Concurrency
	if workers <= 0 {
		workers = DefaultWorkers
	}
	if conc <= 0 {
		conc = DefaultConcurrency
	}
	return workers * (min(conc, MaxConcurrency) + 1)
}
