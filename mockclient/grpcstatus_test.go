package mockclient

import (
	"context"
	"net"
	"testing"

	authpb "github.com/go-gost/plugin/auth/proto"
	"github.com/go-gost/plugin/ingress/proto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
)

// oldIngressDesc is an ingress service as an older go-gost/plugin built it:
// named like v0.5.0's, with only a Get method.
var oldIngressDesc = grpc.ServiceDesc{
	ServiceName: "proto.Ingress",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Get",
		Handler: func(any, context.Context, func(any) error, grpc.UnaryServerInterceptor) (any, error) {
			return &proto.GetRuleReply{Endpoint: "old"}, nil
		},
	}},
}

type unimplementedIngress struct {
	proto.UnimplementedIngressServer
}

// blockingIngress signals that a GetRule call arrived and holds it until
// the server cancels it.
type blockingIngress struct {
	proto.UnimplementedIngressServer
	started chan struct{}
}

func (s blockingIngress) GetRule(ctx context.Context, _ *proto.GetRuleRequest) (*proto.GetRuleReply, error) {
	close(s.started)
	<-ctx.Done()
	return nil, ctx.Err()
}

func TestUnimplementedNotes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		register func(*grpc.Server)
		notes    []Note
	}{
		{
			name:     "a service from an older go-gost/plugin lacks the method",
			register: func(s *grpc.Server) { s.RegisterService(&oldIngressDesc, struct{}{}) },
			notes: []Note{{Code: NoteUnimplementedMethod, Text: "the server serves proto.Ingress but not GetRule " +
				"(grpc-go: unknown method): it was likely built from an older go-gost/plugin; regenerate its stubs " +
				"from go-gost/plugin v0.5.0, whose methods GOST calls; until then GOST's GetRule call fails every time"}},
		},
		{
			name:     "the generated stub answers",
			register: func(s *grpc.Server) { proto.RegisterIngressServer(s, unimplementedIngress{}) },
			notes: []Note{{Code: NoteUnimplementedMethod, Text: "the server registers proto.Ingress but leaves GetRule " +
				"to the generated UnimplementedIngressServer stub: implement GetRule; until then GOST's call fails every time"}},
		},
		{
			name:     "another plugin's service",
			register: func(s *grpc.Server) { authpb.RegisterAuthenticatorServer(s, authpb.UnimplementedAuthenticatorServer{}) },
			notes: []Note{{Code: NoteUnimplementedService, Text: "the server does not serve proto.Ingress at all " +
				"(grpc-go: unknown service): the address is not a plugin of this GOST module; GOST's GetRule call fails every time"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _ := newGRPCTestClient(t, Config{}, tt.register)
			res := c.GetRule(t.Context(), IngressGetRuleRequest{Host: "example.com"})
			assert.Equal(t, codes.Unimplemented, res.Code)
			assert.Equal(t, FailureStatus, res.Failure)
			assert.Equal(t, tt.notes, res.Notes)
		})
	}
}

func TestUnimplementedFactsNeedGRPCGoText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		code string
	}{
		{name: "grpcio's text tells nothing", err: status.Error(codes.Unimplemented, "Method not found!")},
		{name: "another service's name", err: status.Error(codes.Unimplemented, "unknown service proto.Other")},
		{name: "another code", err: status.Error(codes.NotFound, "unknown service proto.Ingress")},
		{name: "unknown service", err: status.Error(codes.Unimplemented, "unknown service proto.Ingress"), code: NoteUnimplementedService},
		{name: "unknown method", err: status.Error(codes.Unimplemented, "unknown method GetRule for service proto.Ingress"), code: NoteUnimplementedMethod},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var want []string
			if tt.code != "" {
				want = []string{tt.code}
			}
			assert.Equal(t, want, noteCodes(unimplementedFacts(tt.err, methodIngressGetRule)))
		})
	}
}

func TestUnavailableFromTheServerIsAStatus(t *testing.T) {
	t.Parallel()
	for _, lean := range []bool{false, true} {
		srv := &ingressServer{err: status.Error(codes.Unavailable, "backend down")}
		c, _ := newGRPCTestClient(t, Config{Lean: lean}, func(s *grpc.Server) { proto.RegisterIngressServer(s, srv) })
		res := c.GetRule(t.Context(), IngressGetRuleRequest{Host: "example.com"})
		assert.Equal(t, codes.Unavailable, res.Code)
		assert.Equal(t, FailureStatus, res.Failure, "lean=%v: the plugin answered, it is not unreachable", lean)
	}
}

func TestUnavailableWithoutAnAnswerIsTransport(t *testing.T) {
	t.Parallel()
	// A port that refuses: listen, note the address, close.
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := lis.Addr().String()
	require.NoError(t, lis.Close())
	c, err := New(Config{Addr: addr, Transport: GRPC, CallTimeout: testTimeout})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	res := c.GetRule(t.Context(), IngressGetRuleRequest{Host: "example.com"})
	assert.Equal(t, codes.Unavailable, res.Code)
	assert.Equal(t, FailureTransport, res.Failure, res.Error())
	assert.Empty(t, res.Notes)
}

func TestUnavailableWhenTheServerStopsMidCallIsTransport(t *testing.T) {
	t.Parallel()
	lis := bufconn.Listen(1 << 20)
	started := make(chan struct{})
	srv := grpc.NewServer()
	proto.RegisterIngressServer(srv, blockingIngress{started: started})
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	c, err := NewGRPC(bufconnConn(t, lis), Config{Addr: "passthrough:///bufnet", CallTimeout: testTimeout})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })

	go func() {
		<-started
		srv.Stop()
	}()
	res := c.GetRule(t.Context(), IngressGetRuleRequest{Host: "example.com"})
	assert.Equal(t, codes.Unavailable, res.Code, res.Error())
	assert.Equal(t, FailureTransport, res.Failure, "the connection closed before the server answered: %v", res.Err)
}

func TestServerAnswered(t *testing.T) {
	t.Parallel()
	assert.False(t, serverAnswered(nil, nil))
	assert.False(t, serverAnswered(metadata.MD{}, metadata.MD{}))
	assert.True(t, serverAnswered(metadata.Pairs("content-type", "application/grpc"), nil))
	assert.True(t, serverAnswered(nil, metadata.Pairs("content-type", "application/grpc")))
}

// TestUnimplementedFactsOnEveryOperation: the generic path adopts the
// transport's facts for every operation, the sd write calls included.
func TestUnimplementedFactsOnEveryOperation(t *testing.T) {
	t.Parallel()
	// A server with no services: every call is "unknown service".
	c, _ := newGRPCTestClient(t, Config{}, func(*grpc.Server) {})
	for _, m := range Modules() {
		for _, op := range Operations(m) {
			t.Run(string(m)+"/"+op.Name, func(t *testing.T) {
				req := op.NewRequest()
				if r, ok := req.(*SDServiceRequest); ok {
					r.Service = &SDService{ID: "c1"}
				}
				if r, ok := req.(*ObserverRequest); ok {
					r.Events = observerEvents()[:1]
				}
				out := op.Do(t.Context(), c, req)
				assert.Equal(t, codes.Unimplemented, out.Code, out.Error())
				assert.Contains(t, noteCodes(out.Notes), NoteUnimplementedService)
			})
		}
	}
}
