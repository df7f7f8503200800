package mockclient

import (
	"context"
	"net/http"
	"testing"

	"github.com/go-gost/plugin/router/proto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

type routerServer struct {
	proto.UnimplementedRouterServer
	reply *proto.GetRouteReply
	err   error
}

func (s *routerServer) GetRoute(context.Context, *proto.GetRouteRequest) (*proto.GetRouteReply, error) {
	return s.reply, s.err
}

func TestGetRouteGRPCRequest(t *testing.T) {
	t.Parallel()
	srv := &routerServer{reply: &proto.GetRouteReply{Dst: "10.0.0.0/8", Gateway: "192.168.1.1"}}
	c, seen := newGRPCTestClient(t, Config{Token: "s3cret"}, func(s *grpc.Server) { proto.RegisterRouterServer(s, srv) })

	res := c.GetRoute(t.Context(), RouterRequest{Dst: "10.1.2.3", ID: tunnelUUID})
	require.True(t, res.OK(), res.Error())

	method, md, calls := seen.last()
	assert.Equal(t, "/proto.Router/GetRoute", method)
	assert.Equal(t, 1, calls)
	assert.Equal(t, []string{"s3cret"}, md.Get("token"))
	assert.Empty(t, md.Get("grpc-timeout"))

	got := seen.messages[0].(*proto.GetRouteRequest)
	assert.Equal(t, "10.1.2.3", got.Dst)
	assert.Equal(t, tunnelUUID, got.Id)
	assert.Equal(t, RouterVerdict{Route: true, Dst: "10.0.0.0/8", Net: "10.0.0.0/8", Gateway: "192.168.1.1"}, res.Verdict)
	assert.Empty(t, res.Notes)
}

func TestGetRouteGRPCVerdicts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		reply   *proto.GetRouteReply
		err     error
		want    RouterVerdict
		failure Failure
		notes   []string
	}{
		{name: "cidr", reply: &proto.GetRouteReply{Dst: "10.0.0.0/8", Gateway: "gw"}, want: RouterVerdict{Route: true, Dst: "10.0.0.0/8", Net: "10.0.0.0/8", Gateway: "gw"}},
		{name: "cidr with host bits", reply: &proto.GetRouteReply{Dst: "10.1.2.3/8", Gateway: "gw"}, want: RouterVerdict{Route: true, Dst: "10.1.2.3/8", Net: "10.0.0.0/8", Gateway: "gw"}},
		{name: "ipv6 cidr", reply: &proto.GetRouteReply{Dst: "2001:db8::/32", Gateway: "gw"}, want: RouterVerdict{Route: true, Dst: "2001:db8::/32", Net: "2001:db8::/32", Gateway: "gw"}},
		{name: "plain ip is not a cidr", reply: &proto.GetRouteReply{Dst: "10.1.2.3", Gateway: "gw"}, want: RouterVerdict{Route: true, Dst: "10.1.2.3", Gateway: "gw"}, notes: []string{NoteBadRoute}},
		{name: "empty gateway", reply: &proto.GetRouteReply{Dst: "10.0.0.0/8"}, want: RouterVerdict{Route: true, Dst: "10.0.0.0/8", Net: "10.0.0.0/8"}, notes: []string{NoteBadRoute}},
		{name: "empty dst is no route", reply: &proto.GetRouteReply{Gateway: "gw"}},
		{name: "status error is no route", err: status.Error(codes.Internal, "boom"), failure: FailureStatus},
		{name: "unavailable is no route", err: status.Error(codes.Unavailable, "down"), failure: FailureStatus},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := &routerServer{reply: tt.reply, err: tt.err}
			c, _ := newGRPCTestClient(t, Config{}, func(s *grpc.Server) { proto.RegisterRouterServer(s, srv) })
			res := c.GetRoute(t.Context(), RouterRequest{Dst: "10.1.2.3"})
			assert.Equal(t, tt.want, res.Verdict)
			assert.Equal(t, tt.failure, res.Failure)
			assert.Equal(t, tt.notes, noteCodes(res.Notes), res.Notes)
		})
	}
}

func TestGetRouteBadRouteText(t *testing.T) {
	t.Parallel()
	srv := &routerServer{reply: &proto.GetRouteReply{Dst: "10.1.2.3"}}
	c, _ := newGRPCTestClient(t, Config{}, func(s *grpc.Server) { proto.RegisterRouterServer(s, srv) })
	res := c.GetRoute(t.Context(), RouterRequest{Dst: "10.1.2.3"})
	assert.Equal(t, []Note{
		{Code: NoteBadRoute, Text: `dst "10.1.2.3" is not a CIDR; GOST keeps the route with no network`},
		{Code: NoteBadRoute, Text: "empty gateway: the router handler drops the packet (no route to host)"},
	}, res.Notes)
}

