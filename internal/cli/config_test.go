package cli

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/check"
	"github.com/plugincheck/plugincheck/clip"
	"github.com/plugincheck/plugincheck/internal/gostconfig"
	"github.com/plugincheck/plugincheck/internal/iostreams"
	"github.com/plugincheck/plugincheck/internal/refplugin"
	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
	"github.com/plugincheck/plugincheck/suites"
)

// deploymentToken is the token of every plugin block of the test
// deployments; no output may show it.
const deploymentToken = "dep-s3cret-token"

// writeDeployment writes testdata/config/<name> with the reference
// plugins' real addresses (when srv is set) and the extra replacements,
// and returns its path.
func writeDeployment(t *testing.T, name string, srv *refplugin.Server, extra ...string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "config", name))
	require.NoError(t, err)
	r := append([]string{"{{TOKEN}}", deploymentToken}, extra...)
	if srv != nil {
		r = append(r, "{{GRPC}}", srv.GRPCAddr(), "{{HTTP}}", strings.TrimSuffix(srv.HTTPURL("auth"), "/auth"))
	}
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(strings.NewReplacer(r...).Replace(string(b))), 0o600))
	return p
}

// runMainIn is runMain with stdin.
func runMainIn(t *testing.T, stdin string, args ...string) (ExitCode, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	ios, in, out, errOut := iostreams.Test()
	in.WriteString(stdin)
	code := Main(ctx, args, ios)
	return code, out.String(), errOut.String()
}

// TestConfigDeployment is issue 12's first "done when": a gost.yml with
// plugins of all 13 modules, the reference plugins over both transports,
// used by several services, checked each with its real settings: exit 0.
func TestConfigDeployment(t *testing.T) {
	t.Parallel()
	srv := refServer(t, deploymentToken, nil)
	path := writeDeployment(t, "deployment.yaml", srv)
	jsonOut := filepath.Join(t.TempDir(), "report.json")
	junitOut := filepath.Join(t.TempDir(), "report.xml")

	// 26 module checks: generous bounds for a loaded machine (the blocks'
	// own HTTP timeout is 1m).
	code, stdout, stderr := runMainWithin(t, 15*time.Minute, "config", path, "--call-timeout", "2m", "-v",
		"-o", "text", "-o", "json="+jsonOut, "-o", "junit="+junitOut)
	require.Equal(t, ExitOK, code, "stderr: %s\nfailed: %s", stderr, failedLines(stdout))

	d, err := gostconfig.Parse(path, mustRead(t, path))
	require.NoError(t, err)
	require.Len(t, d.Plugins, 26)
	assert.Empty(t, d.Findings)

	var rep report.Report
	require.NoError(t, json.Unmarshal(mustRead(t, jsonOut), &rep))
	assert.Equal(t, path, rep.Source)
	require.Len(t, rep.Runs, len(d.Plugins))
	modules := map[string]bool{}
	for i, p := range d.Plugins {
		run := rep.Runs[i]
		assert.Equal(t, p.ID(), run.Plugin)
		assert.Equal(t, string(p.Module), run.Module)
		assert.Equal(t, p.Config.Addr, run.Target.Addr, "%s: its own addr", p.ID())
		assert.Equal(t, string(p.Config.Transport), run.Transport, "%s: its own type", p.ID())
		assert.Equal(t, "<redacted>", run.Target.Token, "%s: its token, redacted", p.ID())
		assert.Equal(t, report.Duration(p.Config.Timeout), run.Target.Timeout, "%s: its timeout", p.ID())
		assert.NotEqual(t, report.Fail, run.Status, p.ID())
		assert.NotEmpty(t, run.Services, "%s: used by", p.ID())
		modules[run.Module] = true
	}
	assert.Len(t, modules, 13)
	for _, m := range mockclient.Modules() {
		assert.Positive(t, srv.Calls(string(m)), "module %s was called", m)
	}

	// The summary table comes first and names every block.
	head, _, _ := strings.Cut(stdout, "\n\n")
	assert.Contains(t, head, "Deployment "+path+": 26 plugin runs, 0 config findings")
	for _, p := range d.Plugins {
		assert.Regexp(t, regexp.MustCompile(regexp.QuoteMeta(p.ID())+`\s+`+string(p.Module)+`\s+`+regexp.QuoteMeta(p.Config.Addr)+`\s+`+string(p.Config.Transport)+`\s+plaintext\s+(PASS|WARN)`), head)
	}
	// The services' names went out, shaped by their handlers.
	assert.Contains(t, stdout, "auth-request-shapes/grpc/socks5-userpass@socks5-1080")
	assert.Contains(t, stdout, "auth-request-shapes/http/http-proxy-basic@http-8080")
	assert.NotContains(t, stdout, "socks5-userpass@http-8080")
	assert.Regexp(t, `admission-request-shapes/grpc/[a-z0-9-]+@socks5-1080`, stdout)
	assert.Contains(t, stdout, "ingress-request-shapes/http/router-associate-host@router-8888")
	for _, out := range []string{stdout, stderr, string(mustRead(t, jsonOut)), string(mustRead(t, junitOut))} {
		assert.NotContains(t, out, deploymentToken)
	}
	var junit struct {
		Suites []struct {
			Name string `xml:"name,attr"`
		} `xml:"testsuite"`
	}
	require.NoError(t, xml.Unmarshal(mustRead(t, junitOut), &junit))
	require.Len(t, junit.Suites, 26)
	assert.Equal(t, "authers/auth-grpc auth/grpc", junit.Suites[0].Name)
}

