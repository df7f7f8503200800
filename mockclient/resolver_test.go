package mockclient

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/go-gost/plugin/resolver/proto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

type resolverServer struct {
	proto.UnimplementedResolverServer
	reply *proto.ResolveReply
	err   error
}

func (s *resolverServer) Resolve(context.Context, *proto.ResolveRequest) (*proto.ResolveReply, error) {
	return s.reply, s.err
}

func TestResolveGRPCRequest(t *testing.T) {
	t.Parallel()
	srv := &resolverServer{reply: &proto.ResolveReply{Ips: []string{"10.0.0.1"}, Ok: true}}
	c, seen := newGRPCTestClient(t, Config{Token: "s3cret"}, func(s *grpc.Server) { proto.RegisterResolverServer(s, srv) })

	res := c.Resolve(t.Context(), ResolverRequest{Network: "ip", Host: "example.com", Client: "user-7"})
	require.True(t, res.OK(), res.Error())

	method, md, calls := seen.last()
	assert.Equal(t, "/proto.Resolver/Resolve", method)
	assert.Equal(t, 1, calls)
	assert.Equal(t, []string{"s3cret"}, md.Get("token"), "GOST sends the raw token as metadata \"token\"")
	assert.Empty(t, md.Get("authorization"))
	assert.Empty(t, md.Get("grpc-timeout"), "GOST sets no deadline, and neither may the wire")

	got := seen.messages[0].(*proto.ResolveRequest)
	assert.Equal(t, "ip", got.Network)
	assert.Equal(t, "example.com", got.Host)
	assert.Equal(t, "user-7", got.Client)
	assert.Equal(t, ResolverVerdict{IPs: []string{"10.0.0.1"}, Resolved: true}, res.Verdict)
	assert.Empty(t, res.Notes)
}

func TestResolveGRPCVerdicts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		reply   *proto.ResolveReply
		err     error
		want    ResolverVerdict
		notes   []Note
		failure Failure
	}{
		{
			name: "resolved", reply: &proto.ResolveReply{Ips: []string{"10.0.0.1", "10.0.0.2"}, Ok: true},
			want: ResolverVerdict{IPs: []string{"10.0.0.1", "10.0.0.2"}, Resolved: true},
		},
		{
			name: "ok false ignored over gRPC", reply: &proto.ResolveReply{Ips: []string{"not-an-ip", "10.0.0.1"}},
			want: ResolverVerdict{IPs: []string{"10.0.0.1"}, Resolved: true},
			notes: []Note{
				{Code: NoteDroppedIP, Text: `GOST drops "not-an-ip": not an IP`},
				{Code: NoteReplyIgnored, Text: "over gRPC GOST ignores ok:false and dials the first IP"},
			},
		},
		{name: "ok false without ips", reply: &proto.ResolveReply{}, want: ResolverVerdict{IPs: []string{}}},
		{name: "ok true with no ips does not resolve", reply: &proto.ResolveReply{Ok: true}, want: ResolverVerdict{IPs: []string{}}},
		{
			name: "only invalid ips does not resolve", reply: &proto.ResolveReply{Ips: []string{"not-an-ip"}, Ok: true},
			want:  ResolverVerdict{IPs: []string{}},
			notes: []Note{{Code: NoteDroppedIP, Text: `GOST drops "not-an-ip": not an IP`}},
		},
		{
			name: "mixed entries", reply: &proto.ResolveReply{Ips: mixedIPs, Ok: true},
			want: ResolverVerdict{IPs: keptIPs, Resolved: true}, notes: droppedIPs,
		},
		{name: "status error does not resolve", err: status.Error(codes.Internal, "boom"), want: ResolverVerdict{IPs: []string{}}, failure: FailureStatus},
		{name: "not found does not resolve", err: status.Error(codes.NotFound, "nx"), want: ResolverVerdict{IPs: []string{}}, failure: FailureStatus},
		{name: "unavailable does not resolve", err: status.Error(codes.Unavailable, "down"), want: ResolverVerdict{IPs: []string{}}, failure: FailureStatus},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := &resolverServer{reply: tt.reply, err: tt.err}
			c, _ := newGRPCTestClient(t, Config{}, func(s *grpc.Server) { proto.RegisterResolverServer(s, srv) })
			res := c.Resolve(t.Context(), ResolverRequest{Network: "ip", Host: "example.com"})
			assert.Equal(t, tt.want, res.Verdict)
			assert.Equal(t, tt.failure, res.Failure)
			assert.Equal(t, tt.notes, res.Notes)
		})
	}
}

