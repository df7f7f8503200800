package cli

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/spf13/pflag"

	"github.com/plugincheck/plugincheck/internal/probe"
	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
	"github.com/plugincheck/plugincheck/suites"
)

// ConnOptions mirror a GOST plugin block: type, addr, token, tls, timeout;
// plus the probe-only TLS files GOST has no equivalent for, named as
// grpc-health-probe names them. The load and tls commands reuse them.
type ConnOptions struct {
	Addr          string
	Transport     string
	Token         string
	TLS           bool
	TLSSecure     bool
	TLSServerName string
	Timeout       time.Duration
	CallTimeout   time.Duration
	// Probe-only: they change what plugincheck's TLS audit can see, never
	// how GOST's calls are made.
	TLSCACert     string
	TLSClientCert string
	TLSClientKey  string
}

func (o *ConnOptions) addFlags(fs *pflag.FlagSet) {
	o.addTargetFlags(fs)
	fs.StringVar(&o.Token, "token", "", "GOST's `token`: gRPC metadata \"token\", HTTP \"Authorization: Bearer\"")
	fs.DurationVar(&o.Timeout, "timeout", 0, "GOST's plugin `timeout`; GOST applies it to HTTP plugins only")
	fs.DurationVar(&o.CallTimeout, "call-timeout", mockclient.DefaultCallTimeout, "plugincheck's own deadline for each call (GOST sets none for gRPC)")
}

// addTargetFlags adds the flags that say where the plugin is and how GOST's
// TLS is configured, and the probe-only TLS flags.
func (o *ConnOptions) addTargetFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Addr, "addr", "", "plugin address, as GOST's `addr`: host:port for gRPC, or the full http(s):// URL for HTTP")
	fs.StringVar(&o.Transport, "transport", "", "grpc or http, as GOST's plugin `type` (default: http for an http(s):// addr, else grpc)")
	fs.BoolVar(&o.TLS, "tls", false, "the plugin block has \"tls: {}\": TLS without verification")
	fs.BoolVar(&o.TLSSecure, "tls-secure", false, "the plugin block has \"secure: true\": verify against the system roots (implies --tls)")
	fs.StringVar(&o.TLSServerName, "tls-server-name", "", "`serverName`: SNI and gRPC :authority (implies --tls)")
	fs.StringVar(&o.TLSCACert, "tls-ca-cert", "", "probe only: also verify the chain against this CA file (GOST uses the system roots only)")
	fs.StringVar(&o.TLSClientCert, "tls-client-cert", "", "probe only: client certificate file for plugincheck's own handshake, to read an mTLS-only server (GOST never presents one)")
	fs.StringVar(&o.TLSClientKey, "tls-client-key", "", "probe only: private key file of --tls-client-cert")
}

