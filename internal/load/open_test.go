package load

import (
	"bytes"
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOpenLoopCapFollowsThePlugin is issue 11's stall scenario on the
// bubble's fake clock: 2000 calls/s for 10 s against a plugin whose every
// 10th call stalls 200 ms (the others take 1 ms). Such a plugin needs about
// 42 calls in flight (Little's law: 2000/s × 20.9 ms). With the cap growing
// up to MaxGrowingConcurrency every slot is sent on time, so the corrected
// figures are the plugin's own; with a hard cap of 16 the slots queue, go
// unsent, and the result suggests a cap from the same law.
func TestOpenLoopCapFollowsThePlugin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		concurrency int
		check       func(t *testing.T, res *Result)
	}{
		{
			name:        "growing cap",
			concurrency: MaxGrowingConcurrency,
			check: func(t *testing.T, res *Result) {
				assert.EqualValues(t, 20000, res.Requests)
				assert.InDelta(t, 2000, res.AchievedRPS, 10, "achieved rate")
				assert.Zero(t, res.Unsent)
				assert.Zero(t, res.Late)
				// 40 stalls overlap, plus the odd 1 ms call.
				assert.GreaterOrEqual(t, res.MaxInFlight, 40)
				assert.LessOrEqual(t, res.MaxInFlight, 45)
				c := res.Latency.Corrected
				assert.InDelta(t, 200, ms(time.Duration(c.P99)), 1, "corrected p99")
				assert.InDelta(t, 1, ms(time.Duration(c.P50)), 0.01, "corrected p50")
				assert.Zero(t, res.SuggestedConcurrency, "the cap was never reached")
			},
		},
		{
			name:        "hard cap of 16",
			concurrency: 16,
			check: func(t *testing.T, res *Result) {
				assert.Equal(t, 16, res.MaxInFlight)
				assert.Positive(t, res.Unsent)
				assert.Positive(t, res.Late)
				assert.Less(t, res.AchievedRPS, 1000.0)
				// ⌈1.5 × 2000/s × 20.9 ms⌉
				assert.Equal(t, 63, res.SuggestedConcurrency)
				var text bytes.Buffer
				require.NoError(t, WriteText(&text, res))
				assert.Contains(t, text.String(), "in flight    at most 16 calls at once: the cap of 16 was reached\n")
				assert.Contains(t, text.String(), "suggestion   --concurrency ≥ 63: by Little's law, 2000 rps × 20.89ms mean uncorrected latency = 41.8 calls in flight on average, ×1.5 for bursts\n")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				var calls atomic.Int64
				ivs, err := Run(t.Context(), stallEvery10th(&calls), ConstantPacer{Rate: 2000},
					WithConcurrency(tt.concurrency), WithDuration(10*time.Second), WithCases(1), WithGoTimers())
				require.NoError(t, err)
				m, _ := drain(t, ivs)
				res, err := NewResult(Info{Module: "auth", Mode: "open", TargetRPS: 2000, Concurrency: tt.concurrency}, m)
				require.NoError(t, err)
				tt.check(t, res)
			})
		})
	}
}

// TestOpenLoopStartsCallersOnDemand: a plugin that answers at once needs
// one caller, however high the cap.
func TestOpenLoopStartsCallersOnDemand(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		call := func(ctx context.Context, _ uint64) Outcome {
			time.Sleep(100 * time.Microsecond)
			return Outcome{}
		}
		ivs, err := Run(t.Context(), call, ConstantPacer{Rate: 1000},
			WithConcurrency(MaxGrowingConcurrency), WithRequests(500), WithGoTimers())
		require.NoError(t, err)
		m, _ := drain(t, ivs)
		assert.EqualValues(t, 500, m.Requests)
		assert.Equal(t, 1, m.MaxInFlight)
	})
}

