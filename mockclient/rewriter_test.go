package mockclient

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/go-gost/plugin/rewriter/proto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

type rewriterServer struct {
	proto.UnimplementedRewriterServer
	reply *proto.RewriteReply
	err   error
}

func (s *rewriterServer) Rewrite(context.Context, *proto.RewriteRequest) (*proto.RewriteReply, error) {
	return s.reply, s.err
}

// rewriteMetadata is what GOST sends for a non-streaming response body.
func rewriteMetadata() map[string]any {
	return map[string]any{"sid": "s1", "direction": "response", "uri": "/x?y=1"}
}

func TestRewriteGRPCRequest(t *testing.T) {
	t.Parallel()
	srv := &rewriterServer{reply: &proto.RewriteReply{Ok: true, Data: []byte("new")}}
	c, seen := newGRPCTestClient(t, Config{Token: "s3cret"}, func(s *grpc.Server) { proto.RegisterRewriterServer(s, srv) })

	res := c.Rewrite(t.Context(), RewriterRequest{Data: []byte("orig"), Metadata: rewriteMetadata()})
	require.True(t, res.OK(), res.Error())
	assert.Equal(t, RewriterVerdict{Body: "new", Replaced: true}, res.Verdict)

	method, md, calls := seen.last()
	assert.Equal(t, "/proto.Rewriter/Rewrite", method)
	assert.Equal(t, 1, calls)
	assert.Equal(t, []string{"s3cret"}, md.Get("token"))
	assert.Empty(t, md.Get("grpc-timeout"))
	got := seen.messages[0].(*proto.RewriteRequest)
	assert.Equal(t, []byte("orig"), got.Data)
	assert.Equal(t, `{"direction":"response","sid":"s1","uri":"/x?y=1"}`, string(got.Metadata))

	res = c.Rewrite(t.Context(), RewriterRequest{})
	require.True(t, res.OK(), res.Error())
	got = seen.messages[1].(*proto.RewriteRequest)
	assert.Empty(t, got.Data, "the final SSE call sends nil data")
	assert.Equal(t, "null", string(got.Metadata))
}

func TestRewriteGRPCVerdicts(t *testing.T) {
	t.Parallel()
	original := RewriterVerdict{Body: "orig"}
	tests := []struct {
		name    string
		reply   *proto.RewriteReply
		err     error
		want    RewriterVerdict
		failure Failure
		notes   []string
	}{
		{name: "replaced", reply: &proto.RewriteReply{Ok: true, Data: []byte("new")}, want: RewriterVerdict{Body: "new", Replaced: true}},
		{name: "empty data keeps the original", reply: &proto.RewriteReply{Ok: true, Data: []byte{}}, want: original, notes: []string{NoteEmptyReply}},
		{name: "no data keeps the original", reply: &proto.RewriteReply{Ok: true}, want: original, notes: []string{NoteEmptyReply}},
		{name: "ok false keeps the original", reply: &proto.RewriteReply{Data: []byte("new")}, want: original},
		{name: "status error aborts", err: status.Error(codes.Internal, "boom"), want: RewriterVerdict{Body: "orig", Aborted: true}, failure: FailureStatus},
		{name: "unavailable aborts", err: status.Error(codes.Unavailable, "down"), want: RewriterVerdict{Body: "orig", Aborted: true}, failure: FailureStatus},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := &rewriterServer{reply: tt.reply, err: tt.err}
			c, _ := newGRPCTestClient(t, Config{}, func(s *grpc.Server) { proto.RegisterRewriterServer(s, srv) })
			res := c.Rewrite(t.Context(), RewriterRequest{Data: []byte("orig")})
			assert.Equal(t, tt.want, res.Verdict)
			assert.Equal(t, tt.failure, res.Failure, res.Error())
			assert.Equal(t, tt.notes, noteCodes(res.Notes))
		})
	}
}

func TestRewriteHTTPRequest(t *testing.T) {
	t.Parallel()
	c, seen := newHTTPTestClient(t, Config{Token: "s3cret"}, "/rw?x=1", replyWith(200, `{"ok":true,"data":"bmV3"}`))

	res := c.Rewrite(t.Context(), RewriterRequest{Data: []byte("orig"), Metadata: map[string]any{"sid": "s1"}})
	require.True(t, res.OK(), res.Error())
	assert.Equal(t, RewriterVerdict{Body: "new", Replaced: true}, res.Verdict)

	method, uri, header, body, _ := seen.last()
	assert.Equal(t, http.MethodPost, method)
	assert.Equal(t, "/rw?x=1", uri)
	assert.Equal(t, "application/json", header.Get("Content-Type"))
	assert.Equal(t, "Bearer s3cret", header.Get("Authorization"))
	// base64("orig") and base64(`{"sid":"s1"}`).
	assert.Equal(t, `{"data":"b3JpZw==","metadata":"eyJzaWQiOiJzMSJ9"}`, string(body))

	tests := []struct {
		name string
		data []byte
		body string
	}{
		{name: "nil data is null", data: nil, body: `{"data":null,"metadata":"bnVsbA=="}`},
		{name: "empty data is an empty string", data: []byte{}, body: `{"data":"","metadata":"bnVsbA=="}`},
	}
	for _, tt := range tests {
		res := c.Rewrite(t.Context(), RewriterRequest{Data: tt.data})
		require.True(t, res.OK(), res.Error())
		_, _, _, body, _ := seen.last()
		assert.Equal(t, tt.body, string(body), tt.name)
	}
}

