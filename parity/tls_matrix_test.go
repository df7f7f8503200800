package parity

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-gost/core/auth"
	"github.com/go-gost/x/config"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/plugincheck/plugincheck/internal/probe"
	"github.com/plugincheck/plugincheck/internal/testcert"
	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
)

// The servers of the TLS matrix check: one of each kind GOST treats
// differently, over both transports.
const (
	kindValid      = "valid-chain"
	kindSelfSigned = "self-signed"
	kindExpired    = "expired"
	kindWrongSAN   = "wrong-san"
	kindNoALPN     = "no-alpn"
	kindMTLS       = "mtls-required"
	kindPlaintext  = "plaintext"
)

var matrixKinds = []string{kindValid, kindSelfSigned, kindExpired, kindWrongSAN, kindNoALPN, kindMTLS, kindPlaintext}

// startKindServer starts a recording auth plugin server of kind that
// answers every call with ok, on 127.0.0.1.
func startKindServer(t *testing.T, tr mockclient.Transport, kind string, certs *testcert.Set) *server {
	t.Helper()
	certOf := map[string]tls.Certificate{
		kindValid: certs.Valid, kindSelfSigned: certs.SelfSigned, kindExpired: certs.Expired,
		kindWrongSAN: certs.WrongName, kindNoALPN: certs.Valid, kindMTLS: certs.Valid,
	}
	s := &server{transport: tr}
	s.reply(authAdapter.ok(tr))
	var cfg *tls.Config
	if kind != kindPlaintext {
		cfg = s.tlsConfig(certOf[kind])
		if kind == kindMTLS {
			cfg.ClientAuth, cfg.ClientCAs = tls.RequireAndVerifyClientCert, certs.CA.Pool
		}
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	if tr == mockclient.GRPC {
		opts := []grpc.ServerOption{
			grpc.ForceServerCodec(rawCodec{}), //nolint:staticcheck // as startServer
			grpc.UnknownServiceHandler(s.handleGRPC),
		}
		var l net.Listener = lis
		switch {
		case kind == kindNoALPN:
			// A real gRPC server behind TLS that negotiates no protocol;
			// it would serve a client that does not insist on ALPN.
			l = tls.NewListener(lis, cfg)
		case cfg != nil:
			opts = append(opts, grpc.Creds(credentials.NewTLS(cfg)))
		}
		g := grpc.NewServer(opts...)
		go func() { _ = g.Serve(l) }()
		t.Cleanup(g.Stop)
		s.addr = lis.Addr().String()
		return s
	}
	hs := &http.Server{Handler: http.HandlerFunc(s.handleHTTP), ErrorLog: log.New(io.Discard, "", 0), ReadHeaderTimeout: 5 * time.Second}
	var wg sync.WaitGroup
	scheme := "https"
	switch {
	case cfg == nil:
		scheme = "http"
		wg.Go(func() { _ = hs.Serve(lis) })
	case kind == kindNoALPN:
		wg.Go(func() { _ = hs.Serve(tls.NewListener(lis, cfg)) })
	default:
		hs.TLSConfig = cfg
		wg.Go(func() { _ = hs.ServeTLS(lis, "", "") })
	}
	t.Cleanup(func() { _ = hs.Close(); wg.Wait() })
	s.addr = scheme + "://" + lis.Addr().String()
	return s
}

// gostReaches builds GOST's own auth plugin client for one matrix row
// through x's config parsing and reports whether its call reached srv.
func gostReaches(t *testing.T, srv *server, v report.Verdict) bool {
	t.Helper()
	p := &config.PluginConfig{Type: string(srv.transport), Addr: v.Addr}
	if v.TLS != nil {
		p.TLS = &config.TLSConfig{Secure: v.TLS.Secure, ServerName: v.TLS.ServerName}
	}
	a := authAdapter.newGOST(t, p)
	if c, ok := a.(io.Closer); ok {
		defer c.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	srv.take()
	a.(auth.Authenticator).Authenticate(ctx, "parity", "parity")
	return len(srv.take()) > 0
}

// checkMatrix audits every kind of server with plugincheck and holds each
// row of its verdict matrix against GOST's real client. It returns the
// matrices by transport and kind.
func checkMatrix(t *testing.T, certs *testcert.Set) map[string][]report.Verdict {
	var mu sync.Mutex
	out := map[string][]report.Verdict{}
	t.Run("matrix", func(t *testing.T) {
		for _, tr := range mockclient.Transports() {
			for _, kind := range matrixKinds {
				t.Run(string(tr)+"/"+kind, func(t *testing.T) {
					t.Parallel()
					srv := startKindServer(t, tr, kind, certs)
					addr := srv.addr
					if tr == mockclient.HTTP {
						addr += "/auth"
					}
					audit := probe.Audit(t.Context(), mockclient.Config{Addr: addr, Transport: tr}, probe.AuditOptions{})
					require.NotEmpty(t, audit.Matrix)
					for _, v := range audit.Matrix {
						got := gostReaches(t, srv, v)
						assert.Equal(t, got, v.Connects, "%s/%s %s (%s): GOST's client reached the plugin: %v; plugincheck says connects: %v (%s)",
							tr, kind, v.ID, v.Config, got, v.Connects, v.Reason)
					}
					mu.Lock()
					out[string(tr)+"/"+kind] = audit.Matrix
					mu.Unlock()
				})
			}
		}
	})
	return out
}

// TestTLSMatrix confirms plugincheck's GOST verdict matrix against GOST's
// own plugin client (x v0.15.2) for every server kind and every GOST
// configuration, with the test CA outside the system roots, as it is for
// any private CA.
func TestTLSMatrix(t *testing.T) {
	t.Parallel()
	certs, err := testcert.NewSet()
	require.NoError(t, err)
	got := checkMatrix(t, certs)
	// The cases the issue names must show both columns somewhere.
	for _, key := range []string{"grpc/" + kindNoALPN, "grpc/" + kindSelfSigned, "grpc/" + kindExpired, "grpc/" + kindWrongSAN,
		"http/" + kindSelfSigned, "http/" + kindExpired, "http/" + kindWrongSAN} {
		var yes, no int
		for _, v := range got[key] {
			if v.Connects {
				yes++
			} else {
				no++
			}
		}
		if key == "grpc/"+kindNoALPN {
			assert.Zero(t, yes, "%s: no GOST configuration connects", key)
			continue
		}
		assert.Positive(t, yes, "%s: tls: {} connects", key)
		assert.Positive(t, no, "%s: verification fails", key)
	}
	if os.Getenv("PARITY_TLS_MATRIX") != "" {
		logMatrix(t, got)
	}
}

// caDirEnv tells the child process of TestTLSMatrixTrustedRoots where the
// test CA is.
const caDirEnv = "PARITY_TLS_CA_DIR"

// TestTLSMatrixTrustedRoots runs the matrix check again in a child process
// whose system roots are the test CA alone (SSL_CERT_FILE and SSL_CERT_DIR,
// read by crypto/x509 once per process), so that `secure: true` and
// https:// without a tls block meet a chain they trust, as a plugin with a
// public certificate would be met.
func TestTLSMatrixTrustedRoots(t *testing.T) {
	t.Parallel()
	if os.Getenv(caDirEnv) != "" {
		t.Skip("this is the child")
	}
	ca, err := testcert.NewCA("parity trusted CA")
	require.NoError(t, err)
	dir := t.TempDir()
	key, err := ca.KeyPEM()
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "ca.pem"), ca.CertPEM(), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "ca.key"), key, 0o600))
	emptyDir := t.TempDir()

	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run", "^TestTLSMatrixTrustedRootsChild$", "-test.v")
	cmd.Env = append(os.Environ(),
		caDirEnv+"="+dir,
		"SSL_CERT_FILE="+filepath.Join(dir, "ca.pem"),
		"SSL_CERT_DIR="+emptyDir,
	)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "child process:\n%s", out)
	require.Contains(t, string(out), "--- PASS: TestTLSMatrixTrustedRootsChild", "the child ran the check:\n%s", out)
	if os.Getenv("PARITY_TLS_MATRIX") != "" {
		t.Logf("child process:\n%s", out)
	}
}

