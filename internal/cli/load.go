package cli

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/plugincheck/plugincheck/clip"
	"github.com/plugincheck/plugincheck/internal/iostreams"
	"github.com/plugincheck/plugincheck/internal/load"
	"github.com/plugincheck/plugincheck/internal/loadmix"
	"github.com/plugincheck/plugincheck/internal/probe"
	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/suites"
)

// Load defaults.
const (
	defaultLoadDuration = 10 * time.Second
	// progressLineEvery spaces the periodic progress lines of --progress line.
	progressLineEvery = 10 * time.Second
)

// GateOptions are the CI gate of a load run or a merge.
type GateOptions struct {
	MaxP99       time.Duration
	MaxErrorRate string
	MinRPS       float64
}

func (g *GateOptions) addFlags(fs *pflag.FlagSet) {
	fs.DurationVar(&g.MaxP99, "max-p99", 0, "exit 4 when the p99 latency (corrected in an open loop) exceeds this")
	fs.StringVar(&g.MaxErrorRate, "max-error-rate", "", "exit 4 when the share of failed calls (transport errors plus replies GOST treats as failed) exceeds this: a fraction (0.01) or a percentage (1%); 0 allows none")
	fs.Float64Var(&g.MinRPS, "min-rps", 0, "exit 4 when the achieved rate is below this many calls per second")
}

