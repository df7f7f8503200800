package mockclient

import (
	"context"
	"net/http"
	"testing"

	"github.com/go-gost/plugin/admission/proto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

type admissionServer struct {
	proto.UnimplementedAdmissionServer
	reply *proto.AdmissionReply
	err   error
}

func (s *admissionServer) Admit(context.Context, *proto.AdmissionRequest) (*proto.AdmissionReply, error) {
	return s.reply, s.err
}

func TestAdmitGRPCRequest(t *testing.T) {
	t.Parallel()
	srv := &admissionServer{reply: &proto.AdmissionReply{Ok: true}}
	c, seen := newGRPCTestClient(t, Config{Token: "s3cret"}, func(s *grpc.Server) { proto.RegisterAdmissionServer(s, srv) })

	res := c.Admit(t.Context(), AdmissionRequest{Addr: "[2001:db8::1]:4433", Service: "svc", Network: "tcp"})
	require.True(t, res.OK(), res.Error())

	method, md, calls := seen.last()
	assert.Equal(t, "/proto.Admission/Admit", method)
	assert.Equal(t, 1, calls)
	assert.Equal(t, []string{"s3cret"}, md.Get("token"), "GOST sends the raw token as metadata \"token\"")
	assert.Empty(t, md.Get("authorization"))
	assert.Empty(t, md.Get("grpc-timeout"), "GOST sets no deadline, and neither may the wire")

	got := seen.messages[0].(*proto.AdmissionRequest)
	assert.Equal(t, "[2001:db8::1]:4433", got.Addr)
	assert.Equal(t, "svc", got.Service)
	assert.Equal(t, "tcp", got.Network)
	assert.Equal(t, AdmissionVerdict{Admit: true}, res.Verdict)
	assert.Empty(t, res.Notes)

	// ICMP and routing rules send a bare IP, network "ip" and no service.
	res = c.Admit(t.Context(), AdmissionRequest{Addr: "192.0.2.7", Network: "ip"})
	require.True(t, res.OK(), res.Error())
	got = seen.messages[1].(*proto.AdmissionRequest)
	assert.Equal(t, "192.0.2.7", got.Addr)
	assert.Empty(t, got.Service)
	assert.Equal(t, "ip", got.Network)
}

func TestAdmitGRPCVerdicts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		reply   *proto.AdmissionReply
		err     error
		want    AdmissionVerdict
		failure Failure
	}{
		{name: "admitted", reply: &proto.AdmissionReply{Ok: true}, want: AdmissionVerdict{Admit: true}},
		{name: "denied", reply: &proto.AdmissionReply{}, want: AdmissionVerdict{}},
		{name: "status error denies", err: status.Error(codes.Internal, "boom"), failure: FailureStatus},
		{name: "unauthenticated denies", err: status.Error(codes.Unauthenticated, "token"), failure: FailureStatus},
		{name: "unavailable from the handler denies as a status failure", err: status.Error(codes.Unavailable, "down"), failure: FailureStatus},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := &admissionServer{reply: tt.reply, err: tt.err}
			c, _ := newGRPCTestClient(t, Config{}, func(s *grpc.Server) { proto.RegisterAdmissionServer(s, srv) })
			res := c.Admit(t.Context(), AdmissionRequest{Addr: "10.0.0.1:1234", Network: "tcp"})
			assert.Equal(t, tt.want, res.Verdict)
			assert.Equal(t, tt.failure, res.Failure)
			assert.Empty(t, res.Notes)
		})
	}
}

func TestAdmitHTTPRequest(t *testing.T) {
	t.Parallel()
	c, seen := newHTTPTestClient(t, Config{Token: "s3cret"}, "/admission?x=1", replyWith(200, `{"ok":true}`))

	res := c.Admit(t.Context(), AdmissionRequest{Addr: "10.0.0.1:1234", Service: "svc", Network: "tcp"})
	require.True(t, res.OK(), res.Error())
	assert.Equal(t, AdmissionVerdict{Admit: true}, res.Verdict)

	method, uri, header, body, _ := seen.last()
	assert.Equal(t, http.MethodPost, method)
	assert.Equal(t, "/admission?x=1", uri, "GOST uses addr verbatim")
	assert.Equal(t, "application/json", header.Get("Content-Type"))
	assert.Equal(t, "Bearer s3cret", header.Get("Authorization"))
	assert.Equal(t, `{"service":"svc","network":"tcp","addr":"10.0.0.1:1234"}`, string(body),
		"key order service, network, addr as x sends them")

	res = c.Admit(t.Context(), AdmissionRequest{})
	require.True(t, res.OK(), res.Error())
	_, _, _, body, _ = seen.last()
	assert.Equal(t, `{"service":"","network":"","addr":""}`, string(body), "no omitempty")
}

func TestAdmitHTTPVerdicts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		status  int
		body    string
		want    AdmissionVerdict
		failure Failure
	}{
		{name: "admitted", status: 200, body: `{"ok":true}`, want: AdmissionVerdict{Admit: true}},
		{name: "denied", status: 200, body: `{"ok":false}`, want: AdmissionVerdict{}},
		{name: "keys match case-insensitively", status: 200, body: `{"OK":true}`, want: AdmissionVerdict{Admit: true}},
		{name: "trailing garbage ignored", status: 200, body: `{"ok":true}garbage`, want: AdmissionVerdict{Admit: true}},
		{name: "null denies", status: 200, body: `null`, want: AdmissionVerdict{}},
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
			c, _ := newHTTPTestClient(t, Config{}, "/admission", replyWith(tt.status, tt.body))
			res := c.Admit(t.Context(), AdmissionRequest{Addr: "10.0.0.1:1234", Network: "tcp"})
			assert.Equal(t, tt.want, res.Verdict)
			assert.Equal(t, tt.failure, res.Failure, res.Error())
			assert.Empty(t, res.Notes)
		})
	}
}

func TestAdmitHTTPBadURL(t *testing.T) {
	t.Parallel()
	c, err := New(Config{Addr: "http://127.0.0.1:1/a b\x7f", Transport: HTTP})
	require.NoError(t, err)
	res := c.Admit(t.Context(), AdmissionRequest{})
	assert.Equal(t, FailureRequest, res.Failure)
	assert.Equal(t, AdmissionVerdict{}, res.Verdict)
}

func TestAdmitOperation(t *testing.T) {
	t.Parallel()
	op, err := LookupOperation(Admission, "")
	require.NoError(t, err)
	assert.Equal(t, "admit", op.Name)
	assert.Equal(t, "/proto.Admission/Admit", op.GRPCMethod)
	assert.Equal(t, http.MethodPost, op.HTTPMethod)
	assert.Equal(t, AdmissionVerdict{Admit: true}, op.NilClientVerdict, "GOST's gRPC admission fails open without a client")
	assert.Equal(t, "GOST admits every connection (fail-open)", op.NilClientEffect)
	assert.IsType(t, &AdmissionRequest{}, op.NewRequest())
}
