package cli

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	authpb "github.com/go-gost/plugin/auth/proto"

	"github.com/plugincheck/plugincheck/internal/browsertest"
	"github.com/plugincheck/plugincheck/internal/hostile"
	"github.com/plugincheck/plugincheck/internal/iostreams"
)

// screenshot, when set, makes TestHTMLDemoInBrowser write a PNG of the
// demo report there: go test ./internal/cli -run TestHTMLDemoInBrowser -args -screenshot $PWD/docs/html-report.png
var screenshot = flag.String("screenshot", "", "write a PNG of the demo's HTML report to this file")

// loadScreenshot is screenshot for TestHTMLLoadInBrowser's load result.
var loadScreenshot = flag.String("load-screenshot", "", "write a PNG of a load run's HTML report to this file")

// runHTML runs plugincheck with args plus -o html=FILE and returns the exit
// code, standard error and the file.
func runHTML(t *testing.T, ctx context.Context, args ...string) (ExitCode, string, string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "report.html")
	ios, _, _, errOut := iostreams.Test()
	code := Main(ctx, append(args, "-o", "html="+file), ios)
	data, err := os.ReadFile(file)
	require.NoError(t, err, "no HTML written; stderr: %s", errOut.String())
	html := string(data)
	// Self-contained: nothing is fetched when the file opens.
	for _, ref := range []string{`src="http`, `href="http`, `url(http`, "@import", `<link `} {
		assert.NotContains(t, html, ref, "the report must not fetch anything")
	}
	return code, errOut.String(), file
}

func TestHTMLDemoInBrowser(t *testing.T) {
	t.Parallel()
	code, stderr, file := runHTML(t, t.Context(), "demo")
	require.Equal(t, ExitOK, code, stderr)
	p := browsertest.Open(t, file)
	assert.Positive(t, p.Count("tr.case"), "case rows")
	assert.Positive(t, p.Count("svg.latency-histogram rect.bar"), "a latency histogram with bars")
	assert.Positive(t, p.Count("#summary"))
	if *screenshot != "" {
		// The docs show the case table with a warned case open.
		p.String(`(function(){var s=document.getElementById("filter-status");s.value="warn";s.dispatchEvent(new Event("change"));` +
			`var d=document.querySelector("tr.case:not([hidden]) details");if(d){d.open=true;}` +
			`document.getElementById("cases").scrollIntoView();return "";})()`)
		p.Screenshot(*screenshot, 1280, 1100)
		p.String(`(function(){var s=document.getElementById("filter-status");s.value="";s.dispatchEvent(new Event("change"));return "";})()`)
	}
	// The filter hides rows: pick a module and only its rows stay shown.
	mod := p.String(`document.querySelector("#filter-module option:nth-child(2)").value`)
	require.NotEmpty(t, mod)
	assertFilter(t, p, "module", mod)
}

// assertFilter picks value in the filter select of field (status or
// module) and checks that rows stay shown, all of them with that value.
func assertFilter(t *testing.T, p *browsertest.Page, field, value string) {
	t.Helper()
	shown := p.String(`(function(){var s=document.getElementById("filter-` + field + `");s.value=` + jsString(value) + `;s.dispatchEvent(new Event("change"));` +
		`var r=document.querySelectorAll("tr.case"),bad=0,n=0;for(var i=0;i<r.length;i++){if(!r[i].hidden){n++;if(r[i].dataset.` + field + `!==s.value)bad++;}}return n+"/"+bad;})()`)
	assert.False(t, strings.HasPrefix(shown, "0/"), "some %s rows stay shown: %s", value, shown)
	assert.True(t, strings.HasSuffix(shown, "/0"), "only %s rows are shown: %s", value, shown)
}

func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// TestHTMLFailingRunInBrowser renders a module run against a plugin that
// fails cases and echoes the token it was given: the failed case's row is
// there, the token nowhere.
func TestHTMLFailingRunInBrowser(t *testing.T) {
	t.Parallel()
	s, err := hostile.Start(hostile.Options{Mode: hostile.EchoToken})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	const token = "s3cr3t-T0KEN-for-html"
	code, stderr, file := runHTML(t, t.Context(), "auth", "--addr", s.HTTPURL("/auth"), "--token", token)
	require.Equal(t, ExitFailed, code, stderr)
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.NotContains(t, string(data), token, "the token must never appear in the HTML report")
	require.Positive(t, s.Calls())

	p := browsertest.Open(t, file)
	assert.Positive(t, p.Count(`tr.case[data-status="fail"]`), "the failed case's row")
	assert.Positive(t, p.Count(`tr.case[data-status="fail"] details pre.request`), "the failed case's request as sent")
	assert.Positive(t, p.Count("svg.latency-histogram"))
	assert.Equal(t, "fail", p.String(`document.getElementById("report-status").textContent`))
	assertFilter(t, p, "status", "fail")
	assert.NotContains(t, p.Text(), token)
}

func TestHTMLLoadInBrowser(t *testing.T) {
	t.Parallel()
	_, addr := startAuthPlugin(t, func(ctx context.Context, n int64, req *authpb.AuthenticateRequest) (*authpb.AuthenticateReply, error) {
		return &authpb.AuthenticateReply{Ok: true, Id: req.GetUsername()}, nil
	})
	code, stderr, file := runHTML(t, t.Context(), "load", "auth", "--addr", addr, "--rate", "200", "-d", "2s", "--progress", "off")
	require.Equal(t, ExitOK, code, stderr)
	p := browsertest.Open(t, file)
	assert.Equal(t, 1, p.Count("svg#hdr-chart.hdr-percentiles"), "the HDR percentile chart")
	assert.Equal(t, 2, p.Count(`svg#hdr-chart polyline.series`), "corrected and uncorrected")
	assert.Equal(t, 1, p.Count("svg#throughput-chart.throughput"), "the throughput chart")
	assert.Positive(t, p.Count(`svg#throughput-chart polyline.calls`))
	// The axis runs as far as the data: 99.9 % needs a thousand calls,
	// which a starved machine may not make in 2 s; 90 % needs ten.
	assert.Contains(t, p.Text(), "90%", "the log percentile axis")
	if *loadScreenshot != "" {
		p.Screenshot(*loadScreenshot, 1280, 1400)
	}
}

// TestHTMLConfigInBrowser renders a deployment report: its findings with
// file:line, the plugin's run, and no token from the config.
func TestHTMLConfigInBrowser(t *testing.T) {
	t.Parallel()
	srv := refServer(t, deploymentToken, nil)
	path := writeDeployment(t, "findings.yaml", srv)
	_, stderr, file := runHTML(t, t.Context(), "config", path, "--only", "authers/auth-ok")
	data, err := os.ReadFile(file)
	require.NoError(t, err, stderr)
	assert.NotContains(t, string(data), deploymentToken)
	p := browsertest.Open(t, file)
	assert.Positive(t, p.Count("table.findings tr.finding"), "the config findings")
	assert.Contains(t, p.Text(), filepath.Base(path)+":", "findings name file:line")
	assert.Equal(t, 1, p.Count("tr.run-row"), "--only ran the one plugin")
}