func (g *GateOptions) thresholds() (load.Thresholds, error) {
	t := load.Thresholds{MaxP99: g.MaxP99, MinRPS: g.MinRPS}
	if err := g.checkRanges(); err != nil {
		return t, err
	}
	switch {
	case g.MaxP99 < 0:
		return t, flagErrorf("--max-p99 must not be negative")
	case g.MinRPS < 0:
		return t, flagErrorf("--min-rps must not be negative")
	}
	if g.MaxErrorRate != "" {
		s := strings.TrimSpace(g.MaxErrorRate)
		scale := 1.0
		if strings.HasSuffix(s, "%") {
			s, scale = strings.TrimSuffix(s, "%"), 100
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(v) || v < 0 || v/scale > 1 {
			return t, flagErrorf("--max-error-rate %q: want a fraction between 0 and 1 or a percentage (1%%)", g.MaxErrorRate)
		}
		v /= scale
		t.MaxErrorRate = &v
	}
	return t, nil
}

// LoadOutputs are where a load result goes.
type LoadOutputs struct {
	Outputs []string
	HDRLog  string
}

func (o *LoadOutputs) addFlags(fs *pflag.FlagSet) {
	fs.StringArrayVarP(&o.Outputs, "output", "o", []string{"text"}, "result format text, json or html, optionally =FILE, e.g. html=load.html (repeatable)")
}

func (o *LoadOutputs) parse() ([]output, error) {
	return parseOutputs(o.Outputs, loadResults, "json=result.json")
}

// LoadOptions is one `plugincheck load <module>` run.
type LoadOptions struct {
	IO     *iostreams.IOStreams
	Now    func() time.Time
	Module mockclient.Module
	Conn   ConnOptions

	Fixtures  []string
	Builtin   bool
	Run, Skip []string

	Concurrency int
	// AutoConcurrency is set for an open loop without an explicit
	// --concurrency: its in-flight cap grows as the plugin needs, up to
	// load.MaxGrowingConcurrency.
	AutoConcurrency bool
	Rate            float64
	Duration        time.Duration
	Requests        uint64
	Warmup          time.Duration
	Connections     int
	Progress        string

	Gate GateOptions
	Out  LoadOutputs

	// httpClient, when set, carries an HTTP plugin's calls instead of a
	// pool of its own: a test's in-memory plugin.
	httpClient *http.Client
	// engine are load options appended to the run's, such as a test's
	// load.WithGoTimers() to run on testing/synctest's clock.
	engine []load.Option
}

func newCmdLoad(f *Factory, runF func(context.Context, *LoadOptions) error) *cobra.Command {
	opts := &LoadOptions{IO: f.IO, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "load <module> --addr <plugin>",
		Short: "Load-test a plugin: latency under load, errors, verdict stability, a CI gate",
		Long: `Load-test a plugin with the module's request mix (the built-in suite and any
--fixtures, each case weighted by its weight:), made the way GOST makes it.

Without --rate the run is a closed loop: --concurrency callers, each calling
again as soon as its previous call returns. With --rate it is an open loop:
calls are due at fixed send slots, and latency is measured from the slot, so a
plugin that stalls cannot hide the calls it delayed (coordinated omission);
the uncorrected figures are shown beside the corrected ones. Without
--concurrency the open loop starts callers as the plugin needs them, up to
1000 calls in flight; an explicit --concurrency is a hard cap, and when it
held the run back the result suggests one by Little's law.

A call fails with a transport error (no reply: refused, reset, TLS, gRPC
Unavailable, timeout) or with a GOST-level failure: the plugin replied, but
GOST treats the reply as a failed call (a non-200 status or other gRPC code,
a reply that does not decode, an observer or recorder without ok:true, …).
Both are counted, apart, by kind; a deny (auth or admission ok:false) is a
verdict, not a failure.

Every case's verdict is taken once before the load; a case whose verdict
changes under load fails the run (exit 1), and so does a run in which every
call failed. --max-p99, --max-error-rate (transport errors and GOST-level
failures together) and --min-rps gate the run: a breach exits 4 and the
result names it.`,
		Example: `  plugincheck load auth --addr 127.0.0.1:8000 --token gost --duration 30s --concurrency 32
  plugincheck load auth --addr 127.0.0.1:8000 --rate 2000 --duration 1m --warmup 5s --hdr-log auth.hlog
  plugincheck load bypass --addr http://127.0.0.1:8000/bypass --rate 500 --max-p99 20ms --max-error-rate 0 -o json=load.json`,
		Args: moduleArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := suites.ParseModule(args[0])
			if err != nil {
				return &FlagError{Err: err}
			}
			opts.Module = m
			if err := opts.validate(cmd.Flags()); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return loadRun(cmd.Context(), opts)
		},
	}
	fs := cmd.Flags()
	opts.Conn.addFlags(fs)
	fs.StringArrayVar(&opts.Fixtures, "fixtures", nil, "fixture file or directory whose cases join the mix; - reads one from standard input (repeatable)")
	fs.BoolVar(&opts.Builtin, "builtin", true, "include the module's built-in suite in the mix")
	fs.StringSliceVar(&opts.Run, "run", nil, "mix only cases whose ID matches a pattern")
	fs.StringSliceVar(&opts.Skip, "skip", nil, "leave out cases whose ID matches a pattern")
	fs.IntVarP(&opts.Concurrency, "concurrency", "c", load.DefaultConcurrency, fmt.Sprintf("callers (closed loop), or a hard cap on calls in flight (open loop; left out, the cap grows as the plugin needs, up to %d)", load.MaxGrowingConcurrency))
	fs.Float64VarP(&opts.Rate, "rate", "r", 0, "calls per second: an open loop; 0 runs a closed loop")
	fs.DurationVarP(&opts.Duration, "duration", "d", defaultLoadDuration, "how long to measure, after the warm-up (0: only --requests bounds the run)")
	fs.Uint64VarP(&opts.Requests, "requests", "n", 0, "stop after this many measured calls (at least 1; alone it replaces --duration)")
	fs.DurationVar(&opts.Warmup, "warmup", 0, "call for this long before measuring")
	fs.IntVar(&opts.Connections, "connections", 0, "gRPC connections, or the size of the HTTP keep-alive pool (default 1 for gRPC; for HTTP the cap on calls in flight, connections opened as needed)")
	fs.StringVar(&opts.Progress, "progress", "auto", "live progress: auto (on a terminal only), line (one line every 10s), off")
	opts.Gate.addFlags(fs)
	opts.Out.addFlags(fs)
	fs.StringVar(&opts.Out.HDRLog, "hdr-log", "", "write an HDR histogram log (one interval a second) to this file")
	return cmd
}

