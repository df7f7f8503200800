package cli

import (
	"flag"
	"os"
	"runtime"
	"strconv"
	"testing"
)

// TestMain runs more subtests at once than go test's default of
// GOMAXPROCS, unless -parallel is given: many of this package's tests wait
// on real deadlines (held-back TLS handshakes, slow plugins, load runs of a
// set duration) rather than use the CPU, and at the default they hold the
// few slots while the CPU idles.
func TestMain(m *testing.M) {
	flag.Parse()
	parallelSet := false
	flag.Visit(func(f *flag.Flag) { parallelSet = parallelSet || f.Name == "test.parallel" })
	if !parallelSet {
		_ = flag.Set("test.parallel", strconv.Itoa(3*runtime.GOMAXPROCS(0)))
	}
	os.Exit(m.Run())
}
