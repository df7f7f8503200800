package cli

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/clip"
	"github.com/plugincheck/plugincheck/internal/iostreams"
	"github.com/plugincheck/plugincheck/internal/refplugin"
	"github.com/plugincheck/plugincheck/internal/testcert"
	"github.com/plugincheck/plugincheck/internal/testnet"
	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
)

func TestNewCmdModule(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    string
		want    func(*ModuleOptions)
		wantErr string
	}{
		{
			name: "defaults",
			args: "--addr 127.0.0.1:8000",
			want: func(o *ModuleOptions) {
				assert.Equal(t, "127.0.0.1:8000", o.Conn.Addr)
				assert.Equal(t, mockclient.DefaultCallTimeout, o.Conn.CallTimeout)
				assert.True(t, o.Checks.Builtin)
				assert.Equal(t, []string{"text"}, o.Checks.Outputs)
				assert.Zero(t, o.Checks.runOptions().Workers, "suites picks the transport's default")
			},
		},
		{
			name: "one case at a time",
			args: "--addr 127.0.0.1:8000 --parallel 1",
			want: func(o *ModuleOptions) { assert.Equal(t, 1, o.Checks.runOptions().Workers) },
		},
		{
			name: "everything",
			args: "--addr https://p.example/auth --transport http --token t --tls-secure --tls-server-name p.example --timeout 2s --call-timeout 3s " +
				"--fixtures a.yaml --fixtures dir --builtin=false --run x,y --skip z --strict --show-token -o json=r.json -o junit=r.xml -v",
			want: func(o *ModuleOptions) {
				assert.Equal(t, ConnOptions{Addr: "https://p.example/auth", Transport: "http", Token: "t", TLSSecure: true, TLSServerName: "p.example", Timeout: 2 * time.Second, CallTimeout: 3 * time.Second}, o.Conn)
				assert.Equal(t, []string{"a.yaml", "dir"}, o.Checks.Fixtures)
				assert.False(t, o.Checks.Builtin)
				assert.Equal(t, []string{"x", "y"}, o.Checks.Run)
				assert.Equal(t, []string{"z"}, o.Checks.Skip)
				assert.True(t, o.Checks.Strict)
				assert.True(t, o.Checks.ShowToken)
				assert.True(t, o.Checks.Verbose)
				assert.Equal(t, []string{"json=r.json", "junit=r.xml"}, o.Checks.Outputs)
			},
		},
		{name: "unknown format", args: "--addr a:1 -o yaml", wantErr: `--output "yaml": report: unknown format "yaml"`},
		{name: "two outputs on stdout", args: "--addr a:1 -o text -o json", wantErr: "only one format can go to standard output"},
		{name: "bad pattern", args: "--addr a:1 --run [x", wantErr: `pattern "[x"`},
		{name: "bad concurrency", args: "--addr a:1 --concurrency 0", wantErr: "--concurrency must be at least 1"},
		{name: "concurrency above ceiling", args: "--addr a:1 --concurrency 100000", wantErr: "--concurrency 100000 is above the ceiling of 1000"},
		{name: "no parallel case", args: "--addr a:1 --parallel 0", wantErr: "--parallel 0: want 1 to 64"},
		{name: "parallel above ceiling", args: "--addr a:1 --parallel 65", wantErr: "--parallel 65: want 1 to 64"},
		{name: "positional argument", args: "--addr a:1 extra", wantErr: `unexpected argument "extra": auth takes only flags (see auth --help)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseArgs(t, tt.args, func(f *Factory, runF func(context.Context, *ModuleOptions) error) *cobra.Command {
				return newCmdModule(f, mockclient.Auth, runF)
			})
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.NotNil(t, got)
			tt.want(got)
		})
	}
}

// runMain runs plugincheck in-process and returns the exit code and output.
func runMain(t *testing.T, args ...string) (ExitCode, string, string) {
	t.Helper()
	return runMainWithin(t, time.Minute, args...)
}

// runMainWithin is runMain with the run cut off after limit.
func runMainWithin(t *testing.T, limit time.Duration, args ...string) (ExitCode, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), limit)
	defer cancel()
	ios, _, out, errOut := iostreams.Test()
	code := Main(ctx, args, ios)
	return code, out.String(), errOut.String()
}

// refServer starts the reference plugins, optionally behind TLS, with token.
func refServer(t *testing.T, token string, tlsCert *testcert.CA) *refplugin.Server {
	t.Helper()
	opts := refplugin.Options{Token: token}
	if tlsCert != nil {
		cert, err := tlsCert.Issue(testcert.Loopback())
		require.NoError(t, err)
		opts.TLS = tlsConfig(cert)
	}
	srv, err := refplugin.Start(t.Context(), opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

func writeFixture(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}

func TestMainExitCodes(t *testing.T) {
	t.Parallel()
	ca, err := testcert.NewCA("plugincheck test CA")
	require.NoError(t, err)
	plain := refServer(t, "", nil)
	withToken := refServer(t, "s3cret", nil)
	secured := refServer(t, "", ca)
	closedAddr := testnet.RefusedAddr(t)

	failing := writeFixture(t, "failing.yaml", "name: Failing\nmodule: auth\ncases:\n  - {name: wrong, request: {username: gost, password: gost}, expect: {ok: false}}\n")
	warning := writeFixture(t, "warning.yaml", "name: Warning\nmodule: auth\ncases:\n  - {name: warns, request: {username: gost, password: gost}, warn_if: {ok: true}, warning: careful}\n")
	broken := writeFixture(t, "broken.yaml", "name: Broken\nmodule: auth\ncases:\n  - name: c\n    request: {usernme: x}\n")

	tests := []struct {
		name   string
		args   []string
		code   ExitCode
		stderr string
		stdout string
		// passes is the run that passes (see assertPasses).
		passes string
	}{
		{name: "passes", args: []string{"auth", "--addr", plain.GRPCAddr()}, code: ExitOK, passes: "auth/grpc"},
		{name: "passes over http", args: []string{"bypass", "--addr", plain.HTTPURL("bypass")}, code: ExitOK, passes: "bypass/http"},
		{name: "expectation fails", args: []string{"auth", "--addr", plain.GRPCAddr(), "--fixtures", failing}, code: ExitFailed, stdout: "ok: got true, want false"},
		{name: "warning passes", args: []string{"auth", "--addr", plain.GRPCAddr(), "--fixtures", warning, "--builtin=false"}, code: ExitOK, stdout: "WARN"},
		{name: "strict warning fails", args: []string{"auth", "--addr", plain.GRPCAddr(), "--fixtures", warning, "--builtin=false", "--strict"}, code: ExitFailed},
		{name: "unknown module", args: []string{"auht", "--addr", "x:1"}, code: ExitUsage, stderr: `plugincheck: unknown module or command "auht" (did you mean auth?)`},
		{name: "unknown flag", args: []string{"auth", "--adr", "x:1"}, code: ExitUsage, stderr: "plugincheck: unknown flag: --adr (see plugincheck auth --help)"},
		{name: "missing addr", args: []string{"auth"}, code: ExitUsage, stderr: "plugincheck: --addr is required"},
		{name: "bad transport", args: []string{"auth", "--addr", "x:1", "--transport", "quic"}, code: ExitUsage, stderr: `--transport: unknown transport "quic"`},
		{name: "url for grpc", args: []string{"auth", "--addr", "http://x:1/a", "--transport", "grpc"}, code: ExitUsage, stderr: "is a URL but the transport is grpc"},
		{name: "http without scheme", args: []string{"auth", "--addr", "127.0.0.1:1", "--transport", "http"}, code: ExitUsage, stderr: "has no http:// or https:// scheme"},
		{name: "invalid grpc target", args: []string{"admission", "--addr", "\x00"}, code: ExitUsage, stderr: "GOST would run this admission plugin without a client: GOST admits every connection (fail-open)"},
		{name: "missing fixture", args: []string{"auth", "--addr", "x:1", "--fixtures", "no-such.yaml"}, code: ExitUsage, stderr: "plugincheck: no-such.yaml: no such file or directory"},
		{name: "broken fixture", args: []string{"auth", "--addr", "x:1", "--fixtures", broken}, code: ExitUsage, stderr: broken + ":5: cases[0].request.usernme: unknown field"},
		{name: "fixture for another module", args: []string{"bypass", "--addr", "x:1", "--fixtures", failing}, code: ExitUsage, stderr: "none of the --fixtures suites is for module bypass"},
		{name: "pattern matches nothing", args: []string{"auth", "--addr", plain.GRPCAddr(), "--run", "nothing-*"}, code: ExitUsage, stderr: `no case ran: --run "nothing-*" matched none of`},
		{name: "nothing listening", args: []string{"auth", "--addr", closedAddr}, code: ExitUnreachable, stderr: "connection refused: nothing is listening on " + closedAddr},
		{name: "http against grpc", args: []string{"auth", "--addr", "http://" + plain.GRPCAddr() + "/auth"}, code: ExitUnreachable, stderr: "speaks HTTP/2 only, as gRPC servers do"},
		{name: "grpc against http", args: []string{"auth", "--addr", strings.TrimSuffix(strings.TrimPrefix(plain.HTTPURL("auth"), "http://"), "/auth")}, code: ExitUnreachable, stderr: "answers HTTP/1.1, not gRPC"},
		{name: "tls against plaintext", args: []string{"auth", "--addr", plain.GRPCAddr(), "--tls"}, code: ExitUnreachable, stderr: "answers in plaintext, but the GOST config has a tls block"},
		{name: "plaintext against tls", args: []string{"auth", "--addr", secured.GRPCAddr()}, code: ExitUnreachable, stderr: "speaks TLS, but the GOST config has no tls block: add --tls"},
		{name: "tls works", args: []string{"auth", "--addr", secured.GRPCAddr(), "--tls", "-v"}, code: ExitOK, stdout: "TLS 1.3"},
		{name: "secure fails against a private CA", args: []string{"auth", "--addr", secured.GRPCAddr(), "--tls-secure"}, code: ExitUnreachable, stderr: "secure: true will fail: certificate signed by unknown authority"},
		{name: "needs a token", args: []string{"auth", "--addr", withToken.GRPCAddr()}, code: ExitUnreachable, stderr: "the plugin answered Unauthenticated to every call: does it need --token?"},
		{name: "needs a token over http", args: []string{"auth", "--addr", withToken.HTTPURL("auth")}, code: ExitUnreachable, stderr: "does it need --token?"},
		{name: "wrong token", args: []string{"auth", "--addr", withToken.GRPCAddr(), "--token", "nope"}, code: ExitUnreachable, stderr: "it rejects the --token given"},
		{name: "right token", args: []string{"auth", "--addr", withToken.GRPCAddr(), "--token", "s3cret"}, code: ExitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runMain(t, tt.args...)
			assert.Equal(t, tt.code, code, "stderr: %s\nstdout (start): %s", stderr, clip.Text(stdout, 4<<10))
			if tt.stderr != "" {
				assert.Contains(t, stderr, tt.stderr)
			}
			if tt.stdout != "" {
				assert.Contains(t, stdout, tt.stdout)
			}
			if tt.passes != "" {
				assertPasses(t, stdout, tt.passes)
			}
			if stderr != "" {
				assert.Equal(t, 1, strings.Count(stderr, "\n"), "errors are one line: %q", stderr)
				assert.NotContains(t, stderr, "goroutine ", "no stack traces")
			}
		})
	}
}

// assertPasses asserts that the text report shows the run or case id as
// passed, or as warned only because the machine is slow: a gRPC connect
// slower than the 1 s grpc-go gives GOST's first attempt
// (grpc-slow-connect), or a step over the default latency budget. On a
// loaded machine those warnings are the right verdicts, so a test that
// wants a pass must accept them rather than depend on a fast machine.
func assertPasses(t *testing.T, stdout, id string) {
	t.Helper()
	if regexp.MustCompile(`(?m)^\s*PASS  ` + regexp.QuoteMeta(id) + `\s`).MatchString(stdout) {
		return
	}
	assert.Regexp(t, `(?m)^\s*WARN  `+regexp.QuoteMeta(id)+`\s`, stdout, "%s neither passed nor warned", id)
	slow := strings.Contains(stdout, "finding grpc-slow-connect") || strings.Contains(stdout, "over plugincheck's")
	assert.True(t, slow, "%s warned, and not for a slow connect or call:\n%s", id, stdout)
}

func TestMainOutputs(t *testing.T) {
	t.Parallel()
	srv := refServer(t, "s3cret", nil)
	dir := t.TempDir()
	jsonFile, junitFile := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.xml")
	code, stdout, stderr := runMain(t, "auth", "--addr", srv.GRPCAddr(), "--token", "s3cret", "-o", "text", "-o", "json="+jsonFile, "-o", "junit="+junitFile)
	require.Equal(t, ExitOK, code, stderr)
	assertPasses(t, stdout, "auth/grpc")
	assert.NotContains(t, stdout, "\x1b[", "no colour when stdout is not a terminal")
	assert.NotContains(t, stdout, "s3cret", "the token is redacted")

	b, err := os.ReadFile(jsonFile)
	require.NoError(t, err)
	assert.NotContains(t, string(b), "s3cret")
	var rep report.Report
	require.NoError(t, json.Unmarshal(b, &rep))
	assert.Equal(t, report.SchemaVersion, rep.Schema)
	require.Len(t, rep.Runs, 1)
	assert.Equal(t, "<redacted>", rep.Runs[0].Target.Token)
	assert.Positive(t, rep.Totals.Pass)

	b, err = os.ReadFile(junitFile)
	require.NoError(t, err)
	var suites struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
	}
	require.NoError(t, xml.Unmarshal(b, &suites))
	assert.Equal(t, rep.Totals.Cases, suites.Tests)
	assert.Zero(t, suites.Failures)

	code, stdout, _ = runMain(t, "auth", "--addr", srv.GRPCAddr(), "--token", "s3cret", "--show-token", "-o", "json")
	require.Equal(t, ExitOK, code)
	assert.Contains(t, stdout, `"token": "s3cret"`)
}

func TestMainColour(t *testing.T) {
	t.Parallel()
	srv := refServer(t, "", nil)
	for _, tty := range []bool{true, false} {
		ios, _, out, _ := iostreams.Test()
		ios.SetStdoutTTY(tty)
		code := Main(t.Context(), []string{"auth", "--addr", srv.GRPCAddr(), "--run", "accepts-gost", "--fixtures", "../../fixtures/reference/auth.yaml"}, ios)
		require.Equal(t, ExitOK, code)
		assert.Equal(t, tty, strings.Contains(out.String(), "\x1b["), "colour iff stdout is a terminal (tty=%v)", tty)
	}
}

func TestMainInterrupted(t *testing.T) {
	t.Parallel()
	srv := refServer(t, "", nil)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	ios, _, _, _ := iostreams.Test()
	assert.Equal(t, ExitInterrupted, Main(ctx, []string{"auth", "--addr", srv.GRPCAddr()}, ios))
}

// TestDemo runs the demo, one module per subtest (--modules), so that the
// 26 runs under the race detector spread over the CPUs instead of taking
// half a minute one after another. Its report is megabytes of JSON on lines
// longer than testify can print, so a failure names only what failed.
func TestDemo(t *testing.T) {
	t.Parallel()
	for _, m := range mockclient.Modules() {
		t.Run(string(m), func(t *testing.T) {
			t.Parallel()
			// The bound is for a hang, not for speed.
			code, stdout, stderr := runMainWithin(t, 10*time.Minute, "demo", "--modules", string(m), "-o", "json")
			var rep report.Report
			require.NoError(t, json.Unmarshal([]byte(stdout), &rep), "stderr: %s\nstdout: %s", stderr, clip.Text(stdout, 2000))
			require.Equal(t, ExitOK, code, "stderr: %s\n%s", stderr, failures(rep))
			var got []string
			for _, run := range rep.Runs {
				got = append(got, run.Module+"/"+run.Transport)
				assert.NotEqual(t, report.Fail, run.Status, "%s/%s", run.Module, run.Transport)
			}
			assert.Equal(t, []string{string(m) + "/grpc", string(m) + "/http"}, got, "demo covers %s over both transports", m)
			// The report's duration covers its runs: no call of theirs
			// took longer than the whole.
			var slowest report.Duration
			for _, run := range rep.Runs {
				for _, c := range run.Cases {
					for _, st := range c.Steps {
						slowest = max(slowest, st.Observation.Latency)
					}
				}
			}
			assert.GreaterOrEqual(t, rep.Duration, slowest, "the demo's duration covers its calls")
		})
	}
}

// failures lists a report's failed runs, with their diagnosis and causes,
// and its failed cases, with their failed checks, each line cut short.
func failures(rep report.Report) string {
	var b strings.Builder
	line := func(indent, s string) { b.WriteString(indent + clip.Text(s, 400) + "\n") }
	for _, run := range rep.Runs {
		if run.Status != report.Fail {
			continue
		}
		line("", "FAIL run "+run.Module+"/"+run.Transport+": "+run.Diagnosis)
		for _, c := range run.Causes {
			line("  ", "cause "+c.Code+" ("+string(c.Status)+"): "+c.Text)
		}
		for _, c := range run.Cases {
			if c.Status != report.Fail {
				continue
			}
			line("  ", "FAIL case "+c.ID)
			for _, st := range c.Steps {
				for _, ch := range st.Checks {
					if ch.Status == report.Fail {
						line("    ", ch.Name+": "+ch.Message)
					}
				}
				if st.Observation.Error != "" {
					line("    ", "error: "+st.Observation.Error)
				}
			}
		}
	}
	if b.Len() == 0 {
		return "(no failed run in the report)"
	}
	return b.String()
}

func tlsConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{cert}}
}

// parseArgs runs the command newCmd builds on args and returns the options
// its runF received: the argv → options layer of a command, without running it.
func parseArgs[O any](t *testing.T, args string, newCmd func(*Factory, func(context.Context, *O) error) *cobra.Command) (*O, error) {
	t.Helper()
	ios, _, _, _ := iostreams.Test()
	var got *O
	cmd := newCmd(&Factory{IO: ios, Now: time.Now}, func(_ context.Context, o *O) error {
		got = o
		return nil
	})
	cmd.SetArgs(strings.Fields(args))
	cmd.SetOut(ios.Out)
	cmd.SetErr(ios.ErrOut)
	return got, cmd.Execute()
}