func TestRewriteHTTPVerdicts(t *testing.T) {
	t.Parallel()
	original := RewriterVerdict{Body: "orig"}
	aborted := RewriterVerdict{Body: "orig", Aborted: true}
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    RewriterVerdict
		failure Failure
		notes   []string
	}{
		{name: "replaced", handler: replyWith(200, `{"ok":true,"data":"bmV3"}`), want: RewriterVerdict{Body: "new", Replaced: true}},
		{name: "keys match case-insensitively", handler: replyWith(200, `{"OK":true,"Data":"bmV3"}`), want: RewriterVerdict{Body: "new", Replaced: true}},
		{name: "trailing garbage ignored", handler: replyWith(200, `{"ok":true,"data":"bmV3"}garbage`), want: RewriterVerdict{Body: "new", Replaced: true}},
		{name: "empty string empties the body", handler: replyWith(200, `{"ok":true,"data":""}`), want: RewriterVerdict{Body: "", Replaced: true}},
		{name: "null data keeps the original", handler: replyWith(200, `{"ok":true,"data":null}`), want: original, notes: []string{NoteEmptyReply}},
		{name: "absent data keeps the original", handler: replyWith(200, `{"ok":true}`), want: original, notes: []string{NoteEmptyReply}},
		{name: "ok false keeps the original", handler: replyWith(200, `{"ok":false,"data":"bmV3"}`), want: original},
		{name: "null keeps the original", handler: replyWith(200, `null`), want: original},
		{name: "201 keeps the original", handler: replyWith(201, `{"ok":true,"data":"bmV3"}`), want: original, failure: FailureStatus},
		{name: "204 keeps the original", handler: replyWith(204, ``), want: original, failure: FailureStatus},
		{name: "403 keeps the original", handler: replyWith(403, `{"ok":true,"data":"bmV3"}`), want: original, failure: FailureStatus},
		{name: "500 keeps the original", handler: replyWith(500, ``), want: original, failure: FailureStatus},
		{name: "empty body aborts", handler: replyWith(200, ``), want: aborted, failure: FailureDecode},
		{name: "wrong type aborts", handler: replyWith(200, `{"ok":"true"}`), want: aborted, failure: FailureDecode},
		{name: "bad base64 aborts", handler: replyWith(200, `{"ok":true,"data":"!!"}`), want: aborted, failure: FailureDecode},
		{name: "transport error aborts", handler: hangUp, want: aborted, failure: FailureTransport},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _ := newHTTPTestClient(t, Config{}, "/rw", tt.handler)
			res := c.Rewrite(t.Context(), RewriterRequest{Data: []byte("orig")})
			assert.Equal(t, tt.want, res.Verdict)
			assert.Equal(t, tt.failure, res.Failure, res.Error())
			assert.Equal(t, tt.notes, noteCodes(res.Notes))
		})
	}
}

// hangUp closes the connection without answering.
func TestRewriteHTTPBadURLAborts(t *testing.T) {
	t.Parallel()
	c, err := New(Config{Addr: "http://127.0.0.1:1/a b\x7f", Transport: HTTP})
	require.NoError(t, err)
	res := c.Rewrite(t.Context(), RewriterRequest{Data: []byte("orig")})
	assert.Equal(t, FailureRequest, res.Failure)
	assert.Equal(t, RewriterVerdict{Body: "orig", Aborted: true}, res.Verdict)
}

func TestRewriteBadMetadataAborts(t *testing.T) {
	t.Parallel()
	c, seen := newHTTPTestClient(t, Config{}, "/rw", replyWith(200, `{"ok":true,"data":"bmV3"}`))
	res := c.Rewrite(t.Context(), RewriterRequest{Data: []byte("orig"), Metadata: map[string]any{"f": func() {}}})
	assert.False(t, res.Sent)
	assert.Equal(t, FailureRequest, res.Failure)
	assert.Equal(t, RewriterVerdict{Body: "orig", Aborted: true}, res.Verdict, "x returns (b, err) when metadata does not encode")
	_, _, _, _, calls := seen.last()
	assert.Zero(t, calls)
}

func TestRewriteOperation(t *testing.T) {
	t.Parallel()
	op, err := LookupOperation(Rewriter, "")
	require.NoError(t, err)
	assert.Equal(t, "rewrite", op.Name)
	assert.Equal(t, "/proto.Rewriter/Rewrite", op.GRPCMethod)
	assert.Equal(t, RewriterVerdict{}, op.NilClientVerdict)
	assert.NotEmpty(t, op.NilClientEffect)

	req := op.NewRequest()
	require.NoError(t, json.Unmarshal([]byte(`{"data":null,"metadata":{"sse_phase":"end","event_index":3}}`), req))
	c, seen := newHTTPTestClient(t, Config{}, "/rw", replyWith(200, `{"ok":true,"data":"ZW5k"}`))
	out := op.Do(t.Context(), c, req)
	require.True(t, out.OK(), out.Error())
	assert.Equal(t, RewriterVerdict{Body: "end", Replaced: true}, out.Verdict)
	_, _, _, body, _ := seen.last()
	// base64(`{"event_index":3,"sse_phase":"end"}`)
	assert.Equal(t, `{"data":null,"metadata":"eyJldmVudF9pbmRleCI6Mywic3NlX3BoYXNlIjoiZW5kIn0="}`, string(body))
}
