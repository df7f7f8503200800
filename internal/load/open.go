package load

import (
	"context"
	"runtime"
	"time"
)

// MaxGrowingConcurrency is the ceiling of an open loop's in-flight cap when
// it grows with the plugin's needs (the CLI's --rate without -c). A caller
// costs a goroutine, its stack and the transport's state for one call in
// flight (for HTTP, a keep-alive connection): 1000 of them keep plugincheck
// under 64 MiB of RSS over gRPC and HTTP, and cover 1000 calls/s of a
// plugin taking a whole second per call, or 100,000/s at 10 ms. An explicit
// --concurrency can go past it.
const MaxGrowingConcurrency = 1000

// idleCallerTimeout is how long an open loop's caller waits for a slot
// before it exits: after a burst that grew the cap, the callers it no
// longer needs give their stacks back (a new one starts if a slot finds
// every caller busy again).
const idleCallerTimeout = time.Second

// slot is one send slot of an open loop, handed by the pacer to a caller.
type slot struct {
	n        uint64
	due      time.Time
	measured bool
}

// pace owns an open loop's schedule: it waits for each slot with clk and
// hands it to an idle caller, starting a caller when every one is busy and
// the cap allows. A slot already due (the pacer was behind) is handed out
// at once without arming the clock, which batches slots when the rate is
// higher than the clock can wake. Only pace starts callers, and it returns
// after closing slots, which ends them.
func (r *runner) pace(ctx context.Context, clk clock) {
	defer close(r.slots)
	var (
		measured    uint64
		deadlineC   <-chan time.Time
		deadlineTmr *time.Timer
	)
	if !r.deadline.IsZero() {
		// A Go timer is precise enough here: it only ends the wait of a
		// slot that no caller could take before the deadline.
		deadlineTmr = time.NewTimer(time.Until(r.deadline))
		defer deadlineTmr.Stop()
		deadlineC = deadlineTmr.C
	}
	for n := uint64(0); ; n++ {
		if r.interrupted() {
			r.stop(ReasonCancel)
			return
		}
		at, ok := r.pacer.Due(n)
		if !ok {
			r.stop(ReasonSchedule)
			return
		}
		due := r.start.Add(at)
		// A slot due after the deadline is outside the run; so is any slot
		// once the deadline has passed, which leaves a backlog of an
		// overloaded open loop unsent (and counted as such) rather than
		// stretching the run.
		if !r.deadline.IsZero() && (!due.Before(r.deadline) || !time.Now().Before(r.deadline)) {
			r.stop(ReasonDuration)
			return
		}
		if !clk.waitUntil(due) {
			r.stop(ReasonCancel)
			return
		}
		s := slot{n: n, due: due, measured: !due.Before(r.measureStart)}
		if s.measured && r.cfg.requests > 0 {
			if measured == r.cfg.requests {
				r.stop(ReasonRequests)
				return
			}
			measured++
		}
		// Counted before the hand-off, so that the pacer, the only one to
		// raise it, sees every peak. A slot waiting for a caller at the cap
		// is counted too, but it starts only as a call returns: the cap
		// bounds the peak.
		if cur := min(r.inFlight.Add(1), int64(r.cfg.concurrency)); cur > r.maxInFlight.Load() {
			r.maxInFlight.Store(cur)
		}
		if r.handIdle(s) {
			continue
		}
		// Only the pacer adds callers, so the count cannot pass the cap.
		if c := r.callers.Load(); c < int64(r.cfg.concurrency) {
			r.callers.Add(1)
			sh := r.shards[int(n%uint64(len(r.shards)))]
			r.issued.Add(1)
			r.wg.Go(func() { r.caller(ctx, sh, s) })
			continue
		}
		// Every caller is busy and the cap is reached: the slot waits.
		select {
		case r.slots <- s:
			r.issued.Add(1)
		case <-r.done:
			r.inFlight.Add(-1)
			r.stop(ReasonCancel)
			return
		case <-deadlineC:
			r.inFlight.Add(-1)
			r.stop(ReasonDuration)
			return
		}
	}
}

// handIdle hands s to an idle caller, if there is one. A caller whose call
// has returned may not have run yet to take the next slot, on a busy
// machine: the pacer yields once before concluding that every caller is
// busy, so that a hiccup of the generator itself (the collector, another
// process) does not grow the cap, which would then cost memory and more
// collection, and make the generator slower still.
func (r *runner) handIdle(s slot) bool {
	for try := range 2 {
		select {
		case r.slots <- s:
			r.issued.Add(1)
			return true
		default:
		}
		if try == 0 {
			runtime.Gosched()
		}
	}
	return false
}

// caller makes the calls of the slots it is handed, starting with first,
// until the pacer closes slots or none comes for idleCallerTimeout.
func (r *runner) caller(ctx context.Context, sh *shard, first slot) {
	defer r.callers.Add(-1)
	// Its own child of ctx, as a closed loop's worker has.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var idle *time.Timer
	defer func() {
		if idle != nil {
			idle.Stop()
		}
	}()
	s, ok := first, true
	for ok {
		began := time.Now()
		o := r.call(ctx, s.n)
		end := time.Now()
		r.inFlight.Add(-1)
		interrupted := (o.Error != "" || o.Failure != "") && r.interrupted()
		r.record(sh, s.measured, interrupted, o, s.due, began, end)
		select {
		case s, ok = <-r.slots:
			continue
		default:
		}
		if idle == nil {
			idle = time.NewTimer(idleCallerTimeout)
		} else {
			idle.Reset(idleCallerTimeout)
		}
		select {
		case s, ok = <-r.slots:
			idle.Stop()
		case <-idle.C:
			return
		}
	}
}
