package mockclient

import (
	"context"
	"net/http"
	"testing"

	"github.com/go-gost/plugin/bypass/proto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

type bypassServer struct {
	proto.UnimplementedBypassServer
	reply *proto.BypassReply
	err   error
}

func (s *bypassServer) Bypass(context.Context, *proto.BypassRequest) (*proto.BypassReply, error) {
	return s.reply, s.err
}

// hangUp closes the connection without answering, a transport failure.
func TestBypassGRPCRequest(t *testing.T) {
	t.Parallel()
	srv := &bypassServer{reply: &proto.BypassReply{Ok: true}}
	c, seen := newGRPCTestClient(t, Config{Token: "s3cret"}, func(s *grpc.Server) { proto.RegisterBypassServer(s, srv) })

	req := BypassRequest{
		Addr: "example.com:443", Client: "user-7", Network: "tcp",
		Host: "example.com:443", Path: "/a?b=c", Service: "svc",
	}
	res := c.Bypass(t.Context(), req)
	require.True(t, res.OK(), res.Error())

	method, md, calls := seen.last()
	assert.Equal(t, "/proto.Bypass/Bypass", method)
	assert.Equal(t, 1, calls)
	assert.Equal(t, []string{"s3cret"}, md.Get("token"), "GOST sends the raw token as metadata \"token\"")
	assert.Empty(t, md.Get("authorization"))
	assert.Empty(t, md.Get("grpc-timeout"), "GOST sets no deadline, and neither may the wire")

	got := seen.messages[0].(*proto.BypassRequest)
	assert.Equal(t, "example.com:443", got.Addr)
	assert.Equal(t, "user-7", got.Client, "client is the ClientID, passed through as given")
	assert.Equal(t, "tcp", got.Network)
	assert.Equal(t, "example.com:443", got.Host)
	assert.Equal(t, "/a?b=c", got.Path)
	assert.Equal(t, "svc", got.Service)
	assert.Equal(t, BypassVerdict{Matched: true}, res.Verdict)
	assert.Empty(t, res.Notes, "a real match is not a fail-open")
}

func TestBypassGRPCVerdicts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		reply   *proto.BypassReply
		err     error
		want    BypassVerdict
		failure Failure
	}{
		{name: "matched", reply: &proto.BypassReply{Ok: true}, want: BypassVerdict{Matched: true}},
		{name: "not matched", reply: &proto.BypassReply{}, want: BypassVerdict{}},
		{name: "status error matches", err: status.Error(codes.Internal, "boom"), want: BypassVerdict{Matched: true}, failure: FailureStatus},
		{name: "unimplemented matches", err: status.Error(codes.Unimplemented, "no"), want: BypassVerdict{Matched: true}, failure: FailureStatus},
		{name: "unavailable matches", err: status.Error(codes.Unavailable, "down"), want: BypassVerdict{Matched: true}, failure: FailureStatus},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := &bypassServer{reply: tt.reply, err: tt.err}
			c, _ := newGRPCTestClient(t, Config{}, func(s *grpc.Server) { proto.RegisterBypassServer(s, srv) })
			res := c.Bypass(t.Context(), BypassRequest{Addr: "example.com:80", Network: "tcp"})
			assert.Equal(t, tt.want, res.Verdict)
			assert.Equal(t, tt.failure, res.Failure)
			assertFailOpen(t, res)
		})
	}
}

// assertFailOpen checks that exactly the failed calls carry the fail-open note.
func assertFailOpen(t *testing.T, res Result[BypassVerdict]) {
	t.Helper()
	if res.OK() {
		assert.Empty(t, res.Notes)
		return
	}
	require.Len(t, res.Notes, 1)
	assert.Equal(t, NoteFailOpen, res.Notes[0].Code)
	assert.Contains(t, res.Notes[0].Text, "matched")
	assert.Contains(t, res.Notes[0].Text, string(res.Failure))
}

