package cli

import (
	"context"
	"math"
	"os"
	"runtime/debug"
	"time"
)

// softMemoryLimit is the Go runtime's soft memory limit during a command,
// unless GOMEMLIMIT is set. What plugincheck holds is bounded (a 32 MiB
// reply budget, texts cut to a few KiB), but a hostile reply still passes
// through encoding/json's growing buffers, and with GOGC alone the garbage
// they leave lets the heap reach several times what is live. Near the
// limit the collector runs sooner instead; nothing fails.
const softMemoryLimit = 128 << 20

// limitMemory sets softMemoryLimit and returns the function restoring the
// previous limit.
func limitMemory() (restore func()) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	prev := debug.SetMemoryLimit(softMemoryLimit)
	if prev != math.MaxInt64 && prev < softMemoryLimit {
		debug.SetMemoryLimit(prev)
	}
	return func() { debug.SetMemoryLimit(prev) }
}

// The memory policy of a load run. A run allocates a little per call and
// keeps almost nothing alive, so at GOGC=100 the collector would run
// hundreds of times a second: loadGCPercent trades heap for calls while
// the heap is small (at -c 16 about 10 MiB more, for a few percent more
// calls). With many callers what is live grows (a goroutine stack and the
// transport's state per call in flight) and GOGC=400 alone let the heap
// reach five times that: 107 MiB of RSS at -c 1000 over gRPC, 181 MiB over
// HTTP. loadMemoryLimit caps the Go runtime's memory instead, so that the
// collector runs more often only when the heap nears it; with the ~15 MiB
// of the binary's own mapped pages it keeps peak RSS under 64 MiB.
//
// A limit that live memory reaches would make the collector run without
// pause (up to half the CPU) and the calls crawl, which in an open loop
// whose cap grows would start more callers and make more memory live. So
// the limit is only a floor: a guard raises it while live memory needs
// more, keeping the heap loadMinHeadroom above what is live (as GOGC=100
// would: the limit never makes the collector work harder than Go's
// default), and lowers it again as live memory shrinks. Over HTTP at
// -c 1000, net/http's transport (two goroutines and two buffers per
// connection) keeps more alive than the floor allows, and the guard then
// holds RSS near 80 MiB with most of the throughput, where a fixed limit
// cost three quarters of it. GOGC and GOMEMLIMIT in the
// environment win over all of it.
const (
	loadGCPercent   = 400
	loadMemoryLimit = 44 << 20
	// loadMinHeadroom is the least heap growth between two collections,
	// as a share of the live heap.
	loadMinHeadroom = 1.0
	// memoryGuardEvery is how often the guard looks at live memory: the
	// collector runs several times in that while the limit binds.
	memoryGuardEvery = 100 * time.Millisecond
)

// loadMemoryPolicy applies the policy until ctx ends or the returned
// function is called, which restores the previous settings.
func loadMemoryPolicy(ctx context.Context) (restore func()) {
	return applyMemoryPolicy(ctx, loadGCPercent, loadMemoryLimit, loadMinHeadroom)
}

// applyMemoryPolicy sets GOGC to gcPercent and a soft memory limit of at
// least limit that a guard keeps headroom (a share of the live heap)
// above the live heap, each unless the user set GOGC or GOMEMLIMIT, until
// ctx ends or restore is called. Loads and module runs differ only in
// these three figures.
func applyMemoryPolicy(ctx context.Context, gcPercent int, limit int64, headroom float64) (restore func()) {
	gc, prevLimit := -1, int64(-1)
	if os.Getenv("GOGC") == "" {
		gc = debug.SetGCPercent(gcPercent)
	}
	stopGuard := func() {}
	if os.Getenv("GOMEMLIMIT") == "" {
		prevLimit = debug.SetMemoryLimit(limit)
		stopGuard = guardLimit(ctx, func(s memoryStats) int64 { return limitWithHeadroom(limit, headroom, s) })
	}
	return func() {
		stopGuard()
		if gc != -1 {
			debug.SetGCPercent(gc)
		}
		if prevLimit != -1 {
			debug.SetMemoryLimit(prevLimit)
		}
	}
}

// memoryStats are the runtime/metrics the guard reads, in bytes.
type memoryStats struct {
	live, total, released, objects, unused, free uint64
}

var memoryMetrics = []string{
	"/gc/heap/live:bytes",
	"/memory/classes/total:bytes",
	"/memory/classes/heap/released:bytes",
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/unused:bytes",
	"/memory/classes/heap/free:bytes",
}

// memoryLimitFor is the soft limit that leaves the heap loadMinHeadroom
// above the live heap, and at least floor. The limit counts all the
// runtime's memory, so the memory outside the heap (stacks, the runtime's
// own structures) is added.
func memoryLimitFor(floor int64, s memoryStats) int64 {
	return limitWithHeadroom(floor, loadMinHeadroom, s)
}
