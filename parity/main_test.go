package parity

import (
	"flag"
	"io"
	"os"
	"runtime"
	"strconv"
	"testing"

	"github.com/go-gost/core/logger"
	xlogger "github.com/go-gost/x/logger"
)

// TestMain gives GOST the default logger its main function would set up;
// its plugin constructors log through it and fail without one. Unless
// -parallel is given, it runs more subtests at once than go test's default
// of GOMAXPROCS: many wait on TLS handshakes held back on purpose and on
// grpc-go's connect backoff, not on the CPU.
func TestMain(m *testing.M) {
	flag.Parse()
	parallelSet := false
	flag.Visit(func(f *flag.Flag) { parallelSet = parallelSet || f.Name == "test.parallel" })
	if !parallelSet {
		_ = flag.Set("test.parallel", strconv.Itoa(4*runtime.GOMAXPROCS(0)))
	}
	out := io.Discard
	if os.Getenv("PARITY_GOST_LOG") != "" {
		out = os.Stderr
	}
	logger.SetDefault(xlogger.NewLogger(xlogger.OutputOption(out)))
	os.Exit(m.Run())
}
