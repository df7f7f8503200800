package mockclient

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/test/bufconn"
)

// testTimeout bounds every call a test makes.
const testTimeout = 10 * time.Second

// grpcSeen is what an in-process gRPC server received on its last call.
type grpcSeen struct {
	mu       sync.Mutex
	method   string
	md       metadata.MD
	calls    int
	messages []any
}

func (s *grpcSeen) last() (string, metadata.MD, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.method, s.md, s.calls
}

// newGRPCTestClient serves register's services on a bufconn listener and
// returns a Client dialled to it through GOST's dial options. The server
// records the method and metadata of every call.
func newGRPCTestClient(t *testing.T, cfg Config, register func(*grpc.Server)) (*Client, *grpcSeen) {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	seen := &grpcSeen{}
	srv := grpc.NewServer(grpc.UnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		md, _ := metadata.FromIncomingContext(ctx)
		seen.mu.Lock()
		seen.method, seen.md = info.FullMethod, md
		seen.calls++
		seen.messages = append(seen.messages, req)
		seen.mu.Unlock()
		return h(ctx, req)
	}))
	register(srv)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)

	if cfg.Addr == "" {
		cfg.Addr = "passthrough:///bufnet"
	}
	if cfg.CallTimeout == 0 {
		cfg.CallTimeout = testTimeout
	}
	c, err := NewGRPC(bufconnConn(t, lis), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c, seen
}

// bufconnConn dials lis. It keeps grpc-go's default connect timeout (20 s)
// rather than GOST's dial options, whose ConnectParams leave a first
// connect only the 1 s backoff base delay: on a loaded machine the bufconn
// server may not be scheduled within it, and the call then fails fast.
func bufconnConn(t *testing.T, lis *bufconn.Listener) *grpc.ClientConn {
	t.Helper()
	opts := []grpc.DialOption{
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
	}
	cc, err := grpc.NewClient("passthrough:///bufnet", opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = cc.Close() })
	return cc
}

// httpSeen is what an httptest server received on its last request.
type httpSeen struct {
	mu     sync.Mutex
	method string
	uri    string
	header http.Header
	body   []byte
	calls  int
}

func (s *httpSeen) last() (method, uri string, header http.Header, body []byte, calls int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.method, s.uri, s.header, s.body, s.calls
}

// newHTTPTestClient serves reply on an httptest server and returns a Client
// whose addr is the server URL plus path, with the request recorded.
func newHTTPTestClient(t *testing.T, cfg Config, path string, reply http.HandlerFunc) (*Client, *httpSeen) {
	t.Helper()
	seen := &httpSeen{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		seen.mu.Lock()
		seen.method, seen.uri, seen.header, seen.body = r.Method, r.RequestURI, r.Header.Clone(), body
		seen.calls++
		seen.mu.Unlock()
		reply(w, r)
	}))
	t.Cleanup(srv.Close)
	cfg.Addr = srv.URL + path
	cfg.Transport = HTTP
	if cfg.CallTimeout == 0 {
		cfg.CallTimeout = testTimeout
	}
	c, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c, seen
}

// replyWith returns a handler that answers with status and body.
func replyWith(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// noteCodes lists the codes of notes; nil when there are none.
func noteCodes(notes []Note) []string {
	var codes []string
	for _, n := range notes {
		codes = append(codes, n.Code)
	}
	return codes
}

// hangUp closes the connection without answering.
func hangUp(w http.ResponseWriter, _ *http.Request) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		_ = conn.Close()
	}
}
