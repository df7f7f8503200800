package probe

import (
	"crypto/tls"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/plugincheck/plugincheck/internal/testcert"
	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
)

func TestGRPCAttempts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		took        time.Duration
		wantAttempt int
		wantAfter   time.Duration
		wantOK      bool
	}{
		{name: "under the first deadline", took: 500 * time.Millisecond, wantOK: true},
		{name: "just over 1 s", took: 1200 * time.Millisecond, wantAttempt: 1, wantAfter: 2 * time.Second, wantOK: true},
		{name: "3 s", took: 3 * time.Second, wantAttempt: 3, wantAfter: 2 * (time.Second + 1600*time.Millisecond + 2560*time.Millisecond), wantOK: true},
		{name: "over MaxDelay less jitter", took: 100 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n, after, ok := grpcAttempts(tt.took)
			assert.Equal(t, tt.wantOK, ok)
			assert.Equal(t, tt.wantAttempt, n)
			assert.InDelta(t, float64(tt.wantAfter), float64(after), float64(time.Millisecond))
		})
	}
}

// slowTLS serves tr over TLS on 127.0.0.1 and holds every handshake for
// delay after the ClientHello arrives; it returns GOST's addr for it.
func slowTLS(t *testing.T, cert tls.Certificate, tr mockclient.Transport, delay time.Duration) string {
	t.Helper()
	stop := make(chan struct{})
	cfg := &tls.Config{
		Certificates: []tls.Certificate{cert},
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			timer := time.NewTimer(delay)
			defer timer.Stop()
			select {
			case <-timer.C:
			case <-stop:
			}
			return nil, nil
		},
	}
	lis := listen(t)
	if tr == mockclient.GRPC {
		srv := grpc.NewServer(grpc.Creds(credentials.NewTLS(cfg)))
		go func() { _ = srv.Serve(lis) }()
		t.Cleanup(func() { close(stop); srv.Stop() })
		return lis.Addr().String()
	}
	hs := &http.Server{Handler: http.NotFoundHandler(), ErrorLog: quiet, ReadHeaderTimeout: 10 * time.Second, TLSConfig: cfg}
	var wg sync.WaitGroup
	wg.Go(func() { _ = hs.ServeTLS(lis, "", "") })
	t.Cleanup(func() { close(stop); _ = hs.Close(); wg.Wait() })
	return "https://" + lis.Addr().String() + "/auth"
}

// TestAuditDeadlines holds slow handshakes against GOST's deadlines: a
// second and a half is over the 1 s grpc-go gives GOST's first connect,
// legal but slow for GOST's HTTP client, which sets no handshake deadline,
// and over an HTTP `timeout` of 300 ms. The delay only ever makes a
// handshake slower, so the assertions hold on a loaded machine.
func TestAuditDeadlines(t *testing.T) {
	t.Parallel()
	certs, err := testcert.NewSet()
	require.NoError(t, err)
	const delay = 1500 * time.Millisecond
	tests := []struct {
		name         string
		tr           mockclient.Transport
		timeout      time.Duration
		wantConnects bool
		wantReason   string
		wantFinding  string
	}{
		{
			name: "grpc connect over 1 s", tr: mockclient.GRPC, wantConnects: true,
			wantReason:  "GOST's first calls fail: connecting to ",
			wantFinding: "grpc-slow-connect",
		},
		{
			name: "https handshake of 1.5 s, no timeout", tr: mockclient.HTTP, wantConnects: true,
			wantReason:  "GOST connects, but TCP and TLS with ",
			wantFinding: "slow-tls-handshake",
		},
		{
			name: "https handshake over GOST's timeout", tr: mockclient.HTTP, timeout: 300 * time.Millisecond,
			wantReason:  "within GOST's timeout (300ms): GOST's call fails",
			wantFinding: "handshake-timeout",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr := slowTLS(t, certs.Valid, tt.tr, delay)
			cfg := mockclient.Config{Addr: addr, Transport: tt.tr, TLS: &mockclient.TLSConfig{}, Timeout: tt.timeout}
			got := Audit(t.Context(), cfg, AuditOptions{})
			ok, reason := got.Connects()
			assert.Equal(t, tt.wantConnects, ok, reason)
			row := configuredRow(t, got)
			assert.Contains(t, row.Reason, tt.wantReason)
			require.NotEmpty(t, got.Findings)
			assert.Equal(t, tt.wantFinding, got.Findings[0].Code)
			assert.Equal(t, row.Reason, got.Findings[0].Text)
			for _, v := range got.Matrix {
				if v.ID == "tls" || v.ID == "https-tls" || v.ID == "tls-server-name" || v.ID == "https-tls-server-name" {
					assert.Equal(t, tt.wantConnects, v.Connects, "%s: the same handshake, the same verdict (%s)", v.ID, v.Reason)
				}
			}
		})
	}
}