func TestGetRouteHTTPRequest(t *testing.T) {
	t.Parallel()
	c, seen := newHTTPTestClient(t, Config{Token: "s3cret"}, "/router?z=1&dst=old", replyWith(200, `{"dst":"10.0.0.0/8","gateway":"gw"}`))

	res := c.GetRoute(t.Context(), RouterRequest{Dst: "10.1.2.3", ID: tunnelUUID})
	require.True(t, res.OK(), res.Error())
	assert.Equal(t, RouterVerdict{Route: true, Dst: "10.0.0.0/8", Net: "10.0.0.0/8", Gateway: "gw"}, res.Verdict)

	method, uri, header, body, _ := seen.last()
	assert.Equal(t, http.MethodGet, method)
	assert.Equal(t, "/router?dst=10.1.2.3&id="+tunnelUUID+"&z=1", uri,
		"parameters merged into addr's query, dst replaced, sorted by url.Values.Encode")
	assert.Equal(t, "application/json", header.Get("Content-Type"), "GOST sends it on a bodiless GET too")
	assert.Equal(t, "Bearer s3cret", header.Get("Authorization"))
	assert.Empty(t, body)

	res = c.GetRoute(t.Context(), RouterRequest{Dst: "2001:db8::1"})
	require.True(t, res.OK(), res.Error())
	_, uri, _, _, _ = seen.last()
	assert.Equal(t, "/router?dst=2001%3Adb8%3A%3A1&z=1", uri, "id only when non-empty")

	res = c.GetRoute(t.Context(), RouterRequest{})
	require.True(t, res.OK(), res.Error())
	_, uri, _, _, _ = seen.last()
	assert.Equal(t, "/router?dst=&z=1", uri, "dst is always set")
}

func TestGetRouteHTTPVerdicts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		status  int
		body    string
		want    RouterVerdict
		failure Failure
		notes   []string
	}{
		{name: "route", status: 200, body: `{"dst":"10.0.0.0/8","gateway":"gw"}`, want: RouterVerdict{Route: true, Dst: "10.0.0.0/8", Net: "10.0.0.0/8", Gateway: "gw"}},
		{name: "legacy net key", status: 200, body: `{"net":"10.0.0.0/8","gateway":"gw"}`, want: RouterVerdict{Route: true, Dst: "10.0.0.0/8", Net: "10.0.0.0/8", Gateway: "gw"}},
		{name: "dst wins over net", status: 200, body: `{"net":"10.0.0.0/8","dst":"192.168.0.0/16","gateway":"gw"}`, want: RouterVerdict{Route: true, Dst: "192.168.0.0/16", Net: "192.168.0.0/16", Gateway: "gw"}},
		{name: "keys match case-insensitively", status: 200, body: `{"DST":"10.0.0.0/8","Gateway":"gw"}`, want: RouterVerdict{Route: true, Dst: "10.0.0.0/8", Net: "10.0.0.0/8", Gateway: "gw"}},
		{name: "trailing garbage ignored", status: 200, body: `{"dst":"10.0.0.0/8","gateway":"gw"}garbage`, want: RouterVerdict{Route: true, Dst: "10.0.0.0/8", Net: "10.0.0.0/8", Gateway: "gw"}},
		{name: "non-cidr dst", status: 200, body: `{"dst":"example.com","gateway":"gw"}`, want: RouterVerdict{Route: true, Dst: "example.com", Gateway: "gw"}, notes: []string{NoteBadRoute}},
		{name: "empty gateway", status: 200, body: `{"dst":"10.0.0.0/8"}`, want: RouterVerdict{Route: true, Dst: "10.0.0.0/8", Net: "10.0.0.0/8"}, notes: []string{NoteBadRoute}},
		{name: "null is no route", status: 200, body: `null`},
		{name: "201 is no route", status: 201, body: `{"dst":"10.0.0.0/8","gateway":"gw"}`, failure: FailureStatus},
		{name: "204 is no route", status: 204, failure: FailureStatus},
		{name: "403 is no route", status: 403, failure: FailureStatus},
		{name: "500 is no route", status: 500, failure: FailureStatus},
		{name: "empty body is no route", status: 200, failure: FailureDecode},
		{name: "wrong type is no route", status: 200, body: `{"dst":["10.0.0.0/8"]}`, failure: FailureDecode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _ := newHTTPTestClient(t, Config{}, "/router", replyWith(tt.status, tt.body))
			res := c.GetRoute(t.Context(), RouterRequest{Dst: "10.1.2.3"})
			assert.Equal(t, tt.want, res.Verdict)
			assert.Equal(t, tt.failure, res.Failure, res.Error())
			assert.Equal(t, tt.notes, noteCodes(res.Notes), res.Notes)
		})
	}
}

func TestHopLimiterRouterOperations(t *testing.T) {
	t.Parallel()
	tests := []struct {
		module     Module
		name       string
		grpcMethod string
		httpMethod string
		nilClient  any
	}{
		{Hop, "select", "/proto.Hop/Select", "POST", HopVerdict{}},
		{Limiter, "limit", "/proto.Limiter/Limit", "POST", LimiterVerdict{}},
		{Router, "get_route", "/proto.Router/GetRoute", "GET", RouterVerdict{}},
	}
	for _, tt := range tests {
		op, err := LookupOperation(tt.module, "")
		require.NoError(t, err)
		assert.Equal(t, tt.name, op.Name)
		assert.Equal(t, tt.grpcMethod, op.GRPCMethod)
		assert.Equal(t, tt.httpMethod, op.HTTPMethod)
		assert.Equal(t, tt.nilClient, op.NilClientVerdict)
		assert.NotEmpty(t, op.NilClientEffect)
	}
}
