package parity

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-gost/core/auth"
	"github.com/go-gost/x/config"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"

	"github.com/plugincheck/plugincheck/internal/probe"
	"github.com/plugincheck/plugincheck/internal/testcert"
	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
)

// startSlowServer is startServer for an auth plugin that answers ok, whose
// TLS handshakes wait delay once the ClientHello is in, as a plugin on a
// slow or overloaded host does. The delay only makes a handshake slower,
// so the deadlines below hold on a loaded machine.
func startSlowServer(t *testing.T, tr mockclient.Transport, cert tls.Certificate, delay time.Duration) *server {
	t.Helper()
	s := &server{transport: tr}
	s.reply(authAdapter.ok(tr))
	stop := make(chan struct{})
	protos := []string{"h2"}
	if tr == mockclient.HTTP {
		protos = append(protos, "http/1.1")
	}
	cfg := s.tlsConfig(cert, protos...)
	record := cfg.GetConfigForClient
	cfg.GetConfigForClient = func(h *tls.ClientHelloInfo) (*tls.Config, error) {
		timer := time.NewTimer(delay)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-stop:
		}
		return record(h)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	if tr == mockclient.GRPC {
		g := grpc.NewServer(
			grpc.ForceServerCodec(rawCodec{}), //nolint:staticcheck // as startServer
			grpc.UnknownServiceHandler(s.handleGRPC),
			grpc.Creds(credentials.NewTLS(cfg)),
		)
		go func() { _ = g.Serve(lis) }()
		t.Cleanup(func() { close(stop); g.Stop() })
		s.addr = lis.Addr().String()
		return s
	}
	h := httptest.NewUnstartedServer(http.HandlerFunc(s.handleHTTP))
	h.Listener.Close()
	h.Listener = lis
	h.Config.ErrorLog = log.New(io.Discard, "", 0)
	h.EnableHTTP2 = true
	h.TLS = cfg
	h.StartTLS()
	t.Cleanup(func() { close(stop); h.Close() })
	s.addr = h.URL
	return s
}

// gostAuth builds GOST's own auth plugin client (x v0.15.2) for p.
func gostAuth(t *testing.T, p *config.PluginConfig) auth.Authenticator {
	t.Helper()
	a := authAdapter.newGOST(t, p)
	if c, ok := a.(io.Closer); ok {
		t.Cleanup(func() { _ = c.Close() })
	}
	return a.(auth.Authenticator)
}

// gostCall makes one call of GOST's client and reports whether it reached
// srv and GOST took the plugin's ok.
func gostCall(ctx context.Context, srv *server, a auth.Authenticator) bool {
	_, ok := a.Authenticate(ctx, "parity", "parity")
	return ok && len(srv.take()) > 0
}

// auditRow audits cfg with plugincheck and returns the configured row and
// the findings, concurrently with the caller's GOST calls.
func auditRow(t *testing.T, cfg mockclient.Config) <-chan report.TLS {
	out := make(chan report.TLS, 1)
	go func() { out <- probe.Audit(t.Context(), cfg, probe.AuditOptions{}) }()
	return out
}

func configured(t *testing.T, a report.TLS) report.Verdict {
	t.Helper()
	for _, v := range a.Matrix {
		if v.Configured {
			return v
		}
	}
	t.Fatalf("no configured row")
	return report.Verdict{}
}

func findingCodes(a report.TLS) []string {
	var out []string
	for _, f := range a.Findings {
		out = append(out, f.Code)
	}
	return out
}

// slowHandshake is how long the slow servers below wait in each TLS
// handshake: over the 1 s grpc-go gives GOST's first gRPC connect and over
// the 1 s from which plugincheck calls an HTTP handshake slow, under the
// 1.6 s (±20 %) of grpc-go's second attempt or the third's 2.56 s. A busy
// machine only makes a handshake slower, which keeps the first two true;
// grpc-go's growing deadlines take care of the last.
const slowHandshake = 1500 * time.Millisecond

