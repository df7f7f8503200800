package cli

import (
	"context"
	"math"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"
)

// The memory policy of a module run. Unlike a load, a module run keeps
// what it learns: every case's report stays alive until the report is
// written, about 1.5 KiB a case, plus the parsed fixtures, so 10,000 cases
// end with some 25 MiB live. Each call also leaves about 10 KiB of
// garbage, mostly grpc-go's or net/http's, so at GOGC=100 the collector
// marked the growing report some eighty times, and its heap goal, twice
// the live heap, took peak RSS to 85 MiB.
//
// moduleGCPercent lets the heap grow more between collections while it
// is small (early in a run, in every run of a few hundred cases, and in
// the demo, whose collections at GOGC=100 took a sixth of its CPU), and
// moduleMemoryLimit caps it where a large run's live report would let
// GOGC alone go: with the ~15 MiB of the binary's own mapped pages, peak
// RSS stays under 64 MiB for 10,000 cases. A limit that live memory
// reaches would make the collector run without pause, so, as for loads,
// the limit is only a floor: a guard keeps the heap moduleMinHeadroom
// above what is live, for fixtures of a hundred thousand cases. GOGC and
// GOMEMLIMIT in the environment win over all of it.
const (
	moduleGCPercent   = 400
	moduleMemoryLimit = 46 << 20
	// moduleMinHeadroom is the least heap growth between two collections,
	// as a share of the live heap: half of GOGC=100's, since what is live
	// in a module run is the report, which only grows.
	moduleMinHeadroom = 0.5
)

// moduleMemoryPolicy applies the module run's policy until ctx ends or the
// returned function is called, which restores the previous settings.
func moduleMemoryPolicy(ctx context.Context) (restore func()) {
	return applyMemoryPolicy(ctx, moduleGCPercent, moduleMemoryLimit, moduleMinHeadroom)
}

// limitWithHeadroom is the soft limit that leaves the heap headroom (a
// share of the live heap) above the live heap, and at least floor; the
// memory outside the heap is added, since the limit counts it too.
func limitWithHeadroom(floor int64, headroom float64, s memoryStats) int64 {
	heap := s.objects + s.unused + s.free
	inUse := s.total - min(s.total, s.released)
	outside := inUse - min(inUse, heap)
	need := float64(outside) + float64(s.live)*(1+headroom)
	if need > math.MaxInt64/2 {
		return math.MaxInt64 / 2
	}
	return max(floor, int64(need))
}

// guardLimit sets the soft memory limit to limitFor(the runtime's
// figures) every memoryGuardEvery until ctx ends or the returned stop is
// called; stop waits for the guard to exit.
func guardLimit(ctx context.Context, limitFor func(memoryStats) int64) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		samples := make([]metrics.Sample, len(memoryMetrics))
		for i, name := range memoryMetrics {
			samples[i].Name = name
		}
		tick := time.NewTicker(memoryGuardEvery)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			metrics.Read(samples)
			var v [6]uint64
			for i, s := range samples {
				if s.Value.Kind() == metrics.KindUint64 {
					v[i] = s.Value.Uint64()
				}
			}
			debug.SetMemoryLimit(limitFor(memoryStats{live: v[0], total: v[1], released: v[2], objects: v[3], unused: v[4], free: v[5]}))
		}
	})
	return func() {
		cancel()
		wg.Wait()
	}
}
