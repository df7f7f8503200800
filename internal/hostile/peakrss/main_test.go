package main

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// childEnv makes the test binary a child that touches childBytes of
// memory and exits childCode.
const (
	childEnv   = "PEAKRSS_TEST_CHILD"
	childBytes = 96 << 20
	childCode  = 7
)

var sink []byte

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		sink = make([]byte, childBytes)
		// One byte a page makes every page resident; writing every byte
		// under the race detector would cost seconds.
		for i := 0; i < len(sink); i += os.Getpagesize() {
			sink[i] = 1
		}
		if mode == "hold" {
			// Only peakrss's kill ends it; go test's -timeout bounds a miss.
			time.Sleep(time.Hour)
		}
		os.Exit(childCode)
	}
	os.Exit(m.Run())
}

// TestRun: peakrss passes the child's exit code on and reports a peak at
// least as large as what the child touched, or kills it past -kill-above.
// Not parallel: run parses the process's flags.
func TestRun(t *testing.T) {
	tests := []struct {
		name      string
		mode      string
		killAbove string
		wantCode  int
		wantKill  bool
	}{
		{name: "reports-peak", mode: "exit", killAbove: "0", wantCode: childCode},
		{name: "kills-above", mode: "hold", killAbove: "33554432", wantCode: 137, wantKill: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(childEnv, tt.mode)
			out := filepath.Join(t.TempDir(), "peak.json")
			self, err := os.Executable()
			require.NoError(t, err)
			args := os.Args
			t.Cleanup(func() { os.Args, flag.CommandLine = args, flag.NewFlagSet(args[0], flag.ExitOnError) })
			os.Args = []string{"peakrss", "-out", out, "-kill-above", tt.killAbove, "-poll", "1ms", "--", self}
			flag.CommandLine = flag.NewFlagSet("peakrss", flag.ContinueOnError)

			assert.Equal(t, tt.wantCode, run())
			b, err := os.ReadFile(out)
			require.NoError(t, err)
			var rep Report
			require.NoError(t, json.Unmarshal(b, &rep))
			assert.Equal(t, tt.wantKill, rep.Killed)
			if !tt.wantKill {
				assert.GreaterOrEqual(t, rep.PeakRSS, int64(childBytes))
				assert.Less(t, rep.PeakRSS, int64(4*childBytes), "the peak is the child's, not a parent's")
			}
		})
	}
}

func TestVMHWM(t *testing.T) {
	t.Parallel()
	v, ok := vmHWM(os.Getpid())
	require.True(t, ok)
	assert.Positive(t, v)
	_, ok = vmHWM(-1)
	assert.False(t, ok)
}
