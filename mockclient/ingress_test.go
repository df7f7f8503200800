package mockclient

import (
	"context"
	"net/http"
	"testing"

	"github.com/go-gost/plugin/ingress/proto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

type ingressServer struct {
	proto.UnimplementedIngressServer
	getReply *proto.GetRuleReply
	setReply *proto.SetRuleReply
	err      error
}

func (s *ingressServer) GetRule(context.Context, *proto.GetRuleRequest) (*proto.GetRuleReply, error) {
	return s.getReply, s.err
}

func (s *ingressServer) SetRule(context.Context, *proto.SetRuleRequest) (*proto.SetRuleReply, error) {
	return s.setReply, s.err
}

const tunnelUUID = "8d4f3c9e-2a1b-4c5d-9e8f-0a1b2c3d4e5f"

func TestIngressOperations(t *testing.T) {
	t.Parallel()
	op, err := LookupOperation(Ingress, "")
	require.NoError(t, err)
	assert.Equal(t, "get_rule", op.Name, "get_rule is the default operation")
	assert.Equal(t, "/proto.Ingress/GetRule", op.GRPCMethod)
	assert.Equal(t, "GET", op.HTTPMethod)
	assert.Equal(t, IngressRuleVerdict{}, op.NilClientVerdict)

	op, err = LookupOperation(Ingress, "set_rule")
	require.NoError(t, err)
	assert.Equal(t, "/proto.Ingress/SetRule", op.GRPCMethod)
	assert.Equal(t, "PUT", op.HTTPMethod)
	assert.Equal(t, IngressSetVerdict{}, op.NilClientVerdict)
}

func TestGetRuleGRPCRequest(t *testing.T) {
	t.Parallel()
	srv := &ingressServer{getReply: &proto.GetRuleReply{Endpoint: tunnelUUID}}
	c, seen := newGRPCTestClient(t, Config{Token: "s3cret"}, func(s *grpc.Server) { proto.RegisterIngressServer(s, srv) })

	res := c.GetRule(t.Context(), IngressGetRuleRequest{Host: "example.com:443", Service: "svc"})
	require.True(t, res.OK(), res.Error())

	method, md, calls := seen.last()
	assert.Equal(t, "/proto.Ingress/GetRule", method)
	assert.Equal(t, 1, calls)
	assert.Equal(t, []string{"s3cret"}, md.Get("token"))
	assert.Empty(t, md.Get("grpc-timeout"))

	got := seen.messages[0].(*proto.GetRuleRequest)
	assert.Equal(t, "example.com:443", got.Host)
	assert.Equal(t, "svc", got.Service)
	assert.Equal(t, IngressRuleVerdict{Rule: true, Endpoint: tunnelUUID}, res.Verdict)
	assert.Empty(t, res.Notes)
}

// ingressEndpointCases are endpoints with GOST's verdict, for both
// transports.
var ingressEndpointCases = []struct {
	name     string
	endpoint string
	want     IngressRuleVerdict
	notes    []string
}{
	{name: "tunnel id", endpoint: tunnelUUID, want: IngressRuleVerdict{Rule: true, Endpoint: tunnelUUID}},
	{name: "upper-case tunnel id", endpoint: "8D4F3C9E-2A1B-4C5D-9E8F-0A1B2C3D4E5F", want: IngressRuleVerdict{Rule: true, Endpoint: "8D4F3C9E-2A1B-4C5D-9E8F-0A1B2C3D4E5F"}},
	{name: "private tunnel id", endpoint: "$" + tunnelUUID, want: IngressRuleVerdict{Rule: true, Endpoint: "$" + tunnelUUID}},
	{name: "empty endpoint is no rule", endpoint: ""},
	{name: "not a uuid", endpoint: "not-a-uuid", want: IngressRuleVerdict{Rule: true, Endpoint: "not-a-uuid"}, notes: []string{NoteBadEndpoint}},
	{name: "bare dollar", endpoint: "$", want: IngressRuleVerdict{Rule: true, Endpoint: "$"}, notes: []string{NoteBadEndpoint}},
	{name: "zero uuid", endpoint: "00000000-0000-0000-0000-000000000000", want: IngressRuleVerdict{Rule: true, Endpoint: "00000000-0000-0000-0000-000000000000"}, notes: []string{NoteBadEndpoint}},
	{name: "braced uuid fails at the entrypoint", endpoint: "{" + tunnelUUID + "}", want: IngressRuleVerdict{Rule: true, Endpoint: "{" + tunnelUUID + "}"}, notes: []string{NoteBadEndpoint}},
	{name: "hex uuid fails at the entrypoint", endpoint: "8d4f3c9e2a1b4c5d9e8f0a1b2c3d4e5f", want: IngressRuleVerdict{Rule: true, Endpoint: "8d4f3c9e2a1b4c5d9e8f0a1b2c3d4e5f"}, notes: []string{NoteBadEndpoint}},
}

func TestGetRuleGRPCVerdicts(t *testing.T) {
	t.Parallel()
	for _, tt := range ingressEndpointCases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := &ingressServer{getReply: &proto.GetRuleReply{Endpoint: tt.endpoint}}
			c, _ := newGRPCTestClient(t, Config{}, func(s *grpc.Server) { proto.RegisterIngressServer(s, srv) })
			res := c.GetRule(t.Context(), IngressGetRuleRequest{Host: "h"})
			assert.Equal(t, tt.want, res.Verdict)
			assert.Equal(t, FailureNone, res.Failure, res.Error())
			assert.Equal(t, tt.notes, noteCodes(res.Notes), res.Notes)
		})
	}
	failures := []struct {
		name    string
		err     error
		failure Failure
	}{
		{name: "status error is no rule", err: status.Error(codes.Internal, "boom"), failure: FailureStatus},
		{name: "unavailable is no rule", err: status.Error(codes.Unavailable, "down"), failure: FailureStatus},
	}
	for _, tt := range failures {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := &ingressServer{err: tt.err}
			c, _ := newGRPCTestClient(t, Config{}, func(s *grpc.Server) { proto.RegisterIngressServer(s, srv) })
			res := c.GetRule(t.Context(), IngressGetRuleRequest{Host: "h"})
			assert.Equal(t, IngressRuleVerdict{}, res.Verdict)
			assert.Equal(t, tt.failure, res.Failure)
			assert.Empty(t, res.Notes)
		})
	}
}