func configuredRow(t *testing.T, got report.TLS) report.Verdict {
	t.Helper()
	for _, v := range got.Matrix {
		if v.Configured {
			return v
		}
	}
	t.Fatalf("no configured row in %v", got.Matrix)
	return report.Verdict{}
}

// helloCounter counts the connections whose first byte is a TLS handshake
// record (0x16): the ClientHellos a plaintext server is sent. The server
// reads each connection in its own goroutine, possibly after the client
// has moved on, so settle waits until every accepted connection has been
// read (or closed) before the count is taken.
type helloCounter struct {
	net.Listener
	hellos   atomic.Int32
	accepted atomic.Int32
	settled  atomic.Int32 // connections whose first Read returned, or that were closed unread
	sentinel atomic.Bool  // the settle connection's byte was read
}

// sentinelByte is neither a TLS record type nor the start of an HTTP or
// HTTP/2 preface.
const sentinelByte = 0x00

func (l *helloCounter) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.accepted.Add(1)
	return &firstByte{Conn: c, l: l}, nil
}

// settle makes one more connection, which the kernel queues behind every
// connection the client already made, and waits until the server has
// accepted it and every accepted connection has been read or closed. The
// wait is bounded; a server that never reads fails the test.
func (l *helloCounter) settle(t *testing.T) {
	t.Helper()
	c, err := net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	_, err = c.Write([]byte{sentinelByte})
	require.NoError(t, err)
	require.NoError(t, c.Close())
	require.Eventually(t, func() bool {
		return l.sentinel.Load() && l.settled.Load() == l.accepted.Load()
	}, 20*time.Second, 2*time.Millisecond, "the server did not read every connection")
}

type firstByte struct {
	net.Conn
	l    *helloCounter
	once sync.Once
}

func (c *firstByte) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 || err != nil {
		c.once.Do(func() {
			if n > 0 && b[0] == 0x16 {
				c.l.hellos.Add(1)
			}
			if n > 0 && b[0] == sentinelByte {
				c.l.sentinel.Store(true)
			}
			c.l.settled.Add(1)
		})
	}
	return n, err
}

func (c *firstByte) Close() error {
	c.once.Do(func() { c.l.settled.Add(1) })
	return c.Conn.Close()
}

// TestOneClientHello runs the audit and then the diagnosis of a run, as a
// module run does, against plaintext plugins under every configuration,
// and counts the ClientHellos they receive.
func TestOneClientHello(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		tr     mockclient.Transport
		server mockclient.Transport // the plugin's; "": tr
		scheme string               // HTTP only
		tls    *mockclient.TLSConfig
		want   string // the wrong transport's reason
	}{
		{name: "grpc, no tls block", tr: mockclient.GRPC},
		{name: "grpc, tls: {}", tr: mockclient.GRPC, tls: &mockclient.TLSConfig{}},
		{name: "grpc, secure: true", tr: mockclient.GRPC, tls: &mockclient.TLSConfig{Secure: true}},
		{name: "http://", tr: mockclient.HTTP, scheme: "http"},
		{name: "https://", tr: mockclient.HTTP, scheme: "https"},
		{name: "https://, tls: {}", tr: mockclient.HTTP, scheme: "https", tls: &mockclient.TLSConfig{}},
		{name: "http:// config, gRPC plugin", tr: mockclient.HTTP, server: mockclient.GRPC, scheme: "http", want: "speaks HTTP/2 only, as gRPC servers do"},
		{name: "gRPC config, HTTP plugin", tr: mockclient.GRPC, server: mockclient.HTTP, want: "answers HTTP/1.1, not gRPC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			lis := &helloCounter{Listener: listen(t)}
			addr := lis.Addr().String()
			server := tt.server
			if server == "" {
				server = tt.tr
			}
			if server == mockclient.GRPC {
				srv := grpc.NewServer()
				go func() { _ = srv.Serve(lis) }()
				t.Cleanup(srv.Stop)
			} else {
				hs := &http.Server{Handler: http.NotFoundHandler(), ErrorLog: quiet, ReadHeaderTimeout: 10 * time.Second}
				var wg sync.WaitGroup
				wg.Go(func() { _ = hs.Serve(lis) })
				t.Cleanup(func() { _ = hs.Close(); wg.Wait() })
			}
			if tt.tr == mockclient.HTTP {
				addr = tt.scheme + "://" + addr + "/auth"
			}
			cfg := mockclient.Config{Addr: addr, Transport: tt.tr, TLS: tt.tls}
			got := Audit(t.Context(), cfg, AuditOptions{})
			assert.Equal(t, "plaintext", got.Endpoint.Security)
			diag := DiagnoseAfter(t.Context(), cfg, &got)
			// The audit's own handshake is the one; the counter sees it
			// once the server has read every connection the client made.
			lis.settle(t)
			assert.Equal(t, int32(1), lis.hellos.Load(), "ClientHellos the plaintext plugin received")
			for _, v := range got.Matrix {
				if v.TLS != nil || v.ID == "https" {
					assert.False(t, v.Connects, v.ID)
					assert.Contains(t, v.Reason, "answers in plaintext, but", v.ID)
				}
			}
			ok, reason := got.Connects()
			switch {
			case ok:
				assert.Empty(t, diag, "GOST connects, so nothing to diagnose")
			case tt.want != "":
				assert.Contains(t, reason, tt.want)
				assert.Contains(t, diag, tt.want)
			default:
				assert.Contains(t, diag, "answers in plaintext, but")
			}
		})
	}
}

