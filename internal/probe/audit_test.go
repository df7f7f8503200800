package probe

import (
	"crypto/tls"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/plugincheck/plugincheck/internal/testcert"
	"github.com/plugincheck/plugincheck/internal/testnet"
	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
)

// server kinds every matrix test serves, over gRPC and HTTP.
const (
	valid      = "valid chain"
	selfSigned = "self-signed"
	expired    = "expired"
	wrongName  = "wrong SAN"
	noALPN     = "no ALPN"
	mutual     = "mTLS required"
	plaintext  = "plaintext"
)

var kinds = []string{valid, selfSigned, expired, wrongName, noALPN, mutual, plaintext}

// steady is the timing of tests that judge what a server is, not how fast
// it answers: a generous bound for every connect and read, and every
// connection taking 10 ms, so that a loaded machine neither times a probe
// out nor adds a slow-connect caveat to a row that connects.
var steady = timing{timeout: time.Minute, since: func(time.Time) time.Duration { return 10 * time.Millisecond }}

// serverTLS is the server side of kind; nil for plaintext.
func serverTLS(certs *testcert.Set, kind string) *tls.Config {
	cert := map[string]tls.Certificate{
		valid: certs.Valid, selfSigned: certs.SelfSigned, expired: certs.Expired,
		wrongName: certs.WrongName, noALPN: certs.Valid, mutual: certs.Valid,
	}
	if kind == plaintext {
		return nil
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert[kind]}}
	if kind == mutual {
		cfg.ClientAuth, cfg.ClientCAs = tls.RequireAndVerifyClientCert, certs.CA.Pool
	}
	return cfg
}

// startServer serves kind over transport on 127.0.0.1 and returns GOST's
// addr for it.
func startServer(t *testing.T, certs *testcert.Set, tr mockclient.Transport, kind string) string {
	t.Helper()
	cfg := serverTLS(certs, kind)
	lis := listen(t)
	if tr == mockclient.GRPC {
		var opts []grpc.ServerOption
		var l net.Listener = lis
		switch {
		case kind == noALPN:
			// A real gRPC server behind TLS that negotiates no protocol.
			l = tls.NewListener(lis, cfg)
		case cfg != nil:
			opts = append(opts, grpc.Creds(credentials.NewTLS(cfg)))
		}
		srv := grpc.NewServer(opts...)
		go func() { _ = srv.Serve(l) }()
		t.Cleanup(srv.Stop)
		return lis.Addr().String()
	}
	hs := &http.Server{Handler: http.NotFoundHandler(), ErrorLog: quiet, ReadHeaderTimeout: time.Second}
	var wg sync.WaitGroup
	switch {
	case cfg == nil:
		wg.Go(func() { _ = hs.Serve(lis) })
	case kind == noALPN:
		wg.Go(func() { _ = hs.Serve(tls.NewListener(lis, cfg)) })
	default:
		hs.TLSConfig = cfg
		wg.Go(func() { _ = hs.ServeTLS(lis, "", "") })
	}
	t.Cleanup(func() { _ = hs.Close(); wg.Wait() })
	scheme := "https"
	if cfg == nil {
		scheme = "http"
	}
	return scheme + "://" + lis.Addr().String() + "/auth"
}

// Reasons, as substrings, by row; "" means GOST would connect.
const (
	tlsNoBlock   = "speaks TLS, but the GOST config has no tls block"
	inPlaintext  = "answers in plaintext, but"
	unknownCA    = "will fail: certificate signed by unknown authority"
	noH2         = `without negotiating ALPN "h2"`
	needsCert    = "requires a client certificate; GOST never presents one"
	expiredCert  = "will fail: certificate CN=localhost expired on"
	nameMismatch = "will fail: x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs (it is valid for other.example); "
)

