package cli

import (
	"math"
	"os"
	"runtime/debug"
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
// of the binary's own mapped pages it keeps peak RSS under 64 MiB. It is
// soft: a run whose live memory exceeds it still runs, with the collector
// using up to half the CPU. GOGC and GOMEMLIMIT in the environment win.
const (
	loadGCPercent   = 400
	loadMemoryLimit = 44 << 20
)

// loadMemoryPolicy applies the policy and returns the function restoring
// the previous settings.
func loadMemoryPolicy() (restore func()) {
	gc, limit := -1, int64(-1)
	if os.Getenv("GOGC") == "" {
		gc = debug.SetGCPercent(loadGCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		limit = debug.SetMemoryLimit(loadMemoryLimit)
	}
	return func() {
		if gc != -1 {
			debug.SetGCPercent(gc)
		}
		if limit != -1 {
			debug.SetMemoryLimit(limit)
		}
	}
}
