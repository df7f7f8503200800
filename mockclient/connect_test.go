package mockclient

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/go-gost/plugin/auth/proto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/plugincheck/plugincheck/internal/testnet"
)

// slowTLSAuthServer serves the auth service over TLS on a loopback port,
// holding every handshake back by delay: longer than grpc-go's 1 s for
// GOST's first connect attempt, shorter than the second attempt's 1.6 s.
func slowTLSAuthServer(t *testing.T, delay time.Duration) string {
	t.Helper()
	stop := make(chan struct{})
	cfg := &tls.Config{Certificates: []tls.Certificate{loopbackCert(t)}, NextProtos: []string{"h2"}}
	cfg.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
		timer := time.NewTimer(delay)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-stop:
		}
		return nil, nil
	}
	srv := grpc.NewServer(grpc.Creds(credentials.NewTLS(cfg)))
	proto.RegisterAuthenticatorServer(srv, &authServer{reply: &proto.AuthenticateReply{Ok: true}})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(func() { close(stop); srv.Stop() })
	return lis.Addr().String()
}

func TestConnect(t *testing.T) {
	t.Parallel()
	closedAddr := testnet.RefusedAddr(t)

	tests := []struct {
		name       string
		cfg        func(t *testing.T) Config
		wantReady  bool
		wantMissed bool
	}{
		{
			name: "a handshake over 1 s misses GOST's first attempt, and a later one connects",
			cfg: func(t *testing.T) Config {
				return Config{Addr: slowTLSAuthServer(t, 1500*time.Millisecond), TLS: &TLSConfig{}}
			},
			wantReady:  true,
			wantMissed: true,
		},
		{
			name:      "a prompt plugin is ready",
			cfg:       func(t *testing.T) Config { return Config{Addr: tlsAuthServer(t, &helloSeen{}), TLS: &TLSConfig{}} },
			wantReady: true,
		},
		{
			name: "nothing listening: no waiting cures it",
			cfg:  func(*testing.T) Config { return Config{Addr: closedAddr} },
		},
		{
			name:      "HTTP has no connection to bring up",
			cfg:       func(*testing.T) Config { return Config{Addr: "http://" + closedAddr + "/auth"} },
			wantReady: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := New(tt.cfg(t))
			require.NoError(t, err)
			t.Cleanup(func() { _ = c.Close() })
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			got := c.Connect(ctx)
			if tt.wantMissed {
				// On a loaded machine a prompt handshake can miss 1 s too;
				// a held-back one always does.
				assert.True(t, got.MissedFirstDeadline, "took %s", got.Took)
			}
			assert.Equal(t, tt.wantReady, got.Ready, "took %s", got.Took)
			if !tt.wantReady {
				require.NoError(t, ctx.Err(), "Connect gave up at once, without waiting for ctx")
				return
			}
			if c.Transport() == GRPC {
				res := c.Authenticate(ctx, AuthRequest{Username: "u"})
				require.True(t, res.OK(), "the first call after Connect goes over the ready connection: %v", res.Err)
				assert.True(t, res.Verdict.OK)
			}
		})
	}
}

func TestConnectNewHTTPIsReady(t *testing.T) {
	t.Parallel()
	c, err := NewHTTP(http.DefaultClient, Config{Addr: "http://127.0.0.1:1/auth"})
	require.NoError(t, err)
	assert.True(t, c.Connect(t.Context()).Ready)
}
