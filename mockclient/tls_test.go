package mockclient

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/go-gost/plugin/auth/proto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"

	"github.com/plugincheck/plugincheck/internal/testcert"
)

// helloSeen records what the TLS server saw of the client's hello.
type helloSeen struct {
	mu        sync.Mutex
	sni       string
	protocols []string
	authority []string
}

func (h *helloSeen) config(cert tls.Certificate, nextProtos ...string) *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		NextProtos:   nextProtos,
		GetConfigForClient: func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			h.mu.Lock()
			h.sni, h.protocols = hello.ServerName, hello.SupportedProtos
			h.mu.Unlock()
			return nil, nil
		},
	}
}

func loopbackCert(t *testing.T) tls.Certificate {
	t.Helper()
	ca, err := testcert.NewCA("mockclient test CA")
	require.NoError(t, err)
	leaf := testcert.Loopback()
	leaf.DNSNames = append(leaf.DNSNames, "plugin.example")
	cert, err := ca.Issue(leaf)
	require.NoError(t, err)
	return cert
}

// tlsAuthServer serves the auth service over TLS on a loopback port.
func tlsAuthServer(t *testing.T, seen *helloSeen) string {
	t.Helper()
	srv := grpc.NewServer(
		grpc.Creds(credentials.NewTLS(seen.config(loopbackCert(t)))),
		grpc.UnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			md, _ := metadata.FromIncomingContext(ctx)
			seen.mu.Lock()
			seen.authority = md.Get(":authority")
			seen.mu.Unlock()
			return h(ctx, req)
		}),
	)
	proto.RegisterAuthenticatorServer(srv, &authServer{reply: &proto.AuthenticateReply{Ok: true}})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

func TestGRPCTLSAsGOSTBuildsIt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		tls           *TLSConfig
		wantSNI       string
		wantAuthority string // "" means the address itself
		wantFailure   Failure
	}{
		{name: "tls: {} against an IP sends no SNI", tls: &TLSConfig{}, wantSNI: ""},
		{name: "serverName sets SNI and authority", tls: &TLSConfig{ServerName: "plugin.example"}, wantSNI: "plugin.example", wantAuthority: "plugin.example"},
		{name: "secure verifies against system roots only", tls: &TLSConfig{Secure: true}, wantFailure: FailureTransport},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			seen := &helloSeen{}
			addr := tlsAuthServer(t, seen)
			c, err := New(Config{Addr: addr, TLS: tt.tls, CallTimeout: testTimeout})
			require.NoError(t, err)
			t.Cleanup(func() { _ = c.Close() })
			if tt.wantFailure == FailureNone {
				// GOST's dial options give a first connect only 1 s; on a
				// loaded machine the handshake may need more attempts.
				waitReady(t, c.owned)
			}

			res := c.Authenticate(t.Context(), AuthRequest{Username: "u"})
			assert.Equal(t, tt.wantFailure, res.Failure, res.Error())
			if tt.wantFailure != FailureNone {
				assert.Equal(t, AuthVerdict{}, res.Verdict, "a failed handshake denies")
				return
			}
			want := tt.wantAuthority
			if want == "" {
				want = addr
			}
			seen.mu.Lock()
			defer seen.mu.Unlock()
			assert.Equal(t, tt.wantSNI, seen.sni)
			assert.Equal(t, []string{"h2"}, seen.protocols, "grpc-go offers ALPN h2 only")
			assert.Equal(t, []string{want}, seen.authority)
			require.NotNil(t, res.TLS)
			assert.Equal(t, "h2", res.TLS.NegotiatedProtocol)
		})
	}
}

func TestHTTPTLSAsGOSTBuildsIt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		tls         *TLSConfig
		wantProto   string
		wantSNI     string
		wantFailure Failure
	}{
		{name: "a tls block means HTTP/1.1 even when h2 is offered", tls: &TLSConfig{}, wantProto: "HTTP/1.1"},
		{name: "serverName sets SNI", tls: &TLSConfig{ServerName: "plugin.example"}, wantProto: "HTTP/1.1", wantSNI: "plugin.example"},
		{name: "https without a tls block verifies with Go's defaults", tls: nil, wantFailure: FailureTransport},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			seen := &helloSeen{}
			var proto string
			var mu sync.Mutex
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				proto = r.Proto
				mu.Unlock()
				_, _ = io.WriteString(w, `{"ok":true}`)
			}))
			srv.EnableHTTP2 = true
			srv.TLS = seen.config(loopbackCert(t), "h2", "http/1.1")
			srv.Config.ErrorLog = log.New(io.Discard, "", 0)
			srv.StartTLS()
			t.Cleanup(srv.Close)

			c, err := New(Config{Addr: srv.URL + "/auth", TLS: tt.tls, CallTimeout: testTimeout})
			require.NoError(t, err)
			t.Cleanup(func() { _ = c.Close() })
			res := c.Authenticate(t.Context(), AuthRequest{Username: "u"})
			assert.Equal(t, tt.wantFailure, res.Failure, res.Error())
			if tt.wantFailure != FailureNone {
				assert.Equal(t, AuthVerdict{}, res.Verdict)
				return
			}
			assert.Equal(t, AuthVerdict{OK: true}, res.Verdict)
			mu.Lock()
			assert.Equal(t, tt.wantProto, proto)
			mu.Unlock()
			seen.mu.Lock()
			assert.Equal(t, tt.wantSNI, seen.sni)
			seen.mu.Unlock()
			require.NotNil(t, res.TLS)
		})
	}
}
