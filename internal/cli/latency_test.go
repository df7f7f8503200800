package cli

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/suites"
)

func TestLatencyBudgetFlag(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		args         string
		wantBudget   time.Duration
		wantExplicit bool
	}{
		{name: "default", args: "--addr a:1", wantBudget: suites.DefaultLatencyBudget},
		{name: "given", args: "--addr a:1 --latency-budget 2s", wantBudget: 2 * time.Second, wantExplicit: true},
		{name: "given equal to the default", args: "--addr a:1 --latency-budget 500ms", wantBudget: 500 * time.Millisecond, wantExplicit: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseArgs(t, tt.args, func(f *Factory, runF func(context.Context, *ModuleOptions) error) *cobra.Command {
				return newCmdModule(f, mockclient.Auth, runF)
			})
			require.NoError(t, err)
			assert.Equal(t, tt.wantBudget, got.Checks.LatencyBudget)
			assert.Equal(t, tt.wantExplicit, got.Checks.LatencyBudgetExplicit)
			ro := got.Checks.runOptions()
			assert.Equal(t, tt.wantExplicit, ro.LatencyBudgetExplicit)
		})
	}
	_, err := parseArgs(t, "--addr a:1 --latency-budget soon", func(f *Factory, runF func(context.Context, *ModuleOptions) error) *cobra.Command {
		return newCmdModule(f, mockclient.Auth, runF)
	})
	assert.ErrorContains(t, err, `invalid argument "soon" for "--latency-budget"`)
}

// slowAuthPlugin answers GOST's HTTP auth protocol, taking delay(call) for
// call number call (from 1).
func slowAuthPlugin(t *testing.T, delay func(call int64) time.Duration) string {
	t.Helper()
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(delay(calls.Add(1))): // the plugin's own slowness, the subject of the test
		case <-r.Context().Done():
			return
		}
		_, _ = w.Write([]byte(`{"ok":true,"id":"gost"}`))
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/auth"
}

// TestLatencyExitCodes runs one default step (a call, a repeat and eight at
// once) against slow plugins: over the default budget warns; --strict, an
// explicit --latency-budget and GOST's own HTTP timeout fail.
func TestLatencyExitCodes(t *testing.T) {
	t.Parallel()
	fixture := writeFixture(t, "slow.yaml", "name: Slow\nmodule: auth\ncases:\n  - {name: slow, request: {username: gost, password: gost}}\n")
	always := func(int64) time.Duration { return 600 * time.Millisecond }
	afterTwo := func(call int64) time.Duration {
		if call > 2 {
			return 2 * time.Second
		}
		return 0
	}
	tests := []struct {
		name   string
		delay  func(int64) time.Duration
		args   []string
		code   ExitCode
		stdout string
	}{
		{name: "default budget warns", delay: always, code: ExitOK, stdout: "over plugincheck's 500ms budget"},
		{name: "strict fails on the warning", delay: always, args: []string{"--strict"}, code: ExitFailed, stdout: "WARN  auth/http"},
		{name: "explicit budget fails", delay: always, args: []string{"--latency-budget", "500ms"}, code: ExitFailed, stdout: "over the 500ms budget given with --latency-budget"},
		{name: "generous explicit budget passes", delay: always, args: []string{"--latency-budget", "1m"}, code: ExitOK, stdout: "PASS  auth/http"},
		{name: "GOST's timeout fails", delay: afterTwo, args: []string{"--timeout", "300ms"}, code: ExitFailed, stdout: "reached GOST's timeout of 300ms"},
		{name: "every call over GOST's timeout fails, reached", delay: always, args: []string{"--timeout", "300ms"}, code: ExitFailed,
			stdout: "CAUSE: gost-timeout: 1 of 1 calls got no complete reply within GOST's timeout (300ms)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"auth", "--addr", slowAuthPlugin(t, tt.delay), "--builtin=false", "--fixtures", fixture}, tt.args...)
			code, stdout, stderr := runMain(t, args...)
			assert.Equal(t, tt.code, code, "stderr: %s\n%s", stderr, stdout)
			assert.Contains(t, stdout, tt.stdout)
			assert.NotContains(t, stdout+stderr, "unreachable", "a slow plugin is reached")
		})
	}
}
