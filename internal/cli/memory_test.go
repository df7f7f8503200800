package cli

import (
	"context"
	"math"
	"runtime/debug"
	"runtime/metrics"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestMemoryLimitFor(t *testing.T) {
	t.Parallel()
	const mib = 1 << 20
	tests := []struct {
		name string
		s    memoryStats
		want int64
	}{
		{
			name: "small live heap: the floor",
			s:    memoryStats{live: 4 * mib, total: 30 * mib, released: 2 * mib, objects: 8 * mib, unused: 1 * mib, free: 5 * mib},
			want: loadMemoryLimit,
		},
		{
			// 14 MiB outside the heap (stacks, runtime) and 20 MiB live:
			// the heap may grow to twice what is live.
			name: "live heap near the floor: raised",
			s:    memoryStats{live: 20 * mib, total: 60 * mib, released: 6 * mib, objects: 30 * mib, unused: 2 * mib, free: 8 * mib},
			want: (14 + 40) * mib,
		},
		{
			name: "inconsistent sample: no underflow",
			s:    memoryStats{live: 1 * mib, total: 1 * mib, released: 9 * mib, objects: 9 * mib},
			want: loadMemoryLimit,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := memoryLimitFor(loadMemoryLimit, tt.s)
			assert.Equal(t, tt.want, got, "memoryLimitFor(%d, %+v)", loadMemoryLimit, tt.s)
		})
	}
}

// TestLoadMemoryPolicyRestores: the policy's settings last until restore,
// which puts back what was there and stops the guard (the guard would
// otherwise keep setting the limit). Not parallel: the settings are the
// process's.
func TestLoadMemoryPolicyRestores(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	prevGC := debug.SetGCPercent(123)
	prevLimit := debug.SetMemoryLimit(math.MaxInt64)
	defer func() {
		debug.SetGCPercent(prevGC)
		debug.SetMemoryLimit(prevLimit)
	}()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	restore := loadMemoryPolicy(ctx)
	gogc, limit := gcSettings()
	assert.EqualValues(t, loadGCPercent, gogc)
	assert.GreaterOrEqual(t, limit, uint64(loadMemoryLimit))
	restore()
	gogc, limit = gcSettings()
	assert.EqualValues(t, 123, gogc)
	assert.EqualValues(t, uint64(math.MaxInt64), limit)
}

// gcSettings reads GOGC and the memory limit without changing them.
func gcSettings() (gogc, limit uint64) {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}, {Name: "/gc/gomemlimit:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64(), s[1].Value.Uint64()
}
