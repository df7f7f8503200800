package load

import (
	"context"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRunAllocatesNothingPerCall: a run of ten times the calls allocates
// no more than a few hundred extra objects (the collector's ticks, a
// caller started on a busy moment), so the per-call path of both loops is
// allocation-free. Not parallel: the count is the whole process's.
func TestRunAllocatesNothingPerCall(t *testing.T) {
	call := func(context.Context, uint64) Outcome { return Outcome{Verdict: "ok"} }
	tests := []struct {
		name  string
		pacer Pacer
		opts  []Option
	}{
		{name: "closed loop", opts: []Option{WithConcurrency(4)}},
		{name: "open loop", pacer: ConstantPacer{Rate: 1e6}, opts: []Option{WithConcurrency(4)}},
	}
	run := func(t *testing.T, p Pacer, opts []Option, n uint64) uint64 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		ivs, err := Run(t.Context(), call, p, append(opts, WithRequests(n), WithCases(1))...)
		require.NoError(t, err)
		m, _ := drain(t, ivs)
		runtime.ReadMemStats(&after)
		require.EqualValues(t, n, m.Requests)
		return after.Mallocs - before.Mallocs
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run(t, tt.pacer, tt.opts, 1000) // warm up
			small := run(t, tt.pacer, tt.opts, 2000)
			large := run(t, tt.pacer, tt.opts, 20000)
			t.Logf("%d allocations for 2000 calls, %d for 20000", small, large)
			assert.Less(t, int64(large)-int64(small), int64(500), "%d allocations for 2000 calls, %d for 20000", small, large)
		})
	}
}
