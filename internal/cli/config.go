package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/plugincheck/plugincheck/check"
	"github.com/plugincheck/plugincheck/clip"
	"github.com/plugincheck/plugincheck/fixtures"
	"github.com/plugincheck/plugincheck/internal/gostconfig"
	"github.com/plugincheck/plugincheck/internal/iostreams"
	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
	"github.com/plugincheck/plugincheck/suites"
)

// ConfigOptions is one `plugincheck config` run: a whole GOST deployment,
// read from a config file, stdin or GOST's web API.
type ConfigOptions struct {
	IO  *iostreams.IOStreams
	Now func() time.Time
	// File is the config file, "-" for stdin; empty with API.
	File string
	// API is the base URL of GOST's web API, with any path prefix.
	API         string
	APIUser     string
	APIPassword string
	// Only selects plugin blocks by "kind/name" or by kind.
	Only        []string
	CallTimeout time.Duration
	Checks      CheckOptions
	// Check runs one plugin's module check; nil means check.Module.
	Check func(ctx context.Context, cfg mockclient.Config, m mockclient.Module, opts check.Options) (*report.Run, error)
	// Fetch reads the config from the API; nil means gostconfig.FetchAPI.
	Fetch func(ctx context.Context, opts gostconfig.APIOptions) (string, []byte, error)
}

func newCmdConfig(f *Factory, runF func(context.Context, *ConfigOptions) error) *cobra.Command {
	opts := &ConfigOptions{IO: f.IO, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "config FILE|- | config --api URL",
		Short: "Check every plugin of a GOST deployment with its real settings",
		Long: `Check a whole GOST deployment: read its config (YAML or JSON, a file, - for stdin,
or the running config from GOST's web API with --api), then check every plugin
block with the settings GOST reads from it (addr, type, token, tls, timeout) and
its module's suites, whose requests also carry the names of the services that
use the plugin, shaped for their handlers and listeners. Config problems are
findings with the file's line. One report; the exit code is the worst of all
runs and findings (a warning counts under --strict).`,
		Example: `  plugincheck config gost.yml
  plugincheck config - < gost.yml
  plugincheck config gost.yml --only authers/auth-0 --only bypasses -o junit=plugins.xml
  PLUGINCHECK_API_PASSWORD=… plugincheck config --api http://127.0.0.1:18080/api --api-user admin`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return flagErrorf("config takes one FILE (or - for stdin), got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.File = args[0]
			}
			if err := opts.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return configRun(cmd.Context(), opts)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&opts.API, "api", "", "read the running config from GOST's web API at this base URL, with its path prefix (GET <URL>/config)")
	fs.StringVar(&opts.APIUser, "api-user", "", "basic auth user of GOST's web API")
	fs.StringVar(&opts.APIPassword, "api-password", "", "basic auth password of GOST's web API")
	fs.StringArrayVar(&opts.Only, "only", nil, "check only this plugin block (kind/name, e.g. authers/auth-0) or kind (authers); repeatable")
	fs.DurationVar(&opts.CallTimeout, "call-timeout", mockclient.DefaultCallTimeout, "plugincheck's own deadline for each call (GOST sets none for gRPC)")
	opts.Checks.addFlags(fs, false)
	return cmd
}

// maxOnly bounds --only.
const maxOnly = 256

func (o *ConfigOptions) validate() error {
	switch {
	case o.File == "" && o.API == "":
		return flagErrorf("config needs a FILE, - for stdin, or --api URL")
	case o.File != "" && o.API != "":
		return flagErrorf("give either FILE or --api, not both")
	case o.API == "" && (o.APIUser != "" || o.APIPassword != ""):
		return flagErrorf("--api-user and --api-password go with --api")
	case len(o.Only) > maxOnly:
		return flagErrorf("--only given %d times; at most %d", len(o.Only), maxOnly)
	}
	if o.API != "" {
		u, err := url.Parse(o.API)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return flagErrorf("--api %q: want GOST's API base URL, http:// or https://, with any path prefix, e.g. http://127.0.0.1:18080/api", clipArg(redactURL(o.API)))
		}
	}
	for _, s := range o.Only {
		if strings.TrimSpace(s) == "" {
			return flagErrorf("--only: empty selection")
		}
	}
	if err := checkDuration("--call-timeout", o.CallTimeout, time.Millisecond, maxTimeout, false); err != nil {
		return err
	}
	return o.Checks.validate()
}