func TestGetRuleHTTPRequest(t *testing.T) {
	t.Parallel()
	c, seen := newHTTPTestClient(t, Config{Token: "s3cret"}, "/ingress?z=1&host=old&a=2", replyWith(200, `{"endpoint":"`+tunnelUUID+`"}`))

	res := c.GetRule(t.Context(), IngressGetRuleRequest{Host: "example.com:443", Service: "svc a"})
	require.True(t, res.OK(), res.Error())
	assert.Equal(t, IngressRuleVerdict{Rule: true, Endpoint: tunnelUUID}, res.Verdict)

	method, uri, header, body, _ := seen.last()
	assert.Equal(t, http.MethodGet, method)
	assert.Equal(t, "/ingress?a=2&host=example.com%3A443&service=svc+a&z=1", uri,
		"parameters merged into addr's query, host replaced, sorted and encoded by url.Values.Encode")
	assert.Equal(t, "application/json", header.Get("Content-Type"), "GOST sends it on a bodiless GET too")
	assert.Equal(t, "Bearer s3cret", header.Get("Authorization"))
	assert.Empty(t, body)

	res = c.GetRule(t.Context(), IngressGetRuleRequest{})
	require.True(t, res.OK(), res.Error())
	_, uri, _, _, _ = seen.last()
	assert.Equal(t, "/ingress?a=2&host=&z=1", uri, "host is always set, service only when non-empty")
}

func TestGetRuleHTTPVerdicts(t *testing.T) {
	t.Parallel()
	type httpCase struct {
		name    string
		status  int
		body    string
		want    IngressRuleVerdict
		failure Failure
		notes   []string
	}
	var tests []httpCase
	for _, tc := range ingressEndpointCases {
		tests = append(tests, httpCase{name: tc.name, status: 200, body: `{"endpoint":"` + tc.endpoint + `"}`, want: tc.want, notes: tc.notes})
	}
	tests = append(tests,
		httpCase{name: "keys match case-insensitively", status: 200, body: `{"ENDPOINT":"` + tunnelUUID + `"}`, want: IngressRuleVerdict{Rule: true, Endpoint: tunnelUUID}},
		httpCase{name: "trailing garbage ignored", status: 200, body: `{"endpoint":"` + tunnelUUID + `"}garbage`, want: IngressRuleVerdict{Rule: true, Endpoint: tunnelUUID}},
		httpCase{name: "null is no rule", status: 200, body: `null`},
		httpCase{name: "201 is no rule", status: 201, body: `{"endpoint":"` + tunnelUUID + `"}`, failure: FailureStatus},
		httpCase{name: "204 is no rule", status: 204, failure: FailureStatus},
		httpCase{name: "403 is no rule", status: 403, failure: FailureStatus},
		httpCase{name: "500 is no rule", status: 500, failure: FailureStatus},
		httpCase{name: "empty body is no rule", status: 200, failure: FailureDecode},
		httpCase{name: "wrong type is no rule", status: 200, body: `{"endpoint":1}`, failure: FailureDecode},
	)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _ := newHTTPTestClient(t, Config{}, "/ingress", replyWith(tt.status, tt.body))
			res := c.GetRule(t.Context(), IngressGetRuleRequest{Host: "h"})
			assert.Equal(t, tt.want, res.Verdict)
			assert.Equal(t, tt.failure, res.Failure, res.Error())
			assert.Equal(t, tt.notes, noteCodes(res.Notes), res.Notes)
		})
	}
}

