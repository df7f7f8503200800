package tlsprobe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/internal/testcert"
)

func TestClientConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		c            Client
		wantName     string
		wantInsecure bool
		wantALPN     []string
		wantVerifies bool
		wantHow      string
	}{
		{name: "grpc tls: {}", c: Client{Transport: GRPC, Block: &Block{}, Host: "127.0.0.1"},
			wantName: "127.0.0.1", wantInsecure: true, wantALPN: []string{"h2"}, wantHow: "tls: {}"},
		{name: "grpc serverName", c: Client{Transport: GRPC, Block: &Block{ServerName: "p.example"}, Host: "127.0.0.1"},
			wantName: "p.example", wantInsecure: true, wantALPN: []string{"h2"}, wantHow: "tls: {serverName: p.example}"},
		{name: "grpc secure", c: Client{Transport: GRPC, Block: &Block{Secure: true}, Host: "h.example"},
			wantName: "h.example", wantALPN: []string{"h2"}, wantVerifies: true, wantHow: "secure: true"},
		{name: "http tls block offers no ALPN", c: Client{Transport: HTTP, Block: &Block{Secure: true, ServerName: "p.example"}, Host: "h.example"},
			wantName: "p.example", wantVerifies: true, wantHow: "secure: true with serverName p.example"},
		{name: "https without a tls block", c: Client{Transport: HTTP, Host: "h.example"},
			wantName: "h.example", wantALPN: []string{"h2", "http/1.1"}, wantVerifies: true, wantHow: "https:// without a tls block (Go's default verification)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := tt.c.Config()
			assert.Equal(t, tt.wantName, cfg.ServerName)
			assert.Equal(t, tt.wantInsecure, cfg.InsecureSkipVerify)
			assert.Equal(t, tt.wantALPN, cfg.NextProtos)
			assert.Equal(t, tt.wantVerifies, tt.c.Verifies())
			assert.Equal(t, tt.wantHow, tt.c.How())
			assert.Nil(t, cfg.Certificates, "GOST never presents a client certificate")
			if tt.c.Transport == GRPC {
				assert.Equal(t, uint16(tls.VersionTLS12), cfg.MinVersion, "grpc-go's minimum")
				assert.NotContains(t, cfg.CipherSuites, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, "forbidden by RFC 7540")
			}
		})
	}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	certs, err := testcert.NewSet()
	require.NoError(t, err)
	expired := certs.Expired.Leaf
	tests := []struct {
		name string
		err  error
		want Kind // "" means nil
	}{
		{name: "nil", err: nil},
		{name: "not TLS", err: errors.New("dial tcp: refused")},
		{name: "plaintext reply", err: tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, want: KindPlaintext},
		{name: "unknown authority", err: &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}, want: KindUnknownAuthority},
		{name: "hostname", err: x509.HostnameError{Certificate: certs.WrongName.Leaf, Host: "127.0.0.1"}, want: KindNameMismatch},
		{name: "expired", err: x509.CertificateInvalidError{Cert: expired, Reason: x509.Expired}, want: KindExpired},
		{name: "certificate required", err: &net.OpError{Op: "remote error", Err: errors.New("tls: certificate required")}, want: KindClientCertRequired},
		{name: "bad certificate", err: &net.OpError{Op: "remote error", Err: errors.New("tls: bad certificate")}, want: KindClientCertRequired},
		{name: "no application protocol", err: &net.OpError{Op: "remote error", Err: errors.New("tls: no application protocol")}, want: KindNoALPN},
		{name: "closed", err: io.EOF, want: KindClosed},
		{name: "other alert", err: &net.OpError{Op: "remote error", Err: errors.New("tls: handshake failure")}, want: KindHandshake},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Classify(tt.err)
			if tt.want == "" {
				assert.Nil(t, got)
				return
			}
			require.NotNil(t, got)
			assert.Equal(t, tt.want, got.Kind)
			assert.ErrorIs(t, got, tt.err)
		})
	}
}

func TestChain(t *testing.T) {
	t.Parallel()
	certs, err := testcert.NewSet()
	require.NoError(t, err)
	now := certs.Valid.Leaf.NotAfter.Add(-36 * time.Hour)
	chain := parse(t, certs.Valid)
	got := Chain(chain, now)
	require.Len(t, got, 2)
	assert.Equal(t, 1, got[0].DaysLeft)
	assert.Equal(t, "ECDSA P-256", got[0].KeyType)
	assert.False(t, got[0].SelfSigned)
	assert.True(t, got[1].IsCA)

	assert.Nil(t, Verify(chain, certs.CA.Pool, time.Now()), "intermediate sent by the server completes the chain")
	assert.Equal(t, KindUnknownAuthority, Verify(chain, x509.NewCertPool(), time.Now()).Kind)
	assert.Equal(t, KindExpired, Verify(parse(t, certs.Expired), certs.CA.Pool, time.Now()).Kind)
	assert.Equal(t, KindNotYetValid, Verify(chain, certs.CA.Pool, certs.Valid.Leaf.NotBefore.Add(-time.Hour)).Kind)
	assert.True(t, SelfSigned(certs.SelfSigned.Leaf))
	assert.Nil(t, CheckName(certs.Valid.Leaf, "127.0.0.1"))
	assert.Equal(t, KindNameMismatch, CheckName(certs.WrongName.Leaf, "127.0.0.1").Kind)
	k, text := Validity(certs.Expired.Leaf, time.Now())
	assert.Equal(t, KindExpired, k)
	assert.Contains(t, text, "certificate CN=localhost expired on")
	assert.Contains(t, text, "(1 day ago)")
}

