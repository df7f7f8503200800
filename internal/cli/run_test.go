package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"

	"github.com/plugincheck/plugincheck/check"
	"github.com/plugincheck/plugincheck/internal/iostreams"
	"github.com/plugincheck/plugincheck/internal/refplugin"
	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
	"github.com/plugincheck/plugincheck/suites"
)

// updateRunGolden rewrites testdata/TestModuleRun/*.golden.
var updateRunGolden = func() *bool {
	if f := flag.Lookup("update"); f != nil {
		v := f.Value.String() == "true"
		return &v
	}
	return flag.Bool("update", false, "rewrite the golden files in testdata")
}()

// runNow is the module runs' fixed clock, so that reports are stable.
var runNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func runClock() time.Time { return runNow }

// moduleOpts is a module run of auth at a gRPC address on ios, with the
// flag defaults, and check as its check.
func moduleOpts(ios *iostreams.IOStreams, checks func(*CheckOptions), run func(context.Context, mockclient.Config, mockclient.Module, check.Options) (*report.Run, error)) *ModuleOptions {
	o := &ModuleOptions{
		IO: ios, Now: runClock, Module: mockclient.Auth,
		Conn: ConnOptions{Addr: "127.0.0.1:8000", Token: "s3cret", CallTimeout: mockclient.DefaultCallTimeout},
		Checks: CheckOptions{
			Builtin: true, Outputs: []string{"text"},
			LatencyBudget: suites.DefaultLatencyBudget, Concurrency: suites.DefaultConcurrency,
		},
		Check: run,
	}
	if checks != nil {
		checks(&o.Checks)
	}
	return o
}

// cannedCase is a one-step auth case with status st.
func cannedCase(name string, st report.Status, msg string) *report.Case {
	return &report.Case{
		ID: "policy/grpc/" + name, Suite: "Policy", Name: name, File: "policy.yaml", Line: 4, Status: st,
		Steps: []*report.Step{{
			Op: "authenticate", Request: []byte(`{"username":"gost","password":"gost"}`),
			Expected: map[string]any{"ok": true}, Actual: map[string]any{"ok": st != report.Fail},
			Status: st, Checks: []report.Check{{Name: "expect", Status: st, Message: msg}},
			Observation: report.Observation{Method: "/proto.Authenticator/Authenticate", Target: "127.0.0.1:8000", Sent: true, Code: "OK", Latency: report.Duration(time.Millisecond)},
		}},
	}
}

// cannedRun is what a check of the auth plugin returned.
func cannedRun(cases ...*report.Case) *report.Run {
	return &report.Run{
		Module: "auth", Transport: "grpc",
		Target: report.Target{Addr: "127.0.0.1:8000", Token: "<redacted>", CallTimeout: report.Duration(mockclient.DefaultCallTimeout)},
		TLS:    report.TLS{Note: "plaintext: the GOST config has no tls block"},
		Cases:  cases,
	}
}

