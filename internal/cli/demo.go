package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/plugincheck/plugincheck/check"
	"github.com/plugincheck/plugincheck/fixtures"
	"github.com/plugincheck/plugincheck/internal/iostreams"
	"github.com/plugincheck/plugincheck/internal/refplugin"
	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/suites"
)

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
				if _, err := mockclient.ParseModule(name); err != nil {
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
	return cmd
}

func demoRun(ctx context.Context, opts *DemoOptions) error {
	modules := mockclient.Modules()
	if len(opts.Modules) > 0 {
		modules = modules[:0:0]
		for _, name := range opts.Modules {
			m, _ := mockclient.ParseModule(name)
			modules = append(modules, m)
		}
	}
	srv, err := refplugin.Start(ctx, refplugin.Options{Token: demoToken})
	if err != nil {
		return fmt.Errorf("start reference plugins: %w", err)
	}
	defer srv.Close()

	rep := newReport(opts.Now())
	for _, m := range modules {
		ss, err := loadSuites(m, true, nil)
		if err != nil {
			return err
		}
		ref, err := check.EmbeddedSuites(fixtures.ReferenceDir, m)
		if err != nil {
			return err
		}
		ss = append(ss, ref...)
		for _, t := range mockclient.Transports() {
			addr := srv.GRPCAddr()
			if t == mockclient.HTTP {
				addr = srv.HTTPURL(string(m))
			}
			cfg := mockclient.Config{Addr: addr, Transport: t, Token: demoToken, CallTimeout: mockclient.DefaultCallTimeout}
			if opts.IO.IsStderrTTY() {
				fmt.Fprintf(opts.IO.ErrOut, "demo: %s over %s …\n", m, t)
			}
			run, err := check.Module(ctx, cfg, m, checkOptions(&opts.Checks, ss, check.AuditOptions{}, opts.Now))
			if errors.Is(err, suites.ErrNoMatch) {
				continue // --run/--skip left nothing of this module
			}
			if run != nil {
				rep.Runs = append(rep.Runs, run)
			}
			if err != nil {
				return finish(ctx, opts.IO, opts.Now, rep, &opts.Checks, err)
			}
		}
	}
	if len(rep.Runs) == 0 {
		return fmt.Errorf("%w: --run/--skip left no case in any module", suites.ErrNoMatch)
	}
	return finish(ctx, opts.IO, opts.Now, rep, &opts.Checks, nil)
}
