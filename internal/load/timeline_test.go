package load

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTimelineBounded(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, n := range []int{0, 1, 599, 600, 601, 1500, 5000} {
		var tl timeline
		for i := 1; i <= n; i++ {
			tl.add(tick{end: start.Add(time.Duration(i) * time.Second), calls: 10, errors: 1, failures: 2})
		}
		ps := tl.points(start)
		assert.LessOrEqual(t, len(ps), MaxTimelinePoints, "n=%d", n)
		var calls, errs, fails int64
		for i, p := range ps {
			calls, errs, fails = calls+p.Calls, errs+p.Errors, fails+p.Failures
			if i > 0 {
				assert.Greater(t, p.AtMs, ps[i-1].AtMs, "n=%d: points in time order", n)
			}
		}
		assert.Equal(t, int64(10*n), calls, "n=%d: no call lost by compaction", n)
		assert.Equal(t, int64(n), errs)
		assert.Equal(t, int64(2*n), fails)
		if n > 0 {
			assert.InDelta(t, float64(n)*1000, ps[len(ps)-1].AtMs, 0.001, "last point ends at the last interval")
		}
	}
}

func TestTimelineSkipsWarmup(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var tl timeline
	tl.add(tick{end: start.Add(-time.Second)})
	tl.add(tick{end: start.Add(time.Second), calls: 5})
	ps := tl.points(start)
	require.Len(t, ps, 1)
	assert.Equal(t, TimelinePoint{AtMs: 1000, Calls: 5}, ps[0])
}

func TestTimelineMergeAndRoundTrip(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a, b := NewMetrics(), NewMetrics()
	for i := 1; i <= 3; i++ {
		a.Add(&Interval{Start: start.Add(time.Duration(i-1) * time.Second), End: start.Add(time.Duration(i) * time.Second), Corrected: NewHistogram(), Uncorrected: NewHistogram(), Counts: Counts{Requests: 10}})
	}
	for i := 1; i <= 2; i++ {
		b.Add(&Interval{End: start.Add(time.Duration(i) * time.Second), Corrected: NewHistogram(), Uncorrected: NewHistogram(), Counts: Counts{Requests: 1, Errors: 1}})
	}
	a.MeasureStart, a.MeasureEnd = start, start.Add(3*time.Second)
	b.MeasureStart, b.MeasureEnd = start, start.Add(2*time.Second)
	ra, err := NewResult(Info{}, a)
	require.NoError(t, err)
	rb, err := NewResult(Info{}, b)
	require.NoError(t, err)
	require.Len(t, ra.Timeline, 3)
	m, err := Merge(ra, rb)
	require.NoError(t, err)
	assert.Equal(t, []TimelinePoint{
		{AtMs: 1000, Calls: 11, Errors: 1},
		{AtMs: 2000, Calls: 11, Errors: 1},
		{AtMs: 3000, Calls: 10},
	}, m.Timeline)
}