// TestModuleRun runs the module command's run step with a fake check, on
// a terminal and piped, and compares what it rendered with the golden
// files and the exit code with the one the outcome calls for.
func TestModuleRun(t *testing.T) {
	t.Parallel()
	pass := func() *report.Run { return cannedRun(cannedCase("accepts-gost", report.Pass, "")) }
	warn := func() *report.Run { return cannedRun(cannedCase("accepts-gost", report.Warn, "slow")) }
	tests := []struct {
		name   string
		checks func(*CheckOptions)
		run    func() *report.Run // a new one for each subtest: the run step finishes it
		err    error
		code   ExitCode
	}{
		{name: "pass", run: pass, code: ExitOK},
		{
			name: "failed case",
			run: func() *report.Run {
				return cannedRun(cannedCase("accepts-gost", report.Pass, ""), cannedCase("rejects-alice", report.Fail, "ok: got false, want true"))
			},
			code: ExitFailed,
		},
		{name: "warning", run: warn, code: ExitOK},
		{name: "warning under strict", checks: func(c *CheckOptions) { c.Strict = true }, run: warn, code: ExitFailed},
		{
			name: "unreachable",
			run: func() *report.Run {
				r := cannedRun(cannedCase("accepts-gost", report.Fail, "transport failure"))
				r.Diagnosis = "nothing listens at 127.0.0.1:8000"
				return r
			},
			code: ExitUnreachable,
		},
		{name: "no case selected", checks: func(c *CheckOptions) { c.Run = []string{"nothing"} }, err: suites.ErrNoMatch, code: ExitUsage},
		{name: "interrupted with a partial run", run: pass, err: context.Canceled, code: ExitInterrupted},
	}
	for _, tt := range tests {
		for _, tty := range []bool{true, false} {
			mode := map[bool]string{true: "tty", false: "piped"}[tty]
			t.Run(tt.name+"/"+mode, func(t *testing.T) {
				t.Parallel()
				ios, _, out, errOut := iostreams.Test()
				ios.SetStdoutTTY(tty)
				ios.SetStderrTTY(tty)
				var got check.Options
				var gotCfg mockclient.Config
				calls := 0
				fake := func(_ context.Context, cfg mockclient.Config, m mockclient.Module, o check.Options) (*report.Run, error) {
					calls++
					gotCfg, got = cfg, o
					assert.Equal(t, mockclient.Auth, m)
					if tt.run == nil {
						return nil, tt.err
					}
					return tt.run(), tt.err
				}
				opts := moduleOpts(ios, tt.checks, fake)

				err := moduleRun(t.Context(), opts)

				assert.Equal(t, tt.code, exitCodeFor(t.Context(), err), "err: %v", err)
				require.Equal(t, 1, calls)
				assert.Equal(t, "127.0.0.1:8000", gotCfg.Addr)
				assert.Equal(t, "s3cret", gotCfg.Token)
				assert.Equal(t, mockclient.GRPC, gotCfg.Transport)
				assert.NotEmpty(t, got.Suites, "the built-in suite")
				assert.Equal(t, "auth-request-shapes", got.Suites[0].Slug())
				assert.Equal(t, opts.Checks.Run, got.Run.Filter.Run)
				assert.False(t, got.ShowToken)
				assert.NotNil(t, got.Now)
				assert.Nil(t, got.Client, "the command dials the plugin itself")

				golden(t, filepath.Join("TestModuleRun", strings.ReplaceAll(tt.name, " ", "-")+"."+mode), out.String(), errOut.String())
				assert.Equal(t, tty && tt.run != nil, strings.Contains(out.String(), "\x1b["), "colour iff stdout is a terminal (and a report)")
				assert.Equal(t, tty, strings.Contains(errOut.String(), "checking auth over grpc at 127.0.0.1:8000"), "status line iff stderr is a terminal")
			})
		}
	}
}

// golden compares stdout and stderr with testdata/<name>.golden.
func golden(t *testing.T, name, stdout, stderr string) {
	t.Helper()
	got := "-- stdout --\n" + stdout + "-- stderr --\n" + stderr
	path := filepath.Join("testdata", name+".golden")
	if *updateRunGolden {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o600))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./internal/cli -run TestModuleRun -update")
	assert.Equal(t, string(want), got)
}