// failedLines are the report's lines that say what failed, for a test's
// message.
func failedLines(report string) string {
	var out []string
	for _, l := range strings.Split(report, "\n") {
		if strings.Contains(l, "FAIL") || strings.Contains(l, "CAUSE") || strings.Contains(l, "DIAGNOSIS") {
			out = append(out, l)
		}
	}
	return clip.Text(strings.Join(out, "\n"), 16<<10)
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

// TestConfigCatchesOpenService is the point of issue 12: an auth plugin
// that lets anyone in on the service forward-tcp-8080 passes the plain
// module run, and `plugincheck config` catches it for a config whose
// service has that name.
func TestConfigCatchesOpenService(t *testing.T) {
	t.Parallel()
	addr := openService(t)
	path := writeDeployment(t, "open-service.yaml", nil, "{{AUTH}}", addr)

	// An explicit budget no call reaches: a loaded machine must not warn
	// on latency under --strict.
	code, stdout, stderr := runMainIn(t, "", "auth", "--addr", addr, "--strict", "--latency-budget", "1m")
	require.Equal(t, ExitOK, code, "the plain module run does not catch it: %s\n%s", stderr, stdout)

	code, stdout, stderr = runMainIn(t, "", "config", path, "-v") // -v: the passing cases too
	require.Equal(t, ExitOK, code, "a warning: %s", stderr)
	assert.Contains(t, stdout, `WARN  auth-request-shapes/http/random-credentials@forward-tcp-8080`)
	assert.Contains(t, stdout, `accepted random credentials (allow-all auth), on service "forward-tcp-8080"`)
	assert.Contains(t, stdout, "auth-request-shapes/http/random-credentials@socks5-1080")
	assert.NotContains(t, stdout, `on service "socks5-1080"`, "the other service checks passwords")

	code, _, _ = runMainIn(t, "", "config", path, "--strict", "--latency-budget", "1m")
	assert.Equal(t, ExitFailed, code)
}

// TestConfigFindings: every config finding of issue 12 is printed with its
// file and line in every format, and counts in the exit code by status.
func TestConfigFindings(t *testing.T) {
	t.Parallel()
	srv := refServer(t, deploymentToken, nil)
	path := writeDeployment(t, "findings.yaml", srv)
	d, err := gostconfig.Parse(path, mustRead(t, path))
	require.NoError(t, err)
	codes := map[string]bool{}
	for _, f := range d.Findings {
		codes[f.Code] = true
	}
	for _, c := range []string{gostconfig.CodeUnusedPlugin, gostconfig.CodeUnknownComponent, gostconfig.CodeIgnoredTLS,
		gostconfig.CodeHTTPNoTimeout, gostconfig.CodeTokenConflict, gostconfig.CodeGRPCPlaintextRemote} {
		assert.True(t, codes[c], "the config has a %s finding", c)
	}

	jsonOut := filepath.Join(t.TempDir(), "r.json")
	junitOut := filepath.Join(t.TempDir(), "r.xml")
	code, stdout, stderr := runMainIn(t, "", "config", path, "--only", "authers/auth-ok", "-o", "text", "-o", "json="+jsonOut, "-o", "junit="+junitOut)
	worst := report.Pass
	for _, f := range d.Findings {
		worst = worst.Worse(f.Severity)
	}
	want := map[report.Status]ExitCode{report.Pass: ExitOK, report.Warn: ExitOK, report.Fail: ExitFailed}[worst]
	assert.Equal(t, want, code, "stderr: %s", stderr)

	var rep report.Report
	require.NoError(t, json.Unmarshal(mustRead(t, jsonOut), &rep))
	require.Len(t, rep.Findings, len(d.Findings))
	junit := string(mustRead(t, junitOut))
	for i, f := range d.Findings {
		where := fmt.Sprintf("%s:%d", path, f.Line)
		require.Positive(t, f.Line, f.Code)
		assert.Contains(t, stdout, where+"  "+f.Code, "text: %s at its line", f.Code)
		assert.Contains(t, junit, where+" "+f.Code, "junit: %s at its line", f.Code)
		assert.Equal(t, f.Line, rep.Findings[i].Line)
		assert.Equal(t, path, rep.Findings[i].File)
		assert.Equal(t, f.Code, rep.Findings[i].Code)
	}
	require.Len(t, rep.Runs, 1, "--only ran the one good plugin")
	assert.Equal(t, "authers/auth-ok", rep.Runs[0].Plugin)
	for _, out := range []string{stdout, stderr, junit, string(mustRead(t, jsonOut))} {
		for _, tok := range []string{deploymentToken, "token-one", "token-two"} {
			assert.NotContains(t, out, tok)
		}
	}

	if worst == report.Warn {
		code, _, _ = runMainIn(t, "", "config", path, "--only", "authers/auth-ok", "--strict", "--latency-budget", "1m")
		assert.Equal(t, ExitFailed, code, "a warning finding fails under --strict")
	}
}

// TestConfigFindingsExitCode: findings alone decide the exit code when
// every run passes: fail → 1, warn → 0 or 1 under --strict, information → 0.
func TestConfigFindingsExitCode(t *testing.T) {
	t.Parallel()
	pass := func(context.Context, mockclient.Config, mockclient.Module, check.Options) (*report.Run, error) {
		r := cannedRun(cannedCase("accepts-gost", report.Pass, ""))
		(&report.Report{Runs: []*report.Run{r}}).Finish()
		return r, nil
	}
	tests := []struct {
		name   string
		sev    report.Status
		strict bool
		code   ExitCode
	}{
		{name: "fail", sev: report.Fail, code: ExitFailed},
		{name: "warn", sev: report.Warn, code: ExitOK},
		{name: "warn under strict", sev: report.Warn, strict: true, code: ExitFailed},
		{name: "information under strict", sev: report.Pass, strict: true, code: ExitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ios, _, out, _ := iostreams.Test()
			opts := configOpts(ios, writeDeployment(t, "golden.yaml", nil), pass)
			opts.Checks.Strict = tt.strict
			opts.Checks.Verbose = true // the short report counts information, -v prints it
			rep := newReport(runNow)
			rep.Findings = []report.Finding{{Code: "x", Status: tt.sev, File: "gost.yml", Line: 3, Message: "m"}}
			err := configFinish(t.Context(), opts, rep, nil, nil)
			assert.Equal(t, tt.code, exitCodeFor(t.Context(), err))
			assert.Contains(t, out.String(), "gost.yml:3  x")
		})
	}
}

