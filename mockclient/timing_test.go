package mockclient

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-gost/plugin/auth/proto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
)

func TestTiming(t *testing.T) {
	t.Parallel()
	type seenFunc func() (header http.Header, body []byte)
	tests := []struct {
		name      string
		transport Transport
		lean      bool
	}{
		{name: "grpc", transport: GRPC},
		{name: "grpc lean", transport: GRPC, lean: true},
		{name: "http", transport: HTTP},
		{name: "http lean", transport: HTTP, lean: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var c *Client
			var seen seenFunc
			if tt.transport == GRPC {
				srv := &authServer{reply: &proto.AuthenticateReply{Ok: true}}
				var gs *grpcSeen
				c, gs = newGRPCTestClient(t, Config{Lean: tt.lean}, func(s *grpc.Server) { proto.RegisterAuthenticatorServer(s, srv) })
				seen = func() (http.Header, []byte) {
					_, md, _ := gs.last()
					return http.Header(md), nil
				}
			} else {
				var hs *httpSeen
				c, hs = newHTTPTestClient(t, Config{Lean: tt.lean}, "/auth", replyWith(200, `{"ok":true}`))
				seen = func() (http.Header, []byte) {
					_, _, h, b, _ := hs.last()
					return h, b
				}
			}
			first := c.Authenticate(t.Context(), AuthRequest{Username: "u"})
			require.True(t, first.OK(), first.Error())
			h1, b1 := seen()
			second := c.Authenticate(t.Context(), AuthRequest{Username: "u"})
			require.True(t, second.OK(), second.Error())
			h2, b2 := seen()
			assert.Equal(t, h1, h2, "timing leaves the wire alone")
			assert.Equal(t, b1, b2)

			if tt.lean {
				assert.Nil(t, first.Timing, "Lean mode measures nothing")
				assert.Nil(t, second.Timing)
				return
			}
			require.NotNil(t, first.Timing)
			require.NotNil(t, second.Timing)
			assert.False(t, first.Timing.Reused, "the first call opens the connection")
			assert.Positive(t, first.Timing.Connect, "the first call's connect is measured")
			assert.Positive(t, first.Timing.FirstByte)
			assert.LessOrEqual(t, first.Timing.Connect+first.Timing.TLS+first.Timing.Wrote+first.Timing.FirstByte, first.Latency,
				"the phases fit inside the call")
			assert.True(t, second.Timing.Reused, "the second call reuses the connection")
			assert.Zero(t, second.Timing.Connect)
			assert.Positive(t, second.Timing.FirstByte)
		})
	}
}

func TestTimingTLS(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		addr func(t *testing.T) string
	}{
		{name: "grpc", addr: func(t *testing.T) string { return tlsAuthServer(t, &helloSeen{}) }},
		{name: "http", addr: func(t *testing.T) string {
			srv := httptest.NewUnstartedServer(replyWith(200, `{"ok":true}`))
			srv.TLS = &tls.Config{Certificates: []tls.Certificate{loopbackCert(t)}}
			srv.StartTLS()
			t.Cleanup(srv.Close)
			return srv.URL + "/auth"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := New(Config{Addr: tt.addr(t), TLS: &TLSConfig{}, CallTimeout: testTimeout})
			require.NoError(t, err)
			t.Cleanup(func() { _ = c.Close() })
			first := c.Authenticate(t.Context(), AuthRequest{Username: "u"})
			require.True(t, first.OK(), first.Error())
			require.NotNil(t, first.Timing)
			assert.Positive(t, first.Timing.TLS, "the first call's handshake is measured")
			assert.Positive(t, first.Timing.Connect)
			assert.LessOrEqual(t, first.Timing.Connect+first.Timing.TLS+first.Timing.Wrote+first.Timing.FirstByte, first.Latency)

			second := c.Authenticate(t.Context(), AuthRequest{Username: "u"})
			require.True(t, second.OK(), second.Error())
			require.NotNil(t, second.Timing)
			assert.True(t, second.Timing.Reused)
			assert.Zero(t, second.Timing.TLS, "no handshake on an open connection")
		})
	}
}

// TestUnaryDesc pins the grpc-go description timedConn borrows: a unary
// method, so its streams are made exactly as Invoke makes them.
func TestUnaryDesc(t *testing.T) {
	require.NotNil(t, unaryDesc)
	assert.False(t, unaryDesc.ClientStreams)
	assert.False(t, unaryDesc.ServerStreams)
	assert.Nil(t, unaryDesc.Handler)
}
