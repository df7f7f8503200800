package load

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// drain reads a run to the end and adds up its intervals.
func drain(t *testing.T, ivs <-chan *Interval) (*Metrics, []*Interval) {
	t.Helper()
	m := NewMetrics()
	var all []*Interval
	for iv := range ivs {
		m.Add(iv)
		all = append(all, iv)
	}
	require.NotEmpty(t, all)
	require.True(t, all[len(all)-1].Final, "last interval is final")
	return m, all
}

// stallEvery10th is a plugin whose every 10th call takes 200 ms and every
// other call 1 ms.
func stallEvery10th(calls *atomic.Int64) Call {
	return func(ctx context.Context, n uint64) Outcome {
		d := time.Millisecond
		if calls.Add(1)%10 == 0 {
			d = 200 * time.Millisecond
		}
		time.Sleep(d)
		return Outcome{Verdict: "ok"}
	}
}

func TestRunCorrectsCoordinatedOmission(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int64
		// 40 calls/s with one caller: every 10th call stalls 200 ms and holds
		// back the next eight send slots (25 ms apart). The plugin keeps up
		// on average, so only the stalls delay calls.
		ivs, err := Run(t.Context(), stallEvery10th(&calls), ConstantPacer{Rate: 40},
			WithConcurrency(1), WithDuration(10*time.Second), WithGoTimers())
		require.NoError(t, err)
		m, _ := drain(t, ivs)

		require.EqualValues(t, 400, m.Requests)
		c, u := Summarize(m.Corrected), Summarize(m.Uncorrected)
		// Uncorrected, as ghz measures: 90% of calls took 1 ms.
		assert.InDelta(t, 1, ms(time.Duration(u.P50)), 0.01, "uncorrected p50")
		assert.InDelta(t, 1, ms(time.Duration(u.P90)), 0.01, "uncorrected p90")
		// Corrected: the eight calls queued behind each stall took 176, 152,
		// …, 8 ms from their slots, so p50 is 80 ms and p90 176 ms.
		assert.InDelta(t, 80, ms(time.Duration(c.P50)), 1, "corrected p50")
		assert.InDelta(t, 176, ms(time.Duration(c.P90)), 1, "corrected p90")
		assert.InDelta(t, 200, ms(time.Duration(c.P99)), 1, "corrected p99")
		assert.InDelta(t, 200, ms(time.Duration(u.P99)), 1, "uncorrected p99")
		assert.EqualValues(t, 39*8, m.Late, "8 calls after each of the 39 stalls inside the run started late")
		assert.Zero(t, m.Unsent)
		assert.Equal(t, ReasonDuration, m.Stop)
	})
}

func TestRunReportsUnsentSlots(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		// 100 calls/s against a plugin that takes 50 ms with one caller: the
		// generator can only send 20 a second.
		slow := func(context.Context, uint64) Outcome { time.Sleep(50 * time.Millisecond); return Outcome{} }
		ivs, err := Run(t.Context(), slow, ConstantPacer{Rate: 100}, WithConcurrency(1), WithDuration(time.Second), WithGoTimers())
		require.NoError(t, err)
		m, _ := drain(t, ivs)
		assert.EqualValues(t, 20, m.Requests)
		assert.EqualValues(t, 80, m.Unsent, "slots due within the second but never sent")
		assert.EqualValues(t, 19, m.Late)
		assert.Equal(t, 760*time.Millisecond, m.MaxLag, "call 19 was due at 190 ms and sent at 950 ms")
	})
}

