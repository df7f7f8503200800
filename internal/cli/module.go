package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

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
}

func newCmdModule(f *Factory, m mockclient.Module, runF func(context.Context, *ModuleOptions) error) *cobra.Command {
	opts := &ModuleOptions{IO: f.IO, Now: f.Now, Module: m}
	cmd := &cobra.Command{
		Use:   string(m) + " --addr <plugin>",
		Short: fmt.Sprintf("Check a %s plugin as GOST calls it", m),
		Long: fmt.Sprintf(`Check a %s plugin: run the built-in %s suite (request shapes GOST really sends,
consistency, latency, module sanity) plus any --fixtures, over the plugin's transport.`, m, m),
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
	cfg, err := opts.Conn.config(opts.Module)
	if err != nil {
		return err
	}
	audit, err := opts.Conn.auditOptions(opts.Now)
	if err != nil {
		return err
	}
	ss, err := loadSuites(opts.Module, opts.Checks.Builtin, opts.Checks.Fixtures)
	if err != nil {
		return err
	}
	rep := newReport(opts.Now())
	if opts.IO.IsStderrTTY() {
		fmt.Fprintf(opts.IO.ErrOut, "checking %s over %s at %s …\n", opts.Module, cfg.Transport, redactedAddr(cfg, opts.Checks.ShowToken))
	}
	run, runErr := runOne(ctx, cfg, opts.Module, ss, &opts.Checks, audit)
	if run == nil {
		return runErr
	}
	if cfg.Transport == mockclient.GRPC && cfg.Timeout > 0 {
		run.Notes = append(run.Notes, "--timeout has no effect on gRPC plugins in GOST; calls were bounded by --call-timeout")
	}
	rep.Runs = append(rep.Runs, run)
	return finish(ctx, opts.IO, opts.Now, rep, &opts.Checks, runErr)
}

// newClient builds GOST's client and explains an address GOST rejects.
func newClient(cfg mockclient.Config, m mockclient.Module) (*mockclient.Client, error) {
	c, err := mockclient.New(cfg)
	if errors.Is(err, mockclient.ErrInvalidTarget) {
		if op, lerr := mockclient.LookupOperation(m, ""); lerr == nil && op.NilClientEffect != "" {
			return nil, fmt.Errorf("%w; GOST would run this %s plugin without a client: %s", err, m, op.NilClientEffect)
		}
	}
	return c, err
}

// loadSuites returns the built-in suite of m (unless builtin is false) and
// the suites of m found in the fixture paths.
func loadSuites(m mockclient.Module, builtin bool, paths []string) ([]*suites.Suite, error) {
	var out []*suites.Suite
	if builtin {
		ss, err := embeddedSuites(fixtures.BuiltinDir, m)
		if err != nil {
			return nil, err
		}
		out = append(out, ss...)
	}
	if len(paths) > 0 {
		ss, err := suites.ParseFiles(paths...)
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

// embeddedSuites parses dir/<module>.yaml from the built-in fixtures, if
// there is one.
func embeddedSuites(dir string, m mockclient.Module) ([]*suites.Suite, error) {
	name := path.Join(dir, string(m)+".yaml")
	if _, err := fs.Stat(fixtures.FS, name); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	ss, err := suites.Parse(fixtures.FS, name)
	if err != nil {
		return nil, fmt.Errorf("built-in fixtures: %w", err)
	}
	return ss, nil
}

func newReport(now time.Time) *report.Report {
	return &report.Report{
		Schema:    report.SchemaVersion,
		Tool:      report.Tool{Name: "plugincheck", Version: Version, GOST: GOSTVersion, Plugin: PluginVersion},
		StartedAt: now.UTC(),
	}
}

// diagnose sets run.Diagnosis when no call of the run got a usable answer
// from the plugin: it could not be reached, GOST could not speak to it, or
// it refused every call as unauthenticated. The diagnosis also heads the
// run's causes. A plugin that the TLS audit and the probe found answering
// in its protocol is not unreachable even when every call failed with
// gRPC Unavailable: that code came from the plugin, and the run's causes
// say so instead.
func diagnose(ctx context.Context, cfg mockclient.Config, run *report.Run, showToken bool) {
	sent, failed, unreachable, unauth, coded := 0, 0, 0, 0, 0
	var first, firstCall string
	for _, c := range run.Cases {
		for _, st := range c.Steps {
			o := st.Observation
			if !o.Sent || o.Failure == string(mockclient.FailureRequest) {
				continue
			}
			sent++
			if o.Failure != "" {
				failed++
			}
			switch {
			case slices.ContainsFunc(st.Notes, func(n report.Note) bool { return n.Code == mockclient.NoteGOSTTimeout }):
				// Reached, but too slow for GOST's timeout: the run's
				// causes say so; not a plugin that cannot be reached.
			case o.Failure == string(mockclient.FailureTransport) || o.Failure == string(mockclient.FailureTimeout):
				unreachable++
				if first == "" {
					first, firstCall = o.Error, strings.TrimSpace(o.Method+" "+o.Target)
				}
				if o.Failure == string(mockclient.FailureTransport) && o.Code != "" {
					coded++
				}
			case o.Code == "Unauthenticated" || o.HTTPStatus == 401:
				unauth++
			}
		}
	}
	cause := report.Cause{Code: suites.CauseUnreachable, Status: report.Fail, Sent: firstCall, Got: first,
		GOST: "no call reaches the plugin, so GOST applies the " + run.Module + " module's failure rule to all traffic"}
	connects, reason := run.TLS.Connects()
	switch {
	case sent == 0:
		return
	case failed == sent && !connects:
		// Also when the calls got an answer: an HTTPS server answers a
		// plaintext request with HTTP 400, which is no plugin reply.
		cause.Code, cause.Text = suites.CauseTLS, reason
		cause.Fix = "make the plugin's TLS and GOST's tls block agree (see the TLS section)"
		if e := run.TLS.Endpoint; e != nil && !e.Reachable {
			cause.Code, cause.Fix = suites.CauseUnreachable, "start the plugin, or correct --addr"
		}
	case unreachable == sent:
		if d := probe.DiagnoseAfter(ctx, cfg, &run.TLS); d != "" {
			cause.Text = d
			cause.Fix = "start the plugin, or correct --addr"
			break
		}
		if e := run.TLS.Endpoint; coded == sent && e != nil && e.Reachable {
			// The audit reached the address and the probe spoke the
			// protocol: the codes are the plugin's answers.
			run.Causes = suites.Explain(run, cfg, suites.ExplainOptions{ShowToken: showToken, Reachable: true})
			return
		}
		cause.Text = first
	case unauth == sent:
		// suites.Explain has already written the cause in these words.
		run.Diagnosis = suites.UnauthenticatedText(cfg.Token != "")
		return
	default:
		return
	}
	cause = suites.Tidy(cause, cfg.Token, showToken)
	run.Diagnosis = cause.Text
	cause.Cases = failedCases(run)
	run.Causes = append([]report.Cause{cause}, run.Causes...)
}

// tlsCaveat adds a warning cause when GOST connects with the settings given
// but not cleanly: a gRPC connect slower than the 1 s grpc-go gives GOST's
// first attempt (its first calls fail with Unavailable), or an HTTP TLS
// handshake that every new connection waits for. The run warns, so that
// --strict can gate on it; the TLS section has the detail.
func tlsCaveat(cfg mockclient.Config, run *report.Run, showToken bool) {
	if run.Diagnosis != "" {
		return
	}
	connects, reason := run.TLS.Connects()
	if !connects || reason == "" {
		return
	}
	cause := suites.Tidy(report.Cause{
		Code:   suites.CauseTLS,
		Status: report.Warn,
		Text:   "GOST connects with the settings given, with a caveat: " + reason,
		Sent:   cfg.Addr,
		GOST:   "see the TLS section: GOST's own connect deadlines decide which calls fail or wait",
		Fix:    "make the plugin accept connections and complete its TLS handshake promptly (well under 1 s)",
	}, cfg.Token, showToken)
	run.Causes = append(run.Causes, cause)
	suites.SortCauses(run.Causes)
}

// failedCases are the IDs of the run's failed cases.
func failedCases(run *report.Run) []string {
	var out []string
	for _, c := range run.Cases {
		if c.Status == report.Fail {
			out = append(out, c.ID)
		}
	}
	return out
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
	return writeOutputs(io, outs, report.Reports, rep, "report", func(o output) report.TextOptions {
		color := o.file == "" && io.ColorEnabled() && !checks.NoColor
		return report.TextOptions{Color: color, Verbose: checks.Verbose}
	})
}