func (o *LoadOptions) validate(fs *pflag.FlagSet) error {
	if err := o.checkRanges(); err != nil {
		return err
	}
	switch {
	case o.Concurrency < 1:
		return flagErrorf("--concurrency must be at least 1")
	case o.Rate < 0:
		return flagErrorf("--rate must not be negative")
	case o.Duration < 0:
		return flagErrorf("--duration must not be negative")
	case o.Warmup < 0:
		return flagErrorf("--warmup must not be negative")
	case o.Connections < 0:
		return flagErrorf("--connections must not be negative")
	case fs.Changed("requests") && o.Requests == 0:
		// 0 would mean "no bound", and with -n alone no duration either:
		// a run that never ends.
		return flagErrorf("--requests 0: want at least 1 (leave out -n to bound the run by --duration)")
	}
	o.AutoConcurrency = o.Rate > 0 && !fs.Changed("concurrency")
	if fs.Changed("requests") && !fs.Changed("duration") {
		o.Duration = 0 // --requests alone bounds the run
	}
	// Checked after -n alone has cleared the duration, on the values the
	// run will use.
	if o.Duration == 0 && o.Requests == 0 {
		return flagErrorf("--duration 0 needs --requests: the run would never end")
	}
	switch o.Progress {
	case "auto", "line", "off":
	default:
		return flagErrorf("--progress %q: want auto, line or off", o.Progress)
	}
	if err := (suites.Filter{Run: o.Run, Skip: o.Skip}).Validate(); err != nil {
		return &FlagError{Err: err}
	}
	if _, err := o.Gate.thresholds(); err != nil {
		return err
	}
	_, err := o.Out.parse()
	return err
}

func loadRun(ctx context.Context, opts *LoadOptions) error {
	defer loadMemoryPolicy(ctx)()
	cfg, err := opts.Conn.config(opts.Module)
	if err != nil {
		return err
	}
	ss, err := loadSuites(opts.IO.In, opts.Module, opts.Builtin, opts.Fixtures)
	if err != nil {
		return err
	}
	mix, notes, err := suites.Mix(ss, opts.Module, cfg.Transport, suites.Filter{Run: opts.Run, Skip: opts.Skip})
	if err != nil {
		return err
	}
	concurrency := opts.Concurrency
	if opts.AutoConcurrency {
		concurrency = load.MaxGrowingConcurrency
	}
	conns := opts.Connections
	if conns == 0 {
		conns = 1
		if cfg.Transport == mockclient.HTTP {
			// Connections are opened as calls need them, so a pool sized
			// for a growing cap costs nothing until the plugin needs it.
			conns = concurrency
		}
	}
	cfg.Module = opts.Module
	clients, err := loadmix.Clients(cfg, conns, opts.httpClient)
	if err != nil {
		return err
	}
	// Calls have all returned when load.Run's channel closes, so closing the
	// connections afterwards cannot fail a call in flight.
	defer func() {
		for _, c := range clients {
			_ = c.Close()
		}
	}()
	caller, err := loadmix.New(mix, clients)
	if err != nil {
		return err
	}
	if opts.IO.IsStderrTTY() && opts.Progress != "off" {
		fmt.Fprintf(opts.IO.ErrOut, "load: %s over %s at %s, %d cases in the mix …\n", opts.Module, cfg.Transport, redactedAddr(cfg, false), len(mix))
	}
	var pacer load.Pacer
	info := load.Info{
		Module: string(opts.Module), Transport: string(cfg.Transport), Target: cfg.Addr,
		Mode: "closed", Concurrency: concurrency, AutoConcurrency: opts.AutoConcurrency, Connections: conns, Machines: 1,
		RequestLimit: opts.Requests,
	}
	info.Duration, info.WarmupTime = load.Duration(opts.Duration), load.Duration(opts.Warmup)
	if opts.Rate > 0 {
		pacer = load.ConstantPacer{Rate: opts.Rate}
		info.Mode, info.TargetRPS = "open", opts.Rate
	}
	wait := cfg.CallTimeout
	if wait <= 0 {
		wait = mockclient.DefaultCallTimeout
	}
	if loadmix.Connect(ctx, clients, wait) {
		notes = append(notes, "GOST's first calls would fail: a gRPC connect missed the 1 s grpc-go gives GOST's first connect attempt (on a busy machine this can be the machine, not the plugin); the load began once the connections were up")
	}
	base := runBaseline(ctx, opts, caller, len(mix))
	if base.interrupts {
		return finishInterruptedBaseline(ctx, opts, info, caller, base, notes)
	}
	if err := checkBaseline(ctx, cfg, base.outs, func() { diagnosing(opts) }); err != nil {
		if ctx.Err() != nil {
			base.interrupts = true
			return finishInterruptedBaseline(ctx, opts, info, caller, base, notes)
		}
		return err
	}
	if n := base.note(); n != "" {
		notes = append(notes, n)
	}

	runOpts := []load.Option{
		load.WithConcurrency(concurrency), load.WithDuration(opts.Duration),
		load.WithRequests(opts.Requests), load.WithWarmup(opts.Warmup), load.WithCases(len(mix)),
	}
	ivs, err := load.Run(ctx, caller.Call, pacer, append(runOpts, opts.engine...)...)
	if err != nil {
		return err
	}
	m, logErr := consume(ivs, opts)
	info.Mix = caller.Info()
	res, err := load.NewResult(info, m)
	if err != nil {
		return err
	}
	res.Tool = &load.Tool{Name: "plugincheck", Version: Version, GOST: GOSTVersion, Plugin: PluginVersion}
	res.Notes = append(res.Notes, notes...)
	if cfg.Transport == mockclient.GRPC && cfg.Timeout > 0 {
		res.Notes = append(res.Notes, "--timeout has no effect on gRPC plugins in GOST; calls were bounded by --call-timeout")
	}
	res.Redact(func(s string) string { return clip.Redact(s, cfg.Token) })
	return finishLoad(ctx, opts.IO, res, &opts.Gate, &opts.Out, logErr)
}

