package check

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/internal/refplugin"
	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
	"github.com/plugincheck/plugincheck/suites"
)

// fixedNow is the tests' clock.
var fixedNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return fixedNow }

// policySuite is a small auth suite the reference plugins pass.
const policySuite = `
name: Policy
module: auth
cases:
  - name: accepts-gost
    request: {username: gost, password: gost, client: "127.0.0.1:40000"}
    expect: {ok: true, id: gost}
  - name: rejects-alice-wrong
    request: {username: alice, password: nope, client: "127.0.0.1:40000"}
    expect: {ok: false}
`

func parseSuite(t *testing.T, file, src string) []*suites.Suite {
	t.Helper()
	s, err := suites.ParseBytes(file, []byte(src))
	require.NoError(t, err)
	return []*suites.Suite{s}
}

// fakeAudit records its calls and returns tls.
type fakeAudit struct {
	calls atomic.Int32
	cfg   atomic.Value
	tls   report.TLS
}

func (f *fakeAudit) audit(_ context.Context, cfg mockclient.Config) report.TLS {
	f.calls.Add(1)
	f.cfg.Store(cfg)
	return f.tls
}

// configured is an audit whose row for the settings given says whether
// GOST connects, and why not or with which caveat.
func configured(connects bool, reason string) report.TLS {
	return report.TLS{
		Endpoint: &report.Endpoint{Address: "127.0.0.1:8000", Reachable: connects, Security: "plaintext"},
		Matrix: []report.Verdict{
			{ID: "plain", Configured: true, Connects: connects, Reason: reason},
			{ID: "tls", Reason: "the plugin speaks plaintext"},
		},
	}
}

// failingTransport fails every HTTP call before it leaves: a plugin
// nothing reaches.
type failingTransport struct{}

func (failingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("dial tcp 127.0.0.1:9: connect: connection refused")
}

