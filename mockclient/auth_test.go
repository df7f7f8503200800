package mockclient

import (
	"context"
	"net/http"
	"testing"

	"github.com/go-gost/plugin/auth/proto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

type authServer struct {
	proto.UnimplementedAuthenticatorServer
	reply *proto.AuthenticateReply
	err   error
}

func (s *authServer) Authenticate(context.Context, *proto.AuthenticateRequest) (*proto.AuthenticateReply, error) {
	return s.reply, s.err
}

func TestAuthenticateGRPCRequest(t *testing.T) {
	t.Parallel()
	srv := &authServer{reply: &proto.AuthenticateReply{Ok: true, Id: "u1"}}
	c, seen := newGRPCTestClient(t, Config{Token: "s3cret"}, func(s *grpc.Server) { proto.RegisterAuthenticatorServer(s, srv) })

	req := AuthRequest{
		Username: "alice", Password: "pw", Client: "[2001:db8::1]:4433", Service: "svc",
		ClientCN: "cn", ClientSAN: []string{"a.example", "b@example"}, ClientCertFingerprint: "ab12",
	}
	res := c.Authenticate(t.Context(), req)
	require.True(t, res.OK(), res.Error())

	method, md, calls := seen.last()
	assert.Equal(t, "/proto.Authenticator/Authenticate", method)
	assert.Equal(t, 1, calls)
	assert.Equal(t, []string{"s3cret"}, md.Get("token"), "GOST sends the raw token as metadata \"token\"")
	assert.Empty(t, md.Get("authorization"))
	assert.Empty(t, md.Get("grpc-timeout"), "GOST sets no deadline, and neither may the wire")
	assert.Equal(t, []string{"application/grpc"}, md.Get("content-type"))

	got := seen.messages[0].(*proto.AuthenticateRequest)
	assert.Equal(t, "alice", got.Username)
	assert.Equal(t, "pw", got.Password)
	assert.Equal(t, "[2001:db8::1]:4433", got.Client)
	assert.Equal(t, "svc", got.Service)
	assert.Equal(t, "cn", got.ClientCn)
	assert.Equal(t, []string{"a.example", "b@example"}, got.ClientSan)
	assert.Equal(t, "ab12", got.ClientCertFingerprint)
	assert.Equal(t, AuthVerdict{OK: true, ID: "u1"}, res.Verdict)
}

func TestAuthenticateGRPCVerdicts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		reply   *proto.AuthenticateReply
		err     error
		want    AuthVerdict
		failure Failure
	}{
		{name: "ok with id", reply: &proto.AuthenticateReply{Ok: true, Id: "gost"}, want: AuthVerdict{OK: true, ID: "gost"}},
		{name: "denied", reply: &proto.AuthenticateReply{}, want: AuthVerdict{}},
		{name: "id kept when denied", reply: &proto.AuthenticateReply{Id: "x"}, want: AuthVerdict{ID: "x"}},
		{name: "status error denies", err: status.Error(codes.Internal, "boom"), failure: FailureStatus},
		{name: "unauthenticated denies", err: status.Error(codes.Unauthenticated, "token"), failure: FailureStatus},
		{name: "unavailable from the handler is a status failure", err: status.Error(codes.Unavailable, "down"), failure: FailureStatus},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := &authServer{reply: tt.reply, err: tt.err}
			c, _ := newGRPCTestClient(t, Config{}, func(s *grpc.Server) { proto.RegisterAuthenticatorServer(s, srv) })
			res := c.Authenticate(t.Context(), AuthRequest{Username: "u"})
			assert.Equal(t, tt.want, res.Verdict)
			assert.Equal(t, tt.failure, res.Failure)
		})
	}
}