func parse(t *testing.T, cert tls.Certificate) []*x509.Certificate {
	t.Helper()
	var out []*x509.Certificate
	for _, der := range cert.Certificate {
		c, err := x509.ParseCertificate(der)
		require.NoError(t, err)
		out = append(out, c)
	}
	return out
}

// serveTLS completes TLS handshakes with cert on 127.0.0.1 and returns the
// address.
func serveTLS(t *testing.T, cert tls.Certificate) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	lis = tls.NewListener(lis, &tls.Config{Certificates: []tls.Certificate{cert}})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			conn, err := lis.Accept()
			if err != nil {
				return
			}
			go func() {
				_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
				_ = conn.(*tls.Conn).Handshake()
				_ = conn.Close()
			}()
		}
	}()
	t.Cleanup(func() { _ = lis.Close(); <-done })
	return lis.Addr().String()
}

// TestHandshakeErrors pins the errors GOST would log against real servers,
// and how they are explained.
func TestHandshakeErrors(t *testing.T) {
	t.Parallel()
	ca, err := testcert.NewCA("plugincheck test CA")
	require.NoError(t, err)
	huge, err := ca.IssueRSAPublic(testcert.Loopback(), 16384)
	require.NoError(t, err)
	direct, err := ca.Issue(testcert.Loopback())
	require.NoError(t, err)
	withRoot := direct
	withRoot.Certificate = append(append([][]byte(nil), direct.Certificate...), ca.Cert.Raw)
	self, err := (*testcert.CA)(nil).Issue(testcert.Loopback())
	require.NoError(t, err)

	secure := Client{Transport: GRPC, Block: &Block{Secure: true}, Host: "127.0.0.1"}
	insecure := Client{Transport: HTTP, Block: &Block{}, Host: "127.0.0.1"}
	tests := []struct {
		name     string
		cert     tls.Certificate
		c        Client
		want     Kind
		contains []string
		excludes []string
	}{
		{
			name: "16384-bit RSA key under tls: {}", cert: huge, c: insecure, want: KindRSAKeyTooLarge,
			contains: []string{"tls: server sent certificate containing RSA key larger than 8192 bits", "refuses the certificate under every tls block"},
		},
		{
			name: "16384-bit RSA key under secure: true", cert: huge, c: secure, want: KindRSAKeyTooLarge,
			contains: []string{"RSA key larger than 8192 bits"},
		},
		{
			name: "CA-signed leaf, no intermediate", cert: direct, c: secure, want: KindUnknownAuthority,
			contains: []string{"certificate signed by unknown authority (issued by CN=plugincheck test CA, which the roots do not hold)"},
			excludes: []string{"self-signed"},
		},
		{
			name: "CA-signed leaf with the root sent along", cert: withRoot, c: secure, want: KindUnknownAuthority,
			contains: []string{"(its chain ends at CN=plugincheck test CA, a root the server sent along, which the roots do not hold)"},
			excludes: []string{"the certificate is self-signed"},
		},
		{
			name: "self-signed leaf", cert: self, c: secure, want: KindUnknownAuthority,
			contains: []string{"certificate signed by unknown authority (the certificate is self-signed)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr := serveTLS(t, tt.cert)
			conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
			require.NoError(t, err)
			defer conn.Close()
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			res := Handshake(ctx, conn, tt.c, Options{Roots: x509.NewCertPool()})
			require.NotNil(t, res.Err)
			assert.Equal(t, tt.want, res.Err.Kind, "%v", res.Err)
			got := tt.c.Explain(res.Err, addr)
			for _, s := range tt.contains {
				assert.Contains(t, got, s)
			}
			for _, s := range tt.excludes {
				assert.NotContains(t, got, s)
			}
		})
	}
}

func TestHandshakeTimeout(t *testing.T) {
	t.Parallel()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = lis.Close() })
	// A server that accepts and never answers.
	conn, err := net.DialTimeout("tcp", lis.Addr().String(), 10*time.Second)
	require.NoError(t, err)
	defer conn.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	res := Handshake(ctx, conn, Client{Transport: GRPC, Block: &Block{}, Host: "127.0.0.1"}, Options{})
	require.NotNil(t, res.Err)
	assert.Equal(t, KindTimeout, res.Err.Kind)
	assert.ErrorIs(t, res.Err, context.DeadlineExceeded)
}

func TestBounded(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", maxText)
	got := bounded(long)
	assert.LessOrEqual(t, len(got), maxText+len("…"))
	assert.True(t, utf8.ValidString(got))
	assert.Equal(t, "short", bounded("short"))
}

// TestChainBoundsHostileFields: a certificate's fields come from the plugin
// and are cut before they reach a report.
func TestChainBoundsHostileFields(t *testing.T) {
	t.Parallel()
	ca, err := testcert.NewCA("plugincheck test CA")
	require.NoError(t, err)
	leaf := testcert.Loopback()
	leaf.CommonName = strings.Repeat("x", 5000)
	for i := range 100 {
		leaf.DNSNames = append(leaf.DNSNames, fmt.Sprintf("n%d.example", i))
	}
	cert, err := ca.Issue(leaf)
	require.NoError(t, err)
	got := Chain(parse(t, cert), time.Now())
	require.Len(t, got, 1)
	assert.LessOrEqual(t, len(got[0].Subject), maxText+len("…"))
	require.Len(t, got[0].DNSNames, maxNames+1)
	assert.Equal(t, "… (69 more)", got[0].DNSNames[maxNames])
	assert.Equal(t, []string{"127.0.0.1", "::1"}, got[0].IPs)
}
