package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	authpb "github.com/go-gost/plugin/auth/proto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"

	"github.com/plugincheck/plugincheck/internal/iostreams"
	"github.com/plugincheck/plugincheck/internal/load"
	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/suites"
)

func TestNewCmdLoad(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    string
		want    func(*LoadOptions)
		wantErr string
	}{
		{
			name: "defaults",
			args: "auth --addr 127.0.0.1:8000",
			want: func(o *LoadOptions) {
				assert.Equal(t, "auth", string(o.Module))
				assert.Equal(t, load.DefaultConcurrency, o.Concurrency)
				assert.False(t, o.AutoConcurrency)
				assert.Equal(t, 10*time.Second, o.Duration)
				assert.Zero(t, o.Rate)
				assert.True(t, o.Builtin)
				assert.Equal(t, "auto", o.Progress)
				assert.Equal(t, []string{"text"}, o.Out.Outputs)
			},
		},
		{
			name: "everything",
			args: "bypass --addr http://p/bypass --token t --rate 500 -c 32 -d 1m --warmup 5s --connections 4 --fixtures f.yaml --builtin=false " +
				"--run a --skip b --max-p99 20ms --max-error-rate 1% --min-rps 400 -o json=r.json --hdr-log r.hlog --progress line",
			want: func(o *LoadOptions) {
				assert.Equal(t, "bypass", string(o.Module))
				assert.Equal(t, "http://p/bypass", o.Conn.Addr)
				assert.Equal(t, "t", o.Conn.Token)
				assert.Equal(t, 500.0, o.Rate)
				assert.Equal(t, 32, o.Concurrency)
				assert.False(t, o.AutoConcurrency, "an explicit -c is a hard cap")
				assert.Equal(t, time.Minute, o.Duration)
				assert.Equal(t, 5*time.Second, o.Warmup)
				assert.Equal(t, 4, o.Connections)
				assert.Equal(t, []string{"f.yaml"}, o.Fixtures)
				assert.False(t, o.Builtin)
				assert.Equal(t, GateOptions{MaxP99: 20 * time.Millisecond, MaxErrorRate: "1%", MinRPS: 400}, o.Gate)
				assert.Equal(t, LoadOutputs{Outputs: []string{"json=r.json"}, HDRLog: "r.hlog"}, o.Out)
				assert.Equal(t, "line", o.Progress)
			},
		},
		{
			name: "open loop without -c grows its cap",
			args: "auth --addr a:1 --rate 2000",
			want: func(o *LoadOptions) {
				assert.True(t, o.AutoConcurrency)
				assert.Equal(t, load.DefaultConcurrency, o.Concurrency)
			},
		},
		{
			name: "closed loop has no growing cap",
			args: "auth --addr a:1 -c 8",
			want: func(o *LoadOptions) { assert.False(t, o.AutoConcurrency) },
		},
		{
			name: "requests alone bound the run",
			args: "auth --addr a:1 -n 1000",
			want: func(o *LoadOptions) {
				assert.EqualValues(t, 1000, o.Requests)
				assert.Zero(t, o.Duration)
			},
		},
		{name: "unknown module", args: "nope --addr a:1", wantErr: `unknown module "nope"`},
		{name: "no module", args: "--addr a:1", wantErr: "load needs a module, e.g. load auth --addr 127.0.0.1:8000; modules: admission, auth,"},
		{name: "bad concurrency", args: "auth --addr a:1 -c 0", wantErr: "--concurrency must be at least 1"},
		{name: "negative rate", args: "auth --addr a:1 --rate -1", wantErr: "--rate must not be negative"},
		{name: "unbounded", args: "auth --addr a:1 -d 0", wantErr: "--duration 0 needs --requests"},
		{name: "requests 0 alone", args: "auth --addr a:1 -n 0", wantErr: "--requests 0: want at least 1"},
		{name: "requests 0 with a duration", args: "auth --addr a:1 -n 0 -d 5s", wantErr: "--requests 0: want at least 1"},
		{name: "duration 0 and requests 0", args: "auth --addr a:1 -n 0 -d 0", wantErr: "--requests 0"},
		{name: "bad error rate", args: "auth --addr a:1 --max-error-rate 120%", wantErr: "--max-error-rate"},
		{name: "bad progress", args: "auth --addr a:1 --progress loud", wantErr: `--progress "loud"`},
		{name: "junit is not a load format", args: "auth --addr a:1 -o junit", wantErr: `--output "junit"`},
		{name: "bad pattern", args: "auth --addr a:1 --run [x", wantErr: `pattern "[x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseArgs(t, tt.args, newCmdLoad)
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

func TestGateOptionsErrorRate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    float64
		wantErr bool
	}{
		{in: "0", want: 0},
		{in: "0.01", want: 0.01},
		{in: "1%", want: 0.01},
		{in: "100%", want: 1},
		{in: "1.5", wantErr: true},
		{in: "-1", wantErr: true},
		{in: "x%", wantErr: true},
	}
	for _, tt := range tests {
		th, err := (&GateOptions{MaxErrorRate: tt.in}).thresholds()
		if tt.wantErr {
			assert.Error(t, err, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		assert.InDelta(t, tt.want, *th.MaxErrorRate, 1e-12, tt.in)
	}
}

// authPlugin is an in-process gRPC auth plugin on 127.0.0.1 whose handler
// the test supplies.
type authPlugin struct {
	authpb.UnimplementedAuthenticatorServer
	calls  atomic.Int64
	handle func(ctx context.Context, n int64, req *authpb.AuthenticateRequest) (*authpb.AuthenticateReply, error)
}

func (p *authPlugin) Authenticate(ctx context.Context, req *authpb.AuthenticateRequest) (*authpb.AuthenticateReply, error) {
	return p.handle(ctx, p.calls.Add(1), req)
}

func startAuthPlugin(t *testing.T, handle func(ctx context.Context, n int64, req *authpb.AuthenticateRequest) (*authpb.AuthenticateReply, error)) (*authPlugin, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &authPlugin{handle: handle}
	srv := grpc.NewServer()
	authpb.RegisterAuthenticatorServer(srv, p)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		srv.Stop()
		<-done
	})
	return p, ln.Addr().String()
}

// oneCase is a fixture with one auth case, so that tests control the mix.
const oneCase = `name: One
module: auth
cases:
  - {name: gost, request: {username: gost, password: gost, client: "127.0.0.1:1"}}
`

// runLoad runs plugincheck with args plus a JSON result file and returns
// the exit code, standard error and the result.
func runLoad(t *testing.T, ctx context.Context, args ...string) (ExitCode, string, *load.Result) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "result.json")
	ios, _, _, errOut := iostreams.Test()
	code := Main(ctx, append(args, "-o", "json="+out), ios)
	data, err := os.ReadFile(out)
	if err != nil {
		return code, errOut.String(), nil
	}
	var res load.Result
	require.NoError(t, json.Unmarshal(data, &res))
	return code, errOut.String(), &res
}

func TestLoadGateExitCodes(t *testing.T) {
	t.Parallel()
	srv := refServer(t, "", nil)
	tests := []struct {
		name       string
		args       []string
		want       ExitCode
		wantStderr string
		wantGates  []string
	}{
		{name: "no gate", want: ExitOK},
		{name: "gates pass", args: []string{"--max-p99", "10s", "--max-error-rate", "0", "--min-rps", "1"}, want: ExitOK, wantGates: []string{}},
		{name: "p99 breached", args: []string{"--max-p99", "1ns"}, want: ExitThreshold, wantStderr: "threshold breached: p99", wantGates: []string{"max-p99"}},
		{name: "rate breached", args: []string{"--min-rps", "1e12"}, want: ExitThreshold, wantStderr: "(--min-rps)", wantGates: []string{"min-rps"}},
		{name: "two breached", args: []string{"--max-p99", "1ns", "--min-rps", "1e12", "--max-error-rate", "1%"}, want: ExitThreshold, wantStderr: "(--max-p99); achieved", wantGates: []string{"max-p99", "min-rps"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"load", "auth", "--addr", srv.GRPCAddr(), "-n", "200", "-c", "4"}, tt.args...)
			code, stderr, res := runLoad(t, t.Context(), args...)
			require.Equal(t, tt.want, code, stderr)
			require.NotNil(t, res)
			assert.EqualValues(t, 200, res.Requests)
			assert.Zero(t, res.Errors)
			assert.Zero(t, res.Failures, "GOST-level failures: %v", res.FailuresBy)
			if tt.wantStderr != "" {
				assert.Contains(t, stderr, tt.wantStderr)
			} else {
				assert.Empty(t, stderr)
			}
			if tt.wantGates != nil {
				var breached []string
				for _, g := range res.Gates {
					if g.Breached {
						breached = append(breached, g.Name)
					}
				}
				assert.ElementsMatch(t, tt.wantGates, breached)
			}
		})
	}
}

func TestLoadLetsCallsInFlightFinish(t *testing.T) {
	t.Parallel()
	// Every call takes 100 ms, so the run ends with all 8 callers waiting
	// on the plugin. ghz cuts such calls off and reports Unavailable.
	p, addr := startAuthPlugin(t, func(context.Context, int64, *authpb.AuthenticateRequest) (*authpb.AuthenticateReply, error) {
		time.Sleep(100 * time.Millisecond)
		return &authpb.AuthenticateReply{Ok: true, Id: "gost"}, nil
	})
	fx := writeFixture(t, "one.yaml", oneCase)
	// The window is long against one call: a run whose callers start only
	// after its deadline (a loaded machine can delay them by hundreds of
	// milliseconds) rightly makes no call, and proves nothing here.
	code, stderr, res := runLoad(t, t.Context(), "load", "auth", "--addr", addr, "--fixtures", fx, "--builtin=false",
		"-c", "8", "-d", "2s")
	require.Equal(t, ExitOK, code, stderr)
	assert.Zero(t, res.Errors, "errors: %v", res.ErrorsBy)
	assert.Zero(t, res.Abandoned)
	// The plugin saw the baseline call and every measured call: none was
	// lost or cut off.
	assert.Equal(t, p.calls.Load(), res.Requests+1)
	// How many rounds fit in 2 s depends on the machine's load; that
	// calls were made and none was lost is what this test is about.
	assert.Positive(t, res.Requests)
}

func TestLoadInterruptedCountsNoErrors(t *testing.T) {
	t.Parallel()
	inFlight := make(chan struct{}, 64)
	// After the baseline call and 20 measured calls, calls hang until the
	// client goes away.
	p, addr := startAuthPlugin(t, func(ctx context.Context, n int64, _ *authpb.AuthenticateRequest) (*authpb.AuthenticateReply, error) {
		if n > 21 {
			inFlight <- struct{}{}
			<-ctx.Done()
			return nil, ctx.Err()
		}
		return &authpb.AuthenticateReply{Ok: true, Id: "gost"}, nil
	})
	fx := writeFixture(t, "one.yaml", oneCase)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		for range 4 {
			select {
			case <-inFlight:
			case <-ctx.Done():
				return
			}
		}
		cancel() // as Ctrl-C does through signal.NotifyContext
	}()
	code, stderr, res := runLoad(t, ctx, "load", "auth", "--addr", addr, "--fixtures", fx, "--builtin=false", "-c", "4", "-d", "1m")
	require.Equal(t, ExitInterrupted, code, stderr)
	assert.True(t, strings.HasSuffix(stderr, "plugincheck: interrupted\n"), "stderr %q", stderr)
	require.NotNil(t, res, "a partial result is written")
	assert.EqualValues(t, 20, res.Requests)
	assert.Zero(t, res.Errors, "errors: %v", res.ErrorsBy)
	assert.EqualValues(t, 4, res.Abandoned)
	assert.Equal(t, load.ReasonCancel, res.Stop)
	assert.Equal(t, p.calls.Load(), res.Requests+res.Abandoned+1)
}

func TestLoadVerdictChangeFails(t *testing.T) {
	t.Parallel()
	// The plugin accepts gost until its 30th call, then denies it.
	_, addr := startAuthPlugin(t, func(_ context.Context, n int64, _ *authpb.AuthenticateRequest) (*authpb.AuthenticateReply, error) {
		return &authpb.AuthenticateReply{Ok: n < 30, Id: "gost"}, nil
	})
	fx := writeFixture(t, "one.yaml", oneCase)
	ios, _, out, errOut := iostreams.Test()
	code := Main(t.Context(), []string{"load", "auth", "--addr", addr, "--fixtures", fx, "--builtin=false", "-n", "100", "-c", "2"}, ios)
	assert.Equal(t, ExitFailed, code, errOut.String())
	assert.Contains(t, out.String(), "verdict changes under load: 1 case FAILED")
	assert.Contains(t, out.String(), `FAIL one/grpc/gost: 72 of 100 calls changed verdict from {"id":"gost","ok":true} to {"id":"gost","ok":false} (×72)`)
}

func TestLoadAllCallsFailedIsNotSuccess(t *testing.T) {
	t.Parallel()
	// Answers the baseline, then fails every call: ghz would exit 0.
	_, addr := startAuthPlugin(t, func(_ context.Context, n int64, _ *authpb.AuthenticateRequest) (*authpb.AuthenticateReply, error) {
		if n == 1 {
			return &authpb.AuthenticateReply{Ok: true}, nil
		}
		return nil, context.DeadlineExceeded
	})
	fx := writeFixture(t, "one.yaml", oneCase)
	code, stderr, res := runLoad(t, t.Context(), "load", "auth", "--addr", addr, "--fixtures", fx, "--builtin=false", "-n", "50")
	assert.Equal(t, ExitFailed, code, stderr)
	// The plugin answered each call, with a status GOST treats as failed.
	assert.Zero(t, res.Errors)
	assert.EqualValues(t, 50, res.Failures)
	assert.Equal(t, load.KindCounts{"grpc DeadlineExceeded": 50}, res.FailuresBy)
	assert.Contains(t, res.FailureTexts["grpc DeadlineExceeded"], "GOST denies the client")
	assert.Contains(t, res.Notes, "every measured call failed")
}

func TestLoadUnreachable(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	code, _, stderr := runMain(t, "load", "auth", "--addr", addr, "-n", "10", "--call-timeout", "2s")
	assert.Equal(t, ExitUnreachable, code)
	assert.Contains(t, stderr, "plugin unreachable")
}

func TestLoadHTTPWeightedMix(t *testing.T) {
	t.Parallel()
	srv := refServer(t, "tok", nil)
	fx := writeFixture(t, "mix.yaml", `name: Mix
module: auth
cases:
  - {name: accepts-gost, weight: 3, request: {username: gost, password: gost}}
  - {name: rejects-nobody, request: {username: nobody, password: x}}
  - {name: not-under-load, weight: 0, request: {username: alice, password: wonderland}}
`)
	code, stderr, res := runLoad(t, t.Context(), "load", "auth", "--addr", srv.HTTPURL("auth"), "--token", "tok",
		"--fixtures", fx, "--builtin=false", "-n", "400", "-c", "4", "--max-error-rate", "0")
	require.Equal(t, ExitOK, code, stderr)
	assert.Equal(t, "http", res.Transport)
	assert.Equal(t, 4, res.Connections, "the keep-alive pool defaults to --concurrency")
	require.Len(t, res.Mix, 2)
	assert.Equal(t, "mix/http/accepts-gost", res.Mix[0].ID)
	assert.InDelta(t, 300, res.Cases[0].Calls, 2)
	assert.InDelta(t, 100, res.Cases[1].Calls, 2)
	assert.Equal(t, load.VerdictCounts{`{"id":"gost","ok":true}`: res.Cases[0].Calls, `{"id":"","ok":false}`: res.Cases[1].Calls}, res.Verdicts)
}

func TestLoadOutputs(t *testing.T) {
	t.Parallel()
	srv := refServer(t, "", nil)
	dir := t.TempDir()
	hlog := filepath.Join(dir, "run.hlog")
	ios, _, out, errOut := iostreams.Test()
	ios.SetStderrTTY(true)
	code := Main(t.Context(), []string{"load", "auth", "--addr", srv.GRPCAddr(), "--rate", "500", "-n", "100", "--hdr-log", hlog}, ios)
	require.Equal(t, ExitOK, code, errOut.String())
	assert.Contains(t, out.String(), "latency       corrected  uncorrected")
	assert.Contains(t, out.String(), "rate ")
	assert.Contains(t, errOut.String(), "\r\033[K", "live progress on a terminal")
	data, err := os.ReadFile(hlog)
	require.NoError(t, err)
	assert.Contains(t, string(data), "Tag=corrected,")

	// Piped: no progress at all.
	ios, _, _, errOut = iostreams.Test()
	code = Main(t.Context(), []string{"load", "auth", "--addr", srv.GRPCAddr(), "-n", "50"}, ios)
	require.Equal(t, ExitOK, code)
	assert.Empty(t, errOut.String())
}

func TestMerge(t *testing.T) {
	t.Parallel()
	srv := refServer(t, "", nil)
	dir := t.TempDir()
	var files, logs []string
	var want int64
	for i := range 2 {
		f := filepath.Join(dir, "m"+string(rune('a'+i))+".json")
		l := filepath.Join(dir, "m"+string(rune('a'+i))+".hlog")
		code, _, stderr := runMain(t, "load", "auth", "--addr", srv.GRPCAddr(), "--rate", "1000", "-n", "150", "-o", "json="+f, "--hdr-log", l)
		require.Equal(t, ExitOK, code, stderr)
		files, logs = append(files, f), append(logs, l)
		want += 150
	}
	merged := filepath.Join(dir, "merged.json")
	// The runs were made one after the other.
	code, _, stderr := runMain(t, append([]string{"merge"}, files...)...)
	require.Equal(t, ExitUsage, code, stderr)
	assert.Contains(t, stderr, "measured windows do not overlap")
	code, out, stderr := runMain(t, append([]string{"merge", "--allow-gaps", "-o", "text", "-o", "json=" + merged}, files...)...)
	require.Equal(t, ExitOK, code, stderr)
	assert.Contains(t, out, "(2 machines merged)")
	assert.Contains(t, out, "open loop at 2000 rps")
	var res load.Result
	data, err := os.ReadFile(merged)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &res))
	assert.Equal(t, want, res.Requests)
	assert.Equal(t, 2, res.Machines)

	code, _, stderr = runMain(t, append([]string{"merge", "--allow-gaps", "--min-rps", "1e12"}, files...)...)
	assert.Equal(t, ExitThreshold, code)
	assert.Contains(t, stderr, "(--min-rps)")

	code, out, _ = runMain(t, append([]string{"merge"}, logs...)...)
	assert.Equal(t, ExitOK, code)
	assert.Contains(t, out, "2 HDR histogram logs merged")
	assert.Contains(t, out, "calls        300")

	code, _, stderr = runMain(t, "merge", files[0], logs[0])
	assert.Equal(t, ExitUsage, code)
	assert.Contains(t, stderr, "not both")

	code, _, _ = runMain(t, "merge", filepath.Join(dir, "missing.json"))
	assert.Equal(t, ExitUsage, code)
}

// startHTTPPlugin serves reply to every call on 127.0.0.1 and counts calls.
func startHTTPPlugin(t *testing.T, reply string) (url string, calls *atomic.Int64) {
	t.Helper()
	calls = new(atomic.Int64)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, reply)
	}))
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL, calls
}

// TestLoadCountsGOSTLevelFailures runs the load command against real
// loopback HTTP plugins whose replies GOST treats as failed, or not.
func TestLoadCountsGOSTLevelFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		module    string
		path      string
		reply     string
		gate      bool
		want      ExitCode
		wantKind  string // the GOST-level failure every call has; "" for none
		wantText  string
		wantInErr string
	}{
		{
			name: "observer without ok fails the gate", module: "observer", path: "/observe", reply: `{"success":true}`, gate: true,
			want: ExitThreshold, wantKind: "not-delivered",
			wantText:  "observer reply without ok:true: GOST treats the report as failed",
			wantInErr: "threshold breached: error rate 100% > 0% (--max-error-rate): 100% GOST-level failures, all not-delivered — observer reply without ok:true",
		},
		{
			name: "observer without ok and no gate: every call failed", module: "observer", path: "/observe", reply: `{"success":true}`,
			want: ExitFailed, wantKind: "not-delivered", wantText: "GOST treats the report as failed",
		},
		{name: "healthy observer", module: "observer", path: "/observe", reply: `{"ok":true}`, gate: true, want: ExitOK},
		{name: "auth denying everyone is answering", module: "auth", path: "/auth", reply: `{"ok":false}`, gate: true, want: ExitOK},
		{name: "recorder without ok", module: "recorder", path: "/record", reply: `{}`, gate: true, want: ExitThreshold,
			wantKind: "not-delivered", wantText: "recorder reply without ok:true", wantInErr: "GOST-level failures, all not-delivered — recorder reply"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			base, calls := startHTTPPlugin(t, tt.reply)
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			args := []string{"load", tt.module, "--addr", base + tt.path, "-n", "40", "-c", "2"}
			if tt.gate {
				args = append(args, "--max-error-rate", "0")
			}
			textFile := filepath.Join(t.TempDir(), "result.txt")
			code, stderr, res := runLoad(t, ctx, append(args, "-o", "text="+textFile)...)
			require.Equal(t, tt.want, code, stderr)
			require.NotNil(t, res)
			text, err := os.ReadFile(textFile)
			require.NoError(t, err)
			assert.EqualValues(t, 40, res.Requests)
			assert.Zero(t, res.Errors, "transport errors: %v", res.ErrorsBy)
			assert.GreaterOrEqual(t, calls.Load(), res.Requests, "the plugin saw every measured call")
			if tt.wantKind == "" {
				assert.Zero(t, res.Failures, "GOST-level failures: %v", res.FailuresBy)
				assert.Zero(t, res.FailureRate)
				assert.Contains(t, string(text), "GOST-level   0 (0.00%)")
				assert.Empty(t, stderr)
				return
			}
			assert.EqualValues(t, 40, res.Failures)
			assert.Equal(t, 1.0, res.FailureRate)
			assert.Equal(t, load.KindCounts{tt.wantKind: 40}, res.FailuresBy)
			assert.Contains(t, res.FailureTexts[tt.wantKind], tt.wantText)
			assert.Contains(t, string(text), "GOST-level failures: 100% "+tt.wantKind+" (×40) — ")
			assert.Contains(t, string(text), tt.wantText)
			if tt.gate {
				require.Len(t, res.Gates, 1)
				g := res.Gates[0]
				assert.True(t, g.Breached)
				assert.Equal(t, 1.0, g.Actual, "GOST-level failures count in --max-error-rate")
				assert.Contains(t, g.Cause, tt.wantKind)
				assert.Contains(t, string(text), "FAIL error rate 100% > 0% (--max-error-rate): 100% GOST-level failures")
				assert.Contains(t, stderr, tt.wantInErr)
			}
		})
	}
}

// TestLoadReferencePluginsHaveNoGOSTLevelFailures guards against false
// failures: the reference plugins answer every built-in case as GOST
// expects, so --max-error-rate 0 passes for every module and transport.
func TestLoadReferencePluginsHaveNoGOSTLevelFailures(t *testing.T) {
	t.Parallel()
	for _, m := range mockclient.Modules() {
		for _, tr := range []mockclient.Transport{mockclient.GRPC, mockclient.HTTP} {
			t.Run(string(m)+"/"+string(tr), func(t *testing.T) {
				t.Parallel()
				// Reference plugins of its own: the sd and ingress plugins
				// keep state, which parallel subtests must not share.
				srv := refServer(t, "", nil)
				addr := srv.GRPCAddr()
				if tr == mockclient.HTTP {
					addr = srv.HTTPURL(string(m))
				}
				code, stderr, res := runLoad(t, t.Context(), "load", string(m), "--addr", addr, "--transport", string(tr),
					"-n", "60", "-c", "2", "--max-error-rate", "0")
				require.NotNil(t, res, stderr)
				assert.Equal(t, ExitOK, code, stderr)
				assert.Zero(t, res.Errors, "transport errors: %v", res.ErrorsBy)
				assert.Zero(t, res.Failures, "GOST-level failures: %v %v", res.FailuresBy, res.FailureTexts)
			})
		}
	}
}

// TestLoadBadInputExitsUsage runs inputs that crashed or hung the load
// command through Main: each now ends with exit 2 and one line on standard
// error, before any load.
func TestLoadBadInputExitsUsage(t *testing.T) {
	t.Parallel()
	srv := refServer(t, "", nil)
	huge := writeFixture(t, "huge.yaml", `name: Huge
module: auth
cases:
  - {name: a, weight: 1e308, request: {username: gost, password: gost}}
  - {name: b, weight: 1e308, request: {username: nobody, password: x}}
`)
	multi := writeFixture(t, "multi.yaml", oneCase+"---\n"+strings.Replace(oneCase, "One", "Two", 1))
	big := writeFixture(t, "big.yaml", oneCase+strings.Repeat("#", suites.MaxFixtureSize)+"\n")
	tests := []struct {
		name       string
		args       []string
		wantStderr string
	}{
		{
			// Its second suite used to be ignored silently.
			name:       "two YAML documents",
			args:       []string{"--fixtures", multi, "--builtin=false", "-n", "10"},
			wantStderr: multi + ":5: a second YAML document (after ---)",
		},
		{
			// A 100 MB fixture used to take 1.6 GB.
			name:       "fixture over the size cap",
			args:       []string{"--fixtures", big, "--builtin=false", "-n", "10"},
			wantStderr: big + ": fixture file too large:",
		},
		{
			// Used to panic with index out of range in the mix.
			name:       "weights adding up to infinity",
			args:       []string{"--fixtures", huge, "--builtin=false", "-n", "10"},
			wantStderr: huge + ":5: cases[1].weight: weights add up to infinity",
		},
		{
			// Used to run forever: -n alone cleared the duration after the
			// bound check.
			name:       "requests 0",
			args:       []string{"-n", "0"},
			wantStderr: "--requests 0: want at least 1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			ios, _, out, errOut := iostreams.Test()
			code := Main(ctx, append([]string{"load", "auth", "--addr", srv.GRPCAddr()}, tt.args...), ios)
			require.NoError(t, ctx.Err(), "the command must end by itself")
			assert.Equal(t, ExitUsage, code, errOut.String())
			assert.Empty(t, out.String())
			stderr := errOut.String()
			assert.Contains(t, stderr, tt.wantStderr)
			assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
			assert.NotContains(t, stderr, "goroutine")
			assert.NotContains(t, stderr, "panic")
		})
	}
}

// manyCases is a fixture of n auth cases.
func manyCases(n int) string {
	var b strings.Builder
	b.WriteString("name: Many\nmodule: auth\ncases:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - {name: c%d, request: {username: u%d, password: x}}\n", i, i)
	}
	return b.String()
}

// TestLoadBaselineInterrupted interrupts the pass that takes every case's
// verdict before the load, as Ctrl-C does: the partial result is written
// and the run exits 130. It used to write nothing and print only "context
// canceled".
func TestLoadBaselineInterrupted(t *testing.T) {
	t.Parallel()
	blocked := make(chan struct{}, 1)
	// The plugin answers the first baseline call and blocks on the second
	// until the client goes away.
	_, addr := startAuthPlugin(t, func(ctx context.Context, n int64, _ *authpb.AuthenticateRequest) (*authpb.AuthenticateReply, error) {
		if n == 1 {
			return &authpb.AuthenticateReply{Ok: true, Id: "u0"}, nil
		}
		select {
		case blocked <- struct{}{}:
		default:
		}
		<-ctx.Done()
		return nil, ctx.Err()
	})
	fx := writeFixture(t, "many.yaml", manyCases(3))
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		select {
		case <-blocked:
			cancel() // as Ctrl-C does through signal.NotifyContext
		case <-ctx.Done():
		}
	}()
	out := filepath.Join(t.TempDir(), "result.json")
	ios, _, _, errOut := iostreams.Test()
	ios.SetStderrTTY(true)
	code := Main(ctx, []string{"load", "auth", "--addr", addr, "--fixtures", fx, "--builtin=false",
		"-d", "1m", "--call-timeout", "1m", "-o", "json=" + out}, ios)
	stderr := errOut.String()
	require.Equal(t, ExitInterrupted, code, stderr)
	assert.Contains(t, stderr, "baseline  1 of 3 cases", "progress on a terminal")
	// The live line is cleared, then the error follows on a line of its own.
	last := stderr[strings.LastIndex(stderr, "\r\033[K")+len("\r\033[K"):]
	assert.Equal(t, "plugincheck: interrupted during the baseline pass, after 1 of 3 cases; the partial result was written (context canceled)\n", last)

	data, err := os.ReadFile(out)
	require.NoError(t, err, "a partial result is written")
	var res load.Result
	require.NoError(t, json.Unmarshal(data, &res))
	assert.Zero(t, res.Requests)
	assert.Equal(t, load.ReasonCancel, res.Stop)
	require.Len(t, res.Mix, 3)
	assert.Equal(t, `{"id":"u0","ok":true}`, res.Mix[0].Baseline)
	assert.Empty(t, res.Mix[1].Baseline, "the call cut short by the interrupt is not the plugin's verdict")
	assert.Empty(t, res.Mix[2].Baseline)
	assert.Contains(t, res.Notes, "interrupted during the baseline pass (one call per case, before the load), after 1 of 3 cases: no call was measured")
}

// TestLoadBaselineBounded runs the load against plugins that stop
// answering: the baseline pass stops starting calls once the run's duration
// has passed, instead of waiting one --call-timeout per case (against a
// plugin that never answered, `load -d 3s` was silent for 90 s).
func TestLoadBaselineBounded(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		answered int64 // baseline calls the plugin answers before it hangs
		want     ExitCode
		wantErr  string
		wantNote string
	}{
		{name: "never answers", answered: 0, want: ExitUnreachable, wantErr: "plugin unreachable"},
		{name: "hangs after one call", answered: 1, want: ExitFailed,
			wantNote: "the baseline pass reached its time limit (1s) after 2 of 50 cases"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, addr := startAuthPlugin(t, func(ctx context.Context, n int64, _ *authpb.AuthenticateRequest) (*authpb.AuthenticateReply, error) {
				if n <= tt.answered {
					return &authpb.AuthenticateReply{Ok: true}, nil
				}
				<-ctx.Done()
				return nil, ctx.Err()
			})
			fx := writeFixture(t, "many.yaml", manyCases(50))
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			out := filepath.Join(t.TempDir(), "result.json")
			ios, _, _, errOut := iostreams.Test()
			code := Main(ctx, []string{"load", "auth", "--addr", addr, "--fixtures", fx, "--builtin=false",
				"-d", "1s", "--call-timeout", "1s", "-c", "1", "-o", "json=" + out}, ios)
			require.NoError(t, ctx.Err())
			stderr := errOut.String()
			require.Equal(t, tt.want, code, stderr)
			if tt.wantErr != "" {
				assert.Contains(t, stderr, tt.wantErr)
				assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
				// One call per case would be 50 calls, one call timeout each.
				assert.LessOrEqual(t, p.calls.Load(), int64(2), "baseline calls made")
				return
			}
			data, err := os.ReadFile(out)
			require.NoError(t, err)
			var res load.Result
			require.NoError(t, json.Unmarshal(data, &res))
			found := false
			for _, n := range res.Notes {
				found = found || strings.HasPrefix(n, tt.wantNote)
			}
			assert.True(t, found, "notes %q; want one starting %q", res.Notes, tt.wantNote)
			assert.Equal(t, `{"id":"","ok":true}`, res.Mix[0].Baseline)
			assert.Empty(t, res.Mix[2].Baseline)
		})
	}
}

// writeResult writes a load result of calls calls at 1 ms, measured from
// start for d, as `load -o json=FILE` does, and returns its path.
func writeResult(t *testing.T, dir, name string, start time.Time, d time.Duration, calls int64) string {
	t.Helper()
	m := load.NewMetrics()
	for range calls {
		require.NoError(t, m.Corrected.RecordValue(int64(time.Millisecond)))
		require.NoError(t, m.Uncorrected.RecordValue(int64(time.Millisecond)))
	}
	m.Requests = calls
	m.MeasureStart, m.MeasureEnd = start, start.Add(d)
	m.Stop = load.ReasonDuration
	res, err := load.NewResult(load.Info{Module: "auth", Transport: "grpc", Target: "127.0.0.1:8000", Mode: "closed", Concurrency: 4, Connections: 1}, m)
	require.NoError(t, err)
	f, err := os.Create(filepath.Join(dir, name))
	require.NoError(t, err)
	defer f.Close()
	require.NoError(t, load.WriteJSON(f, res))
	return f.Name()
}

func TestMergeWindows(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	t0 := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	a := writeResult(t, dir, "a.json", t0, 10*time.Second, 1000)
	b := writeResult(t, dir, "b.json", t0.Add(time.Second), 10*time.Second, 1000)
	late := writeResult(t, dir, "late.json", t0.Add(8*time.Minute+21*time.Second), 10*time.Second, 1000)

	tests := []struct {
		name       string
		args       []string
		want       ExitCode
		wantStderr string
		wantRPS    float64
	}{
		{name: "overlapping", args: []string{a, b}, want: ExitOK, wantRPS: 2000.0 / 11},
		{
			// Used to report 267 rps over 8m31s as if both runs were one.
			name: "eight minutes apart", args: []string{a, late}, want: ExitUsage,
			wantStderr: "plugincheck: measured windows do not overlap: " + late + " started 8m11s after " + a + " ended",
		},
		{name: "gaps allowed", args: []string{"--allow-gaps", a, late}, want: ExitOK, wantRPS: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "merged.json")
			code, _, stderr := runMain(t, append([]string{"merge", "-o", "json=" + out}, tt.args...)...)
			require.Equal(t, tt.want, code, stderr)
			if tt.want != ExitOK {
				assert.True(t, strings.HasPrefix(stderr, tt.wantStderr), "stderr %q; want it to start %q", stderr, tt.wantStderr)
				assert.Contains(t, stderr, "(--allow-gaps rates each run over its own window)")
				assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
				assert.NoFileExists(t, out)
				return
			}
			data, err := os.ReadFile(out)
			require.NoError(t, err)
			var res load.Result
			require.NoError(t, json.Unmarshal(data, &res))
			assert.EqualValues(t, 2000, res.Requests)
			assert.InDelta(t, tt.wantRPS, res.AchievedRPS, 1e-6)
		})
	}
}

// TestMergeNotALoadResult gives merge files that are not load results:
// each gets one line naming the file and what is wrong, and exit 2 (it
// used to be a raw Go unmarshal error).
func TestMergeNotALoadResult(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := writeResult(t, dir, "good.json", time.Now(), 10*time.Second, 100)
	goodData, err := os.ReadFile(good)
	require.NoError(t, err)
	var damaged map[string]any
	require.NoError(t, json.Unmarshal(goodData, &damaged))
	damaged["histograms"] = map[string]any{"corrected": "not base64!", "uncorrected": ""}
	damagedData, err := json.Marshal(damaged)
	require.NoError(t, err)
	damaged["histograms"] = nil
	damaged["requests"] = "many"
	wrongType, err := json.Marshal(damaged)
	require.NoError(t, err)

	tests := []struct {
		name string
		data string
		want string
	}{
		{name: "module report", data: `{"schema": "plugincheck.report/v1", "tool": "plugincheck", "target": {"addr": "x"}, "suites": []}`,
			want: "a module report (schema plugincheck.report/v1), not a load result: merge takes the JSON written by `plugincheck load -o json=FILE`"},
		{name: "other JSON", data: `{"hello": "world"}`, want: `not a plugincheck load result: no "schema" field (want "plugincheck.load/v1"`},
		{name: "schema not a string", data: `{"schema": 3}`, want: "not a plugincheck load result: field schema holds a JSON number, not the string it should be"},
		{name: "other schema", data: `{"schema": "plugincheck-load/9"}`, want: `not a load result this plugincheck reads: schema "plugincheck-load/9" (want "plugincheck.load/v1")`},
		{name: "older plugincheck", data: `{"schema": "plugincheck-load/1", "tool": "plugincheck v0.1.0", "verdicts": {"{\"ok\":true}": 3}}`,
			want: `a load result of an older plugincheck (schema "plugincheck-load/1", want "plugincheck.load/v1"): its verdict and error counts have another shape; run the load again with this plugincheck`},
		{name: "broken JSON", data: `{"schema": "plugincheck.load/v1", `, want: "not a load result: invalid JSON at byte"},
		{name: "wrong field type", data: string(wrongType), want: "damaged load result: field requests holds a JSON string, not the number it should be"},
		{name: "damaged histogram", data: string(damagedData), want: "damaged load result: decode histogram"},
		{name: "garbage", data: "\x00\x01garbage\xff" + strings.Repeat("x", 10000), want: "neither a JSON load result (-o json=FILE) nor an HDR histogram log (--hdr-log)"},
		{name: "empty", data: "", want: "neither a JSON load result"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := filepath.Join(t.TempDir(), "input.json")
			require.NoError(t, os.WriteFile(f, []byte(tt.data), 0o600))
			code, out, stderr := runMain(t, "merge", good, f)
			assert.Equal(t, ExitUsage, code, stderr)
			assert.Empty(t, out)
			assert.True(t, strings.HasPrefix(stderr, "plugincheck: "+f+": "+tt.want), "stderr %q; want it to start %q", stderr, f+": "+tt.want)
			assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
			assert.Less(t, len(stderr), 600, "bounded")
			assert.NotContains(t, stderr, "Go struct field")
		})
	}
}