func TestRunBounds(t *testing.T) {
	t.Parallel()
	fast := func(context.Context, uint64) Outcome { time.Sleep(10 * time.Millisecond); return Outcome{Case: 0} }
	tests := []struct {
		name       string
		pacer      Pacer
		opts       []Option
		wantCalls  int64
		wantWarmup int64
		wantStop   StopReason
	}{
		{name: "closed loop, requests", opts: []Option{WithConcurrency(4), WithRequests(100)}, wantCalls: 100, wantStop: ReasonRequests},
		{name: "closed loop, duration", opts: []Option{WithConcurrency(4), WithDuration(time.Second)}, wantCalls: 400, wantStop: ReasonDuration},
		{name: "closed loop, warm-up", opts: []Option{WithConcurrency(2), WithDuration(time.Second), WithWarmup(500 * time.Millisecond)}, wantCalls: 200, wantWarmup: 100, wantStop: ReasonDuration},
		{name: "open loop, requests", pacer: ConstantPacer{Rate: 50}, opts: []Option{WithRequests(30)}, wantCalls: 30, wantStop: ReasonRequests},
		{name: "open loop, warm-up", pacer: ConstantPacer{Rate: 50}, opts: []Option{WithDuration(time.Second), WithWarmup(time.Second)}, wantCalls: 50, wantWarmup: 50, wantStop: ReasonDuration},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				ivs, err := Run(t.Context(), fast, tt.pacer, append(tt.opts, WithGoTimers(), WithCases(1))...)
				require.NoError(t, err)
				m, _ := drain(t, ivs)
				assert.Equal(t, tt.wantCalls, m.Requests)
				assert.Equal(t, tt.wantCalls, m.Cases[0].Calls)
				assert.Equal(t, tt.wantWarmup, m.Warmup)
				assert.Equal(t, tt.wantStop, m.Stop)
				assert.Zero(t, m.Errors)
			})
		})
	}
}

func TestRunLetsCallsInFlightFinish(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var started, finished atomic.Int64
		// Each call takes 300 ms, so when the second ends four are in flight.
		call := func(ctx context.Context, _ uint64) Outcome {
			started.Add(1)
			select {
			case <-time.After(300 * time.Millisecond):
			case <-ctx.Done():
				return Outcome{Error: "cancelled"}
			}
			finished.Add(1)
			return Outcome{}
		}
		ivs, err := Run(t.Context(), call, nil, WithConcurrency(4), WithDuration(time.Second), WithGoTimers())
		require.NoError(t, err)
		m, _ := drain(t, ivs)
		assert.EqualValues(t, 16, started.Load())
		assert.Equal(t, started.Load(), finished.Load(), "no call was cut off")
		assert.Equal(t, started.Load(), m.Requests, "every call started is measured")
		assert.Zero(t, m.Errors)
		assert.Zero(t, m.Abandoned)
		// The last calls started at 900 ms and ended at 1.2 s.
		assert.Equal(t, 1200*time.Millisecond, m.Elapsed())
	})
}

func TestRunInterruptedCountsNoErrors(t *testing.T) {
	t.Parallel()
	// A cancelled call may be classified as either kind of failure.
	for _, failed := range []Outcome{{Error: "grpc Canceled"}, {Failure: "grpc Canceled"}} {
		t.Run(failed.Error+failed.Failure, func(t *testing.T) {
			t.Parallel()
			testRunInterrupted(t, failed)
		})
	}
}

func testRunInterrupted(t *testing.T, failed Outcome) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		inFlight := make(chan struct{}, 8)
		// Calls hang until the run is interrupted, then fail the way a
		// cancelled gRPC call fails.
		call := func(ctx context.Context, n uint64) Outcome {
			if n < 8 {
				return Outcome{}
			}
			inFlight <- struct{}{}
			<-ctx.Done()
			return failed
		}
		ivs, err := Run(ctx, call, nil, WithConcurrency(3), WithDuration(time.Hour), WithGoTimers())
		require.NoError(t, err)
		for range 3 {
			<-inFlight
		}
		cancel()
		m, _ := drain(t, ivs)
		assert.EqualValues(t, 8, m.Requests)
		assert.Zero(t, m.Errors, "cancelling the run is not the plugin's error")
		assert.Zero(t, m.Failures, "cancelling the run is not the plugin's failure")
		assert.EqualValues(t, 3, m.Abandoned)
		assert.Equal(t, ReasonCancel, m.Stop)
	})
}

