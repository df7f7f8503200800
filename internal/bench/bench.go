package main

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type options struct {
	concurrency int
	duration    time.Duration
	rounds      int
	rss         string
	work        string
}

// warmup is the length of the discarded first run.
const warmup = 3 * time.Second

// ghzPkg is the ghz the benchmark builds, pinned by testdata/tools/go.mod.
const ghzPkg = "github.com/bojand/ghz/cmd/ghz"

// request is the one call every tool makes: a known user, so the plugin
// does the same work for all three.
const request = `{"username":"gost","password":"gost"}`

// measurement is one tool's run.
type measurement struct {
	tool     string
	requests int64
	errors   int64
	rps      float64
	p50      time.Duration
	maxRSS   int64 // bytes
	elapsed  time.Duration
}

// repoRoot is the main module's directory, found from this file.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func bench(ctx context.Context, o options, out, log io.Writer) error {
	work := o.work
	if work == "" {
		dir, err := os.MkdirTemp("", "plugincheck-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		work = dir
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	root := repoRoot()
	logf := func(format string, args ...any) { fmt.Fprintf(log, "bench: "+format+"\n", args...) }

	logf("building plugincheck and ghz (first build of ghz takes a minute)")
	pc := filepath.Join(work, "plugincheck")
	if err := goBuild(ctx, root, "./cmd/plugincheck", pc); err != nil {
		return err
	}
	ghz := filepath.Join(work, "ghz")
	if err := goBuild(ctx, filepath.Join(root, "internal", "bench", "testdata", "tools"), ghzPkg, ghz); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}

	addr, stopPlugin, err := startPlugin(ctx, self)
	if err != nil {
		return err
	}
	defer stopPlugin()

	protoset := filepath.Join(work, "plugin.protoset")
	if err := runTo(ctx, protoset, pc, "protoset"); err != nil {
		return err
	}
	fixture := filepath.Join(work, "bench.yaml")
	if err := os.WriteFile(fixture, []byte("name: Bench\nmodule: auth\ncases:\n  - {name: gost, request: "+request+"}\n"), 0o644); err != nil {
		return err
	}

	c, d := strconv.Itoa(o.concurrency), o.duration.String()
	// A first run warms the plugin process up (its heap, its connection
	// handling) so that the first tool measured is not at a disadvantage.
	logf("warming the plugin up for %s", warmup)
	if _, err := runRaw(ctx, self, addr, c, warmup.String()); err != nil {
		return err
	}
	// Rounds of the three tools, one after the other, so that a slow
	// moment of the machine hits every tool alike; each tool's median
	// round is compared.
	var rounds [3][]measurement
	for i := range o.rounds {
		logf("round %d of %d: plugincheck load, ghz and the raw loop, -c %s, %s each", i+1, o.rounds, c, d)
		m, err := runPlugincheck(ctx, pc, work, "plugincheck", addr, fixture, "-c", c, "-d", d)
		if err != nil {
			return err
		}
		rounds[0] = append(rounds[0], m)
		if m, err = runGhz(ctx, ghz, work, addr, protoset, c, d); err != nil {
			return err
		}
		rounds[1] = append(rounds[1], m)
		if m, err = runRaw(ctx, self, addr, c, d); err != nil {
			return err
		}
		rounds[2] = append(rounds[2], m)
	}
	ms := []measurement{median(rounds[0]), median(rounds[1]), median(rounds[2])}

	var rss []measurement
	for _, s := range strings.Split(o.rss, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		n, err := strconv.ParseFloat(s, 64)
		if err != nil || n < 1 {
			return fmt.Errorf("-rss %q: want request counts", o.rss)
		}
		logf("plugincheck load -n %d for peak RSS", int64(n))
		m, err := runPlugincheck(ctx, pc, work, fmt.Sprintf("plugincheck -n %s", human(int64(n))), addr, fixture, "-c", c, "-n", strconv.FormatInt(int64(n), 10))
		if err != nil {
			return err
		}
		rss = append(rss, m)
	}
	printReport(out, o, addr, rounds, ms, rss)
	return nil
}

