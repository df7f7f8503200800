package loadmix

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
