package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	authpb "github.com/go-gost/plugin/auth/proto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
)

// The samples in testdata/samples are real outputs of the tools, captured
// from runs of this benchmark on 2026-11-26 (ghz.json without its per-call
// details and histogram).
func sample(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "samples", name))
	require.NoError(t, err)
	return data
}

func TestVmHWM(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "status")
	require.NoError(t, os.WriteFile(p, []byte("Name:\tplugincheck\nVmPeak:\t  900000 kB\nVmHWM:\t   37120 kB\nVmRSS:\t   30000 kB\n"), 0o600))
	assert.Equal(t, int64(37120<<10), vmHWM(p))
	assert.Zero(t, vmHWM(filepath.Join(t.TempDir(), "gone")), "a process that has exited")
}

func TestParseWrk(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		file     string
		requests int64
		errors   int64
		rps      float64
		p50, p99 time.Duration
	}{
		{name: "clean run", file: "wrk.txt", requests: 124014, rps: 60997.88,
			p50: 605 * time.Microsecond, p99: 10960 * time.Microsecond},
		{name: "non-2xx replies are errors", file: "wrk_errors.txt", requests: 20530, errors: 20530, rps: 18664.28,
			p50: 376 * time.Microsecond, p99: 8720 * time.Microsecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := parseWrk(string(sample(t, tt.file)))
			require.NoError(t, err)
			assert.Equal(t, tt.requests, m.requests)
			assert.Equal(t, tt.errors, m.errors)
			assert.InDelta(t, tt.rps, m.rps, 0.001)
			assert.Equal(t, tt.p50, m.p50)
			assert.Equal(t, tt.p99, m.p99)
		})
	}
	t.Run("socket errors are errors", func(t *testing.T) {
		t.Parallel()
		out := strings.Replace(string(sample(t, "wrk.txt")), "Requests/sec:",
			"  Socket errors: connect 1, read 2, write 3, timeout 4\nRequests/sec:", 1)
		m, err := parseWrk(out)
		require.NoError(t, err)
		assert.Equal(t, int64(10), m.errors)
	})
	t.Run("a run that made no request", func(t *testing.T) {
		t.Parallel()
		_, err := parseWrk(string(sample(t, "wrk_refused.txt")))
		assert.ErrorContains(t, err, "no request count")
	})
}

func TestParseVegeta(t *testing.T) {
	t.Parallel()
	m, err := parseVegeta(sample(t, "vegeta.json"))
	require.NoError(t, err)
	assert.Equal(t, int64(53367), m.requests)
	assert.Zero(t, m.errors)
	assert.InDelta(t, 26678.9997, m.rps, 0.001, "throughput: successful calls over the attack and its wait")
	assert.Equal(t, time.Duration(863535), m.p50)
	assert.Equal(t, time.Duration(6179164), m.p99)

	m, err = parseVegeta([]byte(`{"requests":10,"throughput":5,"status_codes":{"200":7,"0":2,"500":1}}`))
	require.NoError(t, err)
	assert.Equal(t, int64(3), m.errors, "every call without a 200")
}

func TestParseGhz(t *testing.T) {
	t.Parallel()
	m, err := parseGhz(sample(t, "ghz.json"))
	require.NoError(t, err)
	assert.Equal(t, int64(10896), m.requests)
	assert.Equal(t, int64(12), m.errors, "the Unavailable calls ghz cut at its end")
	assert.InDelta(t, 5447.987, m.rps, 0.001)
	assert.Positive(t, m.p50)
	assert.Greater(t, m.p99, m.p50)
}

func TestParsePlugincheck(t *testing.T) {
	t.Parallel()
	data := sample(t, "plugincheck_stall.json")
	m, err := parsePlugincheck(data)
	require.NoError(t, err)
	assert.Equal(t, int64(2378), m.requests)
	assert.InDelta(t, 761.3168, m.rps, 0.001)
	assert.Equal(t, uint64(3622), m.unsent)
	assert.Equal(t, 221*time.Microsecond, m.p50)
	assert.Equal(t, 205390*time.Microsecond, m.p99)
	assert.Equal(t, 902824*time.Microsecond, m.cp50)
	assert.Equal(t, 1832911*time.Microsecond, m.cp99)
	assert.Empty(t, m.extra)

	// Fields of a later plugincheck are shown, whatever their names.
	var all map[string]any
	require.NoError(t, json.Unmarshal(data, &all))
	all["maxInFlight"], all["suggestedConcurrency"], all["gostFailures"] = 21, 48, 2
	data, err = json.Marshal(all)
	require.NoError(t, err)
	m, err = parsePlugincheck(data)
	require.NoError(t, err)
	assert.Equal(t, "maxInFlight=21 suggestedConcurrency=48", m.extra)
	assert.Equal(t, int64(2), m.errors, "GOST-level failures count as errors")

	_, err = parsePlugincheck([]byte("not json"))
	assert.Error(t, err)
}

