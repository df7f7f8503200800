package parity

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/plugincheck/plugincheck/mockclient"
)

// wire is one request exactly as the plugin server received it.
type wire struct {
	// gRPC
	Method    string   `json:"method,omitempty"`
	Message   []byte   `json:"message,omitempty"` // serialized request
	Token     []string `json:"token,omitempty"`
	Authority string   `json:"authority,omitempty"`
	UserAgent string   `json:"userAgent,omitempty"`
	Timeout   []string `json:"grpcTimeout,omitempty"`
	// HTTP
	HTTPMethod string      `json:"httpMethod,omitempty"`
	URI        string      `json:"uri,omitempty"`
	Header     http.Header `json:"header,omitempty"`
	Body       string      `json:"body,omitempty"`
	Proto      string      `json:"proto,omitempty"`
	// TLS
	SNI string `json:"sni,omitempty"`
}

// reply is what the recording server answers: a gRPC message or status
// error, or an HTTP status and body.
type reply struct {
	Name    string
	GRPC    proto.Message
	GRPCErr error
	Status  int
	Body    string
}

// server is one recording plugin server for one transport. It answers every
// call with the current reply and records what it received.
type server struct {
	transport mockclient.Transport
	addr      string // gRPC target, or HTTP base URL

	mu    sync.Mutex
	next  reply
	seen  []wire
	hello string
}

func (s *server) reply(r reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next = r
}

func (s *server) current() reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.next
}

func (s *server) record(w wire) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w.SNI = s.hello
	s.seen = append(s.seen, w)
}

// take returns and forgets the requests received so far.
func (s *server) take() []wire {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.seen
	s.seen = nil
	return out
}

func (s *server) tlsConfig(cert tls.Certificate, protos ...string) *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		NextProtos:   protos,
		GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
			s.mu.Lock()
			s.hello = h.ServerName
			s.mu.Unlock()
			return nil, nil
		},
	}
}

// rawCodec passes messages through as bytes, so one handler can serve every
// plugin method and record requests byte for byte.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *(v.(*[]byte)), nil }

func (rawCodec) Unmarshal(data []byte, v any) error {
	*(v.(*[]byte)) = append([]byte(nil), data...)
	return nil
}

func (rawCodec) Name() string { return "proto" }

var _ encoding.Codec = rawCodec{}

// startServer starts a recording server on 127.0.0.1:0; cert, when given,
// serves TLS.
func startServer(t *testing.T, transport mockclient.Transport, cert *tls.Certificate) *server {
	t.Helper()
	s := &server{transport: transport}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	if transport == mockclient.GRPC {
		opts := []grpc.ServerOption{
			grpc.ForceServerCodec(rawCodec{}), //nolint:staticcheck // the V1 codec API is what a byte-recording server needs
			grpc.UnknownServiceHandler(s.handleGRPC),
		}
		if cert != nil {
			opts = append(opts, grpc.Creds(credentials.NewTLS(s.tlsConfig(*cert, "h2"))))
		}
		g := grpc.NewServer(opts...)
		go func() { _ = g.Serve(lis) }()
		t.Cleanup(g.Stop)
		s.addr = lis.Addr().String()
		return s
	}
	h := httptest.NewUnstartedServer(http.HandlerFunc(s.handleHTTP))
	h.Listener.Close()
	h.Listener = lis
	h.Config.ErrorLog = log.New(io.Discard, "", 0)
	if cert != nil {
		h.EnableHTTP2 = true
		h.TLS = s.tlsConfig(*cert, "h2", "http/1.1")
		h.StartTLS()
	} else {
		h.Start()
	}
	t.Cleanup(h.Close)
	s.addr = h.URL
	return s
}

func (s *server) handleGRPC(_ any, stream grpc.ServerStream) error {
	method, _ := grpc.MethodFromServerStream(stream)
	var msg []byte
	if err := stream.RecvMsg(&msg); err != nil {
		return err
	}
	md, _ := metadata.FromIncomingContext(stream.Context())
	s.record(wire{
		Method:    method,
		Message:   msg,
		Token:     md.Get("token"),
		Authority: strings.Join(md.Get(":authority"), ","),
		UserAgent: strings.Join(md.Get("user-agent"), ","),
		Timeout:   md.Get("grpc-timeout"),
	})
	r := s.current()
	if r.GRPCErr != nil {
		return r.GRPCErr
	}
	if r.GRPC == nil {
		return status.Error(13, "parity: no reply set")
	}
	out, err := proto.Marshal(r.GRPC)
	if err != nil {
		return fmt.Errorf("marshal reply: %w", err)
	}
	return stream.SendMsg(&out)
}

// gostHeaders are the request headers GOST's HTTP plugin clients produce.
var gostHeaders = []string{"Content-Type", "Authorization", "User-Agent", "Accept-Encoding", "Content-Length"}

func (s *server) handleHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h := http.Header{}
	for _, k := range gostHeaders {
		if v := r.Header.Values(k); len(v) > 0 {
			h[k] = v
		}
	}
	s.record(wire{HTTPMethod: r.Method, URI: r.RequestURI, Header: h, Body: string(body), Proto: r.Proto})
	rep := s.current()
	if rep.Status == 0 {
		rep.Status = http.StatusOK
	}
	if rep.Status == http.StatusOK || rep.Body != "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(rep.Status)
	_, _ = io.WriteString(w, rep.Body)
}

// addrFor is the plugin addr GOST is configured with: the gRPC target, or
// the URL with the module's path.
func (s *server) addrFor(m mockclient.Module) string {
	if s.transport == mockclient.GRPC {
		return s.addr
	}
	return s.addr + "/" + string(m)
}

// compile-time check that the recording handler matches grpc's signature.
var _ grpc.StreamHandler = (&server{}).handleGRPC

// background is used where GOST itself passes context.Background().
var background = context.Background
