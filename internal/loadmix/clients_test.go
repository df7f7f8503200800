package loadmix

import (
	"crypto/tls"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/plugincheck/plugincheck/internal/testcert"
	"github.com/plugincheck/plugincheck/mockclient"
)

func TestClients(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     mockclient.Config
		conns   int
		want    int
		wantTr  mockclient.Transport
		wantErr string
	}{
		{name: "gRPC: one client per connection", cfg: mockclient.Config{Addr: "127.0.0.1:1"}, conns: 3, want: 3, wantTr: mockclient.GRPC},
		{name: "HTTP from the address: one pooled client", cfg: mockclient.Config{Addr: "http://127.0.0.1:1/auth"}, conns: 8, want: 1, wantTr: mockclient.HTTP},
		{name: "observer without a scheme over HTTP", cfg: mockclient.Config{Addr: "127.0.0.1:1/observe", Transport: mockclient.HTTP, Module: mockclient.Observer}, conns: 4, want: 1, wantTr: mockclient.HTTP},
		{
			name: "a target GOST cannot build says what GOST does", cfg: mockclient.Config{Addr: "127.0.0.1:1\x00", Transport: mockclient.GRPC, Module: mockclient.Auth},
			conns: 2, wantErr: "GOST would run this auth plugin without a client: GOST denies every request",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cs, err := Clients(tt.cfg, tt.conns, nil)
			if tt.wantErr != "" {
				require.ErrorIs(t, err, mockclient.ErrInvalidTarget)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			t.Cleanup(func() {
				for _, c := range cs {
					_ = c.Close()
				}
			})
			require.Len(t, cs, tt.want)
			for _, c := range cs {
				assert.Equal(t, tt.wantTr, c.Transport())
				assert.True(t, c.Config().Lean, "a load keeps no per-call detail")
			}
			if tt.wantTr == mockclient.HTTP {
				assert.Equal(t, tt.conns, cs[0].Config().HTTPPool)
			}
		})
	}
}

// TestConnect: a plugin whose TLS handshake takes longer than the 1 s
// grpc-go gives GOST's first connect attempt is reported, once the
// connections are up. (A prompt one can miss 1 s on a loaded machine
// too, so only the held-back one is asserted.)
func TestConnect(t *testing.T) {
	t.Parallel()
	certs, err := testcert.NewSet()
	require.NoError(t, err)
	tests := []struct {
		name  string
		delay time.Duration
		want  bool
	}{
		{name: "handshake held back 1.5 s", delay: 1500 * time.Millisecond, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			stop := make(chan struct{})
			cfg := &tls.Config{Certificates: []tls.Certificate{certs.Valid}, NextProtos: []string{"h2"}}
			cfg.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
				select {
				case <-time.After(tt.delay):
				case <-stop:
				}
				return nil, nil
			}
			srv := grpc.NewServer(grpc.Creds(credentials.NewTLS(cfg)))
			lis, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			go func() { _ = srv.Serve(lis) }()
			t.Cleanup(func() { close(stop); srv.Stop() })

			cs, err := Clients(mockclient.Config{Addr: lis.Addr().String(), TLS: &mockclient.TLSConfig{}}, 2, nil)
			require.NoError(t, err)
			t.Cleanup(func() {
				for _, c := range cs {
					_ = c.Close()
				}
			})
			assert.Equal(t, tt.want, Connect(t.Context(), cs, time.Minute))
		})
	}
}