// TestTLSMatrixTrustedRootsChild is TestTLSMatrixTrustedRoots's child.
func TestTLSMatrixTrustedRootsChild(t *testing.T) {
	dir := os.Getenv(caDirEnv)
	if dir == "" {
		t.Skip("run by TestTLSMatrixTrustedRoots")
	}
	certPEM, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
	require.NoError(t, err)
	keyPEM, err := os.ReadFile(filepath.Join(dir, "ca.key"))
	require.NoError(t, err)
	ca, err := testcert.LoadCA(certPEM, keyPEM)
	require.NoError(t, err)
	certs, err := testcert.NewSetFrom(ca)
	require.NoError(t, err)
	got := checkMatrix(t, certs)

	// The trusted world is in effect: verification succeeds where it must.
	connects := func(key, id string) bool {
		for _, v := range got[key] {
			if v.ID == id {
				return v.Connects
			}
		}
		t.Fatalf("%s: no row %s", key, id)
		return false
	}
	for _, c := range []struct {
		key, id string
		want    bool
	}{
		{"grpc/" + kindValid, "tls-secure", true},
		{"grpc/" + kindValid, "tls-secure-server-name", true},
		{"http/" + kindValid, "https", true},
		{"http/" + kindValid, "https-tls-secure", true},
		{"grpc/" + kindWrongSAN, "tls-secure", false},
		{"grpc/" + kindWrongSAN, "tls-secure-server-name", true},
		{"grpc/" + kindExpired, "tls-secure", false},
		{"grpc/" + kindNoALPN, "tls-secure", false},
		{"http/" + kindNoALPN, "https-tls-secure", true},
		{"grpc/" + kindMTLS, "tls-secure", false},
		{"http/" + kindSelfSigned, "https", false},
	} {
		assert.Equal(t, c.want, connects(c.key, c.id), "%s %s", c.key, c.id)
	}
	if os.Getenv("PARITY_TLS_MATRIX") != "" {
		logMatrix(t, got)
	}
}

// logMatrix prints the matrices for people (PARITY_TLS_MATRIX=1 go test -v).
func logMatrix(t *testing.T, got map[string][]report.Verdict) {
	var b strings.Builder
	for _, tr := range mockclient.Transports() {
		for _, kind := range matrixKinds {
			fmt.Fprintf(&b, "\n%s/%s\n", tr, kind)
			for _, v := range got[string(tr)+"/"+kind] {
				verdict := "yes"
				if !v.Connects {
					verdict = "no "
				}
				fmt.Fprintf(&b, "  %s %-48s %s\n", verdict, v.Config, v.Reason)
			}
		}
	}
	t.Log(b.String())
}