func TestParseRef(t *testing.T) {
	t.Parallel()
	m, err := parseRef(sample(t, "ref.json"))
	require.NoError(t, err)
	assert.Equal(t, int64(2000), m.requests)
	assert.Equal(t, 261*time.Microsecond, m.p50)
	assert.Equal(t, 4784*time.Microsecond, m.p99)
	assert.Equal(t, 11870*time.Microsecond, m.cp99)
	assert.Equal(t, "maxInFlight=43", m.extra)
}

func TestRatioCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		num, den, lim  float64
		atLeast        bool
		figure, target string
		ok             bool
	}{
		// happy
		{name: "above a floor", num: 49507, den: 20666, lim: 2, atLeast: true, figure: "2.40×", target: "≥ 2×", ok: true},
		{name: "exactly the floor", num: 95, den: 100, lim: 0.95, atLeast: true, figure: "0.95×", target: "≥ 0.95×", ok: true},
		{name: "under a ceiling", num: 1.05, den: 1, lim: 1.1, figure: "1.05×", target: "≤ 1.1×", ok: true},
		// sad
		{name: "just above a floor shows the deciding digit", num: 23555, den: 24763, lim: 0.95, atLeast: true, figure: "0.9512×", target: "≥ 0.95×", ok: true},
		{name: "under a floor", num: 46, den: 50, lim: 0.95, atLeast: true, figure: "0.92×", target: "≥ 0.95×"},
		{name: "just under a floor shows the deciding digit", num: 9496, den: 10000, lim: 0.95, atLeast: true, figure: "0.9496×", target: "≥ 0.95×"},
		{name: "over a ceiling", num: 111, den: 100, lim: 1.1, figure: "1.11×", target: "≤ 1.1×"},
		{name: "no figure misses", num: 5, den: 0, lim: 1.1, figure: "n/a", target: "≤ 1.1×"},
		{name: "no figure misses a ceiling too", num: 0, den: 5, lim: 1.1, figure: "n/a", target: "≤ 1.1×"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := ratioCheck("s", "n", tt.num, tt.den, tt.lim, tt.atLeast, "detail")
			assert.Equal(t, tt.figure, c.figure)
			assert.Equal(t, tt.target, c.target)
			assert.Equal(t, tt.ok, c.ok)
		})
	}
}

func TestFlatCheck(t *testing.T) {
	t.Parallel()
	flat := flatCheck([]measurement{{maxRSS: 36 << 20}, {maxRSS: 38 << 20}})
	assert.True(t, flat.ok, flat.figure)
	grew := flatCheck([]measurement{{maxRSS: 36 << 20}, {maxRSS: 40 << 20}})
	assert.False(t, grew.ok, grew.figure)
	assert.Equal(t, "1.11×", grew.figure)
}

func TestPrintChecks(t *testing.T) {
	t.Parallel()
	met := ratioCheck("grpc", "calls/s plugincheck / ghz", 49507, 20666, 2, true, "49507 vs 20666 calls/s")
	missed := ratioCheck("grpc", "calls/s plugincheck / bare grpc-go loop", 46, 50, 0.95, true, "46 vs 50 calls/s")
	skipped := check{section: "http", name: "calls/s plugincheck / wrk", figure: "-", target: "-", skipped: "wrk not found"}

	var b bytes.Buffer
	assert.True(t, printChecks(&b, []check{met, skipped}), "a skipped check is not a miss")
	assert.Contains(t, b.String(), "2 checks: 1 met, 0 MISSED, 1 SKIPPED")
	assert.Contains(t, b.String(), "SKIPPED")

	b.Reset()
	assert.False(t, printChecks(&b, []check{met, missed}))
	out := b.String()
	assert.Contains(t, out, "  grpc   calls/s plugincheck / ghz                        2.40×  target ≥ 2×          met     49507 vs 20666 calls/s\n")
	assert.Contains(t, out, "0.92×  target ≥ 0.95×       MISSED  46 vs 50 calls/s\n")
	assert.Contains(t, out, "2 checks: 1 met, 1 MISSED\n")
}

func TestMedianBy(t *testing.T) {
	t.Parallel()
	ms := []measurement{{tool: "a", rps: 3, p99: 1}, {tool: "b", rps: 1, p99: 9}, {tool: "c", rps: 2, p99: 5}}
	assert.Equal(t, "c", median(ms).tool)
	assert.Equal(t, "c", medianBy(ms, func(m measurement) float64 { return float64(m.p99) }).tool)
	assert.Equal(t, "a", ms[0].tool, "the rounds keep their order")
}

