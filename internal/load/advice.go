package load

import (
	"math"
	"time"
)

// BurstFactor is the headroom SuggestConcurrency adds to Little's law. The
// law gives the mean number of calls in flight; calls pile up above the
// mean whenever a few slow ones come together, and a cap at the mean would
// make the generator fall behind at each such burst. Half again covers the
// bursts of a plugin whose slow calls come in a steady share (a Poisson
// count with a mean of 40 stays under 60 with 99.9% probability).
const BurstFactor = 1.5

// SuggestConcurrency is the in-flight cap an open loop at rate calls/s
// needs against a plugin whose mean call latency (uncorrected: from the
// call's actual start) is meanSeconds: ⌈BurstFactor × rate × mean⌉, by
// Little's law (mean in flight = arrival rate × mean time in the system).
// It returns 0 when either figure is missing or not positive.
func SuggestConcurrency(rate, meanSeconds float64) int {
	l := rate * meanSeconds
	if !(l > 0) || math.IsInf(l, 0) {
		return 0
	}
	n := math.Ceil(BurstFactor * l)
	if n > math.MaxInt32 {
		return math.MaxInt32
	}
	return int(n)
}

// suggestion is the cap to suggest for r, or 0: only an open loop whose
// calls filled its cap while slots went late or unsent needs a higher one,
// and only when Little's law asks for more than the cap.
func suggestion(r *Result) int {
	if r.Mode != "open" || r.TargetRPS <= 0 || r.Concurrency <= 0 || r.MaxInFlight < r.Concurrency {
		return 0
	}
	if r.Unsent == 0 && r.Late == 0 {
		return 0
	}
	n := SuggestConcurrency(r.TargetRPS, time.Duration(r.Latency.Uncorrected.Mean).Seconds())
	if n <= r.Concurrency {
		return 0
	}
	return n
}