func TestBypassHTTPRequest(t *testing.T) {
	t.Parallel()
	c, seen := newHTTPTestClient(t, Config{Token: "s3cret"}, "/bypass?x=1", replyWith(200, `{"ok":false}`))

	req := BypassRequest{
		Addr: "example.com:443", Client: "user-7", Network: "tcp",
		Host: "example.com:443", Path: "/a?b=c", Service: "svc",
	}
	res := c.Bypass(t.Context(), req)
	require.True(t, res.OK(), res.Error())
	assert.Equal(t, BypassVerdict{}, res.Verdict)

	method, uri, header, body, _ := seen.last()
	assert.Equal(t, http.MethodPost, method)
	assert.Equal(t, "/bypass?x=1", uri, "GOST uses addr verbatim")
	assert.Equal(t, "application/json", header.Get("Content-Type"))
	assert.Equal(t, "Bearer s3cret", header.Get("Authorization"))
	assert.Equal(t, `{"service":"svc","network":"tcp","addr":"example.com:443","client":"user-7","host":"example.com:443","path":"/a?b=c"}`,
		string(body), "key order as x sends them")

	res = c.Bypass(t.Context(), BypassRequest{})
	require.True(t, res.OK(), res.Error())
	_, _, _, body, _ = seen.last()
	assert.Equal(t, `{"service":"","network":"","addr":"","client":"","host":"","path":""}`, string(body), "no omitempty")
}

func TestBypassHTTPVerdicts(t *testing.T) {
	t.Parallel()
	matched := BypassVerdict{Matched: true}
	tests := []struct {
		name    string
		status  int
		body    string
		handler http.HandlerFunc
		want    BypassVerdict
		failure Failure
	}{
		{name: "matched", status: 200, body: `{"ok":true}`, want: matched},
		{name: "not matched", status: 200, body: `{"ok":false}`, want: BypassVerdict{}},
		{name: "keys match case-insensitively", status: 200, body: `{"Ok":true}`, want: matched},
		{name: "trailing garbage ignored", status: 200, body: `{"ok":false}garbage`, want: BypassVerdict{}},
		{name: "null decodes to not matched", status: 200, body: `null`, want: BypassVerdict{}},
		{name: "201 matches", status: 201, body: `{"ok":false}`, want: matched, failure: FailureStatus},
		{name: "204 matches", status: 204, want: matched, failure: FailureStatus},
		{name: "403 matches", status: 403, body: `{"ok":false}`, want: matched, failure: FailureStatus},
		{name: "500 matches", status: 500, want: matched, failure: FailureStatus},
		{name: "empty body matches", status: 200, body: ``, want: matched, failure: FailureDecode},
		{name: "wrong type matches", status: 200, body: `{"ok":"false"}`, want: matched, failure: FailureDecode},
		{name: "hang-up matches", handler: hangUp, want: matched, failure: FailureTransport},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := tt.handler
			if h == nil {
				h = replyWith(tt.status, tt.body)
			}
			c, _ := newHTTPTestClient(t, Config{}, "/bypass", h)
			res := c.Bypass(t.Context(), BypassRequest{Addr: "example.com:80", Network: "tcp"})
			assert.Equal(t, tt.want, res.Verdict)
			assert.Equal(t, tt.failure, res.Failure, res.Error())
			assertFailOpen(t, res)
		})
	}
}

func TestBypassHTTPBadURL(t *testing.T) {
	t.Parallel()
	c, err := New(Config{Addr: "http://127.0.0.1:1/a b\x7f", Transport: HTTP})
	require.NoError(t, err)
	res := c.Bypass(t.Context(), BypassRequest{})
	assert.Equal(t, FailureRequest, res.Failure)
	assert.Equal(t, BypassVerdict{Matched: true}, res.Verdict, "GOST treats a bad URL as matched")
	assertFailOpen(t, res)
}

func TestBypassOperation(t *testing.T) {
	t.Parallel()
	op, err := LookupOperation(Bypass, "")
	require.NoError(t, err)
	assert.Equal(t, "bypass", op.Name)
	assert.Equal(t, "/proto.Bypass/Bypass", op.GRPCMethod)
	assert.Equal(t, http.MethodPost, op.HTTPMethod)
	assert.Equal(t, BypassVerdict{Matched: true}, op.NilClientVerdict)
	assert.NotEmpty(t, op.NilClientEffect)
	assert.IsType(t, &BypassRequest{}, op.NewRequest())
}
