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
