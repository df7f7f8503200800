package mockclient

import (
	"context"
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
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/test/bufconn"
)

// connectBound bounds waiting for a connection New dialled with GOST's
// options: each failed attempt backs off, so a loaded machine may need
// several.
const connectBound = 4 * testTimeout

// waitReady connects cc and waits, on state changes, until it is ready.
func waitReady(t *testing.T, cc *grpc.ClientConn) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), connectBound)
	defer cancel()
	cc.Connect()
	for s := cc.GetState(); s != connectivity.Ready; s = cc.GetState() {
		require.True(t, cc.WaitForStateChange(ctx, s), "connection still %s", s)
	}
}

// mdLog records the metadata of every call a server receives.
type mdLog struct {
	mu  sync.Mutex
	mds []metadata.MD
}

func (l *mdLog) intercept(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	l.mu.Lock()
	l.mds = append(l.mds, md)
	l.mu.Unlock()
	return h(ctx, req)
}

func (l *mdLog) all() []metadata.MD {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]metadata.MD(nil), l.mds...)
}

// TestNewGRPCSendsTheTokenLikeNew: one server on a bufconn listener and a
// loopback one; New dials the loopback one with GOST's options, NewGRPC
// gets a bufconn connection, and the plugin sees the same metadata.
func TestNewGRPCSendsTheTokenLikeNew(t *testing.T) {
	t.Parallel()
	log := &mdLog{}
	srv := grpc.NewServer(grpc.UnaryInterceptor(log.intercept))
	proto.RegisterAuthenticatorServer(srv, &authServer{reply: &proto.AuthenticateReply{Ok: true, Id: "u1"}})
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	buf := bufconn.Listen(1 << 20)
	go func() { _ = srv.Serve(tcp) }()
	go func() { _ = srv.Serve(buf) }()
	t.Cleanup(srv.Stop)

	cfg := Config{Token: "s3cret", CallTimeout: testTimeout}
	dialled := cfg
	dialled.Addr = tcp.Addr().String()
	viaNew, err := New(dialled)
	require.NoError(t, err)
	t.Cleanup(func() { _ = viaNew.Close() })
	waitReady(t, viaNew.owned)
	viaSeam, err := NewGRPC(bufconnConn(t, buf), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = viaSeam.Close() })

	req := AuthRequest{Username: "u", Password: "p"}
	a := viaNew.Authenticate(t.Context(), req)
	b := viaSeam.Authenticate(t.Context(), req)
	require.True(t, a.OK(), a.Error())
	require.True(t, b.OK(), b.Error())
	assert.Equal(t, a.Verdict, b.Verdict)
	assert.Equal(t, a.Request, b.Request)
	assert.Equal(t, a.Header, b.Header, "both record the token metadata")

	mds := log.all()
	require.Len(t, mds, 2)
	assert.Equal(t, []string{"s3cret"}, mds[0].Get("token"))
	for _, md := range mds {
		delete(md, ":authority") // the dialled address, which differs
	}
	assert.Equal(t, mds[0], mds[1], "the plugin sees the same metadata")
}

// TestNewHTTPSendsTheBearerToken: NewHTTP wraps the caller's client with
// GOST's token header and the redirect recording, and leaves it unchanged.
func TestNewHTTPSendsTheBearerToken(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var auths []string
	mux := http.NewServeMux()
	mux.HandleFunc("/old", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auths = append(auths, r.Header.Get("Authorization"))
		mu.Unlock()
		http.Redirect(w, r, "/auth", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/auth", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		auths = append(auths, r.Header.Get("Authorization"))
		mu.Unlock()
		_, _ = io.WriteString(w, `{"ok":true,"id":"u1"}`)
	})
	for _, tt := range []struct {
		name  string
		start func(http.Handler) *httptest.Server
	}{
		{"http", httptest.NewServer},
		{"https", httptest.NewTLSServer},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := tt.start(mux)
			t.Cleanup(srv.Close)
			hc := srv.Client()
			base := hc.Transport
			mu.Lock()
			auths = nil
			mu.Unlock()

			c, err := NewHTTP(hc, Config{Addr: srv.URL + "/old", Token: "s3cret", CallTimeout: testTimeout})
			require.NoError(t, err)
			t.Cleanup(func() { _ = c.Close() })
			res := c.Authenticate(t.Context(), AuthRequest{Username: "u"})
			require.True(t, res.OK(), res.Error())
			assert.Equal(t, AuthVerdict{OK: true, ID: "u1"}, res.Verdict)
			assert.Equal(t, "Bearer s3cret", res.Header.Get("Authorization"))
			require.Len(t, res.Redirects, 1)
			assert.Equal(t, http.StatusTemporaryRedirect, res.Redirects[0].Status)
			assert.Equal(t, srv.URL+"/auth", res.FinalURL)
			assert.Contains(t, noteCodes(res.Notes), NoteRedirected)

			mu.Lock()
			assert.Equal(t, []string{"Bearer s3cret", "Bearer s3cret"}, auths, "GOST adds the token on every hop")
			mu.Unlock()
			assert.Same(t, base, hc.Transport, "the caller's client is not changed")
		})
	}
}

// TestNewGRPCCloseLeavesTheConnUsable: the caller owns the connection.
func TestNewGRPCCloseLeavesTheConnUsable(t *testing.T) {
	t.Parallel()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	proto.RegisterAuthenticatorServer(srv, &authServer{reply: &proto.AuthenticateReply{Ok: true}})
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	cc := bufconnConn(t, lis)

	first, err := NewGRPC(cc, Config{CallTimeout: testTimeout})
	require.NoError(t, err)
	res := first.Authenticate(t.Context(), AuthRequest{})
	require.True(t, res.OK(), res.Error())
	require.NoError(t, first.Close())
	assert.NotEqual(t, connectivity.Shutdown, cc.GetState())

	second, err := NewGRPC(cc, Config{CallTimeout: testTimeout})
	require.NoError(t, err)
	res = second.Authenticate(t.Context(), AuthRequest{})
	assert.True(t, res.OK(), res.Error())
}

func TestSeamsRefuseNil(t *testing.T) {
	t.Parallel()
	_, err := NewGRPC(nil, Config{})
	require.ErrorIs(t, err, ErrInvalidTarget)
	_, err = NewHTTP(nil, Config{})
	require.ErrorIs(t, err, ErrInvalidTarget)
}

// TestCloseClosesIdleHTTPConnections: Close reaches the http.Transport
// below GOST's token and recording wrappers.
func TestCloseClosesIdleHTTPConnections(t *testing.T) {
	t.Parallel()
	closed := make(chan struct{})
	srv := httptest.NewUnstartedServer(replyWith(200, `{"ok":true}`))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateClosed {
			close(closed)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c, err := New(Config{Addr: srv.URL + "/auth", Token: "s3cret", CallTimeout: testTimeout})
	require.NoError(t, err)
	res := c.Authenticate(t.Context(), AuthRequest{})
	require.True(t, res.OK(), res.Error())
	require.NoError(t, c.Close())
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	select {
	case <-closed:
	case <-ctx.Done():
		t.Fatal("the idle connection stayed open")
	}
}