func goBuild(ctx context.Context, dir, pkg, bin string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-mod=mod", "-o", bin, pkg)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, out)
	}
	return nil
}

// startPlugin runs the reference auth plugin in its own process, so that
// it is the same server, with the same CPU, for every tool.
func startPlugin(ctx context.Context, self string) (string, func(), error) {
	cmd := exec.CommandContext(ctx, self, "serve")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "grpc ")
	if err != nil || !ok {
		stop()
		return "", nil, fmt.Errorf("plugin did not start: %q %v", line, err)
	}
	return addr, stop, nil
}

// runTo runs a command with its standard output in file.
func runTo(ctx context.Context, file, bin string, args ...string) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	defer f.Close()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = f, os.Stderr
	return cmd.Run()
}

// timed runs cmd and returns its wall time and peak RSS: the largest
// VmHWM in /proc/<pid>/status, read every 20 ms while it runs. (wait4's
// ru_maxrss would be wrong here: Linux carries the parent's high-water mark
// across fork and exec, so every child would report at least this process's
// own peak.)
func timed(cmd *exec.Cmd) (time.Duration, int64, error) {
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var peak int64
	for {
		select {
		case err := <-done:
			return time.Since(start), peak, err
		case <-tick.C:
			peak = max(peak, vmHWM(status))
		}
	}
}

// vmHWM reads the peak resident set size, in bytes, from a status file.
func vmHWM(status string) int64 {
	data, err := os.ReadFile(status)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

func runPlugincheck(ctx context.Context, pc, work, name, addr, fixture string, args ...string) (measurement, error) {
	res := filepath.Join(work, "plugincheck.json")
	cmd := exec.CommandContext(ctx, pc, append([]string{"load", "auth", "--addr", addr, "--fixtures", fixture, "--builtin=false",
		"--progress", "off", "-o", "json=" + res}, args...)...)
	cmd.Stderr = os.Stderr
	el, rss, err := timed(cmd)
	if err != nil {
		return measurement{}, fmt.Errorf("plugincheck: %w", err)
	}
	var r struct {
		Requests    int64   `json:"requests"`
		Errors      int64   `json:"errors"`
		AchievedRPS float64 `json:"achievedRps"`
		Latency     struct {
			Uncorrected struct {
				P50 float64 `json:"p50Ms"`
			} `json:"uncorrected"`
		} `json:"latency"`
	}
	if err := readJSON(res, &r); err != nil {
		return measurement{}, err
	}
	return measurement{tool: name, requests: r.Requests, errors: r.Errors, rps: r.AchievedRPS,
		p50: time.Duration(r.Latency.Uncorrected.P50 * float64(time.Millisecond)), maxRSS: rss, elapsed: el}, nil
}

func runGhz(ctx context.Context, ghz, work, addr, protoset, c, d string) (measurement, error) {
	res := filepath.Join(work, "ghz.json")
	cmd := exec.CommandContext(ctx, ghz, "--insecure", "--protoset", protoset, "--call", "proto.Authenticator/Authenticate",
		"-d", request, "-c", c, "-z", d, "--connections", "1", "-O", "json", "-o", res, addr)
	cmd.Stderr = os.Stderr
	el, rss, err := timed(cmd)
	if err != nil {
		return measurement{}, fmt.Errorf("ghz: %w", err)
	}
	var r struct {
		Count    int64            `json:"count"`
		RPS      float64          `json:"rps"`
		Statuses map[string]int64 `json:"statusCodeDistribution"`
		Dist     []struct {
			Percentage int   `json:"percentage"`
			Latency    int64 `json:"latency"`
		} `json:"latencyDistribution"`
	}
	if err := readJSON(res, &r); err != nil {
		return measurement{}, err
	}
	m := measurement{tool: "ghz v0.121.0", requests: r.Count, rps: r.RPS, maxRSS: rss, elapsed: el}
	for code, n := range r.Statuses {
		if code != "OK" {
			m.errors += n
		}
	}
	for _, p := range r.Dist {
		if p.Percentage == 50 {
			m.p50 = time.Duration(p.Latency)
		}
	}
	return m, nil
}

func runRaw(ctx context.Context, self, addr, c, d string) (measurement, error) {
	cmd := exec.CommandContext(ctx, self, "raw", "-addr", addr, "-c", c, "-d", d)
	var stdout strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, os.Stderr
	el, rss, err := timed(cmd)
	if err != nil {
		return measurement{}, fmt.Errorf("raw loop: %w", err)
	}
	var r rawResult
	if err := json.Unmarshal([]byte(stdout.String()), &r); err != nil {
		return measurement{}, fmt.Errorf("raw loop output: %w", err)
	}
	return measurement{tool: "raw grpc-go loop", requests: r.Requests, errors: r.Errors, rps: r.RPS, p50: r.P50, maxRSS: rss, elapsed: el}, nil
}

func readJSON(file string, v any) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	return nil
}