func TestAuthenticateHTTPRequest(t *testing.T) {
	t.Parallel()
	c, seen := newHTTPTestClient(t, Config{Token: "s3cret"}, "/auth?x=1", replyWith(200, `{"ok":true,"id":"u1"}`))

	res := c.Authenticate(t.Context(), AuthRequest{Username: "alice", Password: "pw", Client: "10.0.0.1:1234", Service: "svc"})
	require.True(t, res.OK(), res.Error())
	assert.Equal(t, AuthVerdict{OK: true, ID: "u1"}, res.Verdict)

	method, uri, header, body, _ := seen.last()
	assert.Equal(t, http.MethodPost, method)
	assert.Equal(t, "/auth?x=1", uri, "GOST uses addr verbatim")
	assert.Equal(t, "application/json", header.Get("Content-Type"))
	assert.Equal(t, "Bearer s3cret", header.Get("Authorization"))
	assert.Equal(t, `{"service":"svc","username":"alice","password":"pw","client":"10.0.0.1:1234"}`, string(body),
		"key order and omitempty mTLS fields as x sends them")

	res = c.Authenticate(t.Context(), AuthRequest{ClientCN: "cn", ClientSAN: []string{"a"}, ClientCertFingerprint: "ff"})
	require.True(t, res.OK(), res.Error())
	_, _, _, body, _ = seen.last()
	assert.Equal(t, `{"service":"","username":"","password":"","client":"","clientCn":"cn","clientSan":["a"],"clientCertFingerprint":"ff"}`, string(body))
}

func TestAuthenticateHTTPVerdicts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		status  int
		body    string
		want    AuthVerdict
		failure Failure
	}{
		{name: "ok", status: 200, body: `{"ok":true,"id":"a"}`, want: AuthVerdict{OK: true, ID: "a"}},
		{name: "keys match case-insensitively", status: 200, body: `{"OK":true,"Id":"a"}`, want: AuthVerdict{OK: true, ID: "a"}},
		{name: "trailing garbage ignored", status: 200, body: `{"ok":true}garbage`, want: AuthVerdict{OK: true}},
		{name: "null denies", status: 200, body: `null`, want: AuthVerdict{}},
		{name: "201 denies", status: 201, body: `{"ok":true}`, failure: FailureStatus},
		{name: "204 denies", status: 204, failure: FailureStatus},
		{name: "403 denies", status: 403, body: `{"ok":true}`, failure: FailureStatus},
		{name: "500 denies", status: 500, failure: FailureStatus},
		{name: "empty body denies", status: 200, body: ``, failure: FailureDecode},
		{name: "wrong type denies", status: 200, body: `{"ok":"true"}`, failure: FailureDecode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _ := newHTTPTestClient(t, Config{}, "/auth", replyWith(tt.status, tt.body))
			res := c.Authenticate(t.Context(), AuthRequest{Username: "u"})
			assert.Equal(t, tt.want, res.Verdict)
			assert.Equal(t, tt.failure, res.Failure, res.Error())
		})
	}
}

func TestAuthenticateHTTPBadURL(t *testing.T) {
	t.Parallel()
	c, err := New(Config{Addr: "http://127.0.0.1:1/a b\x7f", Transport: HTTP})
	require.NoError(t, err)
	res := c.Authenticate(t.Context(), AuthRequest{})
	assert.Equal(t, FailureRequest, res.Failure)
	assert.Equal(t, AuthVerdict{}, res.Verdict)
}

func TestAuthenticateGRPCLean(t *testing.T) {
	t.Parallel()
	srv := &authServer{reply: &proto.AuthenticateReply{Ok: true, Id: "u1"}}
	c, seen := newGRPCTestClient(t, Config{Token: "s3cret", Lean: true}, func(s *grpc.Server) { proto.RegisterAuthenticatorServer(s, srv) })
	res := c.Authenticate(t.Context(), AuthRequest{Username: "alice", Password: "pw"})
	require.True(t, res.OK(), res.Error())
	assert.Equal(t, AuthVerdict{OK: true, ID: "u1"}, res.Verdict, "a lean call reaches the same verdict")
	assert.Nil(t, res.Request, "no protojson copy of the request")
	assert.Nil(t, res.Reply, "no protojson copy of the reply")
	_, md, _ := seen.last()
	assert.Equal(t, []string{"s3cret"}, md.Get("token"), "the wire is GOST's")
	assert.Equal(t, "alice", seen.messages[0].(*proto.AuthenticateRequest).Username)
}
