package report_test

import (
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/report"
)

// deploymentReport is a `plugincheck config` report: two plugin runs of the
// fixture, named by their blocks and services, and config findings.
func deploymentReport() *report.Report {
	r := fixtureReport()
	r.Source = "gost.yml"
	r.Runs[0].Plugin, r.Runs[0].Services = "authers/auth-0", []string{"socks-1080", "forward-tcp-8080"}
	if len(r.Runs) > 1 {
		r.Runs[1].Plugin = "bypasses/bypass-0"
	}
	r.Findings = []report.Finding{
		{Code: "unused-plugin", Status: report.Warn, File: "gost.yml", Line: 42, Plugin: "admissions/adm-9", Message: "no service, chain or hop uses admission adm-9; GOST never calls it"},
		{Code: "http-no-timeout", Status: report.Fail, File: "gost.yml", Line: 12, Plugin: "bypasses/bypass-0", Message: "the HTTP plugin has no timeout: GOST's HTTP client waits forever for it"},
		{Code: "grpc-plaintext-remote", Status: report.Pass, File: "gost.yml", Message: "information \x1b[31mescaped\x1b[0m"},
	}
	r.Finish()
	return r
}

func TestDeployment(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		fn   report.Renderer
	}{
		{name: "text", fn: report.NewText(report.TextOptions{})},
		{name: "verbose", fn: report.NewText(report.TextOptions{Verbose: true})},
		{name: "json", fn: report.JSON},
		{name: "junit", fn: report.JUnit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := render(t, tt.fn, deploymentReport())
			golden(t, got)
			assert.NotContains(t, string(got), secretToken)
			assert.NotContains(t, string(got), "\x1b[31m")
			if tt.name == "json" {
				assert.Contains(t, string(got), `"line": 42`)
			} else {
				assert.Contains(t, string(got), "gost.yml:42")
			}
		})
	}
}

func TestDeploymentText(t *testing.T) {
	t.Parallel()
	got := string(render(t, report.NewText(report.TextOptions{}), deploymentReport()))
	head, _, _ := strings.Cut(got, "Config findings")
	assert.Contains(t, head, "Deployment gost.yml:")
	assert.Regexp(t, `PLUGIN\s+MODULE\s+ADDR\s+TRANSPORT\s+TLS\s+RESULT`, head)
	assert.Regexp(t, `authers/auth-0\s+auth\s+127\.0\.0\.1:8000\s+grpc\s+plaintext\s+FAIL`, head)
	assert.Contains(t, got, "used by socks-1080, forward-tcp-8080")
	// The findings' worst status is the summary's.
	assert.Contains(t, got, "3 config findings")
}

func TestDeploymentJUnit(t *testing.T) {
	t.Parallel()
	var doc struct {
		Suites []struct {
			Name     string `xml:"name,attr"`
			Failures int    `xml:"failures,attr"`
			Cases    []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	require.NoError(t, xml.Unmarshal(render(t, report.JUnit, deploymentReport()), &doc))
	last := doc.Suites[len(doc.Suites)-1]
	assert.Equal(t, "config", last.Name)
	assert.Equal(t, 1, last.Failures)
	require.Len(t, last.Cases, 3)
	assert.Equal(t, "gost.yml:12 http-no-timeout", last.Cases[1].Name)
	assert.NotNil(t, last.Cases[1].Failure)
	assert.Equal(t, "authers/auth-0 auth/grpc", doc.Suites[0].Name)
}

// TestModuleRunJSONUnchanged: a module command's report has none of the
// deployment fields.
func TestModuleRunJSONUnchanged(t *testing.T) {
	t.Parallel()
	var doc map[string]any
	require.NoError(t, json.Unmarshal(render(t, report.JSON, fixtureReport()), &doc))
	assert.NotContains(t, doc, "source")
	assert.NotContains(t, doc, "findings")
	run := doc["runs"].([]any)[0].(map[string]any)
	assert.NotContains(t, run, "plugin")
	assert.NotContains(t, run, "services")
}

func TestTLSVerdict(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		run  report.Run
		want string
	}{
		{name: "plaintext", want: "plaintext"},
		{name: "tls", run: report.Run{TLS: report.TLS{Enabled: true, Version: "TLS 1.3"}, Target: report.Target{TLS: &report.TargetTLS{}}}, want: "TLS 1.3"},
		{name: "verified", run: report.Run{TLS: report.TLS{Enabled: true, Version: "TLS 1.2"}, Target: report.Target{TLS: &report.TargetTLS{Secure: true}}}, want: "TLS 1.2 verified"},
		{name: "will not connect", run: report.Run{TLS: report.TLS{Matrix: []report.Verdict{{Configured: true, Connects: false}}}}, want: "will not connect"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, report.TLSVerdict(&tt.run))
		})
	}
}
