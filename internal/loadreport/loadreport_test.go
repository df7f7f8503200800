package loadreport_test

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/internal/load"
	"github.com/plugincheck/plugincheck/internal/loadreport"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/<TestName>.golden, or rewrites it
// under -update.
func golden(t *testing.T, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", filepath.FromSlash(t.Name())+".golden")
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file: go test ./internal/loadreport -update")
	assert.Equal(t, string(want), string(got))
}

// inlined matches the embedded CSS and JavaScript, which the golden
// leaves out: it tests the page's structure, not its style sheet.
var inlined = regexp.MustCompile(`(?s)(<style>|<script>).*?(</style>|</script>)`)

func normalizeHTML(b []byte) []byte { return inlined.ReplaceAll(b, []byte("$1…$2")) }

func loadFixture(t *testing.T) *load.Result {
	t.Helper()
	start := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	m := load.NewMetrics()
	for s := 1; s <= 5; s++ {
		iv := &load.Interval{
			Start: start.Add(time.Duration(s-1) * time.Second), End: start.Add(time.Duration(s) * time.Second),
			Corrected: load.NewHistogram(), Uncorrected: load.NewHistogram(),
			Counts: load.Counts{Requests: int64(100 * s), Errors: int64(s - 1), ErrorsBy: map[string]int64{"timeout": int64(s - 1)}},
		}
		for i := 1; i <= 100*s; i++ {
			d := time.Duration(i) * 10 * time.Microsecond
			require.NoError(t, iv.Uncorrected.RecordValue(int64(d)))
			require.NoError(t, iv.Corrected.RecordValue(int64(d*2)))
		}
		if s == 5 {
			iv.Final, iv.Stop = true, load.ReasonDuration
			iv.MeasureStart, iv.MeasureEnd = start, start.Add(5*time.Second)
		}
		m.Add(iv)
	}
	info := load.Info{Module: "auth", Transport: "grpc", Target: "127.0.0.1:8000", Mode: "open", TargetRPS: 300, Concurrency: 10, Connections: 1,
		Mix: []load.CaseInfo{{ID: "auth/<b>one</b>", Weight: 1}}}
	r, err := load.NewResult(info, m)
	require.NoError(t, err)
	r.Tool = &load.Tool{Name: "plugincheck", Version: "v1.2.3", GOST: "github.com/go-gost/x v0.15.2", Plugin: "github.com/go-gost/plugin v0.5.0"}
	return r
}

func TestHTML(t *testing.T) {
	t.Parallel()
	r := loadFixture(t)
	require.Len(t, r.Timeline, 5)
	var b strings.Builder
	require.NoError(t, loadreport.HTML(&b, r))
	got := b.String()
	for _, want := range []string{
		`id="hdr-chart" class="chart hdr-percentiles"`, `data-series="corrected"`, `data-series="uncorrected"`,
		`id="throughput-chart" class="chart throughput"`, `>99.9%<`, `>90%<`,
		`auth/&lt;b&gt;one&lt;/b&gt;`, `<code>timeout</code>`,
	} {
		assert.Contains(t, got, want)
	}
	t.Run("golden", func(t *testing.T) { golden(t, normalizeHTML([]byte(got))) })

	t.Run("no timeline, no histogram", func(t *testing.T) {
		var b strings.Builder
		require.NoError(t, loadreport.HTML(&b, &load.Result{}))
		assert.Contains(t, b.String(), "no timeline in this result")
		assert.Contains(t, b.String(), "no latency recorded")
	})
	t.Run("bad histogram", func(t *testing.T) {
		r := loadFixture(t)
		r.Histograms.Corrected = "not a histogram"
		var b strings.Builder
		require.Error(t, loadreport.HTML(&b, r))
		assert.Empty(t, b.String(), "nothing half written")
	})
	t.Run("gate breached fails", func(t *testing.T) {
		r := loadFixture(t)
		r.Gates = []load.Gate{{Name: "p99", Limit: 1, Actual: 2, Unit: "ms", Breached: true, Cause: "too slow"}}
		var b strings.Builder
		require.NoError(t, loadreport.HTML(&b, r))
		assert.Contains(t, b.String(), `id="report-status">fail<`)
		assert.Contains(t, b.String(), "too slow")
	})
}