// TestModuleRunWithFakeClient runs the module command's real check with
// the reference plugins over bufconn, a fake TLS audit and a fixed clock:
// nothing is dialled, and the audit's verdict decides the exit code.
func TestModuleRunWithFakeClient(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		token  string
		audit  report.TLS
		code   ExitCode
		stdout []string
	}{
		{
			name: "passes", token: "s3cret", code: ExitOK,
			audit:  report.TLS{Endpoint: &report.Endpoint{Address: "127.0.0.1:8000", Reachable: true, Security: "plaintext"}, Matrix: []report.Verdict{{ID: "plain", Config: "no tls block", Configured: true, Connects: true}}},
			stdout: []string{"PASS  auth/grpc", "plaintext"},
		},
		{
			name: "wrong token", token: "wrong", code: ExitUnreachable,
			audit:  report.TLS{Endpoint: &report.Endpoint{Address: "127.0.0.1:8000", Reachable: true, Security: "plaintext"}, Matrix: []report.Verdict{{ID: "plain", Config: "no tls block", Configured: true, Connects: true}}},
			stdout: []string{"FAIL  auth/grpc", suites.UnauthenticatedText(true)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			plugins := refplugin.NewInProcess(refplugin.Options{Token: "s3cret"})
			ios, _, out, errOut := iostreams.Test()
			audits := 0
			opts := moduleOpts(ios, nil, func(ctx context.Context, cfg mockclient.Config, m mockclient.Module, o check.Options) (*report.Run, error) {
				o.Client = bufconnClient(t, plugins.GRPC, cfg)
				o.Audit = func(context.Context, mockclient.Config) report.TLS {
					audits++
					return tt.audit
				}
				return check.Module(ctx, cfg, m, o)
			})
			opts.Conn.Token = tt.token

			err := moduleRun(t.Context(), opts)

			assert.Equal(t, tt.code, exitCodeFor(t.Context(), err), "err: %v\nstdout: %s", err, out)
			assert.Equal(t, 1, audits)
			assert.Positive(t, plugins.Calls("auth"))
			for _, s := range tt.stdout {
				assert.Contains(t, out.String(), s)
			}
			assert.NotContains(t, out.String(), tt.token, "the token is redacted")
			assert.Empty(t, errOut.String(), "piped: no status line")
		})
	}
}

// bufconnClient serves srv in memory and returns GOST's client over it.
func bufconnClient(t *testing.T, srv *grpc.Server, cfg mockclient.Config) *mockclient.Client {
	t.Helper()
	cc, stop, err := refplugin.ServeBufconn(srv)
	require.NoError(t, err)
	t.Cleanup(stop)
	c, err := mockclient.NewGRPC(cc, cfg)
	require.NoError(t, err)
	return c
}

// TestTLSRun runs the tls command's run step on a fake audit, on a
// terminal and piped: the configured row decides the exit code, and
// nothing is dialled.
func TestTLSRun(t *testing.T) {
	t.Parallel()
	row := func(connects bool, reason string) report.TLS {
		return report.TLS{
			Endpoint: &report.Endpoint{Address: "127.0.0.1:8443", Reachable: true, Security: "tls"},
			Matrix:   []report.Verdict{{ID: "tls", Config: "tls: {}", Configured: true, Connects: connects, Reason: reason}},
		}
	}
	tests := []struct {
		name   string
		audit  report.TLS
		code   ExitCode
		stdout string
	}{
		{"connects", row(true, ""), ExitOK, "PASS  gost-tls/grpc/connects"},
		{"connects with a caveat", row(true, "GOST's first calls fail"), ExitOK, "WARN  gost-tls/grpc/connects"},
		{"does not connect", row(false, "the certificate expired"), ExitUnreachable, "FAIL  gost-tls/grpc/connects"},
	}
	for _, tt := range tests {
		for _, tty := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/tty=%v", tt.name, tty), func(t *testing.T) {
				t.Parallel()
				ios, _, out, errOut := iostreams.Test()
				ios.SetStdoutTTY(tty)
				ios.SetStderrTTY(tty)
				audits := 0
				opts := &TLSOptions{
					IO: ios, Now: runClock,
					Conn:   ConnOptions{Addr: "127.0.0.1:8443", TLS: true},
					Output: CheckOptions{Outputs: []string{"text"}, NoColor: true},
					Audit: func(_ context.Context, cfg mockclient.Config) report.TLS {
						audits++
						assert.Equal(t, "127.0.0.1:8443", cfg.Addr)
						return tt.audit
					},
				}

				err := tlsRun(t.Context(), opts)

				assert.Equal(t, tt.code, exitCodeFor(t.Context(), err), "err: %v", err)
				assert.Equal(t, 1, audits)
				assert.Contains(t, out.String(), tt.stdout)
				assert.Contains(t, out.String(), "started 2026-03-01T12:00:00Z", "the fixed clock")
				assert.Equal(t, tty, strings.Contains(errOut.String(), "auditing TLS of 127.0.0.1:8443 over grpc"), "status line iff stderr is a terminal")
			})
		}
	}
}