// wantMatrix is every row's expected reason for kind over tr. trusted says
// the test CA is among the system roots.
func wantMatrix(tr mockclient.Transport, kind string, trusted bool) map[string]string {
	ca := unknownCA
	if trusted {
		ca = ""
	}
	var secure, secureName, insecure, none, https string
	switch kind {
	case valid:
		secure, secureName, none, https = ca, ca, tlsNoBlock, ca
	case selfSigned:
		secure, secureName, none, https = unknownCA+" (the certificate is self-signed)", unknownCA, tlsNoBlock, unknownCA
	case expired:
		secure, secureName, none, https = expiredCert, expiredCert, tlsNoBlock, expiredCert
	case wrongName:
		// The rows with serverName use the certificate's own name.
		secure, secureName, none, https = nameMismatch, ca, tlsNoBlock, nameMismatch
	case noALPN:
		insecure, none = noH2, tlsNoBlock
		secure, secureName, https = unknownCA, unknownCA, ca
		if trusted {
			secure, secureName = noH2, noH2
		}
		if tr == mockclient.HTTP {
			// GOST's HTTP client needs no ALPN.
			insecure, secure, secureName = "", ca, ca
		}
	case mutual:
		insecure, none = needsCert, tlsNoBlock
		secure, secureName, https = unknownCA, unknownCA, unknownCA
		if trusted {
			secure, secureName, https = needsCert, needsCert, needsCert
		}
	case plaintext:
		secure, secureName, insecure, https = inPlaintext, inPlaintext, inPlaintext, inPlaintext
	}
	if tr == mockclient.GRPC {
		return map[string]string{"no-tls": none, "tls": insecure, "tls-server-name": insecure, "tls-secure": secure, "tls-secure-server-name": secureName}
	}
	return map[string]string{
		"http": none, "https": https, "https-tls": insecure, "https-tls-server-name": insecure,
		"https-tls-secure": secure, "https-tls-secure-server-name": secureName,
	}
}

func TestAuditMatrix(t *testing.T) {
	t.Parallel()
	certs, err := testcert.NewSet()
	require.NoError(t, err)
	for _, tr := range mockclient.Transports() {
		for _, kind := range kinds {
			for _, trusted := range []bool{false, true} {
				name := string(tr) + "/" + kind
				if trusted {
					name += "/trusted"
				}
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					addr := startServer(t, certs, tr, kind)
					opts := AuditOptions{timing: steady}
					if trusted {
						opts.roots = certs.CA.Pool
					}
					got := Audit(t.Context(), mockclient.Config{Addr: addr, Transport: tr}, opts)
					want := wantMatrix(tr, kind, trusted)
					require.Len(t, got.Matrix, len(want))
					for _, v := range got.Matrix {
						reason, ok := want[v.ID]
						require.True(t, ok, "unexpected row %s", v.ID)
						if reason == "" {
							assert.True(t, v.Connects, "%s: connects = false (%s); want true", v.ID, v.Reason)
							assert.Empty(t, v.Reason, v.ID)
							continue
						}
						assert.False(t, v.Connects, "%s: connects = true; want false (%s)", v.ID, reason)
						assert.Contains(t, v.Reason, reason, v.ID)
					}
				})
			}
		}
	}
}

