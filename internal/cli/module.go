package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/plugincheck/plugincheck/check"
	"github.com/plugincheck/plugincheck/fixtures"
	"github.com/plugincheck/plugincheck/internal/iostreams"
	"github.com/plugincheck/plugincheck/internal/probe"
	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
	"github.com/plugincheck/plugincheck/suites"
)

// ModuleOptions is one `plugincheck <module>` run.
type ModuleOptions struct {
	IO     *iostreams.IOStreams
	Now    func() time.Time
	Module mockclient.Module
	Conn   ConnOptions
	Checks CheckOptions
	// Check runs the module check; nil means check.Module. Tests put a
	// fake here, or check.Module with a fake client, audit and clock.
	Check func(ctx context.Context, cfg mockclient.Config, m mockclient.Module, opts check.Options) (*report.Run, error)
}

func newCmdModule(f *Factory, m mockclient.Module, runF func(context.Context, *ModuleOptions) error) *cobra.Command {
	opts := &ModuleOptions{IO: f.IO, Now: f.Now, Module: m}
	cmd := &cobra.Command{
		Use:   string(m) + " --addr <plugin>",
		Short: fmt.Sprintf("Check %s %s plugin as GOST calls it", article(string(m)), m),
		Long: fmt.Sprintf(`Check %s %s plugin: run the built-in %s suite (request shapes GOST really sends,
consistency, latency, module sanity) plus any --fixtures, over the plugin's transport.`, article(string(m)), m, m),
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.Conn.validate(m); err != nil {
				return err
			}
			if err := opts.Checks.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return moduleRun(cmd.Context(), opts)
		},
	}
	opts.Conn.addFlags(cmd.Flags())
	opts.Checks.addFlags(cmd.Flags(), true)
	return cmd
}

func moduleRun(ctx context.Context, opts *ModuleOptions) error {
	// The parse, the run and the report all hold the suite's cases.
	defer moduleMemoryPolicy(ctx)()
	cfg, err := opts.Conn.config(opts.Module)
	if err != nil {
		return err
	}
	audit, err := opts.Conn.auditOptions(opts.Now)
	if err != nil {
		return err
	}
	ss, err := loadSuites(opts.IO.In, opts.Module, opts.Checks.Builtin, opts.Checks.Fixtures)
	if err != nil {
		return err
	}
	if err := startJSONL(opts.IO, &opts.Checks); err != nil {
		return err
	}
	defer opts.Checks.jsonl.close()
	rep := newReport(opts.Now())
	if opts.IO.IsStderrTTY() {
		fmt.Fprintf(opts.IO.ErrOut, "checking %s over %s at %s …\n", opts.Module, cfg.Transport, redactedAddr(cfg, opts.Checks.ShowToken))
	}
	run := opts.Check
	if run == nil {
		run = check.Module
	}
	co := checkOptions(&opts.Checks, ss, auditOf(audit), opts.Now)
	co.Run.OnCase = opts.Checks.jsonl.onCase("", cfg.Token)
	r, runErr := run(ctx, cfg, opts.Module, co)
	if r == nil {
		return noMatchError(runErr, &opts.Checks, ss, opts.Module)
	}
	if cfg.Transport == mockclient.GRPC && cfg.Timeout > 0 {
		r.Notes = append(r.Notes, "--timeout has no effect on gRPC plugins in GOST; calls were bounded by --call-timeout")
	}
	rep.Runs = append(rep.Runs, r)
	return finish(ctx, opts.IO, opts.Now, rep, &opts.Checks, runErr)
}

// checkOptions maps the command's flags to a module check of suites ss.
func checkOptions(checks *CheckOptions, ss []*suites.Suite, audit check.AuditOptions, now func() time.Time) check.Options {
	return check.Options{
		Suites:    withServices(ss, checks.Services),
		Run:       checks.runOptions(),
		TLS:       audit,
		ShowToken: checks.ShowToken,
		Now:       now,
	}
}

// auditOf is the TLS flags' audit settings as check takes them.
func auditOf(a probe.AuditOptions) check.AuditOptions {
	return check.AuditOptions{CACert: a.CACert, CACertName: a.CACertName, ClientCert: a.ClientCert}
}

// newClient builds GOST's client for the load command.
func newClient(cfg mockclient.Config, m mockclient.Module) (*mockclient.Client, error) {
	return check.NewClient(cfg, m)
}

// loadSuites returns the built-in suite of m (unless builtin is false) and
// the suites of m found in the fixture paths.
func loadSuites(in io.Reader, m mockclient.Module, builtin bool, paths []string) ([]*suites.Suite, error) {
	var out []*suites.Suite
	if builtin {
		ss, err := check.EmbeddedSuites(fixtures.BuiltinDir, m)
		if err != nil {
			return nil, err
		}
		out = append(out, ss...)
	}
	if len(paths) > 0 {
		ss, err := parseFixtures(in, paths)
		if err != nil {
			return nil, err
		}
		n := 0
		for _, s := range ss {
			if s.Module == m {
				out = append(out, s)
				n++
			}
		}
		if n == 0 {
			return nil, fmt.Errorf("%w: none of the --fixtures suites is for module %s", suites.ErrNoMatch, m)
		}
	}
	if len(out) == 0 {
		return nil, flagErrorf("nothing to run for module %s: no built-in suite and no --fixtures", m)
	}
	return out, nil
}

func newReport(now time.Time) *report.Report {
	return &report.Report{
		Schema:    report.SchemaVersion,
		Tool:      report.Tool{Name: "plugincheck", Version: Version, GOST: GOSTVersion, Plugin: PluginVersion},
		StartedAt: now.UTC(),
	}
}

// finish renders the report and turns its outcome into the command's error.
func finish(ctx context.Context, io *iostreams.IOStreams, now func() time.Time, rep *report.Report, checks *CheckOptions, runErr error) error {
	rep.Duration = report.Duration(now().Sub(rep.StartedAt))
	rep.Finish()
	if err := render(io, rep, checks); err != nil {
		return err
	}
	if runErr != nil {
		return runErr
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	for _, run := range rep.Runs {
		if run.Diagnosis != "" {
			return fmt.Errorf("%w: %s over %s: %s", ErrTargetUnreachable, run.Module, run.Transport, run.Diagnosis)
		}
	}
	if err := noneExecuted(rep); err != nil {
		return err
	}
	if rep.Totals.Fail > 0 {
		return ErrChecksFailed
	}
	for _, run := range rep.Runs {
		// A run fails on a cause even when its cases pass, and under
		// --strict a run-level warning (an admission plugin that denies
		// every client) counts like a warned case.
		if run.Status == report.Fail || (checks.Strict && run.Status == report.Warn) {
			return ErrChecksFailed
		}
	}
	if checks.Strict && rep.Totals.Warn > 0 {
		return ErrChecksFailed
	}
	return nil
}

func render(io *iostreams.IOStreams, rep *report.Report, checks *CheckOptions) error {
	outs, err := checks.outputs()
	if err != nil {
		return err
	}
	if checks.jsonl != nil {
		if err := checks.jsonl.finish(rep); err != nil {
			return err
		}
		outs = checks.jsonl.withoutStreamed(outs)
	}
	return writeOutputs(io, outs, report.Reports, rep, "report", func(o output) report.TextOptions {
		color := o.file == "" && io.ColorEnabled() && !checks.NoColor
		return report.TextOptions{Color: color, Verbose: checks.Verbose, Strict: checks.Strict}
	})
}