// configOpts is a config run of file on ios with the flag defaults and a
// fake check.
func configOpts(ios *iostreams.IOStreams, file string, run func(context.Context, mockclient.Config, mockclient.Module, check.Options) (*report.Run, error)) *ConfigOptions {
	return &ConfigOptions{
		IO: ios, Now: runClock, File: file, CallTimeout: mockclient.DefaultCallTimeout,
		Checks: CheckOptions{
			Outputs: []string{"text"}, LatencyBudget: suites.DefaultLatencyBudget,
			Concurrency: suites.DefaultConcurrency, Parallel: suites.DefaultWorkers,
		},
		Check: run,
	}
}

// TestConfigRun renders a deployment's report with a fake check, against
// the goldens: the summary table at the top, the runs named by their
// blocks and services, the findings with their lines.
func TestConfigRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		only   []string
		strict bool
		// status of the run of each plugin, by ID; pass when absent
		status map[string]report.Status
		diag   string
		code   ExitCode
	}{
		{name: "pass", code: ExitOK},
		{name: "failed plugin", status: map[string]report.Status{"bypasses/bypass-0": report.Fail}, code: ExitFailed},
		{name: "warning under strict", strict: true, status: map[string]report.Status{"authers/auth-0": report.Warn}, code: ExitFailed},
		{name: "unreachable plugin", diag: "nothing listens on 127.0.0.1:8001 (connection refused)", code: ExitUnreachable},
		{name: "only a kind", only: []string{"authers"}, code: ExitOK},
	}
	for _, tt := range tests {
		for _, tty := range []bool{true, false} {
			mode := map[bool]string{true: "tty", false: "piped"}[tty]
			t.Run(tt.name+"/"+mode, func(t *testing.T) {
				t.Parallel()
				ios, _, out, errOut := iostreams.Test()
				ios.SetStdoutTTY(tty)
				ios.SetStderrTTY(tty)
				var seen []string
				fake := func(_ context.Context, cfg mockclient.Config, m mockclient.Module, o check.Options) (*report.Run, error) {
					id := map[string]string{"127.0.0.1:8000": "authers/auth-0", "http://127.0.0.1:8001/bypass": "bypasses/bypass-0"}[cfg.Addr]
					seen = append(seen, id)
					assert.Equal(t, "s3cret", cfg.Token, "the block's token")
					assert.Equal(t, mockclient.DefaultCallTimeout, cfg.CallTimeout)
					st := report.Pass
					if s, ok := tt.status[id]; ok {
						st = s
					}
					c := cannedCase("accepts-gost", st, "")
					r := cannedRun(c)
					r.Module, r.Transport = string(m), string(cfg.Transport)
					r.Target.Addr = cfg.Addr
					if tt.diag != "" && m == mockclient.Bypass {
						r.Diagnosis = tt.diag
					}
					var names []string
					for _, s := range o.Suites {
						for _, cs := range s.Cases {
							names = append(names, cs.Name)
						}
					}
					if m == mockclient.Auth {
						assert.Contains(t, names, "http-proxy-basic@forward-tcp-8080")
						assert.Contains(t, names, "socks5-userpass@socks5-1080")
					}
					return r, nil
				}
				opts := configOpts(ios, "testdata/config/golden.yaml", fake)
				opts.Only = tt.only
				opts.Checks.Strict = tt.strict

				err := configRun(t.Context(), opts)

				assert.Equal(t, tt.code, exitCodeFor(t.Context(), err), "err: %v", err)
				if tt.only != nil {
					assert.Equal(t, []string{"authers/auth-0"}, seen)
				} else {
					assert.Equal(t, []string{"authers/auth-0", "bypasses/bypass-0"}, seen)
				}
				golden(t, filepath.Join("TestConfigRun", strings.ReplaceAll(tt.name, " ", "-")+"."+mode), out.String(), errOut.String())
				assert.NotContains(t, out.String()+errOut.String(), "s3cret")
			})
		}
	}
}

