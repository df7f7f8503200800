package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/plugincheck/plugincheck/check"
	"github.com/plugincheck/plugincheck/fixtures"
	"github.com/plugincheck/plugincheck/internal/iostreams"
	"github.com/plugincheck/plugincheck/internal/refplugin"
	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
	"github.com/plugincheck/plugincheck/suites"
)

// demoModules is how many modules the demo checks at once. Each check
// mostly waits on loopback calls, and the runs of one module already keep
// demoWorkers cases in flight, so a few modules at once fill two cores
// without queueing calls long enough to move a latency check.
const demoModules = 4

// demoWorkers is the demo's --parallel default. With demoModules modules
// checked at once, a gRPC run's own default (suites.DefaultGRPCWorkers)
// only queued calls: the demo took 340 ms against 300 ms with four.
const demoWorkers = suites.DefaultWorkers

var demoProgressMu sync.Mutex

// demoProgress tells a terminal which run started; runs of several modules
// start at once, so the lines are written whole, one at a time.
func demoProgress(io *iostreams.IOStreams, m mockclient.Module, t mockclient.Transport) {
	demoProgressMu.Lock()
	defer demoProgressMu.Unlock()
	fmt.Fprintf(io.ErrOut, "demo: %s over %s …\n", m, t)
}

// demoToken is the token the demo's reference plugins require, so that the
// demo exercises GOST's token path on both transports.
const demoToken = "plugincheck-demo"

// DemoOptions is one `plugincheck demo` run.
type DemoOptions struct {
	IO      *iostreams.IOStreams
	Now     func() time.Time
	Modules []string
	Checks  CheckOptions
}

func newCmdDemo(f *Factory, runF func(context.Context, *DemoOptions) error) *cobra.Command {
	opts := &DemoOptions{IO: f.IO, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run every suite against built-in reference plugins on loopback",
		Long: `Start plugincheck's reference plugins for all 13 modules on 127.0.0.1, over gRPC
and HTTP, and run every module's built-in and reference suites against them:
13 modules × 2 transports. Needs no plugin of your own.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.Checks.validate(); err != nil {
				return err
			}
			for _, name := range opts.Modules {
				if _, err := suites.ParseModule(name); err != nil {
					return &FlagError{Err: fmt.Errorf("--modules: %w", err)}
				}
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return demoRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringSliceVar(&opts.Modules, "modules", nil, "only these modules (default: all 13)")
	opts.Checks.addFlags(cmd.Flags(), false)
	opts.Checks.Parallel = demoWorkers
	parallel := cmd.Flags().Lookup("parallel")
	parallel.DefValue = strconv.Itoa(demoWorkers)
	parallel.Usage = fmt.Sprintf("cases run at once in each module's run, 1 to %d; ingress and sd always run one at a time", maxParallel)
	return cmd
}

func demoRun(ctx context.Context, opts *DemoOptions) error {
	modules := mockclient.Modules()
	if len(opts.Modules) > 0 {
		modules = modules[:0:0]
		for _, name := range opts.Modules {
			m, _ := suites.ParseModule(name)
			modules = append(modules, m)
		}
	}
	// The demo is 26 module runs, plugins included, in one process.
	defer moduleMemoryPolicy(ctx)()
	srv, err := refplugin.Start(ctx, refplugin.Options{Token: demoToken})
	if err != nil {
		return fmt.Errorf("start reference plugins: %w", err)
	}
	defer srv.Close()
	if err := startJSONL(opts.IO, &opts.Checks); err != nil {
		return err
	}
	defer opts.Checks.jsonl.close()

	type moduleSuites struct {
		m  mockclient.Module
		ss []*suites.Suite
	}
	var todo []moduleSuites
	for _, m := range modules {
		ss, err := loadSuites(nil, m, true, nil)
		if err != nil {
			return err
		}
		ref, err := check.EmbeddedSuites(fixtures.ReferenceDir, m)
		if err != nil {
			return err
		}
		todo = append(todo, moduleSuites{m: m, ss: append(ss, ref...)})
	}
	// Modules are checked demoModules at a time; the report keeps module
	// and transport order. The two runs of one module stay in order: the
	// ingress and sd reference plugins keep rules and services that both
	// transports share, and each run expects the other's to be over.
	type result struct {
		run *report.Run
		err error
	}
	results := make([][]result, len(todo))
	// The report starts when the first run does, so its duration covers
	// the runs and not only the rendering after them.
	started := opts.Now()
	slots := make(chan struct{}, demoModules)
	var wg sync.WaitGroup
	for i, ms := range todo {
		results[i] = make([]result, len(mockclient.Transports()))
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			for k, t := range mockclient.Transports() {
				addr := srv.GRPCAddr()
				if t == mockclient.HTTP {
					addr = srv.HTTPURL(string(ms.m))
				}
				cfg := mockclient.Config{Addr: addr, Transport: t, Token: demoToken, CallTimeout: mockclient.DefaultCallTimeout}
				if opts.IO.IsStderrTTY() {
					demoProgress(opts.IO, ms.m, t)
				}
				co := checkOptions(&opts.Checks, ms.ss, check.AuditOptions{}, opts.Now)
				co.Run.OnCase = opts.Checks.jsonl.onCase("", cfg.Token)
				run, err := check.Module(ctx, cfg, ms.m, co)
				results[i][k] = result{run: run, err: err}
				if err != nil && !errors.Is(err, suites.ErrNoMatch) {
					return
				}
			}
		})
	}
	wg.Wait()

	rep := newReport(started)
	for _, rs := range results {
		for _, r := range rs {
			if errors.Is(r.err, suites.ErrNoMatch) {
				continue // --run/--skip left nothing of this module
			}
			if r.run != nil {
				rep.Runs = append(rep.Runs, r.run)
			}
			if r.err != nil {
				return finish(ctx, opts.IO, opts.Now, rep, &opts.Checks, r.err)
			}
		}
	}
	if len(rep.Runs) == 0 {
		return fmt.Errorf("%w: --run/--skip left no case in any module", suites.ErrNoMatch)
	}
	return finish(ctx, opts.IO, opts.Now, rep, &opts.Checks, nil)
}