// redactURL drops the user info of a URL the user typed, for messages.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	u.User = url.User("<redacted>")
	return u.String()
}

func configRun(ctx context.Context, opts *ConfigOptions) error {
	d, err := readDeployment(ctx, opts)
	if err != nil {
		return err
	}
	// A deployment run is module runs one after another: the same policy.
	defer moduleMemoryPolicy(ctx)()
	err = checkDeployment(ctx, opts, d)
	if err != nil && !opts.Checks.ShowToken {
		// Main redacts --token from the error line; here every block's
		// token is one, and a diagnosis or a library error may quote it.
		var tokens []string
		for _, p := range d.Plugins {
			tokens = append(tokens, p.Config.Token)
		}
		err = redactError(err, tokens)
	}
	return err
}

// redactedError is an error whose message had tokens removed; errors.Is
// and errors.As still see the original, so the exit code is unchanged.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }

func (e *redactedError) Unwrap() error { return e.err }

func redactError(err error, tokens []string) error {
	msg := err.Error()
	for _, t := range tokens {
		msg = clip.Redact(msg, t)
	}
	if msg == err.Error() {
		return err
	}
	return &redactedError{msg: msg, err: err}
}

// checkDeployment checks the selected plugins of d and renders the report.
func checkDeployment(ctx context.Context, opts *ConfigOptions, d *gostconfig.Deployment) error {
	plugins, err := selectPlugins(d.Plugins, opts.Only)
	if err != nil {
		return err
	}
	if err := startJSONL(opts.IO, &opts.Checks); err != nil {
		return err
	}
	defer opts.Checks.jsonl.close()
	rep := newReport(opts.Now())
	rep.Source = d.Source
	rep.Findings = findingsOf(d.Findings)
	run := opts.Check
	if run == nil {
		run = check.Module
	}
	ran, selected := 0, 0
	for i := range plugins {
		p := &plugins[i]
		if p.Ignored != "" {
			continue
		}
		selected++
		r, err := checkPlugin(ctx, opts, p, run)
		switch {
		case errors.Is(err, suites.ErrNoMatch):
			continue // --run/--skip left nothing of this plugin
		case r == nil && err != nil && ctx.Err() == nil:
			// GOST could not build a client from the block either: a
			// finding of its own (unless the config's bad-address one says
			// it), and the other plugins still run.
			if slices.ContainsFunc(d.Findings, func(f gostconfig.Finding) bool {
				return f.Plugin == p.ID() && f.Code == gostconfig.CodeBadAddress
			}) {
				continue
			}
			rep.Findings = append(rep.Findings, report.Finding{
				Code: "not-checked", Status: report.Fail, File: d.Source, Line: p.Line, Plugin: p.ID(),
				Message: clip.Text(redactTokens(oneLine(err), plugins, opts.Checks.ShowToken), 1024),
			})
			continue
		}
		if r != nil {
			rep.Runs = append(rep.Runs, r)
			ran++
		}
		if err != nil {
			return configFinish(ctx, opts, rep, plugins, err)
		}
	}
	if ran == 0 && selected > 0 && len(opts.Checks.Run)+len(opts.Checks.Skip) > 0 {
		return fmt.Errorf("%w: --run/--skip left no case in any plugin", suites.ErrNoMatch)
	}
	return configFinish(ctx, opts, rep, plugins, nil)
}

