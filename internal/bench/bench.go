package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
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

// sections are the benchmark's parts, in the order they run.
var sections = []string{"grpc", "http", "open", "stall", "memory", "suite"}

type options struct {
	only        []string
	concurrency int // gRPC closed loop
	httpC       int // HTTP closed loop
	memC        int // memory runs
	duration    time.Duration
	rounds      int
	rate        float64
	stallEvery  int64
	stall       time.Duration
	rss         string
	httpPlugin  string // "fast" or "ref"
	work        string
}

func (o options) runs(section string) bool { return slices.Contains(o.only, section) }

// warmup is the length of the discarded first run against each plugin.
const warmup = 3 * time.Second

const (
	ghzPkg        = "github.com/bojand/ghz/cmd/ghz"
	ghzVersion    = "v0.121.0"
	vegetaPkg     = "github.com/tsenart/vegeta/v12"
	vegetaVersion = "v12.13.0"
)

// env is one benchmark run's binaries, plugin and files.
type env struct {
	o                    options
	out, log             io.Writer
	work, self           string
	pc, ghz, vegeta, wrk string
	wrkVersion           string
	protoset, fixture    string
	plugin               plugin
	runs                 int
	checks               []check
}

// plugin is the addresses of one `bench serve` process.
type plugin struct {
	grpc, http, refhttp string
	pid                 int // the `bench serve` process, for its CPU time
}

// httpURL is the HTTP plugin the HTTP sections measure against.
func (e *env) httpURL(p plugin) string {
	if e.o.httpPlugin == "ref" {
		return p.refhttp
	}
	return p.http
}

func (e *env) logf(format string, args ...any) { fmt.Fprintf(e.log, "bench: "+format+"\n", args...) }

// repoRoot is the main module's directory, found from this file.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// errMissed is returned when a check missed its target; the report is
// already printed.
var errMissed = errors.New("a goal was missed")

func bench(ctx context.Context, o options, out, log io.Writer) error {
	e := &env{o: o, out: out, log: log}
	if o.work == "" {
		dir, err := os.MkdirTemp("", "plugincheck-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		e.work = dir
	} else if err := os.MkdirAll(o.work, 0o755); err != nil {
		return err
	} else {
		e.work = o.work
	}
	if err := e.build(ctx); err != nil {
		return err
	}
	fmt.Fprintf(out, "plugincheck benchmark, %s: %d CPUs, GOMAXPROCS %d, %s, %s; sections %s; %s each, %d rounds\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), runtime.NumCPU(), runtime.GOMAXPROCS(0), machine(), runtime.Version(),
		strings.Join(o.only, ","), o.duration, o.rounds)

	var stop func()
	var err error
	if e.plugin, stop, err = e.startPlugin(ctx, serveOptions{}); err != nil {
		return err
	}
	defer stop()
	type section struct {
		name string
		run  func(context.Context) error
	}
	for _, s := range []section{{"grpc", e.grpcSection}, {"http", e.httpSection}, {"open", e.openSection},
		{"stall", e.stallSection}, {"memory", e.memorySection}, {"suite", e.suiteSection}} {
		if !o.runs(s.name) {
			continue
		}
		start := time.Now()
		if err := s.run(ctx); err != nil {
			return fmt.Errorf("%s section: %w", s.name, err)
		}
		fmt.Fprintf(out, "(%s section: %s)\n", s.name, time.Since(start).Round(time.Second))
	}
	if !printChecks(out, e.checks) {
		return errMissed
	}
	return nil
}

// build builds plugincheck and the peer tools the selected sections need.
func (e *env) build(ctx context.Context) error {
	root := repoRoot()
	tools := filepath.Join(root, "internal", "bench", "testdata", "tools")
	e.logf("building plugincheck and the peer tools (a first build of ghz and vegeta takes a minute)")
	e.pc = filepath.Join(e.work, "plugincheck")
	if err := goBuild(ctx, root, "./cmd/plugincheck", e.pc); err != nil {
		return err
	}
	var err error
	if e.self, err = os.Executable(); err != nil {
		return err
	}
	if e.o.runs("grpc") {
		e.ghz = filepath.Join(e.work, "ghz")
		if err := goBuild(ctx, tools, ghzPkg, e.ghz); err != nil {
			return err
		}
		e.protoset = filepath.Join(e.work, "plugin.protoset")
		if err := runTo(ctx, e.protoset, e.pc, "protoset"); err != nil {
			return err
		}
	}
	if e.o.runs("http") {
		if e.wrk, err = exec.LookPath("wrk"); err != nil {
			e.logf("wrk not found (install it with: apt-get install wrk); the HTTP section is SKIPPED")
		} else {
			e.wrkVersion = wrkVersion(ctx, e.wrk)
			e.vegeta = filepath.Join(e.work, "vegeta")
			if err := goBuild(ctx, tools, vegetaPkg, e.vegeta); err != nil {
				return err
			}
		}
	}
	e.fixture = filepath.Join(e.work, "bench.yaml")
	return os.WriteFile(e.fixture, []byte("name: Bench\nmodule: auth\ncases:\n  - {name: gost, request: {username: gost, password: gost}}\n"), 0o644)
}

func goBuild(ctx context.Context, dir, pkg, bin string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-mod=mod", "-o", bin, pkg)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, clip(string(out), 4000))
	}
	return nil
}

// startPlugin runs `bench serve` in its own process, so that it is the same
// server, with the same CPU, for every tool; stop ends it, and so does the
// end of ctx.
func (e *env) startPlugin(ctx context.Context, so serveOptions) (plugin, func(), error) {
	args := []string{"serve"}
	if so.stallEvery > 0 {
		args = append(args, "-stall-every", strconv.FormatInt(so.stallEvery, 10), "-stall", so.stall.String())
	}
	cmd := exec.CommandContext(ctx, e.self, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	dieWithParent(cmd)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return plugin{}, nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return plugin{}, nil, err
	}
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}
	got, err := readLines(bufio.NewReader(stdout), "grpc", "http", "refhttp")
	if err != nil {
		stop()
		return plugin{}, nil, err
	}
	return plugin{grpc: got["grpc"], http: got["http"], refhttp: got["refhttp"], pid: cmd.Process.Pid}, stop, nil
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

// median returns the round with the median rate.
func median(ms []measurement) measurement {
	return medianBy(ms, func(m measurement) float64 { return m.rps })
}

// medianBy returns the round whose f is the median of the rounds'.
func medianBy(ms []measurement, f func(measurement) float64) measurement {
	s := slices.Clone(ms)
	slices.SortStableFunc(s, func(a, b measurement) int { return cmp.Compare(f(a), f(b)) })
	return s[len(s)/2]
}

// machine names the kernel and the memory, for the record.
func machine() string {
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	mem := ""
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.SplitSeq(string(data), "\n") {
			if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				if kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64); err == nil {
					mem = fmt.Sprintf("%.0f GiB", float64(kb)/(1<<20))
				}
			}
		}
	}
	return strings.TrimSpace(fmt.Sprintf("%s %s %s", runtime.GOOS, strings.TrimSpace(string(kernel)), mem))
}
