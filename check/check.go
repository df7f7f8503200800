// Package check runs one whole check of a GOST plugin module, as the
// plugincheck command does: GOST's client, the module's suites, the TLS
// audit and the diagnosis of a plugin GOST cannot reach. Module returns the
// report; Test runs the same check as Go subtests, so a plugin author can
// run plugincheck's suites from `go test` against a bufconn or httptest
// server, the way csi-sanity's sanity.Test is used.
package check

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"time"

	"github.com/plugincheck/plugincheck/clip"
	"github.com/plugincheck/plugincheck/fixtures"
	"github.com/plugincheck/plugincheck/internal/probe"
	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
	"github.com/plugincheck/plugincheck/suites"
)

// HandshakeTimeout is the least time the TLS audit gives a TLS handshake;
// the tls command bounds its calls with it.
const HandshakeTimeout = probe.HandshakeTimeout

// ErrNoSuite means there was nothing to run for the module: no suite was
// given and the module has no built-in one.
var ErrNoSuite = errors.New("check: no suite for module")

// Options tune a module check. The zero value checks the plugin at cfg's
// address with the module's built-in suites and audits its TLS.
type Options struct {
	// Suites are the suites to run; nil runs the module's built-in suites
	// (EmbeddedSuites(fixtures.BuiltinDir, m)).
	Suites []*suites.Suite
	// Run tunes the runner: which cases (Filter), latency budget,
	// concurrency, how many cases run at once (Workers; the HTTP
	// keep-alive pool of a client Module builds is sized to match). Its
	// ShowToken is replaced by Options.ShowToken.
	Run suites.RunOptions
	// TLS holds the TLS audit's own settings, which GOST has none of.
	TLS AuditOptions
	// ShowToken puts the real token into the report and its reproducers
	// instead of <redacted>.
	ShowToken bool

	// Client, when set, is the client the run's calls go through, built by
	// the caller: mockclient.NewGRPC over a bufconn connection, or
	// mockclient.NewHTTP over an httptest server's client. Its own Config
	// then stands for cfg. The caller closes it. Since such a client need
	// not reach anything at its configured address, the TLS audit and the
	// reachability probe, which dial that address themselves, run only
	// when Audit and Diagnose are set; the run notes that the audit did
	// not run.
	Client *mockclient.Client
	// Audit replaces the TLS audit of package probe, for tests.
	Audit func(ctx context.Context, cfg mockclient.Config) report.TLS
	// Diagnose replaces the probe that says in one line why no call
	// reached the plugin ("" when it finds nothing wrong), for tests.
	// audit is the run's TLS section.
	Diagnose func(ctx context.Context, cfg mockclient.Config, audit *report.TLS) string
	// Now is the clock of certificate validity and of the tls check's
	// timing; nil means time.Now.
	Now func() time.Time
}

// AuditOptions are the TLS audit's probe-only settings. They change what
// plugincheck can see of the plugin's TLS, never GOST's verdicts.
type AuditOptions struct {
	// CACert is a second trust anchor the chain is verified against; GOST
	// itself uses the system roots only.
	CACert *x509.CertPool
	// CACertName names CACert in the report, usually its file.
	CACertName string
	// ClientCert is presented by the audit's own handshake, so that an
	// mTLS-only server's chain can be read. GOST never presents one.
	ClientCert *tls.Certificate
}