// TestTLSDeadlines pins the deadlines GOST's own clients put on a plugin's
// TLS handshake, and plugincheck's verdicts on them:
//   - gRPC: x dials with backoff.DefaultConfig and no MinConnectTimeout,
//     so grpc-go gives the first connect 1 s; a slower handshake fails
//     GOST's first call (Unavailable), and mockclient's, while plugincheck's
//     audit says GOST connects only later (grpc-slow-connect).
//   - gRPC: later attempts get 1.6 s, 2.56 s … (±20 %), so GOST does
//     connect to that plugin in the end: the row is "yes".
//   - HTTP: GOST's transport sets no TLSHandshakeTimeout, so the slow
//     handshake succeeds, and the matrix says yes (slow-tls-handshake);
//     with a GOST `timeout` shorter than the handshake the same call fails,
//     and the matrix says no.
func TestTLSDeadlines(t *testing.T) {
	t.Parallel()
	ca, err := testcert.NewCA("parity CA")
	require.NoError(t, err)
	cert, err := ca.Issue(testcert.Loopback())
	require.NoError(t, err)

	t.Run("grpc/first connect gets 1 s", func(t *testing.T) {
		t.Parallel()
		srv := startSlowServer(t, mockclient.GRPC, cert, slowHandshake)
		p := &config.PluginConfig{Type: "grpc", Addr: srv.addr, TLS: &config.TLSConfig{}}
		audit := auditRow(t, mockConfig(p))

		ctx, cancel := context.WithTimeout(t.Context(), callTimeout)
		defer cancel()
		// The handshake ends well inside the call's 10 s: only GOST's own
		// connect deadline can fail the call.
		assert.False(t, gostCall(ctx, srv, gostAuth(t, p)), "GOST's first call reached a plugin whose handshake takes %s", slowHandshake)

		mc, err := mockclient.New(mockConfig(p))
		require.NoError(t, err)
		t.Cleanup(func() { _ = mc.Close() })
		res := mc.Authenticate(t.Context(), mockclient.AuthRequest{Username: "parity", Password: "parity"})
		assert.Equal(t, codes.Unavailable, res.Code, "mockclient's first call: %v", res.Err)
		assert.Equal(t, mockclient.FailureTransport, res.Failure)

		a := <-audit
		row := configured(t, a)
		assert.True(t, row.Connects, "later attempts connect: %s", row.Reason)
		assert.Contains(t, row.Reason, "GOST's first calls fail")
		assert.Contains(t, findingCodes(a), "grpc-slow-connect")
	})

	t.Run("grpc/later attempts connect", func(t *testing.T) {
		t.Parallel()
		srv := startSlowServer(t, mockclient.GRPC, cert, slowHandshake)
		p := &config.PluginConfig{Type: "grpc", Addr: srv.addr, TLS: &config.TLSConfig{}}
		audit := auditRow(t, mockConfig(p))
		gost := gostAuth(t, p)

		ctx, cancel := context.WithTimeout(t.Context(), callTimeout)
		defer cancel()
		assert.False(t, gostCall(ctx, srv, gost), "GOST's first call: 1 s is less than the handshake")
		// grpc-go retries on its own with growing deadlines; GOST's calls
		// fail at once until one connect succeeds. Poll with a bound.
		wait, cancelWait := context.WithTimeout(t.Context(), 40*time.Second)
		defer cancelWait()
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		reached := false
		for !reached {
			select {
			case <-wait.Done():
				t.Fatalf("GOST's client never connected to a plugin whose handshake takes %s", slowHandshake)
			case <-tick.C:
				cctx, cancel := context.WithTimeout(wait, callTimeout)
				reached = gostCall(cctx, srv, gost)
				cancel()
			}
		}
		a := <-audit
		row := configured(t, a)
		assert.True(t, row.Connects, "GOST connected, so the row says yes: %s", row.Reason)
		assert.Contains(t, findingCodes(a), "grpc-slow-connect")
	})

	for _, tt := range []struct {
		name        string
		timeout     time.Duration
		want        bool
		wantFinding string
	}{
		{name: "http/no handshake deadline", want: true, wantFinding: "slow-tls-handshake"},
		{name: "http/GOST's timeout bounds the handshake", timeout: slowHandshake / 3, wantFinding: "handshake-timeout"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startSlowServer(t, mockclient.HTTP, cert, slowHandshake)
			p := &config.PluginConfig{Type: "http", Addr: srv.addrFor(mockclient.Auth), TLS: &config.TLSConfig{}, Timeout: tt.timeout}
			audit := auditRow(t, mockConfig(p))

			ctx, cancel := context.WithTimeout(t.Context(), callTimeout)
			defer cancel()
			got := gostCall(ctx, srv, gostAuth(t, p))
			assert.Equal(t, tt.want, got, "GOST's call reached a plugin whose handshake takes %s", slowHandshake)

			a := <-audit
			row := configured(t, a)
			assert.Equal(t, got, row.Connects, "plugincheck's row %s: %s", row.ID, row.Reason)
			assert.Contains(t, findingCodes(a), tt.wantFinding)
		})
	}
}