func TestInterleave(t *testing.T) {
	t.Parallel()
	got := interleave([]measurement{{tool: "pc"}, {tool: "pc"}}, []measurement{{tool: "ghz"}, {tool: "ghz"}})
	var names []string
	for _, m := range got {
		names = append(names, m.tool)
	}
	assert.Equal(t, []string{"1 pc", "1 ghz", "2 pc", "2 ghz"}, names)
}

func TestPeerInputs(t *testing.T) {
	t.Parallel()
	var target struct {
		Method string              `json:"method"`
		URL    string              `json:"url"`
		Body   string              `json:"body"`
		Header map[string][]string `json:"header"`
	}
	require.NoError(t, json.Unmarshal(vegetaTarget("http://127.0.0.1:1/auth"), &target))
	body, err := base64.StdEncoding.DecodeString(target.Body)
	require.NoError(t, err)
	assert.Equal(t, gostAuthBody, body, "vegeta sends GOST's body")
	assert.Equal(t, "POST", target.Method)
	assert.Equal(t, []string{"application/json"}, target.Header["Content-Type"])

	assert.Contains(t, wrkScript(), "wrk.body = '"+string(gostAuthBody)+"'\n", "wrk sends GOST's body")
	assert.Equal(t, "3s", wrkSeconds(3*time.Second))
	assert.Equal(t, "1s", wrkSeconds(100*time.Millisecond), "wrk runs at least a second")
}

func TestParseCounts(t *testing.T) {
	t.Parallel()
	got, err := parseCounts("1e6, 10000000,")
	require.NoError(t, err)
	assert.Equal(t, []int64{1_000_000, 10_000_000}, got)
	got, err = parseCounts("")
	require.NoError(t, err)
	assert.Empty(t, got)
	for _, bad := range []string{"x", "0", "-5", "1e13"} {
		_, err := parseCounts(bad)
		var ue *usageError
		assert.ErrorAs(t, err, &ue, bad)
	}
}

func TestRunRejectsBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown section", []string{"-only", "grpc,nope"}, `unknown section "nope"`},
		{"no section", []string{"-only", ","}, "no section"},
		{"zero rate", []string{"-rate", "0"}, "-rate 0"},
		{"zero rounds", []string{"-rounds", "0"}, "must be positive"},
		{"bad http plugin", []string{"-http-plugin", "nginx"}, "want fast or ref"},
		{"bad rss", []string{"-rss", "lots"}, "-rss"},
		{"unknown flag", []string{"-nope"}, "flag provided but not defined"},
		{"stray argument", []string{"grpc"}, `unexpected argument "grpc"`},
		{"ref without addr", []string{"ref", "-transport", "http"}, "want -addr"},
		{"ref bad transport", []string{"ref", "-transport", "udp", "-addr", "x"}, `-transport "udp"`},
		{"serve negative stall", []string{"serve", "-stall-every", "-1"}, "must not be negative"},
		{"raw without addr", []string{"raw"}, "want -addr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := run(t.Context(), tt.args, io.Discard, io.Discard)
			var ue *usageError
			require.ErrorAs(t, err, &ue)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestStaller(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := newStaller(3, 200*time.Millisecond)
		var waited []time.Duration
		for range 6 {
			start := time.Now()
			s.wait(t.Context())
			waited = append(waited, time.Since(start))
		}
		assert.Equal(t, []time.Duration{0, 0, 200 * time.Millisecond, 0, 0, 200 * time.Millisecond}, waited)
	})
	assert.Nil(t, newStaller(0, time.Second), "no stall")
	newStaller(0, time.Second).wait(t.Context()) // a nil staller never waits
}

// startHTTPPlugin serves the minimal HTTP plugin on 127.0.0.1:0 for the
// test's life.
func startHTTPPlugin(t *testing.T, s *staller) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ln, err := listen(ctx)
	require.NoError(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		newHTTPPlugin(s).serve(ctx, ln)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return "http://" + ln.Addr().String() + "/auth"
}