// TestConfigInputs covers stdin, --only, the API's environment variables
// and the bad inputs, each one line and exit 2.
func TestConfigInputs(t *testing.T) {
	t.Parallel()
	srv := refServer(t, deploymentToken, nil)
	good := writeDeployment(t, "findings.yaml", srv)
	goodYAML := string(mustRead(t, good))
	all := writeDeployment(t, "deployment.yaml", srv)
	broken := writeFixture(t, "broken.yaml", "authers:\n- name: a\n  plugin:\n    addr: [1, 2]\n")
	tests := []struct {
		name   string
		stdin  string
		args   []string
		code   ExitCode
		stderr string
		stdout string
	}{
		// findings.yaml has a fail finding (unknown-component): exit 1.
		{name: "stdin", stdin: goodYAML, args: []string{"config", "-", "--only", "authers/auth-ok"}, code: ExitFailed, stdout: "Deployment -: 1 plugin run, 10 config findings"},
		{name: "only by id and kind", args: []string{"config", all, "--only", "authers", "--only", "hops/hop-grpc", "--run", "*/*/http-proxy-basic*", "--run", "*/*/chain-route-*"}, code: ExitOK, stdout: "Deployment " + all + ": 3 plugin runs"},
		{name: "only matches nothing", args: []string{"config", good, "--only", "authers/nope"}, code: ExitUsage,
			stderr: `plugincheck: --only "authers/nope" matches no plugin block of the config; choices: authers/auth-ok, authers/auth-unused, authers/auth-same-addr, authers/auth-ignored-tls, authers/auth-no-timeout, authers/auth-remote-plaintext` + "\n"},
		{name: "no input", args: []string{"config"}, code: ExitUsage, stderr: "plugincheck: config needs a FILE, - for stdin, or --api URL\n"},
		{name: "file and api", args: []string{"config", good, "--api", "http://127.0.0.1:1/api"}, code: ExitUsage, stderr: "plugincheck: give either FILE or --api, not both\n"},
		{name: "api user without api", args: []string{"config", good, "--api-user", "admin"}, code: ExitUsage, stderr: "plugincheck: --api-user and --api-password go with --api\n"},
		{name: "bad api url", args: []string{"config", "--api", "ftp://u:hunter2@x/api"}, code: ExitUsage, stderr: "want GOST's API base URL"},
		{name: "two files", args: []string{"config", good, good}, code: ExitUsage, stderr: "plugincheck: config takes one FILE (or - for stdin), got 2 arguments\n"},
		{name: "missing file", args: []string{"config", "no-such.yml"}, code: ExitUsage, stderr: "plugincheck: no-such.yml: no such file or directory\n"},
		{name: "bad config", args: []string{"config", broken}, code: ExitUsage, stderr: broken + ":4"},
		{name: "empty stdin", args: []string{"config", "-"}, code: ExitOK, stdout: "Deployment -: 0 plugin runs, 0 config findings"},
		{name: "bad run pattern", args: []string{"config", good, "--run", "[x"}, code: ExitUsage, stderr: `pattern "[x"`},
		{name: "run matches nothing", args: []string{"config", good, "--only", "authers/auth-ok", "--run", "nothing"}, code: ExitUsage, stderr: "no case matches"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runMainIn(t, tt.stdin, tt.args...)
			assert.Equal(t, tt.code, code, "stderr: %s\nstdout: %s", stderr, clip.Text(stdout, 4<<10))
			if tt.stderr != "" {
				assert.Contains(t, stderr, tt.stderr)
			}
			if tt.stdout != "" {
				assert.Contains(t, stdout, tt.stdout)
			}
			if code == ExitUsage {
				assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
				assert.NotContains(t, stderr, "hunter2")
				assert.NotContains(t, stderr, "goroutine")
			}
		})
	}
}

