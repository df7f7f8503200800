package cli

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authpb "github.com/go-gost/plugin/auth/proto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMainBadInput runs every bad input of issue 9 through the real
// command tree against a plugin that counts its calls: each exits 2 with
// exactly one line on standard error, prints no report, and reaches no
// plugin.
func TestMainBadInput(t *testing.T) {
	t.Parallel()
	plugin, addr := startAuthPlugin(t, func(context.Context, int64, *authpb.AuthenticateRequest) (*authpb.AuthenticateReply, error) {
		return &authpb.AuthenticateReply{Ok: true}, nil
	})
	_, port, _ := strings.Cut(addr, ":")
	dir := t.TempDir()
	noDir := filepath.Join(dir, "no", "such", "dir")
	result := filepath.Join(dir, "result.json")
	require.NoError(t, os.WriteFile(result, []byte("{}"), 0o600))

	tests := []struct {
		name   string
		args   []string
		stderr string // the whole of standard error, without "plugincheck: " and the newline
	}{
		// addresses, for every command that takes one
		{"port only", []string{"auth", "--addr", port},
			`--addr "` + port + `": no host; write host:port, e.g. 127.0.0.1:` + port},
		{"port out of range", []string{"auth", "--addr", "127.0.0.1:99999"},
			`--addr "127.0.0.1:99999": port 99999 is out of range (1-65535); ports run from 1 to 65535`},
		{"unknown scheme", []string{"auth", "--addr", "ftp://" + addr + "/auth"},
			`--addr "ftp://` + addr + `/auth": unknown scheme "ftp"; use host:port for a gRPC plugin, or an http:// or https:// URL for an HTTP plugin`},
		{"path on grpc", []string{"auth", "--addr", addr + "/auth"},
			`--addr "` + addr + `/auth": a gRPC address has no path; write ` + addr + ` (for an HTTP plugin: http://` + addr + `/auth)`},
		{"grpc scheme", []string{"auth", "--addr", "grpc://" + addr},
			`--addr "grpc://` + addr + `": gRPC addresses have no scheme: grpc-go would resolve the whole address as a host name (too many colons); write ` + addr},
		{"bare ipv6", []string{"auth", "--addr", "::1:" + port},
			`--addr "::1:` + port + `": an IPv6 address needs brackets; write [::1]:` + port},
		{"unclosed bracket", []string{"auth", "--addr", "[::1"},
			`--addr "[::1": unclosed "["; write [::1]:PORT, e.g. [::1]:8000`},
		{"url without host", []string{"auth", "--addr", "http:///auth"},
			`--addr "http:///auth": the URL has no host; write e.g. http://127.0.0.1:8000/auth`},
		{"garbage", []string{"auth", "--addr", "garbage"},
			`--addr "garbage": no port; write garbage:PORT, e.g. 127.0.0.1:8000`},
		{"flag swallowed", []string{"auth", "--addr", "--tls"},
			`--addr "--tls": looks like a flag, not an address; --addr needs a value, e.g. --addr 127.0.0.1:8000`},
		{"tls garbage", []string{"tls", "--addr", "garbage"},
			`--addr "garbage": no port; write garbage:PORT, e.g. 127.0.0.1:8000`},
		{"tls unclosed bracket", []string{"tls", "--addr", "[::1"},
			`--addr "[::1": unclosed "["; write [::1]:PORT, e.g. [::1]:8000`},
		{"tls unknown scheme", []string{"tls", "--addr", "ftp://x/y"},
			`--addr "ftp://x/y": unknown scheme "ftp"; use host:port for a gRPC plugin, or an http:// or https:// URL for an HTTP plugin`},
		{"tls flag swallowed", []string{"tls", "--addr", "--tls"},
			`--addr "--tls": looks like a flag, not an address; --addr needs a value, e.g. --addr 127.0.0.1:8000`},
		{"load garbage", []string{"load", "auth", "--addr", "garbage", "-n", "1"},
			`--addr "garbage": no port; write garbage:PORT, e.g. 127.0.0.1:8000`},
		{"load grpc scheme", []string{"load", "auth", "--addr", "grpc://" + addr, "-n", "1"},
			`--addr "grpc://` + addr + `": gRPC addresses have no scheme: grpc-go would resolve the whole address as a host name (too many colons); write ` + addr},

		// float flags
		{"rate NaN", []string{"load", "auth", "--addr", addr, "--rate", "NaN"}, `--rate NaN: want a finite number`},
		{"rate Inf", []string{"load", "auth", "--addr", addr, "--rate", "Inf"}, `--rate +Inf: want a finite number`},
		{"rate too high", []string{"load", "auth", "--addr", addr, "--rate", "1e300"}, `--rate 1e+300: must be at most 1e+07`},
		{"min-rps NaN", []string{"load", "auth", "--addr", addr, "--min-rps", "NaN"}, `--min-rps NaN: want a finite number`},
		{"max-error-rate NaN", []string{"load", "auth", "--addr", addr, "--max-error-rate", "NaN"},
			`--max-error-rate "NaN": want a fraction between 0 and 1 or a percentage (1%)`},
		{"merge min-rps NaN", []string{"merge", result, "--min-rps", "NaN"}, `--min-rps NaN: want a finite number`},

		// durations and counts
		{"duration 1ns", []string{"load", "auth", "--addr", addr, "-d", "1ns"}, `--duration 1ns: must be at least 10ms`},
		{"duration absurd", []string{"load", "auth", "--addr", addr, "-d", "10000h"}, `--duration 10000h0m0s: must be at most 168h0m0s`},
		{"warmup negative", []string{"load", "auth", "--addr", addr, "--warmup", "-1s"}, `--warmup -1s: must not be negative`},
		{"load concurrency absurd", []string{"load", "auth", "--addr", addr, "-c", "1000000"}, `--concurrency 1000000: must be at most 100000`},
		{"connections absurd", []string{"load", "auth", "--addr", addr, "--connections", "1000000"}, `--connections 1000000: must be at most 10000`},
		{"max-p99 negative", []string{"load", "auth", "--addr", addr, "--max-p99", "-1ms"}, `--max-p99 -1ms: must not be negative`},
		{"call-timeout negative", []string{"auth", "--addr", addr, "--call-timeout", "-1s"}, `--call-timeout -1s: must not be negative`},
		{"call-timeout zero", []string{"auth", "--addr", addr, "--call-timeout", "0"}, `--call-timeout must be positive`},
		{"call-timeout absurd", []string{"auth", "--addr", addr, "--call-timeout", "1000h"}, `--call-timeout 1000h0m0s: must be at most 1h0m0s`},
		{"timeout absurd", []string{"auth", "--addr", addr, "--timeout", "1000h"}, `--timeout 1000h0m0s: must be at most 1h0m0s`},
		{"tls timeout negative", []string{"tls", "--addr", addr, "--timeout", "-1s"}, `--timeout -1s: must not be negative`},
		{"latency budget zero", []string{"auth", "--addr", addr, "--latency-budget", "0"}, `--latency-budget must be positive`},
		{"latency budget absurd", []string{"auth", "--addr", addr, "--latency-budget", "1000h"}, `--latency-budget 1000h0m0s: must be at most 1h0m0s`},

		// output paths
		{"junit to a missing dir", []string{"auth", "--addr", addr, "-o", "junit=" + noDir + "/r.xml"},
			`--output junit=` + noDir + `/r.xml: directory ` + noDir + ` does not exist`},
		{"report to a directory", []string{"auth", "--addr", addr, "-o", "json=" + dir},
			`--output json=` + dir + `: is a directory`},
		{"two outputs, one file", []string{"auth", "--addr", addr, "-o", "json=" + dir + "/r", "-o", "junit=" + dir + "/r"},
			`--output: json and junit both write ` + dir + `/r; give each its own file`},
		{"tls json to a missing dir", []string{"tls", "--addr", addr, "-o", "json=" + noDir + "/r.json"},
			`--output json=` + noDir + `/r.json: directory ` + noDir + ` does not exist`},
		{"load json to a missing dir", []string{"load", "auth", "--addr", addr, "-o", "json=" + noDir + "/r.json"},
			`--output json=` + noDir + `/r.json: directory ` + noDir + ` does not exist`},
		{"hdr log to a missing dir", []string{"load", "auth", "--addr", addr, "--hdr-log", noDir + "/r.hlog"},
			`--hdr-log ` + noDir + `/r.hlog: directory ` + noDir + ` does not exist`},
		{"merge json to a missing dir", []string{"merge", result, "-o", "json=" + noDir + "/m.json"},
			`--output json=` + noDir + `/m.json: directory ` + noDir + ` does not exist`},

		// arguments
		{"extra argument", []string{"auth", "--addr", addr, "extra"},
			`unexpected argument "extra": plugincheck auth takes only flags (see plugincheck auth --help)`},
		{"tls extra argument", []string{"tls", "--addr", addr, "extra"},
			`unexpected argument "extra": plugincheck tls takes only flags (see plugincheck tls --help)`},
		{"load without module", []string{"load", "--addr", addr},
			`plugincheck load needs a module, e.g. plugincheck load auth --addr 127.0.0.1:8000; modules: ` + moduleNames()},
		{"load with two modules", []string{"load", "auth", "bypass", "--addr", addr},
			`unexpected argument "bypass": plugincheck load takes one module (see plugincheck load --help)`},
		{"flags without a module", []string{"--addr", addr},
			`missing module or command: plugincheck <module> --addr …; modules: ` + moduleNames()},
		{"merge without files", []string{"merge"},
			`plugincheck merge needs at least one file: the JSON results (-o json=FILE) or HDR logs (--hdr-log) of load runs`},
		{"suites with two arguments", []string{"suites", "a", "b"},
			`accepts at most 1 arg(s), received 2 (see plugincheck suites --help)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runMain(t, tt.args...)
			assert.Equal(t, ExitUsage, code, "stderr: %s", stderr)
			assert.Equal(t, "plugincheck: "+tt.stderr+"\n", stderr)
			assert.Empty(t, stdout, "no report, no usage")
		})
	}
	assert.Zero(t, plugin.calls.Load(), "no bad input reaches the plugin")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "the writability checks leave no file behind")
}

func TestMainNoArgumentsShowsHelp(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runMain(t)
	assert.Equal(t, ExitOK, code)
	assert.Contains(t, stdout, "plugincheck <module> --addr <plugin>")
	assert.Empty(t, stderr)
}

// TestMainValidAddressForms runs the address forms GOST accepts end to
// end: the parser lets them through and the run reaches the plugin.
func TestMainValidAddressForms(t *testing.T) {
	t.Parallel()
	srv := refServer(t, "", nil)
	tests := []struct {
		name   string
		args   []string
		passes string // the run that passes (see assertPasses)
		stdout string
	}{
		{name: "host:port", args: []string{"auth", "--addr", srv.GRPCAddr(), "--run", "accepts-gost", "--fixtures", "../../fixtures/reference/auth.yaml"}, passes: "auth/grpc"},
		{name: "dns resolver", args: []string{"auth", "--addr", "dns:///" + srv.GRPCAddr(), "--run", "accepts-gost", "--fixtures", "../../fixtures/reference/auth.yaml"}, passes: "auth/grpc"},
		{name: "passthrough", args: []string{"auth", "--addr", "passthrough:///" + srv.GRPCAddr(), "--run", "accepts-gost", "--fixtures", "../../fixtures/reference/auth.yaml"}, passes: "auth/grpc"},
		{name: "http url with query", args: []string{"auth", "--addr", srv.HTTPURL("auth") + "?tenant=a", "--run", "accepts-gost", "--fixtures", "../../fixtures/reference/auth.yaml"}, passes: "auth/http"},
		{name: "tls audit", args: []string{"tls", "--addr", srv.GRPCAddr()}, passes: "tls/grpc"},
		{name: "load", args: []string{"load", "auth", "--addr", "dns:///" + srv.GRPCAddr(), "-n", "20", "-d", "1m"}, stdout: "calls"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runMain(t, tt.args...)
			require.Equal(t, ExitOK, code, "stderr: %s\n%s", stderr, stdout)
			if tt.passes != "" {
				assertPasses(t, stdout, tt.passes)
			}
			assert.Contains(t, stdout, tt.stdout)
		})
	}
}

func TestCheckFloat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		v       float64
		wantErr string
	}{
		{"zero", 0, ""},
		{"in range", 500, ""},
		{"NaN", math.NaN(), "--rate NaN: want a finite number"},
		{"+Inf", math.Inf(1), "--rate +Inf: want a finite number"},
		{"-Inf", math.Inf(-1), "--rate -Inf: want a finite number"},
		{"negative", -1, "--rate must not be negative"},
		{"too large", 2e7, "--rate 2e+07: must be at most 1e+07"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := checkFloat("--rate", tt.v, 0, maxRate)
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			var fe *FlagError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, tt.wantErr, err.Error())
		})
	}
}

func TestCheckDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		d       time.Duration
		zeroOK  bool
		wantErr string
	}{
		{"zero means off", 0, true, ""},
		{"zero not allowed", 0, false, "--d must be positive"},
		{"in range", time.Second, false, ""},
		{"negative", -time.Second, true, "--d -1s: must not be negative"},
		{"too short", time.Nanosecond, true, "--d 1ns: must be at least 10ms"},
		{"too long", 2 * maxRunTime, true, "--d 336h0m0s: must be at most 168h0m0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := checkDuration("--d", tt.d, minRunTime, maxRunTime, tt.zeroOK)
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, tt.wantErr, err.Error())
		})
	}
}

func TestCheckWritable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing.json")
	require.NoError(t, os.WriteFile(existing, []byte("keep"), 0o600))
	notDir := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(notDir, nil, 0o600))
	tests := []struct {
		name    string
		file    string
		wantErr string
	}{
		{"new file", filepath.Join(dir, "new.json"), ""},
		{"existing file", existing, ""},
		{"relative to the working directory", "r.json", ""},
		{"missing directory", filepath.Join(dir, "no", "r.json"), "-o: directory " + filepath.Join(dir, "no") + " does not exist"},
		{"a directory", dir, "-o: is a directory"},
		{"under a file", filepath.Join(notDir, "r.json"), "-o: " + notDir + " is not a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := checkWritable("-o", tt.file)
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, tt.wantErr, err.Error())
		})
	}
	b, err := os.ReadFile(existing)
	require.NoError(t, err)
	assert.Equal(t, "keep", string(b), "an existing file is not truncated")
	_, err = os.Stat(filepath.Join(dir, "new.json"))
	assert.ErrorIs(t, err, os.ErrNotExist, "no file is created")
}