func TestResolveHTTPRequest(t *testing.T) {
	t.Parallel()
	c, seen := newHTTPTestClient(t, Config{Token: "s3cret"}, "/resolve?x=1", replyWith(200, `{"ips":["10.0.0.1"],"ok":true}`))

	res := c.Resolve(t.Context(), ResolverRequest{Network: "ip", Host: "example.com", Client: "user-7"})
	require.True(t, res.OK(), res.Error())
	assert.Equal(t, ResolverVerdict{IPs: []string{"10.0.0.1"}, Resolved: true}, res.Verdict)

	method, uri, header, body, _ := seen.last()
	assert.Equal(t, http.MethodPost, method)
	assert.Equal(t, "/resolve?x=1", uri, "GOST uses addr verbatim")
	assert.Equal(t, "application/json", header.Get("Content-Type"))
	assert.Equal(t, "Bearer s3cret", header.Get("Authorization"))
	assert.Equal(t, `{"network":"ip","host":"example.com","client":"user-7"}`, string(body), "key order as x sends them")

	res = c.Resolve(t.Context(), ResolverRequest{})
	require.True(t, res.OK(), res.Error())
	_, _, _, body, _ = seen.last()
	assert.Equal(t, `{"network":"","host":"","client":""}`, string(body), "no omitempty")
}

func TestResolveHTTPVerdicts(t *testing.T) {
	t.Parallel()
	none := ResolverVerdict{IPs: []string{}}
	tests := []struct {
		name    string
		status  int
		body    string
		want    ResolverVerdict
		notes   []Note
		failure Failure
	}{
		{name: "resolved", status: 200, body: `{"ips":["10.0.0.1","2001:db8::1"],"ok":true}`, want: ResolverVerdict{IPs: []string{"10.0.0.1", "2001:db8::1"}, Resolved: true}},
		{name: "keys match case-insensitively", status: 200, body: `{"IPs":["10.0.0.1"],"Ok":true}`, want: ResolverVerdict{IPs: []string{"10.0.0.1"}, Resolved: true}},
		{name: "trailing garbage ignored", status: 200, body: `{"ips":["10.0.0.1"],"ok":true}garbage`, want: ResolverVerdict{IPs: []string{"10.0.0.1"}, Resolved: true}},
		{name: "ok true with no ips does not resolve", status: 200, body: `{"ips":[],"ok":true}`, want: none},
		{name: "ok false discards ips", status: 200, body: `{"ips":["10.0.0.1"],"ok":false}`, want: none},
		{name: "ok false does not parse ips", status: 200, body: `{"ips":["not-an-ip"],"ok":false}`, want: none},
		{name: "missing ok discards ips", status: 200, body: `{"ips":["10.0.0.1"]}`, want: none},
		{name: "null is ok false", status: 200, body: `null`, want: none},
		{
			name: "mixed entries", status: 200, body: `{"ok":true,"ips":` + string(mixedIPsJSON) + `}`,
			want: ResolverVerdict{IPs: keptIPs, Resolved: true}, notes: droppedIPs,
		},
		{name: "201 does not resolve", status: 201, body: `{"ips":["10.0.0.1"],"ok":true}`, want: none, failure: FailureStatus},
		{name: "204 does not resolve", status: 204, want: none, failure: FailureStatus},
		{name: "403 does not resolve", status: 403, body: `{"ips":["10.0.0.1"],"ok":true}`, want: none, failure: FailureStatus},
		{name: "500 does not resolve", status: 500, want: none, failure: FailureStatus},
		{name: "empty body does not resolve", status: 200, body: ``, want: none, failure: FailureDecode},
		{name: "wrong type does not resolve", status: 200, body: `{"ips":["10.0.0.1"],"ok":"true"}`, want: none, failure: FailureDecode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _ := newHTTPTestClient(t, Config{}, "/resolve", replyWith(tt.status, tt.body))
			res := c.Resolve(t.Context(), ResolverRequest{Network: "ip", Host: "example.com"})
			assert.Equal(t, tt.want, res.Verdict)
			assert.Equal(t, tt.failure, res.Failure, res.Error())
			assert.Equal(t, tt.notes, res.Notes)
		})
	}
}

func TestResolveHTTPBadURL(t *testing.T) {
	t.Parallel()
	c, err := New(Config{Addr: "http://127.0.0.1:1/a b\x7f", Transport: HTTP})
	require.NoError(t, err)
	res := c.Resolve(t.Context(), ResolverRequest{})
	assert.Equal(t, FailureRequest, res.Failure)
	assert.Equal(t, ResolverVerdict{IPs: []string{}}, res.Verdict)
}

func TestResolverVerdictJSON(t *testing.T) {
	t.Parallel()
	c, _ := newHTTPTestClient(t, Config{}, "/resolve", replyWith(200, `{"ok":false}`))
	res := c.Resolve(t.Context(), ResolverRequest{})
	v, err := json.Marshal(res.Verdict)
	require.NoError(t, err)
	assert.JSONEq(t, `{"ips":[],"resolved":false}`, string(v), "no IPs is [], never null")
}

func TestResolveOperation(t *testing.T) {
	t.Parallel()
	op, err := LookupOperation(Resolver, "")
	require.NoError(t, err)
	assert.Equal(t, "resolve", op.Name)
	assert.Equal(t, "/proto.Resolver/Resolve", op.GRPCMethod)
	assert.Equal(t, http.MethodPost, op.HTTPMethod)
	assert.Equal(t, ResolverVerdict{IPs: []string{}}, op.NilClientVerdict)
	assert.Equal(t, "GOST refuses to load the configuration", op.NilClientEffect)
	assert.IsType(t, &ResolverRequest{}, op.NewRequest())
}