// TestRunPreciseClock runs an open loop on the real clock with the
// platform's precise clock (a timerfd on Linux): every slot is sent, and
// an interrupt ends a wait for a slot that is far away.
func TestRunPreciseClock(t *testing.T) {
	t.Parallel()
	call := func(context.Context, uint64) Outcome { return Outcome{} }
	t.Run("requests", func(t *testing.T) {
		t.Parallel()
		ivs, err := Run(t.Context(), call, ConstantPacer{Rate: 2000}, WithRequests(200))
		require.NoError(t, err)
		m, _ := drain(t, ivs)
		assert.EqualValues(t, 200, m.Requests)
		assert.Equal(t, ReasonRequests, m.Stop)
	})
	t.Run("interrupted while waiting", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(t.Context())
		var n atomic.Int64
		first := func(context.Context, uint64) Outcome {
			if n.Add(1) == 1 {
				cancel() // slot 1 is due in an hour
			}
			return Outcome{}
		}
		ivs, err := Run(ctx, first, ConstantPacer{Rate: 1.0 / 3600}, WithDuration(2*time.Hour))
		require.NoError(t, err)
		m, _ := drain(t, ivs)
		assert.Equal(t, ReasonCancel, m.Stop)
		assert.EqualValues(t, 1, n.Load())
	})
}

func TestPreciseClockWaits(t *testing.T) {
	t.Parallel()
	clk, err := newPreciseClock(t.Context())
	require.NoError(t, err)
	defer clk.close()
	for range 3 {
		due := time.Now().Add(2 * time.Millisecond)
		require.True(t, clk.waitUntil(due))
		assert.False(t, time.Now().Before(due), "woke before the slot")
	}
	assert.True(t, clk.waitUntil(time.Now().Add(-time.Second)), "a slot already due needs no wait")
}

func TestSuggestConcurrency(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		rate, mean float64
		want       int
	}{
		{name: "issue 11's stalling plugin", rate: 2000, mean: 0.0209, want: 63},
		{name: "fast plugin", rate: 100, mean: 0.001, want: 1},
		{name: "no latency", rate: 100, mean: 0, want: 0},
		{name: "no rate", rate: 0, mean: 1, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := SuggestConcurrency(tt.rate, tt.mean)
			assert.Equal(t, tt.want, got, "SuggestConcurrency(%v, %v)", tt.rate, tt.mean)
		})
	}
}

// burstPacer has 50 slots due at once and one more at Last.
type burstPacer struct{ Last time.Duration }

func (p burstPacer) Due(n uint64) (time.Duration, bool) {
	switch {
	case n < 50:
		return 0, true
	case n == 50:
		return p.Last, true
	}
	return 0, false
}

// TestOpenLoopIdleCallersExit: after a burst that needed 50 callers, those
// idle for idleCallerTimeout exit, and a later slot starts a new one. Each
// caller has its own context, which tells the callers apart.
func TestOpenLoopIdleCallersExit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		last    time.Duration
		wantNew bool
	}{
		{name: "slot after the idle timeout", last: idleCallerTimeout + 500*time.Millisecond, wantNew: true},
		{name: "slot within the idle timeout", last: idleCallerTimeout / 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				var mu sync.Mutex
				seen := map[context.Context]bool{}
				var lastIsNew bool
				call := func(ctx context.Context, n uint64) Outcome {
					mu.Lock()
					if n == 50 {
						lastIsNew = !seen[ctx]
					}
					seen[ctx] = true
					mu.Unlock()
					time.Sleep(100 * time.Millisecond)
					return Outcome{}
				}
				ivs, err := Run(t.Context(), call, burstPacer{Last: tt.last}, WithConcurrency(MaxGrowingConcurrency), WithGoTimers())
				require.NoError(t, err)
				m, _ := drain(t, ivs)
				assert.EqualValues(t, 51, m.Requests)
				assert.Equal(t, 50, m.MaxInFlight)
				assert.Equal(t, tt.wantNew, lastIsNew)
			})
		})
	}
}
