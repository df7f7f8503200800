package mockclient

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/go-gost/plugin/auth/proto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
)

// TestWithoutCopies: a repeat call made with WithoutCopies gets the same
// verdict and observation as a plain one, without the protojson copies of
// its request and reply, and the plugin sees the same call.
func TestWithoutCopies(t *testing.T) {
	t.Parallel()
	log := &mdLog{}
	srv := grpc.NewServer(grpc.UnaryInterceptor(log.intercept))
	proto.RegisterAuthenticatorServer(srv, &authServer{reply: &proto.AuthenticateReply{Ok: true, Id: "u1"}})
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(tcp) }()
	t.Cleanup(srv.Stop)
	c, err := New(Config{Addr: tcp.Addr().String(), Token: "s3cret", CallTimeout: testTimeout})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	waitReady(t, c.owned)

	req := AuthRequest{Username: "u", Password: "p"}
	plain := c.Authenticate(t.Context(), req)
	repeat := c.Authenticate(WithoutCopies(t.Context()), req)
	require.True(t, plain.OK(), plain.Error())
	require.True(t, repeat.OK(), repeat.Error())
	assert.NotEmpty(t, plain.Request)
	assert.NotEmpty(t, plain.Reply)
	assert.Nil(t, repeat.Request)
	assert.Nil(t, repeat.Reply)
	assert.Equal(t, plain.Verdict, repeat.Verdict)
	assert.Equal(t, plain.Code, repeat.Code)
	assert.Equal(t, plain.Header, repeat.Header)
	mds := log.all()
	require.Len(t, mds, 2)
	assert.Equal(t, mds[0], mds[1], "the plugin sees the same call")
}

// TestWithoutCopiesHTTP: over HTTP a repeat keeps no copy of the headers as
// sent, which only reproducers read, while the plugin still receives
// GOST's headers, the token among them, exactly as on a plain call.
func TestWithoutCopiesHTTP(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Clone())
		mu.Unlock()
		_, _ = io.WriteString(w, `{"ok":true,"id":"u1"}`)
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{Addr: srv.URL, Transport: HTTP, Token: "s3cret", CallTimeout: testTimeout})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })

	req := AuthRequest{Username: "u", Password: "p"}
	plain := c.Authenticate(t.Context(), req)
	repeat := c.Authenticate(WithoutCopies(t.Context()), req)
	require.True(t, plain.OK(), plain.Error())
	require.True(t, repeat.OK(), repeat.Error())
	assert.Equal(t, "application/json", plain.Header.Get("Content-Type"), "a plain call keeps the headers as sent")
	assert.Nil(t, repeat.Header)
	assert.Equal(t, plain.Verdict, repeat.Verdict)
	assert.Equal(t, plain.Request, repeat.Request, "the body is the request as sent either way")
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, seen, 2)
	assert.Equal(t, "Bearer s3cret", seen[1].Get("Authorization"), "GOST's token still goes")
	assert.Equal(t, seen[0], seen[1], "the plugin sees the same headers")
}