func TestHTTPPlugin(t *testing.T) {
	t.Parallel()
	url := startHTTPPlugin(t, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()

	// net/http, as the reference client and vegeta use it.
	call, closeFn, err := newRefCaller("http", url)
	require.NoError(t, err)
	defer closeFn()
	for range 3 {
		require.NoError(t, call(ctx), "gost/gost over a kept-alive connection")
	}

	addr := strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/auth")
	exchange := func(t *testing.T, req string, replies int) string {
		t.Helper()
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr)
		require.NoError(t, err)
		defer c.Close()
		require.NoError(t, c.SetDeadline(time.Now().Add(30*time.Second)))
		_, err = io.WriteString(c, req)
		require.NoError(t, err)
		br := bufio.NewReader(c)
		var out strings.Builder
		for range replies {
			resp, err := readReply(br)
			require.NoError(t, err)
			out.WriteString(resp)
		}
		return out.String()
	}
	post := func(body string, extra ...string) string {
		return "POST /auth HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + strings.Join(extra, "") +
			"Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
	}
	t.Run("pipelined requests are answered in order", func(t *testing.T) {
		got := exchange(t, post(string(gostAuthBody))+post(`{"username":"gost","password":"no"}`), 2)
		assert.Equal(t, string(replyOK)+string(replyDenied), got)
	})
	tests := []struct{ name, req string }{
		{"not a POST", "GET /auth HTTP/1.1\r\nHost: x\r\n\r\n"},
		{"no Content-Length", "POST /auth HTTP/1.1\r\nHost: x\r\n\r\n"},
		{"chunked", "POST /auth HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
		{"a body too large", "POST /auth HTTP/1.1\r\nContent-Length: 999999\r\n\r\n"},
		{"a header without a colon", "POST /auth HTTP/1.1\r\nbroken\r\n\r\n"},
		{"too many headers", "POST /auth HTTP/1.1\r\n" + strings.Repeat("X: y\r\n", maxHTTPHeaders+1) + "\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, string(replyBad), exchange(t, tt.req, 1))
		})
	}
}

// readReply reads one reply of the minimal plugin: its head and its
// Content-Length body.
func readReply(br *bufio.Reader) (string, error) {
	var b strings.Builder
	length := 0
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return b.String(), err
		}
		b.WriteString(line)
		if v, ok := strings.CutPrefix(line, "Content-Length: "); ok {
			length, _ = strconv.Atoi(strings.TrimSpace(v))
		}
		if line == "\r\n" {
			break
		}
	}
	body := make([]byte, length)
	_, err := io.ReadFull(br, body)
	b.Write(body)
	return b.String(), err
}

func TestRefClient(t *testing.T) {
	t.Parallel()
	// A stall on every call makes every call of the run overlap the next
	// slots: the reference client must not wait for them.
	url := startHTTPPlugin(t, newStaller(1, 100*time.Millisecond))
	var out bytes.Buffer
	require.NoError(t, ref(t.Context(), &out, refOptions{transport: "http", addr: url, rate: 200, duration: 250 * time.Millisecond}))
	m, err := parseRef(out.Bytes())
	require.NoError(t, err)
	assert.Equal(t, int64(50), m.requests, "every slot of the schedule")
	assert.Zero(t, m.errors)
	assert.GreaterOrEqual(t, m.p50, 100*time.Millisecond, "each call's latency includes the plugin's stall")
}

func TestRefClientGRPC(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	ln, err := listen(ctx)
	require.NoError(t, err)
	gs := grpc.NewServer()
	authpb.RegisterAuthenticatorServer(gs, &stallAuth{stall: newStaller(2, 50*time.Millisecond)})
	done := make(chan error, 1)
	go func() { done <- gs.Serve(ln) }()
	defer func() {
		gs.Stop()
		assert.NoError(t, <-done)
	}()

	var out bytes.Buffer
	require.NoError(t, ref(ctx, &out, refOptions{transport: "grpc", addr: ln.Addr().String(), rate: 200, duration: 100 * time.Millisecond}))
	var r refResult
	require.NoError(t, json.Unmarshal(out.Bytes(), &r))
	assert.Equal(t, int64(20), r.Requests, "every slot of the schedule")
	assert.Zero(t, r.Errors)
	assert.GreaterOrEqual(t, time.Duration(r.Latency.Uncorrected.Max), 50*time.Millisecond, "the stalled calls are measured")
	assert.GreaterOrEqual(t, r.MaxInFlight, int64(1))
}

func TestServe(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, pw, serveOptions{stallEvery: 10, stall: time.Millisecond})
		pw.Close()
	}()
	got, err := readLines(bufio.NewReader(pr), "grpc", "http", "refhttp")
	require.NoError(t, err)
	assert.Regexp(t, `^127\.0\.0\.1:\d+$`, got["grpc"])
	assert.Regexp(t, `^http://127\.0\.0\.1:\d+/auth$`, got["http"])
	assert.Regexp(t, `^http://127\.0\.0\.1:\d+/auth$`, got["refhttp"])

	// Both HTTP plugins answer GOST's auth call.
	for _, url := range []string{got["http"], got["refhttp"]} {
		call, closeFn, err := newRefCaller("http", url)
		require.NoError(t, err)
		assert.NoError(t, call(ctx), url)
		closeFn()
	}
	cancel()
	assert.NoError(t, <-done)
}
