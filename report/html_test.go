package report_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/clip"
	"github.com/plugincheck/plugincheck/internal/load"
	"github.com/plugincheck/plugincheck/report"
)

// inlined matches the embedded CSS and JavaScript, which the goldens leave
// out: they test the page's structure, not its style sheet.
var inlined = regexp.MustCompile(`(?s)(<style>|<script>).*?(</style>|</script>)`)

func normalizeHTML(b []byte) []byte {
	return inlined.ReplaceAll(b, []byte("$1…$2"))
}

func TestHTML(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		report func() *report.Report
	}{
		{name: "full", report: fixtureReport},
		{name: "empty", report: emptyReport},
		{name: "deployment", report: deploymentReport},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := render(t, report.HTML, tt.report())
			assert.NotContains(t, string(got), secretToken)
			assert.NotRegexp(t, `(src|href)="https?:`, string(got), "nothing fetched")
			golden(t, normalizeHTML(got))
		})
	}
}

func TestHTMLStructure(t *testing.T) {
	t.Parallel()
	got := string(render(t, report.HTML, fixtureReport()))
	for _, want := range []string{
		`<tr class="case" id="case-1-`, `data-status="fail"`, // the failed case's row
		`<select id="filter-status">`, `<select id="filter-module">`,
		`class="chart latency-histogram"`, `<details>`, `<pre class="request">`, `<pre class="reply">`,
		`id="report-status">fail<`,
	} {
		assert.Contains(t, got, want)
	}
	assert.NotContains(t, render(t, report.HTML, nil), "<no value>")
}

// TestHTMLEscapesPluginText: markup in a reply is text, never markup, and
// a huge reply is bounded as in the other renderers.
func TestHTMLEscapesPluginText(t *testing.T) {
	t.Parallel()
	r := fixtureReport()
	st := r.Runs[0].Cases[0].Steps[0]
	st.Observation.Reply = `</pre><script>alert(1)</script><img src=x onerror=alert(2)>` + strings.Repeat("x", 10*clip.Size)
	st.Checks = append(st.Checks, report.Check{Name: "n", Status: report.Fail, Message: `<b onclick="x">bold</b>`})
	got := string(render(t, report.HTML, r))
	assert.NotContains(t, got, "<script>alert(1)")
	assert.NotContains(t, got, "<img src=x")
	assert.NotContains(t, got, `<b onclick`)
	assert.Contains(t, got, "&lt;script&gt;alert(1)&lt;/script&gt;")
	assert.Contains(t, got, "bytes more)")
	assert.Less(t, strings.Count(got, "x"), 10*clip.Size, "the reply is bounded")
}

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
	return r
}

func TestLoadHTML(t *testing.T) {
	t.Parallel()
	r := loadFixture(t)
	require.Len(t, r.Timeline, 5)
	var b strings.Builder
	require.NoError(t, report.LoadHTML(&b, r))
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
		require.NoError(t, report.LoadHTML(&b, &load.Result{}))
		assert.Contains(t, b.String(), "no timeline in this result")
		assert.Contains(t, b.String(), "no latency recorded")
	})
	t.Run("bad histogram", func(t *testing.T) {
		r := loadFixture(t)
		r.Histograms.Corrected = "not a histogram"
		var b strings.Builder
		require.Error(t, report.LoadHTML(&b, r))
		assert.Empty(t, b.String(), "nothing half written")
	})
}