// TestModuleWithFakes runs Module with a caller's client, a fake TLS audit
// and probe, and a fixed clock: no address is dialled, and what the fakes
// say reaches the run's TLS section, diagnosis and causes.
func TestModuleWithFakes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		token     string // the client's; the plugins require testToken
		unreached bool   // the client's transport fails every call
		audit     *report.TLS
		diagnose  string
		check     func(t *testing.T, run *report.Run, a *fakeAudit)
	}{
		{
			name: "no audit: the run says so and shows what the calls negotiated", token: testToken,
			check: func(t *testing.T, run *report.Run, _ *fakeAudit) {
				assert.Equal(t, report.Pass, run.Status)
				assert.Contains(t, run.Notes, noAuditNote)
				assert.Equal(t, "plaintext: the GOST config has no tls block", run.TLS.Note)
				assert.Nil(t, run.TLS.Endpoint)
			},
		},
		{
			name: "a fake audit is the TLS section", token: testToken, audit: ptr(configured(true, "")),
			check: func(t *testing.T, run *report.Run, a *fakeAudit) {
				assert.Equal(t, int32(1), a.calls.Load())
				assert.Equal(t, testToken, a.cfg.Load().(mockclient.Config).Token, "the audit gets the client's config")
				assert.Equal(t, report.Pass, run.Status)
				assert.NotContains(t, run.Notes, noAuditNote)
				assert.Len(t, run.TLS.Matrix, 2)
			},
		},
		{
			name: "the calls' replies overrule an audit that missed the plugin", token: testToken, audit: ptr(configured(false, "no answer within 3s")),
			check: func(t *testing.T, run *report.Run, _ *fakeAudit) {
				ok, reason := run.TLS.Connects()
				assert.True(t, ok)
				assert.Empty(t, reason)
				assert.True(t, run.TLS.Endpoint.Reachable)
				assert.Empty(t, run.Diagnosis)
				assert.Contains(t, strings.Join(run.Notes, "\n"), "the TLS audit's own probe failed (no answer within 3s)")
			},
		},
		{
			name: "a caveat of the audit warns", token: testToken, audit: ptr(configured(true, "the TLS handshake took 1.5s")),
			check: func(t *testing.T, run *report.Run, _ *fakeAudit) {
				assert.Equal(t, report.Warn, run.Status)
				require.NotEmpty(t, run.Causes)
				assert.Equal(t, suites.CauseTLS, run.Causes[0].Code)
				assert.Equal(t, report.Warn, run.Causes[0].Status)
				assert.Contains(t, run.Causes[0].Text, "with a caveat: the TLS handshake took 1.5s")
			},
		},
		{
			name: "every call unauthenticated is the diagnosis", token: "",
			check: func(t *testing.T, run *report.Run, _ *fakeAudit) {
				assert.Equal(t, suites.UnauthenticatedText(false), run.Diagnosis)
				assert.Equal(t, report.Fail, run.Status)
			},
		},
		{
			name: "the wrong token is the diagnosis", token: "wrong-token",
			check: func(t *testing.T, run *report.Run, _ *fakeAudit) {
				assert.Equal(t, suites.UnauthenticatedText(true), run.Diagnosis)
				assert.NotContains(t, run.Diagnosis, "wrong-token")
			},
		},
		{
			name: "unreached, the fake probe says why", token: testToken, unreached: true, diagnose: "nothing listens at 127.0.0.1:9",
			check: func(t *testing.T, run *report.Run, _ *fakeAudit) {
				assert.Equal(t, "nothing listens at 127.0.0.1:9", run.Diagnosis)
				require.NotEmpty(t, run.Causes)
				head := run.Causes[0]
				assert.Equal(t, suites.CauseUnreachable, head.Code)
				assert.Equal(t, "start the plugin, or correct --addr", head.Fix)
				assert.Len(t, head.Cases, len(run.Cases), "the headline explains every failed case")
			},
		},
		{
			name: "unreached without a probe: the calls' own error", token: testToken, unreached: true,
			check: func(t *testing.T, run *report.Run, _ *fakeAudit) {
				assert.Contains(t, run.Diagnosis, "connection refused")
				assert.Equal(t, suites.CauseUnreachable, run.Causes[0].Code)
			},
		},
		{
			name: "unreached and the audit says GOST cannot connect: a TLS cause", token: testToken, unreached: true,
			audit: &report.TLS{
				Endpoint: &report.Endpoint{Address: "127.0.0.1:9", Reachable: true, Security: "tls"},
				Matrix:   []report.Verdict{{ID: "plain", Configured: true, Reason: "speaks TLS, but the GOST config has no tls block"}},
			},
			check: func(t *testing.T, run *report.Run, _ *fakeAudit) {
				assert.Equal(t, "speaks TLS, but the GOST config has no tls block", run.Diagnosis)
				assert.Equal(t, suites.CauseTLS, run.Causes[0].Code)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			plugins := refplugin.NewInProcess(refplugin.Options{Token: testToken})
			cfg := mockclient.Config{Token: tt.token, CallTimeout: 30 * time.Second}
			var c *mockclient.Client
			if tt.unreached {
				cfg.Addr = "http://127.0.0.1:9/auth"
				var err error
				c, err = mockclient.NewHTTP(&http.Client{Transport: failingTransport{}}, cfg)
				require.NoError(t, err)
			} else {
				c, cfg = httptestClient(t, plugins.HTTP, "/auth", cfg)
			}
			a := &fakeAudit{}
			opts := Options{Suites: parseSuite(t, "policy.yaml", policySuite), Client: c, Now: clock}
			if tt.audit != nil {
				a.tls = *tt.audit
				opts.Audit = a.audit
			}
			if tt.diagnose != "" {
				opts.Diagnose = func(context.Context, mockclient.Config, *report.TLS) string { return tt.diagnose }
			}
			run, err := Module(t.Context(), cfg, mockclient.Auth, opts)
			require.NoError(t, err)
			require.NotNil(t, run)
			tt.check(t, run, a)
		})
	}
}

func ptr[T any](v T) *T { return &v }

// TestModuleRedactsToken pins that nothing the fakes or the plugin quote
// carries the token into the run unless ShowToken.
func TestModuleRedactsToken(t *testing.T) {
	t.Parallel()
	for _, show := range []bool{false, true} {
		plugins := refplugin.NewInProcess(refplugin.Options{Token: testToken})
		c, cfg := httptestClient(t, plugins.HTTP, "/auth", mockclient.Config{Token: testToken})
		audit := configured(true, "")
		audit.Matrix[0].Reproducer = "curl -H 'Authorization: Bearer " + testToken + "' " + cfg.Addr
		run, err := Module(t.Context(), cfg, mockclient.Auth, Options{
			Suites: parseSuite(t, "policy.yaml", policySuite), Client: c, ShowToken: show,
			Audit: func(context.Context, mockclient.Config) report.TLS { return audit },
		})
		require.NoError(t, err)
		assert.Equal(t, show, strings.Contains(run.TLS.Matrix[0].Reproducer, testToken), "show=%v", show)
		assert.Equal(t, show, run.Target.Token == testToken, "show=%v", show)
	}
}

