package load

import (
	"math"
	"time"
)

// Pacer schedules an open-loop run: it says when each call is due.
//
// Unlike vegeta's Pace(elapsed, hits) (wait, stop), a Pacer answers with the
// call's intended start time itself. Latency is measured from that time, so
// that a plugin which stalls cannot hide the calls it delayed (coordinated
// omission, corrected as wrk2 does); a wait computed from "now" loses the
// intended time as soon as the generator falls behind.
type Pacer interface {
	// Due returns when call n (counting from 0) is due, as an offset from
	// the start of the run, and false when the schedule has no call n.
	Due(n uint64) (at time.Duration, ok bool)
}

// ConstantPacer issues Rate calls per second at even intervals.
type ConstantPacer struct {
	// Rate is the number of calls per second; it must be positive.
	Rate float64
}

var _ Pacer = ConstantPacer{}

// Due returns n/Rate seconds.
func (p ConstantPacer) Due(n uint64) (time.Duration, bool) {
	if p.Rate <= 0 || math.IsNaN(p.Rate) || math.IsInf(p.Rate, 0) {
		return 0, false
	}
	at := float64(n) / p.Rate * float64(time.Second)
	if at >= math.MaxInt64 {
		return 0, false
	}
	return time.Duration(at), true
}

// Interval returns the time between two calls.
func (p ConstantPacer) Interval() time.Duration {
	if p.Rate <= 0 {
		return 0
	}
	return time.Duration(float64(time.Second) / p.Rate)
}

// dueBefore counts the calls of p that are due strictly before end: the
// smallest n with Due(n) >= end, found by doubling then bisection, so any
// monotonic Pacer works.
func dueBefore(p Pacer, end time.Duration) uint64 {
	inWindow := func(n uint64) bool {
		at, ok := p.Due(n)
		return ok && at < end
	}
	if !inWindow(0) {
		return 0
	}
	hi := uint64(1)
	for inWindow(hi) {
		if hi > math.MaxUint64/2 {
			return hi
		}
		hi *= 2
	}
	lo := hi / 2 // inWindow(lo) holds, inWindow(hi) does not
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if inWindow(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}
