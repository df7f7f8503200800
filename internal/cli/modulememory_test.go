package cli

import (
	"context"
	"math"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestLimitWithHeadroom(t *testing.T) {
	t.Parallel()
	const mib = 1 << 20
	tests := []struct {
		name string
		s    memoryStats
		want int64
	}{
		{
			name: "a run of a few thousand cases: the floor",
			s:    memoryStats{live: 20 * mib, total: 45 * mib, released: 2 * mib, objects: 25 * mib, unused: 1 * mib, free: 5 * mib},
			want: moduleMemoryLimit,
		},
		{
			// 12 MiB outside the heap and 40 MiB live (a hundred thousand
			// cases): the heap may grow by half of what is live.
			name: "live report past the floor: raised",
			s:    memoryStats{live: 40 * mib, total: 70 * mib, released: 2 * mib, objects: 45 * mib, unused: 1 * mib, free: 10 * mib},
			want: (12 + 60) * mib,
		},
		{
			name: "inconsistent sample: no underflow",
			s:    memoryStats{live: 1 * mib, total: 1 * mib, released: 9 * mib, objects: 9 * mib},
			want: moduleMemoryLimit,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := limitWithHeadroom(moduleMemoryLimit, moduleMinHeadroom, tt.s)
			assert.Equal(t, tt.want, got, "limitWithHeadroom(%d, %g, %+v)", moduleMemoryLimit, moduleMinHeadroom, tt.s)
		})
	}
}

// TestModuleMemoryPolicy: the policy sets GOGC and the limit until
// restore, which puts back what was there; GOGC and GOMEMLIMIT in the
// environment leave their setting alone. Not parallel: the settings are
// the process's.
func TestModuleMemoryPolicy(t *testing.T) {
	tests := []struct {
		name           string
		gogc, memlimit string
		wantGC         uint64
		wantLimited    bool
	}{
		{name: "no environment", wantGC: moduleGCPercent, wantLimited: true},
		{name: "GOGC set", gogc: "100", wantGC: 123, wantLimited: true},
		{name: "GOMEMLIMIT set", memlimit: "1GiB", wantGC: moduleGCPercent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("GOGC", tt.gogc)
			t.Setenv("GOMEMLIMIT", tt.memlimit)
			prevGC := debug.SetGCPercent(123)
			prevLimit := debug.SetMemoryLimit(math.MaxInt64)
			defer func() {
				debug.SetGCPercent(prevGC)
				debug.SetMemoryLimit(prevLimit)
			}()
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			restore := moduleMemoryPolicy(ctx)
			gogc, limit := gcSettings()
			assert.Equal(t, tt.wantGC, gogc, "GOGC during the run")
			if tt.wantLimited {
				assert.GreaterOrEqual(t, limit, uint64(moduleMemoryLimit), "memory limit during the run")
				assert.Less(t, limit, uint64(math.MaxInt64), "memory limit during the run")
			} else {
				assert.EqualValues(t, uint64(math.MaxInt64), limit, "the environment's limit stays")
			}
			restore()
			gogc, limit = gcSettings()
			assert.EqualValues(t, 123, gogc)
			assert.EqualValues(t, uint64(math.MaxInt64), limit)
		})
	}
}
