package main

import (
	"bytes"
	"context"
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
)

// Targets of issue 11, item 5: a large module run and the demo.
const (
	suiteCases = 10000
	// suiteCalls is how many calls the suite's cases make: each auth case
	// is one call, made again once by the stable check and eight times by
	// the concurrent check (suites.DefaultConcurrency).
	suiteCalls     = suiteCases * 10
	suiteWallLimit = 3 * time.Second
	demoWallLimit  = 500 * time.Millisecond
	// suiteRawFor is how long the bare grpc-go loop runs to gauge the
	// machine: the suite's figures are absolute, and a reader needs to
	// know whether they were taken on a slow day.
	suiteRawFor = 3 * time.Second
	// demoRuns: the demo takes half a second, so its median of a few
	// runs is taken.
	demoRuns = 3
)

// suiteRows are the cases of the suite section's fixture, in turn; they are
// suites/large_test.go's largeAuthRows (a package main cannot import a test
// helper): cases that pass against the reference auth plugin, one whose
// expectation is wrong (fail), one that warns, and one for gRPC only.
var suiteRows = []string{
	`request: {username: gost, password: gost, client: "127.0.0.1:40000", service: http-proxy}
    expect: {ok: true, id: gost}`,
	`request: {username: alice, password: wonderland, client: "[::1]:40000", service: socks5}
    expect: {ok: true, id: alice}`,
	`request: {username: alice, password: "nope-%d", client: "127.0.0.1:40000", service: http-proxy}
    expect: {ok: false, id: ""}`,
	`request: {username: "用户", password: "密码", client: "127.0.0.1:40000", service: http-proxy}
    expect: {ok: true, id: user-cjk}`,
	`request: {username: "user-%d", password: x, client: "127.0.0.1:40000", service: http-proxy}
    expect: {ok: false}`,
	`request: {username: gost, password: "wrong-%d"}
    expect: {ok: true}`,
	`request: {username: "guest-%d", password: x}
    warn_if: {ok: false}
    warning: guest refused`,
	`transports: [grpc]
    request: {username: gost, password: gost}
    expect: {ok: true, id: gost}`,
}

// suiteFixture is a fixture of n auth cases, suiteRows in turn.
func suiteFixture(n int) []byte {
	var b strings.Builder
	b.WriteString("name: Auth Large\nmodule: auth\ncases:\n")
	for i := range n {
		row := suiteRows[i%len(suiteRows)]
		if strings.Contains(row, "%d") {
			row = fmt.Sprintf(row, i)
		}
		fmt.Fprintf(&b, "  - name: case-%05d\n    %s\n", i, row)
	}
	return []byte(b.String())
}

// suiteTotals is the summary line of a text report.
type suiteTotals struct {
	cases, pass, warn, fail, skip int
}

var summaryLine = regexp.MustCompile(`(?m)^(?:PASS|WARN|FAIL)\s+(\d+) cases: (\d+) pass, (\d+) warn, (\d+) fail, (\d+) skip`)

