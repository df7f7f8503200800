package report_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/plugincheck/plugincheck/clip"
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
	st.Observation.Reply = "evil\u202egnp.exe\x1b[31m" + `</pre><script>alert(1)</script><img src=x onerror=alert(2)>` + strings.Repeat("x", 10*clip.Size)
	r.Runs[0].Causes = append(r.Runs[0].Causes, report.Cause{Code: "c", Status: report.Fail, Text: "cause\u202etxt.exe"})
	st.Checks = append(st.Checks, report.Check{Name: "n", Status: report.Fail, Message: `<b onclick="x">bold</b>`})
	got := string(render(t, report.HTML, r))
	assert.NotContains(t, got, "<script>alert(1)")
	assert.NotContains(t, got, "<img src=x")
	assert.NotContains(t, got, `<b onclick`)
	assert.Contains(t, got, "&lt;script&gt;alert(1)&lt;/script&gt;")
	assert.Contains(t, got, "bytes more)")
	assert.Contains(t, got, "evilgnp.exe[31m", "bidi override and ESC dropped")
	assert.NotContains(t, got, "\u202e")
	assert.Contains(t, got, "causetxt.exe")
	assert.Less(t, strings.Count(got, "x"), 10*clip.Size, "the reply is bounded")
}
