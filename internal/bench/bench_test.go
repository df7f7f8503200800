package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVmHWM(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "status")
	require.NoError(t, os.WriteFile(p, []byte("Name:\tplugincheck\nVmPeak:\t  900000 kB\nVmHWM:\t   37120 kB\nVmRSS:\t   30000 kB\n"), 0o600))
	assert.Equal(t, int64(37120<<10), vmHWM(p))
	assert.Zero(t, vmHWM(filepath.Join(t.TempDir(), "gone")), "a process that has exited")
}

func TestMedian(t *testing.T) {
	t.Parallel()
	got := median([]measurement{{tool: "a", rps: 3}, {tool: "b", rps: 1}, {tool: "c", rps: 2}})
	assert.Equal(t, "c", got.tool)
}

func TestPrintReport(t *testing.T) {
	t.Parallel()
	pc := measurement{tool: "plugincheck", requests: 500, rps: 50, p50: 300 * time.Microsecond, maxRSS: 37 << 20}
	ghz := measurement{tool: "ghz v0.121.0", requests: 200, errors: 3, rps: 20, p50: 500 * time.Microsecond, maxRSS: 250 << 20}
	raw := measurement{tool: "raw grpc-go loop", requests: 540, rps: 54, p50: 260 * time.Microsecond, maxRSS: 40 << 20}
	rss := []measurement{{tool: "plugincheck -n 1M", maxRSS: 36 << 20}, {tool: "plugincheck -n 10M", maxRSS: 38 << 20}}
	var b bytes.Buffer
	o := options{concurrency: 16, duration: 10 * time.Second, rounds: 1}
	printReport(&b, o, "127.0.0.1:1", [3][]measurement{{pc}, {ghz}, {raw}}, []measurement{pc, ghz, raw}, rss)
	out := b.String()
	assert.Contains(t, out, "rps plugincheck / ghz         2.50×  (target ≥ 1.2×: met)")
	assert.Contains(t, out, "rps plugincheck / raw loop    0.93×  (target ≥ 0.9×: met)")
	assert.Contains(t, out, "p50 plugincheck / raw loop    1.15×")
	assert.Contains(t, out, "under 64 MiB: met; flat (max within 10% of min): met")
}