// TestNewCmdConfig: argv and environment to options.
func TestNewCmdConfig(t *testing.T) {
	t.Parallel()
	ios, _, _, _ := iostreams.Test()
	var got *ConfigOptions
	cmd := newCmdConfig(&Factory{IO: ios, Now: time.Now}, func(_ context.Context, o *ConfigOptions) error {
		got = o
		return nil
	})
	env := map[string]string{"PLUGINCHECK_API_USER": "admin", "PLUGINCHECK_API_PASSWORD": "pw", "PLUGINCHECK_CALL_TIMEOUT": "7s"}
	bindEnv(cmd, func(k string) string { return env[k] })
	cmd.SetArgs(strings.Fields("--api http://127.0.0.1:18080/api --only authers --strict -o json"))
	cmd.SetOut(ios.Out)
	cmd.SetErr(ios.ErrOut)
	require.NoError(t, cmd.Execute())
	assert.Equal(t, "http://127.0.0.1:18080/api", got.API)
	assert.Equal(t, "admin", got.APIUser)
	assert.Equal(t, "pw", got.APIPassword)
	assert.Equal(t, 7*time.Second, got.CallTimeout)
	assert.Equal(t, []string{"authers"}, got.Only)
	assert.True(t, got.Checks.Strict)
	assert.Equal(t, []string{"json"}, got.Checks.Outputs)
	var _ *cobra.Command = cmd
}