// checkPlugin runs the module check of one plugin block with its own
// settings and its users' service names.
func checkPlugin(ctx context.Context, opts *ConfigOptions, p *gostconfig.Plugin, run func(context.Context, mockclient.Config, mockclient.Module, check.Options) (*report.Run, error)) (*report.Run, error) {
	cfg := p.Config
	cfg.Module = p.Module
	cfg.CallTimeout = opts.CallTimeout
	ss, err := check.EmbeddedSuites(fixtures.BuiltinDir, p.Module)
	if err != nil {
		return nil, err
	}
	if len(ss) == 0 {
		return nil, fmt.Errorf("%w %s", check.ErrNoSuite, p.Module)
	}
	svcs := servicesOf(p.Users)
	ss = forBuiltin(ss, svcs)
	if opts.IO.IsStderrTTY() {
		fmt.Fprintf(opts.IO.ErrOut, "checking %s (%s over %s at %s) …\n", printable(p.ID()), p.Module, cfg.Transport,
			printable(redactedAddr(cfg, opts.Checks.ShowToken)))
	}
	co := checkOptions(&opts.Checks, ss, check.AuditOptions{}, opts.Now)
	co.Run.OnCase = opts.Checks.jsonl.onCase(p.ID(), cfg.Token)
	r, err := run(ctx, cfg, p.Module, co)
	if r == nil {
		return nil, err
	}
	r.Plugin = p.ID()
	r.Services = userNames(p.Users)
	if n := distinct(svcs); n > suites.MaxServices {
		r.Notes = append(r.Notes, fmt.Sprintf("%d services use this plugin; the requests carried the names of the first %d", n, suites.MaxServices))
	}
	if cfg.Transport == mockclient.GRPC && cfg.Timeout > 0 {
		r.Notes = append(r.Notes, "the block's timeout has no effect on gRPC plugins in GOST; calls were bounded by --call-timeout")
	}
	return r, err
}

// printable bounds a config's text for a status line on a terminal and
// replaces its control characters, which could move the cursor.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, clip.Text(s, 200))
}

// servicesOf are the services whose names the plugin's requests carry.
func servicesOf(users []gostconfig.User) []suites.Service {
	var out []suites.Service
	for _, u := range users {
		if u.Service != "" {
			out = append(out, suites.Service{Name: u.Service, Handler: u.Handler, Listener: u.Listener})
		}
	}
	return out
}

// distinct counts the service names of svcs.
func distinct(svcs []suites.Service) int {
	seen := make(map[string]bool, len(svcs))
	for _, s := range svcs {
		seen[s.Name] = true
	}
	return len(seen)
}

// maxUserNames bounds the users a run lists, and maxUserName each name:
// both come from the config.
const (
	maxUserNames = 256
	maxUserName  = 256
)

// userNames names the plugin's users for the report: services by name,
// chains and hops that no service reaches as such.
func userNames(users []gostconfig.User) []string {
	var out []string
	for _, u := range users {
		var n string
		switch {
		case u.Service != "":
			n = u.Service
		case u.Hop != "":
			n = "hop " + u.Hop
		case u.Chain != "":
			n = "chain " + u.Chain
		default:
			continue
		}
		n = clip.Text(n, maxUserName)
		if !slices.Contains(out, n) {
			if len(out) == maxUserNames {
				return append(out, "…")
			}
			out = append(out, n)
		}
	}
	return out
}

// readDeployment reads and parses the config from the file, stdin or the
// API. A config GOST would not load is a usage error naming file, line
// and field.
func readDeployment(ctx context.Context, opts *ConfigOptions) (*gostconfig.Deployment, error) {
	var (
		source string
		data   []byte
		err    error
	)
	switch {
	case opts.API != "":
		fetch := opts.Fetch
		if fetch == nil {
			fetch = gostconfig.FetchAPI
		}
		source, data, err = fetch(ctx, gostconfig.APIOptions{URL: opts.API, User: opts.APIUser, Password: opts.APIPassword, Timeout: gostconfig.DefaultAPITimeout})
		if err != nil {
			msg := clip.Redact(oneLine(err), opts.APIPassword)
			if errors.Is(err, gostconfig.ErrAPIUnauthorized) {
				return nil, flagErrorf("%s: check --api-user and --api-password (or PLUGINCHECK_API_USER, PLUGINCHECK_API_PASSWORD)", msg)
			}
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("%w: %s", ErrTargetUnreachable, msg)
		}
	case opts.File == "-":
		source = "-"
		data, err = readBounded(opts.IO.In)
		if err != nil {
			return nil, &FlagError{Err: fmt.Errorf("stdin: %w", err)}
		}
	default:
		source = opts.File
		f, err := os.Open(opts.File)
		if err != nil {
			return nil, &FlagError{Err: unwrapPath(err)}
		}
		defer f.Close()
		data, err = readBounded(f)
		if err != nil {
			return nil, &FlagError{Err: fmt.Errorf("%s: %w", clipArg(opts.File), err)}
		}
	}
	d, err := gostconfig.Parse(source, data)
	if err != nil {
		return nil, &FlagError{Err: err}
	}
	return d, nil
}

