package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/plugincheck/plugincheck/internal/load"
)

// gostAuthBody is the body GOST's HTTP auth client POSTs for gost/gost
// (x: auth/plugin/http.go): the service and client fields are always there,
// the mTLS fields omitted when empty. wrk, vegeta and the reference client
// send it byte for byte, so every HTTP tool's plugin parses the same bytes
// plugincheck sends.
var gostAuthBody = []byte(`{"service":"","username":"gost","password":"gost","client":""}`)

// errDenied is a reply of the reference plugin denying gost/gost: the
// benchmark's call went wrong somewhere.
var errDenied = errors.New("auth denied gost/gost")

// measurement is one tool's run.
type measurement struct {
	tool     string
	requests int64
	errors   int64
	rps      float64
	// p50 and p99 are uncorrected (from each call's actual start); cp50 and
	// cp99 corrected (from its send slot), where the tool knows slots.
	p50, p99   time.Duration
	cp50, cp99 time.Duration
	unsent     uint64
	maxRSS     int64         // bytes, from VmHWM
	cpu        time.Duration // user + system time of the tool's process
	elapsed    time.Duration
	// extra holds what the tool adds beyond these figures, for the reader.
	extra string
}

// cpuPerCall is the tool's client CPU per call.
func (m measurement) cpuPerCall() time.Duration {
	if m.requests <= 0 {
		return 0
	}
	return m.cpu / time.Duration(m.requests)
}

// proc is what timed learns about a process.
type proc struct {
	elapsed time.Duration
	peak    int64 // bytes
	cpu     time.Duration
}

// timed runs cmd and returns its wall time, peak RSS and CPU time. Peak RSS
// is the largest VmHWM in /proc/<pid>/status, read every 20 ms while it
// runs. (wait4's ru_maxrss would be wrong here: Linux carries the parent's
// high-water mark across fork and exec, so every child would report at
// least this process's own peak. wait4's user and system times are right,
// and are what ProcessState reports.)
func timed(cmd *exec.Cmd) (proc, error) {
	dieWithParent(cmd)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return proc{}, err
	}
	status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var p proc
	for {
		select {
		case err := <-done:
			p.elapsed = time.Since(start)
			if ps := cmd.ProcessState; ps != nil {
				p.cpu = ps.UserTime() + ps.SystemTime()
			}
			return p, err
		case <-tick.C:
			p.peak = max(p.peak, vmHWM(status))
		}
	}
}