func TestRunCountsOutcomes(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		call := func(_ context.Context, n uint64) Outcome {
			switch n % 4 {
			case 0:
				return Outcome{Case: 0, Error: "grpc Unavailable", Verdict: `{"ok":false}`}
			case 1:
				return Outcome{Case: 1, Verdict: `{"ok":true}`, Changed: true}
			case 2:
				return Outcome{Case: 1, Verdict: `{"ok":false}`, Failure: "http 500", FailureText: "GOST denies"}
			}
			return Outcome{Case: 1, Verdict: `{"ok":false}`}
		}
		ivs, err := Run(t.Context(), call, nil, WithConcurrency(1), WithRequests(100), WithCases(2), WithGoTimers())
		require.NoError(t, err)
		m, _ := drain(t, ivs)
		assert.EqualValues(t, 100, m.Requests)
		assert.EqualValues(t, 25, m.Errors)
		assert.Equal(t, KindCounts{"grpc Unavailable": 25}, m.ErrorsBy)
		assert.EqualValues(t, 25, m.Failures)
		assert.Equal(t, KindCounts{"http 500": 25}, m.FailuresBy)
		assert.Equal(t, map[string]string{"http 500": "GOST denies"}, m.FailureTexts)
		assert.Equal(t, VerdictCounts{`{"ok":false}`: 75, `{"ok":true}`: 25}, m.Verdicts)
		assert.Equal(t, []CaseCounts{
			{Calls: 25, Errors: 25},
			{Calls: 75, Failures: 25, Changed: 25, ChangedTo: VerdictCounts{`{"ok":true}`: 25}},
		}, m.Cases)
		assert.InDelta(t, 0.25, m.ErrorRate(), 1e-9)
		assert.InDelta(t, 0.25, m.FailureRate(), 1e-9)
	})
}

func TestRunIntervals(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		call := func(context.Context, uint64) Outcome { time.Sleep(10 * time.Millisecond); return Outcome{} }
		ivs, err := Run(t.Context(), call, ConstantPacer{Rate: 10}, WithDuration(3*time.Second), WithInterval(time.Second), WithGoTimers())
		require.NoError(t, err)
		m, all := drain(t, ivs)
		var sum int64
		for _, iv := range all {
			sum += iv.Corrected.TotalCount()
		}
		assert.Equal(t, m.Requests, sum, "intervals add up to the whole")
		assert.GreaterOrEqual(t, len(all), 3)
	})
}

func TestRunInvalidOptions(t *testing.T) {
	t.Parallel()
	call := func(context.Context, uint64) Outcome { return Outcome{} }
	tests := []struct {
		name string
		call Call
		opt  Option
	}{
		{name: "zero concurrency", call: call, opt: WithConcurrency(0)},
		{name: "negative duration", call: call, opt: WithDuration(-1)},
		{name: "negative warm-up", call: call, opt: WithWarmup(-1)},
		{name: "zero interval", call: call, opt: WithInterval(0)},
		{name: "negative tolerance", call: call, opt: WithLateTolerance(-1)},
		{name: "negative cases", call: call, opt: WithCases(-1)},
		{name: "nil call", opt: WithRequests(1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ch, err := Run(t.Context(), tt.call, nil, tt.opt)
			assert.Nil(t, ch)
			assert.True(t, errors.Is(err, ErrInvalidOption), "err = %v; want ErrInvalidOption", err)
		})
	}
}

func TestStopReasonText(t *testing.T) {
	t.Parallel()
	for r := ReasonNone; r <= ReasonCancel; r++ {
		b, err := r.MarshalText()
		require.NoError(t, err)
		var got StopReason
		require.NoError(t, got.UnmarshalText(b))
		assert.Equal(t, r, got)
	}
	assert.Error(t, new(StopReason).UnmarshalText([]byte("nope")))
}

// TestClosedLoopUncorrectedIsCorrected: a closed loop records each call
// once, and every interval's uncorrected histogram is its corrected one
// (each call starts when it is due), counts and percentiles alike.
func TestClosedLoopUncorrectedIsCorrected(t *testing.T) {
	t.Parallel()
	var calls atomic.Int64
	call := func(context.Context, uint64) Outcome {
		// Latencies that differ from call to call, without sleeping.
		for range calls.Add(1) % 7 * 50 {
			runtime.Gosched()
		}
		return Outcome{Verdict: "ok"}
	}
	ivs, err := Run(t.Context(), call, nil, WithConcurrency(4), WithRequests(3000), WithCases(1))
	require.NoError(t, err)
	m, all := drain(t, ivs)
	require.EqualValues(t, 3000, m.Requests)
	for i, iv := range all {
		assert.True(t, iv.Uncorrected.Equals(iv.Corrected), "interval %d", i)
	}
	assert.EqualValues(t, 3000, m.Uncorrected.TotalCount())
	assert.True(t, m.Uncorrected.Equals(m.Corrected))
}
