package parity

import (
	"io"
	"os"
	"testing"

	"github.com/go-gost/core/logger"
	xlogger "github.com/go-gost/x/logger"
)

// TestMain gives GOST the default logger its main function would set up;
// its plugin constructors log through it and fail without one.
func TestMain(m *testing.M) {
	out := io.Discard
	if os.Getenv("PARITY_GOST_LOG") != "" {
		out = os.Stderr
	}
	logger.SetDefault(xlogger.NewLogger(xlogger.OutputOption(out)))
	os.Exit(m.Run())
}
