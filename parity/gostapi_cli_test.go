package parity

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/internal/cli"
	"github.com/plugincheck/plugincheck/internal/iostreams"
	"github.com/plugincheck/plugincheck/internal/refplugin"
	"github.com/plugincheck/plugincheck/report"
)

// cliDeploymentToken is the token of every plugin block; no output may
// show it.
const cliDeploymentToken = "parity-dep-token"

// runView is what must be the same in a run read from the file and from
// GOST's API: the block, its settings, who uses it, what ran and how it
// ended. Timings and the source differ.
type runView struct {
	Plugin, Module, Transport, Addr, Token string
	Timeout                                report.Duration
	Services, Cases                        []string
	// Failed, not the status: a loaded machine may warn on latency in
	// one run and not the other.
	Failed bool
}

func runViews(t *testing.T, path string) ([]runView, []string) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var rep report.Report
	require.NoError(t, json.Unmarshal(b, &rep))
	var out []runView
	for _, r := range rep.Runs {
		v := runView{Plugin: r.Plugin, Module: r.Module, Transport: r.Transport, Addr: r.Target.Addr,
			Token: r.Target.Token, Timeout: r.Target.Timeout, Services: r.Services, Failed: r.Status == report.Fail}
		for _, c := range r.Cases {
			v.Cases = append(v.Cases, c.ID)
		}
		slices.Sort(v.Cases)
		out = append(out, v)
	}
	var findings []string
	for _, f := range rep.Findings {
		findings = append(findings, string(f.Status)+" "+f.Code+" "+f.Plugin)
	}
	slices.Sort(findings)
	return out, findings
}

// TestGOSTAPIConfigCommand is issue 12's second "done when": the
// deployment of all 13 modules (the reference plugins over both
// transports), served by x v0.15.2's real web API, checked with
// `plugincheck config --api`, gives the report the file gives.
func TestGOSTAPIConfigCommand(t *testing.T) {
	srv, err := refplugin.Start(t.Context(), refplugin.Options{Token: cliDeploymentToken})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	tmpl, err := os.ReadFile("../internal/cli/testdata/config/deployment.yaml")
	require.NoError(t, err)
	data := []byte(strings.NewReplacer(
		"{{GRPC}}", srv.GRPCAddr(),
		"{{HTTP}}", strings.TrimSuffix(srv.HTTPURL("auth"), "/auth"),
		"{{TOKEN}}", cliDeploymentToken,
	).Replace(string(tmpl)))
	dir := t.TempDir()
	file := filepath.Join(dir, "gost.yaml")
	require.NoError(t, os.WriteFile(file, data, 0o600))

	api := StartGOSTAPI(t, file, data)

	run := func(args ...string) (cli.ExitCode, string, string) {
		ctx, cancel := context.WithTimeout(t.Context(), 15*time.Minute)
		defer cancel()
		ios, _, out, errOut := iostreams.Test()
		code := cli.Main(ctx, args, ios)
		return code, out.String(), errOut.String()
	}
	fileJSON, apiJSON := filepath.Join(dir, "file.json"), filepath.Join(dir, "api.json")
	// Generous bounds for a loaded machine; the blocks' HTTP timeout is 1m.
	code, stdout, stderr := run("config", file, "--call-timeout", "2m", "-o", "text", "-o", "json="+fileJSON)
	require.Equal(t, cli.ExitOK, code, "file: %s\n%s", stderr, stdout)
	code, apiOut, stderr := run("config", "--api", api.URL, "--api-user", api.User, "--api-password", api.Password, "--call-timeout", "2m", "-o", "text", "-o", "json="+apiJSON)
	require.Equal(t, cli.ExitOK, code, "api: %s\n%s", stderr, apiOut)

	fromFile, fileFindings := runViews(t, fileJSON)
	fromAPI, apiFindings := runViews(t, apiJSON)
	require.Len(t, fromFile, 26)
	assert.Equal(t, fromFile, fromAPI, "the API's config is checked as the file's")
	assert.Equal(t, fileFindings, apiFindings)
	assert.Contains(t, apiOut, "Deployment "+api.URL+"/config?format=json: 26 plugin runs")

	// The summary tables agree line for line.
	// The table is the indented block under the "Deployment …" line.
	table := func(s string) string {
		var rows []string
		for _, l := range strings.Split(s, "\n")[1:] {
			if !strings.HasPrefix(l, "  ") {
				break
			}
			rows = append(rows, l)
		}
		return strings.Join(rows, "\n")
	}
	assert.Len(t, strings.Split(table(stdout), "\n"), 27, "a header and 26 rows:\n%s", stdout)
	assert.Equal(t, table(stdout), table(apiOut))

	apiBytes, err := os.ReadFile(apiJSON)
	require.NoError(t, err)
	for _, out := range []string{apiOut, stderr, string(apiBytes)} {
		assert.NotContains(t, out, cliDeploymentToken)
		assert.NotContains(t, out, api.Password)
	}

	// Without credentials x's API answers 401: one line, exit 2.
	code, _, stderr = run("config", "--api", api.URL)
	assert.Equal(t, cli.ExitUsage, code)
	assert.Contains(t, stderr, "PLUGINCHECK_API_USER")
	assert.Equal(t, 1, strings.Count(stderr, "\n"), stderr)
}