func human(n int64) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n >= 1000 && n%1000 == 0:
		return fmt.Sprintf("%dk", n/1000)
	}
	return strconv.FormatInt(n, 10)
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

// median returns the round with the median rate.
func median(ms []measurement) measurement {
	s := slices.Clone(ms)
	slices.SortFunc(s, func(a, b measurement) int { return cmp.Compare(a.rps, b.rps) })
	return s[len(s)/2]
}

func printReport(w io.Writer, o options, addr string, rounds [3][]measurement, ms, rss []measurement) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("\nplugincheck benchmark: auth plugin (internal/refplugin) at %s, %d CPUs, GOMAXPROCS %d, %s\n",
		addr, runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version())
	p("each tool: concurrency %d, one connection, %s, one after the other; %d rounds\n\n", o.concurrency, o.duration, o.rounds)
	row := func(m measurement) {
		p("%-24s %10d %8d %11.1f %9s %12s\n", m.tool, m.requests, m.errors, m.rps, m.p50.Round(time.Microsecond), mib(m.maxRSS))
	}
	p("%-24s %10s %8s %11s %9s %12s\n", "round", "requests", "errors", "rps", "p50", "peak RSS")
	for i := range o.rounds {
		for _, r := range rounds {
			m := r[i]
			m.tool = fmt.Sprintf("%d %s", i+1, m.tool)
			row(m)
		}
	}
	p("\n%-24s %10s %8s %11s %9s %12s\n", "median round", "requests", "errors", "rps", "p50", "peak RSS")
	for _, m := range append(append([]measurement{}, ms...), rss...) {
		row(m)
	}
	if len(ms) == 3 && ms[1].rps > 0 && ms[2].rps > 0 && ms[2].p50 > 0 {
		pc, ghz, raw := ms[0], ms[1], ms[2]
		p("\nratios\n")
		p("  rps plugincheck / ghz        %5.2f×  (target ≥ 1.2×: %s)\n", pc.rps/ghz.rps, verdict(pc.rps >= 1.2*ghz.rps))
		p("  rps plugincheck / raw loop   %5.2f×  (target ≥ 0.9×: %s)\n", pc.rps/raw.rps, verdict(pc.rps >= 0.9*raw.rps))
		p("  p50 plugincheck / raw loop   %5.2f×  (each measured by the tool itself)\n", float64(pc.p50)/float64(raw.p50))
	}
	if len(rss) > 0 {
		p("\npeak RSS of plugincheck load (target < 64 MiB, flat in the request count)\n")
		var lo, hi int64 = -1, 0
		for _, m := range rss {
			p("  %-22s %s in %s\n", m.tool, mib(m.maxRSS), m.elapsed.Round(time.Second))
			if lo < 0 || m.maxRSS < lo {
				lo = m.maxRSS
			}
			hi = max(hi, m.maxRSS)
		}
		flat := lo > 0 && float64(hi) <= 1.1*float64(lo)
		p("  under 64 MiB: %s; flat (max within 10%% of min): %s\n", verdict(hi < 64<<20), verdict(flat))
	}
}