// TestModuleNegotiatedTLS serves the reference plugins over httptest's TLS:
// with no audit, the TLS section is what GOST's calls negotiated.
func TestModuleNegotiatedTLS(t *testing.T) {
	t.Parallel()
	plugins := refplugin.NewInProcess(refplugin.Options{})
	srv := httptest.NewTLSServer(plugins.HTTP)
	t.Cleanup(srv.Close)
	cfg := mockclient.Config{Addr: srv.URL + "/auth"}
	c, err := mockclient.NewHTTP(srv.Client(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })

	run, err := Module(t.Context(), cfg, mockclient.Auth, Options{Suites: parseSuite(t, "policy.yaml", policySuite), Client: c, Now: clock})
	require.NoError(t, err)
	assert.True(t, run.TLS.Enabled)
	assert.Equal(t, "TLS 1.3", run.TLS.Version)
	assert.Equal(t, "https:// without a tls block: verified with Go's default roots", run.TLS.Note)
	require.NotEmpty(t, run.TLS.Peer)
	assert.Contains(t, run.TLS.Peer[0].Subject, "Acme Co")
}

func TestNegotiatedTLSWithoutHandshake(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  mockclient.Config
		want string
	}{
		{"plaintext gRPC", mockclient.Config{Addr: "127.0.0.1:8000", Transport: mockclient.GRPC}, "plaintext: the GOST config has no tls block"},
		{"gRPC with a tls block", mockclient.Config{Addr: "127.0.0.1:8000", Transport: mockclient.GRPC, TLS: &mockclient.TLSConfig{}}, "no TLS handshake completed"},
		{"https without a tls block", mockclient.Config{Addr: "https://127.0.0.1:8000/auth"}, "no TLS handshake completed (https:// without a tls block: Go's default verification)"},
		{"http with a tls block stays plaintext in GOST", mockclient.Config{Addr: "http://127.0.0.1:8000/auth"}, "plaintext: the GOST config has no tls block"},
		{"an address GOST refuses", mockclient.Config{Addr: "bufnet", Transport: mockclient.GRPC}, "plaintext: the GOST config has no tls block"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := negotiatedTLS(tt.cfg, nil, fixedNow)
			assert.Equal(t, report.TLS{Note: tt.want}, got)
		})
	}
}

func TestModuleRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  mockclient.Config
		m    mockclient.Module
		opts Options
		want error
	}{
		{name: "no built-in suite", m: "no-such-module", want: ErrNoSuite},
		{name: "filter selects nothing", cfg: mockclient.Config{Addr: "127.0.0.1:1"}, m: mockclient.Auth,
			opts: Options{Run: suites.RunOptions{Filter: suites.Filter{Run: []string{"no-such-case"}}}}, want: suites.ErrNoMatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			run, err := Module(t.Context(), tt.cfg, tt.m, tt.opts)
			assert.Nil(t, run)
			assert.ErrorIs(t, err, tt.want)
		})
	}
}

// TestTLSWithFakeAudit runs the tls check on a fake audit and a fixed
// clock: its one case and its diagnosis follow the configured row.
func TestTLSWithFakeAudit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		audit     report.TLS
		status    report.Status
		diagnosis string
	}{
		{"connects", configured(true, ""), report.Pass, ""},
		{"connects with a caveat", configured(true, "GOST's first calls fail"), report.Warn, ""},
		{"does not connect", configured(false, "nothing listens"), report.Fail, "nothing listens"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := mockclient.Config{Addr: "127.0.0.1:8000", Transport: mockclient.GRPC}
			run := TLS(t.Context(), cfg, Options{Now: clock, Audit: func(context.Context, mockclient.Config) report.TLS { return tt.audit }})
			require.Len(t, run.Cases, 1)
			c := run.Cases[0]
			assert.Equal(t, "gost-tls/grpc/connects", c.ID)
			assert.Equal(t, tt.status, c.Status)
			assert.Equal(t, tt.diagnosis, run.Diagnosis)
			assert.Equal(t, report.Duration(0), c.Steps[0].Observation.Latency, "timed by the fixed clock")
			assert.Equal(t, "127.0.0.1:8000", c.Steps[0].Observation.Target)
		})
	}
}