// unwrapPath turns *fs.PathError's "open x: no such file" into "x: no such
// file", the way fixture errors read.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", clipArg(pe.Path), pe.Err)
	}
	return err
}

// readBounded reads at most gostconfig.MaxConfigSize bytes; more is an
// error rather than a config cut short.
func readBounded(r io.Reader) ([]byte, error) {
	if r == nil {
		return nil, errors.New("no input")
	}
	data, err := io.ReadAll(io.LimitReader(r, gostconfig.MaxConfigSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > gostconfig.MaxConfigSize {
		return nil, fmt.Errorf("%w: more than %d MiB", gostconfig.ErrTooLarge, gostconfig.MaxConfigSize>>20)
	}
	return data, nil
}

// selectPlugins keeps the plugins --only names, by ID or kind. A selection
// that matches nothing is a usage error that lists the choices.
func selectPlugins(ps []gostconfig.Plugin, only []string) ([]gostconfig.Plugin, error) {
	if len(only) == 0 {
		return ps, nil
	}
	var out []gostconfig.Plugin
	for _, p := range ps {
		if slices.Contains(only, p.ID()) || slices.Contains(only, p.Kind) {
			out = append(out, p)
		}
	}
	for _, o := range only {
		if !slices.ContainsFunc(ps, func(p gostconfig.Plugin) bool { return p.ID() == o || p.Kind == o }) {
			return nil, flagErrorf("--only %q matches no plugin block of the config%s; choices: %s", clipArg(o), onlyHint(o, ps), choices(ps))
		}
	}
	return out, nil
}

// onlyHint suggests the plugin block ID or kind closest to o.
func onlyHint(o string, ps []gostconfig.Plugin) string {
	var names []string
	for _, p := range ps {
		names = append(names, p.ID(), p.Kind)
	}
	if s := suites.Suggest(o, names); s != "" {
		return fmt.Sprintf(" (did you mean %q?)", clip.Text(s, 100))
	}
	return ""
}

// maxChoices bounds the plugin IDs an --only error lists.
const maxChoices = 20

func choices(ps []gostconfig.Plugin) string {
	if len(ps) == 0 {
		return "none, the config has no plugin block"
	}
	var ids []string
	for _, p := range ps {
		if len(ids) == maxChoices {
			ids = append(ids, fmt.Sprintf("and %d more", len(ps)-maxChoices))
			break
		}
		ids = append(ids, clip.Text(p.ID(), 100))
	}
	return strings.Join(ids, ", ")
}

// findingsOf converts gostconfig's findings to the report's.
func findingsOf(fs []gostconfig.Finding) []report.Finding {
	out := make([]report.Finding, 0, len(fs))
	for _, f := range fs {
		out = append(out, report.Finding{Code: f.Code, Status: f.Severity, File: f.File, Line: f.Line, Plugin: f.Plugin, Message: f.Message})
	}
	return out
}

// redactTokens removes every plugin's token from s unless show.
func redactTokens(s string, ps []gostconfig.Plugin, show bool) string {
	if show {
		return s
	}
	for _, p := range ps {
		s = clip.Redact(s, p.Config.Token)
	}
	return s
}

// configFinish renders the report and picks the exit code: the runs'
// outcome as finish decides it, then the findings by status.
func configFinish(ctx context.Context, opts *ConfigOptions, rep *report.Report, ps []gostconfig.Plugin, runErr error) error {
	if !opts.Checks.ShowToken {
		// The last pass, as check.Module makes for its own token: a
		// finding or a run may quote another block's token.
		for _, p := range ps {
			if p.Config.Token != "" {
				clip.RedactAll(rep, p.Config.Token)
			}
		}
	}
	err := finish(ctx, opts.IO, opts.Now, rep, &opts.Checks, runErr)
	if err != nil {
		return err
	}
	switch st := rep.FindingsStatus(); {
	case st == report.Fail, st == report.Warn && opts.Checks.Strict:
		return ErrChecksFailed
	}
	return nil
}
