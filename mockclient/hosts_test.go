package mockclient

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/go-gost/plugin/hosts/proto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

type hostsServer struct {
	proto.UnimplementedHostMapperServer
	reply *proto.LookupReply
	err   error
}

func (s *hostsServer) Lookup(context.Context, *proto.LookupRequest) (*proto.LookupReply, error) {
	return s.reply, s.err
}

// mixedIPs are reply entries net.ParseIP rejects or rewrites; keptIPs is
// what GOST keeps of them, in String() form.
var (
	mixedIPs = []string{
		"not-an-ip", "10.0.0.1", "2001:db8::1", "::ffff:10.0.0.2", "::ffff:a00:3",
		"2001:DB8:0:0:0:0:0:2", "fe80::1%eth0", " 10.0.0.4", "10.0.0.0/8", "", "010.0.0.5",
	}
	keptIPs    = []string{"10.0.0.1", "2001:db8::1", "10.0.0.2", "10.0.0.3", "2001:db8::2"}
	droppedIPs = []Note{
		{Code: NoteDroppedIP, Text: `GOST drops "not-an-ip": not an IP`},
		{Code: NoteDroppedIP, Text: `GOST drops "fe80::1%eth0": not an IP`},
		{Code: NoteDroppedIP, Text: `GOST drops " 10.0.0.4": not an IP`},
		{Code: NoteDroppedIP, Text: `GOST drops "10.0.0.0/8": not an IP`},
		{Code: NoteDroppedIP, Text: `GOST drops "": not an IP`},
		{Code: NoteDroppedIP, Text: `GOST drops "010.0.0.5": not an IP`},
	}
	mixedIPsJSON, _ = json.Marshal(mixedIPs)
)

// noteCodes lists the codes of notes, in order.
func TestLookupGRPCRequest(t *testing.T) {
	t.Parallel()
	srv := &hostsServer{reply: &proto.LookupReply{Ips: []string{"10.0.0.1"}, Ok: true}}
	c, seen := newGRPCTestClient(t, Config{Token: "s3cret"}, func(s *grpc.Server) { proto.RegisterHostMapperServer(s, srv) })

	res := c.Lookup(t.Context(), HostsRequest{Network: "ip", Host: "example.com", Client: "user-7"})
	require.True(t, res.OK(), res.Error())

	method, md, calls := seen.last()
	assert.Equal(t, "/proto.HostMapper/Lookup", method)
	assert.Equal(t, 1, calls)
	assert.Equal(t, []string{"s3cret"}, md.Get("token"), "GOST sends the raw token as metadata \"token\"")
	assert.Empty(t, md.Get("authorization"))
	assert.Empty(t, md.Get("grpc-timeout"), "GOST sets no deadline, and neither may the wire")

	got := seen.messages[0].(*proto.LookupRequest)
	assert.Equal(t, "ip", got.Network)
	assert.Equal(t, "example.com", got.Host)
	assert.Equal(t, "user-7", got.Client)
	assert.Equal(t, HostsVerdict{IPs: []string{"10.0.0.1"}}, res.Verdict)
	assert.Empty(t, res.Notes)
}

func TestLookupGRPCVerdicts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		reply   *proto.LookupReply
		err     error
		want    []string
		notes   []string
		failure Failure
	}{
		{name: "ips", reply: &proto.LookupReply{Ips: []string{"10.0.0.1", "10.0.0.2"}, Ok: true}, want: []string{"10.0.0.1", "10.0.0.2"}},
		{name: "no mapping", reply: &proto.LookupReply{}, want: []string{}},
		{name: "ok ignored when false", reply: &proto.LookupReply{Ips: []string{"10.0.0.1"}}, want: []string{"10.0.0.1"}, notes: []string{NoteReplyIgnored}},
		{name: "ok ignored when true", reply: &proto.LookupReply{Ok: true}, want: []string{}, notes: []string{NoteReplyIgnored}},
		{
			name: "ok true with only invalid ips", reply: &proto.LookupReply{Ips: []string{"not-an-ip"}, Ok: true},
			want: []string{}, notes: []string{NoteDroppedIP, NoteReplyIgnored},
		},
		{name: "status error gives no ips", err: status.Error(codes.Internal, "boom"), want: []string{}, failure: FailureStatus},
		{name: "unavailable gives no ips", err: status.Error(codes.Unavailable, "down"), want: []string{}, failure: FailureStatus},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := &hostsServer{reply: tt.reply, err: tt.err}
			c, _ := newGRPCTestClient(t, Config{}, func(s *grpc.Server) { proto.RegisterHostMapperServer(s, srv) })
			res := c.Lookup(t.Context(), HostsRequest{Network: "ip", Host: "example.com"})
			assert.Equal(t, HostsVerdict{IPs: tt.want}, res.Verdict)
			assert.Equal(t, tt.failure, res.Failure)
			assert.Equal(t, tt.notes, noteCodes(res.Notes))
		})
	}
}

func TestLookupGRPCDropsIPs(t *testing.T) {
	t.Parallel()
	srv := &hostsServer{reply: &proto.LookupReply{Ips: mixedIPs, Ok: true}}
	c, _ := newGRPCTestClient(t, Config{}, func(s *grpc.Server) { proto.RegisterHostMapperServer(s, srv) })
	res := c.Lookup(t.Context(), HostsRequest{Network: "ip", Host: "example.com"})
	require.True(t, res.OK(), res.Error())
	assert.Equal(t, HostsVerdict{IPs: keptIPs}, res.Verdict, "IPv4-mapped addresses come out as IPv4, IPv6 canonical")
	assert.Equal(t, droppedIPs, res.Notes)
}