// checkBaseline turns a baseline pass in which no call got a usable answer
// into the unreachable error of a module run. diagnosing is called before
// the connection is probed to find out why.
func checkBaseline(ctx context.Context, cfg mockclient.Config, outs []mockclient.Outcome, diagnosing func()) error {
	sent, unreachable, unauth := 0, 0, 0
	var first string
	for _, o := range outs {
		if !o.Sent || o.Failure == mockclient.FailureRequest {
			continue
		}
		sent++
		switch {
		case o.Failure == mockclient.FailureTransport || o.Failure == mockclient.FailureTimeout:
			unreachable++
			if first == "" {
				first = o.Error()
			}
		case o.Unauthenticated():
			unauth++
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	switch {
	case sent == 0:
		return nil
	case unreachable == sent:
		diagnosing()
		msg := probe.Diagnose(ctx, cfg)
		if msg == "" {
			msg = first
		}
		return fmt.Errorf("%w: %s", ErrTargetUnreachable, msg)
	case unauth == sent && cfg.Token == "":
		return fmt.Errorf("%w: the plugin answered Unauthenticated to every call: does it need --token?", ErrTargetUnreachable)
	case unauth == sent:
		return fmt.Errorf("%w: the plugin answered Unauthenticated to every call: it rejects the --token given", ErrTargetUnreachable)
	}
	return nil
}

// consume reads the run's intervals to the end: it adds them up, writes the
// histogram log and shows progress. A failing log stops the log, not the run.
func consume(ivs <-chan *load.Interval, opts *LoadOptions) (*load.Metrics, error) {
	m := load.NewMetrics()
	var lw *load.LogWriter
	var logFile *os.File
	var logErr error
	if opts.Out.HDRLog != "" {
		f, err := os.Create(opts.Out.HDRLog)
		if err != nil {
			logErr = fmt.Errorf("hdr log: %w", err)
		} else {
			logFile = f
			lw = load.NewLogWriter(f, time.Now())
		}
	}
	prog := newProgress(opts.IO, opts.Progress, opts)
	for iv := range ivs {
		if lw != nil && logErr == nil {
			logErr = lw.Write(iv)
		}
		m.Add(iv)
		prog.update(iv, m)
	}
	prog.done()
	if logFile != nil {
		if err := logFile.Close(); err != nil && logErr == nil {
			logErr = fmt.Errorf("hdr log: %w", err)
		}
	}
	return m, logErr
}

// finishLoad checks the gate, renders the result and maps the outcome to
// the command's error.
func finishLoad(ctx context.Context, io *iostreams.IOStreams, res *load.Result, gate *GateOptions, out *LoadOutputs, otherErr error) error {
	th, err := gate.thresholds()
	if err != nil {
		return err
	}
	breached := th.Check(res)
	// A call fails in GOST's terms with a transport error or with a reply
	// GOST treats as failed; every call failing is no pass.
	allFailed := res.Requests > 0 && res.Errors+res.Failures == res.Requests
	if allFailed {
		res.Notes = append(res.Notes, "every measured call failed")
	}
	if err := renderLoad(io, res, out); err != nil {
		return err
	}
	changed := 0
	for _, c := range res.Cases {
		if c.Changed > 0 {
			changed++
		}
	}
	switch {
	case otherErr != nil:
		return otherErr
	case ctx.Err() != nil:
		return ctx.Err()
	case changed > 0:
		return ErrChecksFailed
	case len(breached) > 0:
		// A gate the user set outranks "every call failed", which it
		// then also catches: CI branches on the gate's exit code.
		msgs := make([]string, len(breached))
		for i, g := range breached {
			msgs[i] = g.String()
		}
		return fmt.Errorf("%w: %s", ErrThresholdBreached, strings.Join(msgs, "; "))
	case allFailed:
		return ErrChecksFailed
	}
	return nil
}

func renderLoad(ios *iostreams.IOStreams, res *load.Result, out *LoadOutputs) error {
	outs, err := out.parse()
	if err != nil {
		return err
	}
	return writeOutputs(ios, outs, loadResults, res, "result", nil)
}

// progress shows a run's progress on standard error: a live line on a
// terminal, a line every progressLineEvery with --progress line, or nothing.
type progress struct {
	w        io.Writer
	live     bool
	lines    bool
	start    time.Time
	lastLine time.Time
	// warmup, total and target label the line (progressState).
	warmup, total time.Duration
	target        int64
	// width is the terminal's width; termWidth in a run.
	width func(io.Writer) int
}

func newProgress(ios *iostreams.IOStreams, mode string, opts *LoadOptions) *progress {
	p := &progress{w: ios.ErrOut, start: time.Now(), width: termWidth}
	if opts != nil {
		p.warmup, p.total, p.target = opts.Warmup, opts.Duration, int64(min(opts.Requests, 1<<62))
	}
	p.lastLine = p.start
	p.live, p.lines = progressMode(ios, mode)
	return p
}

// progressMode reads --progress: "auto" redraws one live line on a
// terminal, "line" prints a line now and then, anything else is silent.
func progressMode(ios *iostreams.IOStreams, mode string) (live, lines bool) {
	switch mode {
	case "auto":
		return ios.IsStderrTTY(), false
	case "line":
		return false, true
	}
	return false, false
}

func (p *progress) update(iv *load.Interval, m *load.Metrics) {
	if !p.live && !p.lines {
		return
	}
	el := iv.End.Sub(iv.Start).Seconds()
	rate := 0.0
	if el > 0 {
		rate = float64(iv.Requests) / el
	}
	st := progressState{
		Elapsed: iv.End.Sub(p.start), Warmup: p.warmup, Total: p.total,
		Calls: int64(min(m.Requests, 1<<62)), Target: p.target, RPS: rate,
		P99:    time.Duration(m.Corrected.ValueAtPercentile(99)),
		Errors: int64(min(m.Errors, 1<<62)), Failures: int64(min(m.Failures, 1<<62)),
	}
	switch {
	case p.live:
		fmt.Fprintf(p.w, "\r\033[K%s", progressLine(p.width(p.w), st))
	case iv.End.Sub(p.lastLine) >= progressLineEvery && !iv.Final:
		p.lastLine = iv.End
		fmt.Fprintf(p.w, "load: %s\n", progressLine(1<<20, st))
	}
}

func (p *progress) done() {
	if p.live {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