func TestSetRuleGRPCRequest(t *testing.T) {
	t.Parallel()
	srv := &ingressServer{setReply: &proto.SetRuleReply{Ok: true}}
	c, seen := newGRPCTestClient(t, Config{Token: "s3cret"}, func(s *grpc.Server) { proto.RegisterIngressServer(s, srv) })

	res := c.SetRule(t.Context(), IngressSetRuleRequest{Host: "0123456789abcdef", Endpoint: tunnelUUID, Service: "svc"})
	require.True(t, res.OK(), res.Error())

	method, md, calls := seen.last()
	assert.Equal(t, "/proto.Ingress/SetRule", method)
	assert.Equal(t, 1, calls)
	assert.Equal(t, []string{"s3cret"}, md.Get("token"))
	assert.Empty(t, md.Get("grpc-timeout"))

	got := seen.messages[0].(*proto.SetRuleRequest)
	assert.Equal(t, "0123456789abcdef", got.Host)
	assert.Equal(t, tunnelUUID, got.Endpoint)
	assert.Equal(t, "svc", got.Service)
	assert.Equal(t, IngressSetVerdict{OK: true}, res.Verdict)
}

func TestSetRuleGRPCVerdicts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		reply   *proto.SetRuleReply
		err     error
		want    IngressSetVerdict
		failure Failure
	}{
		{name: "ok", reply: &proto.SetRuleReply{Ok: true}, want: IngressSetVerdict{OK: true}},
		{name: "not ok", reply: &proto.SetRuleReply{}},
		{name: "status error", err: status.Error(codes.Internal, "boom"), failure: FailureStatus},
		{name: "unavailable", err: status.Error(codes.Unavailable, "down"), failure: FailureStatus},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := &ingressServer{setReply: tt.reply, err: tt.err}
			c, _ := newGRPCTestClient(t, Config{}, func(s *grpc.Server) { proto.RegisterIngressServer(s, srv) })
			res := c.SetRule(t.Context(), IngressSetRuleRequest{Host: "h", Endpoint: tunnelUUID})
			assert.Equal(t, tt.want, res.Verdict)
			assert.Equal(t, tt.failure, res.Failure)
			assert.Empty(t, res.Notes)
		})
	}
}

func TestSetRuleHTTPRequest(t *testing.T) {
	t.Parallel()
	c, seen := newHTTPTestClient(t, Config{Token: "s3cret"}, "/ingress?x=1", replyWith(200, `{"ok":true}`))

	res := c.SetRule(t.Context(), IngressSetRuleRequest{Host: "0123456789abcdef", Endpoint: tunnelUUID, Service: "svc"})
	require.True(t, res.OK(), res.Error())
	assert.Equal(t, IngressSetVerdict{OK: true}, res.Verdict)

	method, uri, header, body, _ := seen.last()
	assert.Equal(t, http.MethodPut, method)
	assert.Equal(t, "/ingress?x=1", uri, "GOST uses addr verbatim")
	assert.Equal(t, "application/json", header.Get("Content-Type"))
	assert.Equal(t, "Bearer s3cret", header.Get("Authorization"))
	assert.Equal(t, `{"service":"svc","host":"0123456789abcdef","endpoint":"`+tunnelUUID+`"}`, string(body))

	res = c.SetRule(t.Context(), IngressSetRuleRequest{})
	require.True(t, res.OK(), res.Error())
	_, _, _, body, _ = seen.last()
	assert.Equal(t, `{"service":"","host":"","endpoint":""}`, string(body))
}

func TestSetRuleHTTPVerdicts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		status  int
		body    string
		want    IngressSetVerdict
		failure Failure
	}{
		{name: "ok", status: 200, body: `{"ok":true}`, want: IngressSetVerdict{OK: true}},
		{name: "keys match case-insensitively", status: 200, body: `{"OK":true}`, want: IngressSetVerdict{OK: true}},
		{name: "trailing garbage ignored", status: 200, body: `{"ok":true}garbage`, want: IngressSetVerdict{OK: true}},
		{name: "null is false", status: 200, body: `null`},
		{name: "201 is false", status: 201, body: `{"ok":true}`, failure: FailureStatus},
		{name: "204 is false", status: 204, failure: FailureStatus},
		{name: "403 is false", status: 403, body: `{"ok":true}`, failure: FailureStatus},
		{name: "500 is false", status: 500, failure: FailureStatus},
		{name: "empty body is false", status: 200, failure: FailureDecode},
		{name: "wrong type is false", status: 200, body: `{"ok":"true"}`, failure: FailureDecode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _ := newHTTPTestClient(t, Config{}, "/ingress", replyWith(tt.status, tt.body))
			res := c.SetRule(t.Context(), IngressSetRuleRequest{Host: "h", Endpoint: tunnelUUID})
			assert.Equal(t, tt.want, res.Verdict)
			assert.Equal(t, tt.failure, res.Failure, res.Error())
		})
	}
}