func TestLookupHTTPRequest(t *testing.T) {
	t.Parallel()
	c, seen := newHTTPTestClient(t, Config{Token: "s3cret"}, "/hosts?x=1", replyWith(200, `{"ips":["10.0.0.1"],"ok":true}`))

	res := c.Lookup(t.Context(), HostsRequest{Network: "ip4", Host: "example.com", Client: "user-7"})
	require.True(t, res.OK(), res.Error())
	assert.Equal(t, HostsVerdict{IPs: []string{"10.0.0.1"}}, res.Verdict)

	method, uri, header, body, _ := seen.last()
	assert.Equal(t, http.MethodPost, method)
	assert.Equal(t, "/hosts?x=1", uri, "GOST uses addr verbatim")
	assert.Equal(t, "application/json", header.Get("Content-Type"))
	assert.Equal(t, "Bearer s3cret", header.Get("Authorization"))
	assert.Equal(t, `{"network":"ip4","host":"example.com","client":"user-7"}`, string(body), "key order as x sends them")

	res = c.Lookup(t.Context(), HostsRequest{})
	require.True(t, res.OK(), res.Error())
	_, _, _, body, _ = seen.last()
	assert.Equal(t, `{"network":"","host":"","client":""}`, string(body), "no omitempty")
}

func TestLookupHTTPVerdicts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		status  int
		body    string
		want    []string
		notes   []Note
		failure Failure
	}{
		{name: "ips", status: 200, body: `{"ips":["10.0.0.1","2001:db8::1"],"ok":true}`, want: []string{"10.0.0.1", "2001:db8::1"}},
		{name: "keys match case-insensitively", status: 200, body: `{"IPS":["10.0.0.1"],"OK":true}`, want: []string{"10.0.0.1"}},
		{name: "trailing garbage ignored", status: 200, body: `{"ips":["10.0.0.1"],"ok":true}garbage`, want: []string{"10.0.0.1"}},
		{name: "null is no mapping", status: 200, body: `null`, want: []string{}},
		{name: "null ips is no mapping", status: 200, body: `{"ips":null,"ok":false}`, want: []string{}},
		{
			name: "ok false ignored", status: 200, body: `{"ips":["10.0.0.1"],"ok":false}`, want: []string{"10.0.0.1"},
			notes: []Note{{Code: NoteReplyIgnored, Text: "GOST ignores ok:false; only IPs matter, and it uses these IPs"}},
		},
		{
			name: "ok true ignored", status: 200, body: `{"ips":[],"ok":true}`, want: []string{},
			notes: []Note{{Code: NoteReplyIgnored, Text: "GOST ignores ok:true; only IPs matter, and with no usable IP it falls through to the resolver"}},
		},
		{name: "mixed entries", status: 200, body: `{"ips":` + string(mixedIPsJSON) + `}`, want: keptIPs, notes: append(append([]Note{}, droppedIPs...),
			Note{Code: NoteReplyIgnored, Text: "GOST ignores ok:false; only IPs matter, and it uses these IPs"})},
		{name: "201 gives no ips", status: 201, body: `{"ips":["10.0.0.1"]}`, want: []string{}, failure: FailureStatus},
		{name: "204 gives no ips", status: 204, want: []string{}, failure: FailureStatus},
		{name: "403 gives no ips", status: 403, body: `{"ips":["10.0.0.1"]}`, want: []string{}, failure: FailureStatus},
		{name: "500 gives no ips", status: 500, want: []string{}, failure: FailureStatus},
		{name: "empty body gives no ips", status: 200, body: ``, want: []string{}, failure: FailureDecode},
		{name: "wrong type gives no ips", status: 200, body: `{"ips":"10.0.0.1"}`, want: []string{}, failure: FailureDecode},
		{name: "wrong element type gives no ips", status: 200, body: `{"ips":[1]}`, want: []string{}, failure: FailureDecode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _ := newHTTPTestClient(t, Config{}, "/hosts", replyWith(tt.status, tt.body))
			res := c.Lookup(t.Context(), HostsRequest{Network: "ip", Host: "example.com"})
			assert.Equal(t, HostsVerdict{IPs: tt.want}, res.Verdict)
			assert.Equal(t, tt.failure, res.Failure, res.Error())
			assert.Equal(t, tt.notes, res.Notes)
		})
	}
}

func TestLookupHTTPBadURL(t *testing.T) {
	t.Parallel()
	c, err := New(Config{Addr: "http://127.0.0.1:1/a b\x7f", Transport: HTTP})
	require.NoError(t, err)
	res := c.Lookup(t.Context(), HostsRequest{})
	assert.Equal(t, FailureRequest, res.Failure)
	assert.Equal(t, HostsVerdict{IPs: []string{}}, res.Verdict)
}

func TestHostsVerdictJSON(t *testing.T) {
	t.Parallel()
	c, _ := newHTTPTestClient(t, Config{}, "/hosts", replyWith(500, ""))
	res := c.Lookup(t.Context(), HostsRequest{})
	v, err := json.Marshal(res.Verdict)
	require.NoError(t, err)
	assert.JSONEq(t, `{"ips":[]}`, string(v), "no IPs is [], never null")
}

func TestLookupOperation(t *testing.T) {
	t.Parallel()
	op, err := LookupOperation(Hosts, "")
	require.NoError(t, err)
	assert.Equal(t, "lookup", op.Name)
	assert.Equal(t, "/proto.HostMapper/Lookup", op.GRPCMethod)
	assert.Equal(t, http.MethodPost, op.HTTPMethod)
	assert.Equal(t, HostsVerdict{IPs: []string{}}, op.NilClientVerdict)
	assert.Equal(t, "GOST finds no host mapping and falls through to the resolver", op.NilClientEffect)
	assert.IsType(t, &HostsRequest{}, op.NewRequest())
}