// TestAuditRSAKeyTooLarge: Go's crypto/tls refuses a server certificate
// with an RSA key over 8192 bits before any verification, so the audit
// must say so under every tls block, in Go's own words, which are GOST's.
func TestAuditRSAKeyTooLarge(t *testing.T) {
	t.Parallel()
	ca, err := testcert.NewCA("plugincheck test CA")
	require.NoError(t, err)
	huge, err := ca.IssueRSAPublic(testcert.Loopback(), 16384)
	require.NoError(t, err)
	addr := grpcServer(t, &huge)
	const goErr = "tls: server sent certificate containing RSA key larger than 8192 bits"
	tests := []struct {
		name         string
		tls          *mockclient.TLSConfig
		wantFindings []string
	}{
		{name: "tls: {}", tls: &mockclient.TLSConfig{}, wantFindings: []string{"rsa-key-too-large"}},
		{name: "no tls block", wantFindings: []string{"tls-server", "rsa-key-too-large"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Audit(t.Context(), mockclient.Config{Addr: addr, TLS: tt.tls}, AuditOptions{})
			assert.Equal(t, "tls", got.Endpoint.Security)
			assert.False(t, got.Enabled, "no handshake got past the certificate")
			assertFindings(t, got, tt.wantFindings...)
			assert.Contains(t, got.Findings[len(got.Findings)-1].Text, goErr)
			for _, v := range got.Matrix {
				assert.False(t, v.Connects, v.ID)
				if v.TLS != nil {
					assert.Contains(t, v.Reason, goErr, v.ID)
					assert.NotContains(t, v.Reason, "deadline", v.ID)
				}
			}
		})
	}
}

// TestDiagnoseAfter: the diagnosis reuses what the audit learnt about TLS.
func TestDiagnoseAfter(t *testing.T) {
	t.Parallel()
	ca, err := testcert.NewCA("plugincheck test CA")
	require.NoError(t, err)
	good, err := ca.Issue(testcert.Loopback())
	require.NoError(t, err)
	tlsAddr := grpcServer(t, &good)
	// A server that hangs up on anything makes the plaintext probe ask
	// whether it speaks TLS; the audit's answer stands in for that.
	lis := &helloCounter{Listener: listen(t)}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := lis.Accept()
			if err != nil {
				return
			}
			buf := make([]byte, 1)
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			_, _ = c.Read(buf)
			_ = c.Close()
		}
	})
	t.Cleanup(func() { _ = lis.Close(); wg.Wait() })

	tests := []struct {
		name      string
		cfg       mockclient.Config
		audit     *report.TLS
		want      string
		wantHello int32
	}{
		{
			name: "the audit saw TLS", cfg: mockclient.Config{Addr: lis.Addr().String()},
			audit: &report.TLS{Endpoint: &report.Endpoint{Reachable: true, Security: "tls"}},
			want:  "speaks TLS, but the GOST config has no tls block",
		},
		{
			name: "the audit saw plaintext", cfg: mockclient.Config{Addr: lis.Addr().String(), TLS: &mockclient.TLSConfig{}},
			audit: &report.TLS{Endpoint: &report.Endpoint{Reachable: true, Security: "plaintext"}},
			want:  "answers in plaintext, but the GOST config has a tls block",
		},
		{
			name: "the audit's ClientHello got no TLS answer", cfg: mockclient.Config{Addr: lis.Addr().String()},
			audit: &report.TLS{Endpoint: &report.Endpoint{Reachable: true}},
			want:  "does not speak gRPC",
		},
		{
			name: "a real TLS server the audit saw", cfg: mockclient.Config{Addr: tlsAddr},
			audit: &report.TLS{Endpoint: &report.Endpoint{Reachable: true, Security: "tls"}},
			want:  "speaks TLS, but the GOST config has no tls block",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DiagnoseAfter(t.Context(), tt.cfg, tt.audit)
			assert.Contains(t, got, tt.want)
		})
	}
	assert.Zero(t, lis.hellos.Load(), "no ClientHello: the audit had the answer")
}