// auditOptions loads the probe-only TLS files.
func (o *ConnOptions) auditOptions(now func() time.Time) (probe.AuditOptions, error) {
	opts := probe.AuditOptions{Now: now}
	if o.TLSCACert != "" {
		b, err := os.ReadFile(o.TLSCACert)
		if err != nil {
			return opts, &FlagError{Err: fmt.Errorf("--tls-ca-cert: %w", err)}
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(b) {
			return opts, flagErrorf("--tls-ca-cert %s: no PEM certificate in it", o.TLSCACert)
		}
		opts.CACert, opts.CACertName = pool, o.TLSCACert
	}
	switch {
	case o.TLSClientCert == "" && o.TLSClientKey == "":
	case o.TLSClientCert == "" || o.TLSClientKey == "":
		return opts, flagErrorf("--tls-client-cert and --tls-client-key go together")
	default:
		cert, err := tls.LoadX509KeyPair(o.TLSClientCert, o.TLSClientKey)
		if err != nil {
			return opts, &FlagError{Err: fmt.Errorf("--tls-client-cert/--tls-client-key: %w", err)}
		}
		opts.ClientCert = &cert
	}
	return opts, nil
}

// checkTarget validates --addr against --transport, with mockclient's
// address parser, and GOST's --timeout, and returns the parsed address.
func (o *ConnOptions) checkTarget(m mockclient.Module) (mockclient.Target, error) {
	if o.Addr == "" {
		return mockclient.Target{}, flagErrorf("--addr is required")
	}
	t, err := mockclient.ParseTransport(o.Transport)
	if err != nil {
		return mockclient.Target{}, &FlagError{Err: fmt.Errorf("--transport: %w", err)}
	}
	addr, err := checkAddr(o.Addr, t, m)
	if err != nil {
		return addr, err
	}
	return addr, checkDuration("--timeout", o.Timeout, 0, maxTimeout, true)
}

// validate checks every connection flag; nothing is dialled.
func (o *ConnOptions) validate(m mockclient.Module) error {
	_, err := o.config(m)
	return err
}

// config validates the options and builds the GOST plugin config.
func (o *ConnOptions) config(m mockclient.Module) (mockclient.Config, error) {
	addr, err := o.checkTarget(m)
	if err != nil {
		return mockclient.Config{}, err
	}
	if err := checkDuration("--call-timeout", o.CallTimeout, time.Millisecond, maxTimeout, false); err != nil {
		return mockclient.Config{}, err
	}
	cfg := mockclient.Config{Addr: o.Addr, Transport: addr.Transport, Module: m, Token: o.Token, Timeout: o.Timeout, CallTimeout: o.CallTimeout}
	if o.TLS || o.TLSSecure || o.TLSServerName != "" {
		cfg.TLS = &mockclient.TLSConfig{Secure: o.TLSSecure, ServerName: o.TLSServerName}
	}
	return cfg, nil
}

// CheckOptions select and tune the checks of a run.
type CheckOptions struct {
	Fixtures []string
	Builtin  bool
	// Services are --service names the built-in suite's requests are
	// also sent with (suites.ForServices).
	Services      []string
	Run, Skip     []string
	Strict        bool
	ShowToken     bool
	LatencyBudget time.Duration
	Concurrency   int
	// Parallel is how many cases run at once (suites.RunOptions.Workers);
	// zero leaves it to suites, which keeps more in flight over gRPC.
	Parallel int
	// parallelSet is pflag's Changed for --parallel: a value given must
	// be 1 to maxParallel, zero included.
	parallelSet bool
	Outputs     []string
	// jsonl streams -o jsonl while the run goes (jsonl.go); nil when not
	// asked for or not started.
	jsonl   *jsonlStream
	Verbose bool
	NoColor bool
	// LatencyBudgetExplicit is pflag's Changed for --latency-budget: a
	// budget the user chose fails a slow step, the default only warns.
	LatencyBudgetExplicit bool
}

// maxParallel caps --parallel: each case in flight can hold a concurrent
// check's calls (and, over HTTP, their connections), and past a few dozen
// cases at once a run gets no faster on the machines it runs on.
const maxParallel = 64

func (o *CheckOptions) addFlags(fs *pflag.FlagSet, fixtures bool) {
	if fixtures {
		fs.StringArrayVar(&o.Fixtures, "fixtures", nil, "fixture file or directory to run besides the built-in suite; - reads one from standard input (repeatable)")
		fs.BoolVar(&o.Builtin, "builtin", true, "run the module's built-in suite (--builtin=false runs only --fixtures)")
		fs.StringArrayVar(&o.Services, "service", nil, "a GOST service name the built-in suite's requests are also sent with, as the deployment names its services (repeatable)")
	}
	fs.StringSliceVar(&o.Run, "run", nil, "run only cases whose ID matches a pattern (suite/transport/case; * and **; a bare pattern matches the case name)")
	fs.StringSliceVar(&o.Skip, "skip", nil, "skip cases whose ID matches a pattern; they stay in the report as skipped, with the pattern as the reason")
	fs.BoolVar(&o.Strict, "strict", false, "treat warnings as failures (exit 1)")
	fs.BoolVar(&o.ShowToken, "show-token", false, "show the token in reports and reproducers instead of <redacted>/$PLUGIN_TOKEN")
	o.LatencyBudget = suites.DefaultLatencyBudget
	fs.Var(&budgetFlag{d: &o.LatencyBudget, set: &o.LatencyBudgetExplicit}, "latency-budget",
		"median call time allowed per step; over it warns, or fails when this flag is given")
	fs.IntVar(&o.Concurrency, "concurrency", suites.DefaultConcurrency, "identical calls made at once by the concurrent check")
	fs.Var(&parallelFlag{n: &o.Parallel, set: &o.parallelSet}, "parallel", fmt.Sprintf("cases run at once, 1 to %d (default %d over gRPC, %d over HTTP; 1 for a plugin whose answers depend on other cases' calls); ingress and sd always run one at a time", maxParallel, suites.DefaultGRPCWorkers, suites.DefaultWorkers))
	o.addOutputFlags(fs)
}

// addOutputFlags adds the flags that choose and shape the report.
func (o *CheckOptions) addOutputFlags(fs *pflag.FlagSet) {
	fs.StringArrayVarP(&o.Outputs, "output", "o", []string{"text"}, "report format text, json, junit, html or jsonl (a JSON line per case as it finishes), optionally =FILE, e.g. html=report.html (repeatable)")
	fs.BoolVarP(&o.Verbose, "verbose", "v", false, "text report: every case with its details and reproducer, and the full TLS audit (default: a line per run, then what failed or warned)")
	fs.BoolVar(&o.NoColor, "no-color", false, "never colour the text report")
}

func (o *CheckOptions) outputs() ([]output, error) {
	return parseOutputs(o.Outputs, report.Reports, "json=report.json")
}

func (o *CheckOptions) validate() error {
	if err := validServices(o.Services); err != nil {
		return err
	}
	if len(o.Services) > 0 && !o.Builtin {
		return flagErrorf("--service sends the built-in suite's requests with those names, and --builtin=false leaves it out")
	}
	if o.Concurrency < 1 {
		return flagErrorf("--concurrency must be at least 1")
	}
	if o.Concurrency > suites.MaxConcurrency {
		return flagErrorf("--concurrency %d is above the ceiling of %d", o.Concurrency, suites.MaxConcurrency)
	}
	// Left unset, zero lets suites pick the transport's default.
	if (o.parallelSet || o.Parallel != 0) && (o.Parallel < 1 || o.Parallel > maxParallel) {
		return flagErrorf("--parallel %d: want 1 to %d", o.Parallel, maxParallel)
	}
	if err := checkDuration("--latency-budget", o.LatencyBudget, time.Nanosecond, maxTimeout, false); err != nil {
		return err
	}
	if err := (suites.Filter{Run: o.Run, Skip: o.Skip}).Validate(); err != nil {
		return &FlagError{Err: err}
	}
	return o.checkOutputs()
}

func (o *CheckOptions) runOptions() suites.RunOptions {
	return suites.RunOptions{
		Filter:        suites.Filter{Run: o.Run, Skip: o.Skip},
		LatencyBudget: o.LatencyBudget,
		Concurrency:   o.Concurrency,
		Workers:       o.Parallel,
		ShowToken:     o.ShowToken,

		LatencyBudgetExplicit: o.LatencyBudgetExplicit,
	}
}

// budgetFlag is a duration flag that records being given, as pflag's
// Changed does, in a field the options carry without the FlagSet.
type budgetFlag struct {
	d   *time.Duration
	set *bool
}

func (f *budgetFlag) String() string {
	if f.d == nil {
		return ""
	}
	return f.d.String()
}

func (f *budgetFlag) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*f.d, *f.set = d, true
	return nil
}

func (*budgetFlag) Type() string { return "duration" }

// parallelFlag is --parallel: an int that remembers it was given, so that
// an explicit 0 is refused while the unset default lets suites choose.
type parallelFlag struct {
	n   *int
	set *bool
}

func (f *parallelFlag) String() string {
	if f.n == nil || *f.n == 0 {
		return ""
	}
	return strconv.Itoa(*f.n)
}

func (f *parallelFlag) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil {
		return err
	}
	*f.n, *f.set = n, true
	return nil
}

func (*parallelFlag) Type() string { return "int" }
