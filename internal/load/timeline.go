package load

import "time"

// MaxTimelinePoints bounds Result.Timeline: a run of any length keeps at
// most this many points, so a result file stays small; beyond it adjacent
// points are merged in pairs and each later point covers twice as many
// intervals.
const MaxTimelinePoints = 600

// TimelinePoint is what the run measured in one progress interval (or in
// several adjacent ones once the timeline was compacted): the throughput
// over time that a single total hides (a plugin that stalls after 5 s).
type TimelinePoint struct {
	// AtMs is the end of the interval, in milliseconds since the
	// measurement started.
	AtMs     float64 `json:"atMs"`
	Calls    int64   `json:"calls"`
	Errors   int64   `json:"errors"`
	Failures int64   `json:"gostFailures"`
}

// tick is a timeline point with its absolute end, kept while a run is
// measured: the measurement's start is only known at its end.
type tick struct {
	end                     time.Time
	calls, errors, failures int64
}

func (t *tick) add(o tick) {
	t.calls += o.calls
	t.errors += o.errors
	t.failures += o.failures
	if o.end.After(t.end) {
		t.end = o.end
	}
}

// timeline accumulates ticks, at most MaxTimelinePoints of them.
type timeline struct {
	ticks []tick
	// stride is how many added ticks make one kept tick; pending of them
	// are summed in acc.
	stride, pending int
	acc             tick
}

func (t *timeline) add(k tick) {
	if t.stride == 0 {
		t.stride = 1
	}
	t.acc.add(k)
	t.pending++
	if t.pending < t.stride {
		return
	}
	t.ticks = append(t.ticks, t.acc)
	t.acc, t.pending = tick{}, 0
	if len(t.ticks) >= MaxTimelinePoints {
		t.halve()
	}
}

// halve merges adjacent ticks in pairs and doubles the stride.
func (t *timeline) halve() {
	n := 0
	for i := 0; i < len(t.ticks); i += 2 {
		k := t.ticks[i]
		if i+1 < len(t.ticks) {
			k.add(t.ticks[i+1])
		}
		t.ticks[n] = k
		n++
	}
	t.ticks = t.ticks[:n]
	t.stride *= 2
}

// all returns the kept ticks and the pending partial one.
func (t *timeline) all() []tick {
	out := append([]tick(nil), t.ticks...)
	if t.pending > 0 {
		out = append(out, t.acc)
	}
	return out
}

// merge adds o's ticks to t point by point: the machines of a merged run
// measured the same seconds, so their i-th intervals add up.
func (t *timeline) merge(o *timeline) {
	for i, k := range o.all() {
		if i < len(t.ticks) {
			t.ticks[i].add(k)
		} else {
			t.ticks = append(t.ticks, k)
		}
	}
	for len(t.ticks) > MaxTimelinePoints {
		t.halve()
	}
}

// points returns the timeline relative to start; ticks that ended before
// the measurement began (warm-up) are left out.
func (t *timeline) points(start time.Time) []TimelinePoint {
	var out []TimelinePoint
	for _, k := range t.all() {
		if !start.IsZero() && !k.end.After(start) {
			continue
		}
		out = append(out, TimelinePoint{
			AtMs:     float64(k.end.Sub(start)) / float64(time.Millisecond),
			Calls:    k.calls,
			Errors:   k.errors,
			Failures: k.failures,
		})
	}
	return out
}

// fromPoints rebuilds a timeline from a result's points.
func fromPoints(start time.Time, ps []TimelinePoint) timeline {
	t := timeline{stride: 1}
	for _, p := range ps {
		t.ticks = append(t.ticks, tick{
			end:   start.Add(time.Duration(p.AtMs * float64(time.Millisecond))),
			calls: p.Calls, errors: p.Errors, failures: p.Failures,
		})
	}
	return t
}