// vmHWM reads the peak resident set size, in bytes, from a status file.
func vmHWM(status string) int64 {
	data, err := os.ReadFile(status)
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

// pcResult is the part of plugincheck's JSON result the benchmark reads.
type pcResult struct {
	Requests    int64   `json:"requests"`
	Errors      int64   `json:"errors"`
	Failures    int64   `json:"gostFailures"`
	AchievedRPS float64 `json:"achievedRps"`
	Unsent      uint64  `json:"unsentSlots"`
	Latency     struct {
		Corrected   pcPercentiles `json:"corrected"`
		Uncorrected pcPercentiles `json:"uncorrected"`
	} `json:"latency"`
}

type pcPercentiles struct {
	P50 load.Duration `json:"p50Ms"`
	P99 load.Duration `json:"p99Ms"`
}

// extraKey matches the JSON fields plugincheck adds about calls in flight
// and the concurrency it suggests, whatever their final names, and its
// notes, which carry that advice in words.
var extraKey = regexp.MustCompile(`(?i)flight|suggest|advi|^notes$`)

// parsePlugincheck reads plugincheck's JSON result into a measurement.
func parsePlugincheck(data []byte) (measurement, error) {
	var r pcResult
	if err := json.Unmarshal(data, &r); err != nil {
		return measurement{}, fmt.Errorf("plugincheck result: %w", err)
	}
	m := measurement{requests: r.Requests, errors: r.Errors + r.Failures, rps: r.AchievedRPS, unsent: r.Unsent,
		p50: time.Duration(r.Latency.Uncorrected.P50), p99: time.Duration(r.Latency.Uncorrected.P99),
		cp50: time.Duration(r.Latency.Corrected.P50), cp99: time.Duration(r.Latency.Corrected.P99)}
	var all map[string]json.RawMessage
	if json.Unmarshal(data, &all) == nil {
		var extra []string
		for k, v := range all {
			if extraKey.MatchString(k) {
				extra = append(extra, k+"="+clip(string(v), 80))
			}
		}
		slices.Sort(extra)
		m.extra = strings.Join(extra, " ")
	}
	return m, nil
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// runPlugincheck runs `plugincheck load auth` against addr with the
// one-case fixture and extra args, and reads its JSON result.
func (e *env) runPlugincheck(ctx context.Context, name, addr string, args ...string) (measurement, error) {
	e.runs++
	res := filepath.Join(e.work, fmt.Sprintf("plugincheck-%d.json", e.runs))
	cmd := exec.CommandContext(ctx, e.pc, append([]string{"load", "auth", "--addr", addr, "--fixtures", e.fixture,
		"--builtin=false", "--progress", "off", "-o", "json=" + res}, args...)...)
	cmd.Stderr = os.Stderr
	p, runErr := timed(cmd)
	// A run that exits non-zero (a verdict changed, a threshold breached)
	// still wrote its result, and its figures are still the figures; only a
	// run without a result stops the benchmark.
	data, err := os.ReadFile(res)
	if err != nil {
		if runErr != nil {
			return measurement{}, fmt.Errorf("%s: %w", name, runErr)
		}
		return measurement{}, err
	}
	m, err := parsePlugincheck(data)
	m.tool, m.maxRSS, m.cpu, m.elapsed = name, p.peak, p.cpu, p.elapsed
	var exit *exec.ExitError
	if errors.As(runErr, &exit) {
		m.extra = strings.TrimSpace(fmt.Sprintf("exit %d %s", exit.ExitCode(), m.extra))
	}
	return m, err
}

// parseGhz reads ghz's JSON report.
func parseGhz(data []byte) (measurement, error) {
	var r struct {
		Count    int64            `json:"count"`
		RPS      float64          `json:"rps"`
		Statuses map[string]int64 `json:"statusCodeDistribution"`
		Dist     []struct {
			Percentage int   `json:"percentage"`
			Latency    int64 `json:"latency"`
		} `json:"latencyDistribution"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return measurement{}, fmt.Errorf("ghz report: %w", err)
	}
	m := measurement{requests: r.Count, rps: r.RPS}
	for code, n := range r.Statuses {
		if code != "OK" {
			m.errors += n
		}
	}
	for _, p := range r.Dist {
		switch p.Percentage {
		case 50:
			m.p50 = time.Duration(p.Latency)
		case 99:
			m.p99 = time.Duration(p.Latency)
		}
	}
	return m, nil
}

func (e *env) runGhz(ctx context.Context, addr string, c int, d time.Duration) (measurement, error) {
	res := filepath.Join(e.work, "ghz.json")
	cmd := exec.CommandContext(ctx, e.ghz, "--insecure", "--protoset", e.protoset, "--call", "proto.Authenticator/Authenticate",
		"-d", `{"username":"gost","password":"gost"}`, "-c", strconv.Itoa(c), "-z", d.String(), "--connections", "1",
		"-O", "json", "-o", res, addr)
	cmd.Stderr = os.Stderr
	p, err := timed(cmd)
	if err != nil {
		return measurement{}, fmt.Errorf("ghz: %w", err)
	}
	data, err := os.ReadFile(res)
	if err != nil {
		return measurement{}, err
	}
	m, err := parseGhz(data)
	m.tool, m.maxRSS, m.cpu, m.elapsed = "ghz "+ghzVersion, p.peak, p.cpu, p.elapsed
	return m, err
}

func (e *env) runRaw(ctx context.Context, addr string, c int, d time.Duration) (measurement, error) {
	cmd := exec.CommandContext(ctx, e.self, "raw", "-addr", addr, "-c", strconv.Itoa(c), "-d", d.String())
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, os.Stderr
	p, err := timed(cmd)
	if err != nil {
		return measurement{}, fmt.Errorf("raw loop: %w", err)
	}
	var r rawResult
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		return measurement{}, fmt.Errorf("raw loop output: %w", err)
	}
	return measurement{tool: "raw grpc-go loop", requests: r.Requests, errors: r.Errors, rps: r.RPS, p50: r.P50,
		maxRSS: p.peak, cpu: p.cpu, elapsed: p.elapsed}, nil
}

// parseRef reads the reference client's JSON.
func parseRef(data []byte) (measurement, error) {
	var r refResult
	if err := json.Unmarshal(data, &r); err != nil {
		return measurement{}, fmt.Errorf("reference client output: %w", err)
	}
	return measurement{requests: r.Requests, errors: r.Errors, rps: r.AchievedRPS,
		p50: time.Duration(r.Latency.Uncorrected.P50), p99: time.Duration(r.Latency.Uncorrected.P99),
		cp50: time.Duration(r.Latency.Corrected.P50), cp99: time.Duration(r.Latency.Corrected.P99),
		extra: fmt.Sprintf("maxInFlight=%d", r.MaxInFlight)}, nil
}

func (e *env) runRef(ctx context.Context, transport, addr string, rate float64, d time.Duration) (measurement, error) {
	cmd := exec.CommandContext(ctx, e.self, "ref", "-transport", transport, "-addr", addr,
		"-rate", strconv.FormatFloat(rate, 'f', -1, 64), "-d", d.String())
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, os.Stderr
	p, err := timed(cmd)
	if err != nil {
		return measurement{}, fmt.Errorf("reference client: %w", err)
	}
	m, err := parseRef(stdout.Bytes())
	m.tool, m.maxRSS, m.cpu, m.elapsed = "reference "+transport, p.peak, p.cpu, p.elapsed
	return m, err
}

// wrkScript makes wrk send GOST's auth POST: wrk.method, wrk.body and
// wrk.headers set once, with no request() function, so wrk renders the
// request once and sends the same bytes every time (its fastest mode).
func wrkScript() string {
	return "wrk.method = \"POST\"\n" +
		"wrk.body = '" + string(gostAuthBody) + "'\n" +
		"wrk.headers[\"Content-Type\"] = \"application/json\"\n" +
		"wrk.headers[\"User-Agent\"] = \"Go-http-client/1.1\"\n" +
		"wrk.headers[\"Accept-Encoding\"] = \"gzip\"\n"
}

var (
	wrkRequests = regexp.MustCompile(`(?m)^\s*(\d+) requests in ([0-9.]+)(us|ms|s|m|h)`)
	wrkRate     = regexp.MustCompile(`(?m)^Requests/sec:\s*([0-9.]+)`)
	wrkNon2xx   = regexp.MustCompile(`(?m)^\s*Non-2xx or 3xx responses:\s*(\d+)`)
	wrkSocket   = regexp.MustCompile(`(?m)^\s*Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
	wrkP50      = regexp.MustCompile(`(?m)^\s*50%\s+([0-9.]+)(us|ms|s)`)
	wrkP99      = regexp.MustCompile(`(?m)^\s*99%\s+([0-9.]+)(us|ms|s)`)
)

// parseWrk reads wrk 4.1.0's text report (run with --latency).
func parseWrk(out string) (measurement, error) {
	var m measurement
	req := wrkRequests.FindStringSubmatch(out)
	rate := wrkRate.FindStringSubmatch(out)
	if req == nil || rate == nil {
		return m, fmt.Errorf("wrk output: no request count or rate in %q", clip(out, 400))
	}
	m.requests, _ = strconv.ParseInt(req[1], 10, 64)
	m.rps, _ = strconv.ParseFloat(rate[1], 64)
	if s := wrkNon2xx.FindStringSubmatch(out); s != nil {
		n, _ := strconv.ParseInt(s[1], 10, 64)
		m.errors += n
	}
	if s := wrkSocket.FindStringSubmatch(out); s != nil {
		for _, v := range s[1:] {
			n, _ := strconv.ParseInt(v, 10, 64)
			m.errors += n
		}
	}
	m.p50, m.p99 = wrkDuration(wrkP50.FindStringSubmatch(out)), wrkDuration(wrkP99.FindStringSubmatch(out))
	return m, nil
}

func wrkDuration(s []string) time.Duration {
	if s == nil {
		return 0
	}
	v, err := strconv.ParseFloat(s[1], 64)
	if err != nil {
		return 0
	}
	unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[s[2]]
	return time.Duration(v * float64(unit))
}

func (e *env) runWrk(ctx context.Context, url string, c int, d time.Duration) (measurement, error) {
	script := filepath.Join(e.work, "post.lua")
	if err := os.WriteFile(script, []byte(wrkScript()), 0o644); err != nil {
		return measurement{}, err
	}
	cmd := exec.CommandContext(ctx, e.wrk, "-t2", "-c"+strconv.Itoa(c), "-d"+wrkSeconds(d), "--latency", "-s", script, url)
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, os.Stderr
	p, err := timed(cmd)
	if err != nil {
		return measurement{}, fmt.Errorf("wrk: %w", err)
	}
	m, err := parseWrk(stdout.String())
	m.tool, m.maxRSS, m.cpu, m.elapsed = "wrk "+e.wrkVersion, p.peak, p.cpu, p.elapsed
	return m, err
}

// wrkSeconds renders d as wrk's -d wants it: whole seconds, at least 1.
func wrkSeconds(d time.Duration) string {
	return strconv.Itoa(max(1, int(d.Round(time.Second)/time.Second))) + "s"
}

// vegetaTarget is vegeta's JSON target for GOST's auth POST.
func vegetaTarget(url string) []byte {
	t, _ := json.Marshal(map[string]any{
		"method": "POST",
		"url":    url,
		"body":   base64.StdEncoding.EncodeToString(gostAuthBody),
		"header": map[string][]string{"Content-Type": {"application/json"}},
	})
	return append(t, '\n')
}

// parseVegeta reads `vegeta report -type json`.
func parseVegeta(data []byte) (measurement, error) {
	var r struct {
		Latencies struct {
			P50 int64 `json:"50th"`
			P99 int64 `json:"99th"`
		} `json:"latencies"`
		Requests   int64            `json:"requests"`
		Throughput float64          `json:"throughput"`
		Success    float64          `json:"success"`
		Status     map[string]int64 `json:"status_codes"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return measurement{}, fmt.Errorf("vegeta report: %w", err)
	}
	m := measurement{requests: r.Requests, rps: r.Throughput, p50: time.Duration(r.Latencies.P50), p99: time.Duration(r.Latencies.P99)}
	m.errors = r.Requests - r.Status["200"]
	return m, nil
}

func (e *env) runVegeta(ctx context.Context, url string, c int, d time.Duration) (measurement, error) {
	targets := filepath.Join(e.work, "vegeta-target.json")
	if err := os.WriteFile(targets, vegetaTarget(url), 0o644); err != nil {
		return measurement{}, err
	}
	results := filepath.Join(e.work, "vegeta.bin")
	n := strconv.Itoa(c)
	cmd := exec.CommandContext(ctx, e.vegeta, "attack", "-rate", "0", "-max-workers", n, "-workers", n,
		"-duration", d.String(), "-format", "json", "-targets", targets, "-output", results)
	cmd.Stderr = os.Stderr
	p, err := timed(cmd)
	if err != nil {
		return measurement{}, fmt.Errorf("vegeta attack: %w", err)
	}
	// The report is a separate process, so its CPU is not the attack's.
	rep := exec.CommandContext(ctx, e.vegeta, "report", "-type", "json", results)
	rep.Stderr = os.Stderr
	out, err := rep.Output()
	if err != nil {
		return measurement{}, fmt.Errorf("vegeta report: %w", err)
	}
	m, err := parseVegeta(out)
	m.tool, m.maxRSS, m.cpu, m.elapsed = "vegeta "+vegetaVersion, p.peak, p.cpu, p.elapsed
	return m, err
}

// wrkVersion returns the first line of `wrk -v`, trimmed to its version.
func wrkVersion(ctx context.Context, wrk string) string {
	out, _ := exec.CommandContext(ctx, wrk, "-v").CombinedOutput()
	line, _, _ := strings.Cut(string(out), "\n")
	if f := strings.Fields(line); len(f) >= 2 {
		return f[1]
	}
	return "(unknown version)"
}

// readLines reads "key value" lines until every key in want is seen.
func readLines(r *bufio.Reader, want ...string) (map[string]string, error) {
	got := map[string]string{}
	for len(got) < len(want) {
		line, err := r.ReadString('\n')
		if err != nil {
			return nil, fmt.Errorf("plugin did not start: %q: %w", line, err)
		}
		k, v, _ := strings.Cut(strings.TrimSpace(line), " ")
		if slices.Contains(want, k) {
			got[k] = v
		}
	}
	return got, nil
}