func TestAuditFacts(t *testing.T) {
	t.Parallel()
	certs, err := testcert.NewSet()
	require.NoError(t, err)
	now := time.Now()
	tests := []struct {
		name string
		tr   mockclient.Transport
		kind string
		tls  *mockclient.TLSConfig
		opts AuditOptions
		// check looks at the audit
		check func(t *testing.T, got report.TLS)
	}{
		{
			name: "valid chain", tr: mockclient.GRPC, kind: valid, tls: &mockclient.TLSConfig{},
			check: func(t *testing.T, got report.TLS) {
				assert.True(t, got.Enabled)
				assert.Equal(t, &report.Endpoint{Address: got.Endpoint.Address, Reachable: true, Security: "tls"}, got.Endpoint)
				assert.Equal(t, "TLS 1.3", got.Version)
				assert.Equal(t, "h2", got.ALPN)
				require.Len(t, got.Peer, 2, "leaf and intermediate")
				leaf := got.Peer[0]
				assert.Equal(t, "CN=localhost", leaf.Subject)
				assert.Equal(t, "CN=plugincheck test intermediate", leaf.Issuer)
				assert.Equal(t, []string{"localhost"}, leaf.DNSNames)
				assert.Equal(t, []string{"127.0.0.1", "::1"}, leaf.IPs)
				assert.Equal(t, "ECDSA P-256", leaf.KeyType)
				assert.Equal(t, 256, leaf.KeyBits)
				assert.Equal(t, "ECDSA-SHA256", leaf.SignatureAlgorithm)
				assert.Equal(t, 0, leaf.DaysLeft)
				assert.False(t, leaf.SelfSigned)
				assert.True(t, got.Peer[1].IsCA)
				assert.Equal(t, &report.NameCheck{Name: "127.0.0.1", Source: "addr", Match: true}, got.NameCheck)
				require.Len(t, got.Verification, 1)
				assert.Equal(t, "system", got.Verification[0].Roots)
				assert.False(t, got.Verification[0].OK)
				assert.Empty(t, got.ClientAuth)
				assert.Equal(t, "tls without secure: GOST does not verify the plugin's certificate", got.Note)
				assertFindings(t, got, "unknown-authority")
				ok, _ := got.Connects()
				assert.True(t, ok)
			},
		},
		{
			name: "verified against --tls-ca-cert", tr: mockclient.GRPC, kind: valid, tls: &mockclient.TLSConfig{Secure: true},
			opts: AuditOptions{CACert: certs.CA.Pool, CACertName: "ca.pem"},
			check: func(t *testing.T, got report.TLS) {
				require.Len(t, got.Verification, 2)
				assert.Equal(t, report.Verification{Roots: "ca.pem", OK: true}, got.Verification[1])
				ok, reason := got.Connects()
				assert.False(t, ok)
				assert.Contains(t, reason, "secure: true will fail: certificate signed by unknown authority")
				assertFindings(t, got, "unknown-authority")
				assert.Contains(t, got.Findings[0].Text, "the chain verifies against ca.pem: add that CA to the system roots of GOST's host")
			},
		},
		{
			name: "server name does not match", tr: mockclient.GRPC, kind: valid, tls: &mockclient.TLSConfig{ServerName: "plugin.example"},
			check: func(t *testing.T, got report.TLS) {
				assert.Equal(t, "plugin.example", got.ServerName, "SNI")
				assert.Equal(t, "plugin.example", got.NameCheck.Name)
				assert.Equal(t, "--tls-server-name", got.NameCheck.Source)
				assert.False(t, got.NameCheck.Match)
				assertFindings(t, got, "name-mismatch", "unknown-authority")
				for _, v := range got.Matrix {
					if v.TLS != nil && v.TLS.ServerName != "" {
						assert.Equal(t, "plugin.example", v.TLS.ServerName, "rows with serverName use --tls-server-name")
					}
				}
			},
		},
		{
			name: "expired", tr: mockclient.HTTP, kind: expired, tls: &mockclient.TLSConfig{},
			check: func(t *testing.T, got report.TLS) {
				assert.Equal(t, -2, got.Peer[0].DaysLeft)
				// x509 stops at the expired leaf, so whether the chain would
				// otherwise verify is not known.
				assertFindings(t, got, "expired")
				assert.Contains(t, got.Findings[0].Text, "secure: true and https:// without a tls block fail; tls: {} does not check")
			},
		},
		{
			name: "self-signed https without a tls block", tr: mockclient.HTTP, kind: selfSigned,
			check: func(t *testing.T, got report.TLS) {
				assert.True(t, got.Peer[0].SelfSigned)
				assertFindings(t, got, "unknown-authority", "self-signed")
				assert.Contains(t, got.Findings[0].Text, "https:// without a tls block (Go's default verification) will fail: certificate signed by unknown authority (the certificate is self-signed)")
				assert.Contains(t, got.Findings[1].Text, "the certificate is self-signed: https:// without a tls block fails")
				assert.Equal(t, "https:// without a tls block: GOST verifies with Go's defaults (system roots)", got.Note)
			},
		},
		{
			name: "mTLS without a client certificate", tr: mockclient.GRPC, kind: mutual, tls: &mockclient.TLSConfig{},
			check: func(t *testing.T, got report.TLS) {
				assert.Equal(t, "required", got.ClientAuth)
				assert.NotEmpty(t, got.Peer, "TLS 1.3 shows the chain before the client certificate is refused")
				assertFindings(t, got, "client-cert-required", "unknown-authority")
				for _, v := range got.Matrix {
					assert.False(t, v.Connects, "no GOST configuration connects: %s", v.ID)
				}
			},
		},
		{
			name: "mTLS read with --tls-client-cert", tr: mockclient.HTTP, kind: mutual, tls: &mockclient.TLSConfig{},
			opts: AuditOptions{ClientCert: &certs.Client},
			check: func(t *testing.T, got report.TLS) {
				assert.Equal(t, "required", got.ClientAuth)
				assert.Contains(t, got.Note, "the chain was read with --tls-client-cert, which GOST cannot present")
				assertFindings(t, got, "client-cert-required", "unknown-authority")
				assert.Contains(t, got.Findings[0].Text, "requires a client certificate")
				ok, _ := got.Connects()
				assert.False(t, ok, "GOST itself could not connect")
			},
		},
		{
			name: "grpc without alpn", tr: mockclient.GRPC, kind: noALPN, tls: &mockclient.TLSConfig{},
			check: func(t *testing.T, got report.TLS) {
				assert.Empty(t, got.ALPN)
				assertFindings(t, got, "no-alpn", "unknown-authority")
			},
		},
		{
			name: "plaintext", tr: mockclient.GRPC, kind: plaintext,
			check: func(t *testing.T, got report.TLS) {
				assert.False(t, got.Enabled)
				assert.Equal(t, "plaintext", got.Endpoint.Security)
				assert.Nil(t, got.NameCheck)
				assert.Empty(t, got.Findings)
				assert.Equal(t, "plaintext: the GOST config has no tls block", got.Note)
			},
		},
		{
			name: "tls config against plaintext", tr: mockclient.HTTP, kind: plaintext, tls: &mockclient.TLSConfig{},
			check: func(t *testing.T, got report.TLS) {
				assert.Equal(t, "plaintext", got.Endpoint.Security)
				assertFindings(t, got, "plaintext-server")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr := startServer(t, certs, tt.tr, tt.kind)
			if tt.tr == mockclient.HTTP && tt.kind == plaintext {
				addr = "https" + strings.TrimPrefix(addr, "http")
			}
			tt.opts.Now = func() time.Time { return now }
			tt.opts.timing = steady
			got := Audit(t.Context(), mockclient.Config{Addr: addr, Transport: tt.tr, TLS: tt.tls}, tt.opts)
			configured := 0
			for _, v := range got.Matrix {
				if v.Configured {
					configured++
				}
			}
			assert.Equal(t, 1, configured, "exactly one configured row")
			tt.check(t, got)
		})
	}
}

func assertFindings(t *testing.T, got report.TLS, codes ...string) {
	t.Helper()
	var have []string
	for _, f := range got.Findings {
		have = append(have, f.Code)
	}
	assert.Equal(t, codes, have)
}

func TestAuditUnreachable(t *testing.T) {
	t.Parallel()
	addr := testnet.RefusedAddr(t)
	got := Audit(t.Context(), mockclient.Config{Addr: addr, TLS: &mockclient.TLSConfig{}}, AuditOptions{})
	assert.Equal(t, &report.Endpoint{Address: addr, Error: "connection refused: nothing is listening on " + addr}, got.Endpoint)
	require.Len(t, got.Matrix, 5)
	for _, v := range got.Matrix {
		assert.False(t, v.Connects)
		assert.Equal(t, "connection refused: nothing is listening on "+addr, v.Reason)
	}
	ok, _ := got.Connects()
	assert.False(t, ok)
}