// TestConfigAPI reads the config through a fake GOST API: the credentials
// go to the fetch, the source is the API's URL, a refusal is exit 2 and an
// unreachable API exit 3, without the password.
func TestConfigAPI(t *testing.T) {
	t.Parallel()
	data := mustRead(t, "testdata/config/golden.yaml")
	pass := func(_ context.Context, cfg mockclient.Config, m mockclient.Module, _ check.Options) (*report.Run, error) {
		r := cannedRun(cannedCase("accepts-gost", report.Pass, ""))
		r.Module, r.Target.Addr = string(m), cfg.Addr
		return r, nil
	}
	tests := []struct {
		name string
		err  error
		code ExitCode
		msg  string
	}{
		{name: "read", code: ExitOK},
		{name: "refused", err: fmt.Errorf("%w: http://127.0.0.1:18080/api/config?format=json", gostconfig.ErrAPIUnauthorized), code: ExitUsage, msg: "check --api-user and --api-password"},
		{name: "unreachable", err: fmt.Errorf("%w: dial hunter2-pw: connection refused", gostconfig.ErrAPI), code: ExitUnreachable, msg: "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ios, _, out, _ := iostreams.Test()
			opts := configOpts(ios, "", pass)
			opts.API, opts.APIUser, opts.APIPassword = "http://127.0.0.1:18080/api", "admin", "hunter2-pw"
			opts.Fetch = func(_ context.Context, o gostconfig.APIOptions) (string, []byte, error) {
				assert.Equal(t, "http://127.0.0.1:18080/api", o.URL)
				assert.Equal(t, "admin", o.User)
				assert.Equal(t, "hunter2-pw", o.Password)
				return "http://127.0.0.1:18080/api/config?format=json", data, tt.err
			}
			err := configRun(t.Context(), opts)
			assert.Equal(t, tt.code, exitCodeFor(t.Context(), err), "err: %v", err)
			if tt.msg != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.msg)
				assert.NotContains(t, err.Error(), "hunter2-pw")
				return
			}
			assert.Contains(t, out.String(), "Deployment http://127.0.0.1:18080/api/config?format=json: 2 plugin runs")
		})
	}
}

func TestRedactError(t *testing.T) {
	t.Parallel()
	base := fmt.Errorf("%w: plugin at http://u:tok-123@h/auth said tok-123", ErrTargetUnreachable)
	err := redactError(base, []string{"", "tok-123"})
	assert.NotContains(t, err.Error(), "tok-123")
	assert.ErrorIs(t, err, ErrTargetUnreachable)
	assert.Equal(t, ExitUnreachable, exitCodeFor(t.Context(), err))
	plain := errors.New("nothing to hide")
	assert.Same(t, plain, redactError(plain, []string{"tok-123"}))
	assert.Equal(t, "a?[31mb", printable("a\x1b[31mb"))
}