func (o *Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// audit is the TLS audit Module and TLS run: the fake when one is set, the
// real one when there is an address of plugincheck's own to dial, else nil.
func (o *Options) audit() func(context.Context, mockclient.Config) report.TLS {
	switch {
	case o.Audit != nil:
		return o.Audit
	case o.Client != nil:
		return nil
	}
	ao := probe.AuditOptions{CACert: o.TLS.CACert, CACertName: o.TLS.CACertName, ClientCert: o.TLS.ClientCert, Now: o.Now}
	return func(ctx context.Context, cfg mockclient.Config) report.TLS { return probe.Audit(ctx, cfg, ao) }
}

// diagnose is the reachability probe, chosen as audit is.
func (o *Options) diagnose() func(context.Context, mockclient.Config, *report.TLS) string {
	switch {
	case o.Diagnose != nil:
		return o.Diagnose
	case o.Client != nil:
		return nil
	}
	return probe.DiagnoseAfter
}

// noAuditNote is the run's note when a caller's client left the audit
// nothing to dial.
const noAuditNote = "no TLS audit: the run's client was built by the caller (check.Options.Client), so plugincheck has no address of its own to dial; the TLS section shows what the run's calls negotiated"

// Module checks a plugin of module m configured as cfg, GOST's plugin
// block, the way `plugincheck <module>` does: it runs the suites, audits
// the plugin's TLS, and explains a plugin GOST cannot reach or speak to
// (run.Diagnosis and run.Causes); run.Status and run.Totals are set.
// Failed checks are report data. An error means the check could not be
// done: a bad address or suite, no case selected, or ctx ended, in which
// case the partial run comes with it.
func Module(ctx context.Context, cfg mockclient.Config, m mockclient.Module, opts Options) (*report.Run, error) {
	ss := opts.Suites
	if ss == nil {
		var err error
		if ss, err = EmbeddedSuites(fixtures.BuiltinDir, m); err != nil {
			return nil, err
		}
		if len(ss) == 0 {
			return nil, fmt.Errorf("%w %s", ErrNoSuite, m)
		}
	}
	c := opts.Client
	if c == nil {
		if cfg.Module == "" {
			cfg.Module = m
		}
		if cfg.HTTPPool == 0 {
			// net/http keeps two idle connections, as in GOST; with the
			// run's cases in flight at once nearly every call then opened
			// and closed a connection of its own, which cost more than the
			// call. The requests on the wire are the same either way.
			cfg.HTTPPool = suites.MaxInFlight(opts.Run)
		}
		var err error
		if c, err = NewClient(cfg, m); err != nil {
			return nil, err
		}
		defer c.Close()
	}
	cfg = c.Config()

	ro := opts.Run
	ro.ShowToken = opts.ShowToken
	var negotiated *tls.ConnectionState
	observe := ro.Observe
	ro.Observe = func(o *mockclient.Observation) {
		if negotiated == nil && o.TLS != nil {
			negotiated = o.TLS
		}
		if observe != nil {
			observe(o)
		}
	}
	// GOST's connection comes up through grpc-go's attempts before the
	// first case, within what plugincheck gives one call: a connect that
	// needs longer fails the run's calls as it would fail GOST's.
	connectWait := cfg.CallTimeout
	if connectWait <= 0 {
		connectWait = mockclient.DefaultCallTimeout
	}
	connectCtx, cancel := context.WithTimeout(ctx, connectWait)
	connected := c.Connect(connectCtx)
	cancel()
	run, err := suites.Run(ctx, c, m, ss, ro)
	if run == nil {
		return nil, err
	}
	run.TLS = negotiatedTLS(cfg, negotiated, opts.now())
	if ctx.Err() == nil {
		if audit := opts.audit(); audit != nil {
			run.TLS = audit(ctx, cfg)
			reconcileAudit(run)
		} else {
			run.Notes = append(run.Notes, noAuditNote)
		}
	}
	diagnose(ctx, cfg, run, opts.ShowToken, opts.diagnose())
	tlsCaveat(cfg, run, opts.ShowToken)
	slowConnect(cfg, run, connected, opts.ShowToken)
	if !opts.ShowToken {
		// A last pass: the addr may hold the token, and the TLS audit
		// quotes the addr in its reproducers.
		clip.RedactAll(run, cfg.Token)
	}
	finish(run)
	return run, err
}

// finish sets the run's totals and status, as the report it goes into
// will: a library caller reads them without building a report.
func finish(run *report.Run) {
	(&report.Report{Runs: []*report.Run{run}}).Finish()
}

// NewClient builds GOST's client for cfg, as mockclient.New does, and
// explains an address GOST rejects by what GOST then does with module m.
func NewClient(cfg mockclient.Config, m mockclient.Module) (*mockclient.Client, error) {
	cfg.Module = m
	return mockclient.New(cfg)
}

// EmbeddedSuites parses the suite of module m in dir of the built-in
// fixtures (fixtures.BuiltinDir, ReferenceDir or ExamplesDir); nil when
// dir has none for m.
func EmbeddedSuites(dir string, m mockclient.Module) ([]*suites.Suite, error) {
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