// parseSummary reads the totals from plugincheck's text report.
func parseSummary(out []byte) (suiteTotals, error) {
	m := summaryLine.FindAllSubmatch(out, -1)
	if len(m) == 0 {
		return suiteTotals{}, fmt.Errorf("no summary line in plugincheck's report: %q", clip(string(out[max(0, len(out)-300):]), 300))
	}
	last := m[len(m)-1]
	var n [5]int
	for i := range n {
		v, err := strconv.Atoi(string(last[i+1]))
		if err != nil {
			return suiteTotals{}, fmt.Errorf("summary line %q: %w", last[0], err)
		}
		n[i] = v
	}
	return suiteTotals{cases: n[0], pass: n[1], warn: n[2], fail: n[3], skip: n[4]}, nil
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times; it is 100 on
// every Linux architecture Go supports.
const clockTicks = 100

// parseStatCPU reads utime+stime from the text of /proc/PID/stat. The
// command name, in parentheses, may hold spaces and parentheses, so the
// fields are counted from the last ')'.
func parseStatCPU(stat []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("proc stat: no command name")
	}
	f := strings.Fields(string(stat[i+1:]))
	// After the name: state (field 3) … utime (14), stime (15).
	if len(f) < 13 {
		return 0, fmt.Errorf("proc stat: %d fields after the name, want at least 13", len(f))
	}
	var ticks int64
	for _, s := range f[11:13] {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v < 0 {
			return 0, fmt.Errorf("proc stat: cpu time %q", s)
		}
		ticks += v
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}

// processCPU is the CPU time process pid has used so far.
func processCPU(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStatCPU(data)
}

// suiteRun is one module run of the fixture.
type suiteRun struct {
	name       string
	wall, cpu  time.Duration
	pluginCPU  time.Duration
	peak       int64
	totals     suiteTotals
	exitStatus int
}

// runSuite runs `plugincheck auth` with the fixture against addr, as a user
// would, its text report kept to read the totals.
func (e *env) runSuite(ctx context.Context, name, addr, fixture string, pluginPID int) (suiteRun, error) {
	var stdout bytes.Buffer
	cmd := exec.CommandContext(ctx, e.pc, "auth", "--addr", addr, "--fixtures", fixture, "--builtin=false")
	cmd.Stdout, cmd.Stderr = &stdout, os.Stderr
	before, err := processCPU(pluginPID)
	if err != nil {
		return suiteRun{}, fmt.Errorf("plugin CPU: %w", err)
	}
	p, runErr := timed(cmd)
	after, err := processCPU(pluginPID)
	if err != nil {
		return suiteRun{}, fmt.Errorf("plugin CPU: %w", err)
	}
	r := suiteRun{name: name, wall: p.elapsed, cpu: p.cpu, pluginCPU: after - before, peak: p.peak}
	// The fixture has failing cases on purpose: exit 1 is the expected end.
	var exit *exec.ExitError
	if errors.As(runErr, &exit) && exit.ExitCode() == 1 {
		r.exitStatus = 1
	} else if runErr != nil {
		return r, fmt.Errorf("%s: %w", name, runErr)
	}
	r.totals, err = parseSummary(stdout.Bytes())
	return r, err
}

// runDemo runs `plugincheck demo` and returns its wall time.
func (e *env) runDemo(ctx context.Context) (proc, error) {
	cmd := exec.CommandContext(ctx, e.pc, "demo")
	cmd.Stderr = os.Stderr
	p, err := timed(cmd)
	if err != nil {
		return p, fmt.Errorf("demo: %w", err)
	}
	return p, nil
}

// suiteSection: 10,000 auth cases (ten calls each) of a module run against
// the reference auth plugin in a process of its own, over gRPC and HTTP,
// and `plugincheck demo`; the bare grpc-go loop's rate, measured in the
// same run, says how fast the machine is.
func (e *env) suiteSection(ctx context.Context) error {
	fixture := filepath.Join(e.work, "auth10k.yaml")
	if err := os.WriteFile(fixture, suiteFixture(suiteCases), 0o644); err != nil {
		return err
	}
	e.logf("suite: the bare grpc-go loop for %s, to gauge the machine", suiteRawFor)
	raw, err := e.runRaw(ctx, e.plugin.grpc, e.o.concurrency, suiteRawFor)
	if err != nil {
		return err
	}
	var runs []suiteRun
	for _, t := range []struct{ name, addr string }{{"grpc", e.plugin.grpc}, {"http", e.plugin.refhttp}} {
		e.logf("suite: plugincheck auth with %d cases over %s", suiteCases, t.name)
		r, err := e.runSuite(ctx, t.name, t.addr, fixture, e.plugin.pid)
		if err != nil {
			return err
		}
		runs = append(runs, r)
	}
	var demos []time.Duration
	for i := range demoRuns {
		e.logf("suite: plugincheck demo, run %d of %d", i+1, demoRuns)
		p, err := e.runDemo(ctx)
		if err != nil {
			return err
		}
		demos = append(demos, p.elapsed)
	}
	slices.Sort(demos)
	demo := demos[len(demos)/2]

	fmt.Fprintf(e.out, "\n== suite: plugincheck auth, %d fixture cases (10 calls each), reference auth plugin (internal/refplugin) in its own process; bare grpc-go loop -c %d: %.0f calls/s\n",
		suiteCases, e.o.concurrency, raw.rps)
	fmt.Fprintf(e.out, "%-10s %9s %10s %10s %9s %8s  %s\n", "transport", "wall", "client CPU", "plugin CPU", "peak RSS", "µs/call", "cases pass/warn/fail/skip")
	for _, r := range runs {
		t := r.totals
		fmt.Fprintf(e.out, "%-10s %9s %10s %10s %9s %8.1f  %d %d/%d/%d/%d\n", r.name, fmtDur(r.wall), fmtDur(r.cpu), fmtDur(r.pluginCPU),
			mib(r.peak), float64(r.cpu.Microseconds())/float64(suiteCalls), t.cases, t.pass, t.warn, t.fail, t.skip)
	}
	// floor is what the bare grpc-go loop, measured against the same
	// plugin in this run, takes for the suite's calls: no module run can
	// beat it, so a wall time above the limit with a floor near the limit
	// is the machine's speed, not the run's overhead.
	var floor time.Duration
	if raw.rps > 0 {
		floor = time.Duration(float64(suiteCalls) / raw.rps * float64(time.Second))
	}
	fmt.Fprintf(e.out, "bare-loop floor: %d calls at %.0f calls/s take %s\n", suiteCalls, raw.rps, fmtDur(floor))
	fmt.Fprintf(e.out, "demo: %s median of %d runs (%s)\n", fmtDur(demo), demoRuns, joinDurations(demos))
	for _, r := range runs {
		detail := fmt.Sprintf("client %s CPU, plugin %s CPU; bare loop %.0f calls/s, floor %s", fmtDur(r.cpu), fmtDur(r.pluginCPU), raw.rps, fmtDur(floor))
		if floor > 0 {
			detail += fmt.Sprintf(" (%.2f× floor)", float64(r.wall)/float64(floor))
		}
		e.checks = append(e.checks,
			check{section: "suite", name: r.name + " wall time, 10k cases", figure: fmtDur(r.wall),
				target: "< " + fmtDur(suiteWallLimit), ok: r.totals.cases == suiteCases && r.wall < suiteWallLimit, detail: detail},
			check{section: "suite", name: r.name + " peak RSS, 10k cases", figure: mib(r.peak),
				target: "< 64 MiB", ok: r.peak > 0 && r.peak < peakRSSLimit})
	}
	e.checks = append(e.checks, check{section: "suite", name: "demo wall time", figure: fmtDur(demo),
		target: "< " + fmtDur(demoWallLimit), ok: demo < demoWallLimit, detail: "median of " + strconv.Itoa(demoRuns) + " runs"})
	return nil
}

func joinDurations(ds []time.Duration) string {
	s := make([]string, len(ds))
	for i, d := range ds {
		s[i] = fmtDur(d)
	}
	return strings.Join(s, ", ")
}
