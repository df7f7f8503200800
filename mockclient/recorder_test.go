package mockclient

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/go-gost/plugin/recorder/proto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

type recorderServer struct {
	proto.UnimplementedRecorderServer
	reply *proto.RecordReply
	err   error
}

func (s *recorderServer) Record(context.Context, *proto.RecordRequest) (*proto.RecordReply, error) {
	return s.reply, s.err
}

func TestRecordGRPCRequest(t *testing.T) {
	t.Parallel()
	srv := &recorderServer{reply: &proto.RecordReply{Ok: true}}
	c, seen := newGRPCTestClient(t, Config{Token: "s3cret"}, func(s *grpc.Server) { proto.RegisterRecorderServer(s, srv) })

	res := c.Record(t.Context(), RecorderRequest{
		Data:     []byte("127.0.0.1"),
		Metadata: map[string]any{"z": 1, "a": "b", "hexdump": true},
	})
	require.True(t, res.OK(), res.Error())
	assert.Equal(t, RecorderVerdict{OK: true}, res.Verdict)
	assert.Empty(t, res.Notes)

	method, md, calls := seen.last()
	assert.Equal(t, "/proto.Recorder/Record", method)
	assert.Equal(t, 1, calls)
	assert.Equal(t, []string{"s3cret"}, md.Get("token"))
	assert.Empty(t, md.Get("grpc-timeout"))
	got := seen.messages[0].(*proto.RecordRequest)
	assert.Equal(t, []byte("127.0.0.1"), got.Data)
	assert.Equal(t, `{"a":"b","hexdump":true,"z":1}`, string(got.Metadata), "metadata is the JSON of the map, keys sorted")
}

func TestRecordGRPCSendsEmptyData(t *testing.T) {
	t.Parallel()
	srv := &recorderServer{reply: &proto.RecordReply{Ok: true}}
	c, seen := newGRPCTestClient(t, Config{}, func(s *grpc.Server) { proto.RegisterRecorderServer(s, srv) })

	res := c.Record(t.Context(), RecorderRequest{})
	require.True(t, res.OK(), res.Error())
	assert.True(t, res.Sent, "the gRPC recorder sends even empty data")
	assert.Equal(t, RecorderVerdict{OK: true}, res.Verdict)
	_, _, calls := seen.last()
	assert.Equal(t, 1, calls)
	got := seen.messages[0].(*proto.RecordRequest)
	assert.Empty(t, got.Data)
	assert.Equal(t, "null", string(got.Metadata), "a nil map is the 4 bytes null")
}

func TestRecordGRPCVerdicts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		reply   *proto.RecordReply
		err     error
		want    RecorderVerdict
		failure Failure
	}{
		{name: "ok", reply: &proto.RecordReply{Ok: true}, want: RecorderVerdict{OK: true}},
		{name: "ok false is an error", reply: &proto.RecordReply{}},
		{name: "status error", err: status.Error(codes.Internal, "boom"), failure: FailureStatus},
		{name: "unavailable", err: status.Error(codes.Unavailable, "down"), failure: FailureStatus},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := &recorderServer{reply: tt.reply, err: tt.err}
			c, _ := newGRPCTestClient(t, Config{}, func(s *grpc.Server) { proto.RegisterRecorderServer(s, srv) })
			res := c.Record(t.Context(), RecorderRequest{Data: []byte("x")})
			assert.Equal(t, tt.want, res.Verdict)
			assert.Equal(t, tt.failure, res.Failure, res.Error())
			if tt.want.OK {
				assert.Empty(t, res.Notes)
			} else {
				assert.Equal(t, []string{NoteNotDelivered}, noteCodes(res.Notes))
			}
		})
	}
}

func TestRecordHTTPRequest(t *testing.T) {
	t.Parallel()
	c, seen := newHTTPTestClient(t, Config{Token: "s3cret"}, "/rec?x=1", replyWith(200, `{"ok":true}`))

	res := c.Record(t.Context(), RecorderRequest{Data: []byte("127.0.0.1"), Metadata: map[string]any{"k": "v"}})
	require.True(t, res.OK(), res.Error())
	assert.Equal(t, RecorderVerdict{OK: true}, res.Verdict)

	method, uri, header, body, _ := seen.last()
	assert.Equal(t, http.MethodPost, method)
	assert.Equal(t, "/rec?x=1", uri)
	assert.Equal(t, "application/json", header.Get("Content-Type"))
	assert.Equal(t, "Bearer s3cret", header.Get("Authorization"))
	// "MTI3LjAuMC4x" is base64("127.0.0.1"), "eyJrIjoidiJ9" base64(`{"k":"v"}`).
	assert.Equal(t, `{"data":"MTI3LjAuMC4x","metadata":"eyJrIjoidiJ9"}`, string(body))

	res = c.Record(t.Context(), RecorderRequest{Data: []byte{0xff}})
	require.True(t, res.OK(), res.Error())
	_, _, _, body, _ = seen.last()
	assert.Equal(t, `{"data":"/w==","metadata":"bnVsbA=="}`, string(body), "a nil map is base64(\"null\")")
}

func TestRecordHTTPEmptyDataNotSent(t *testing.T) {
	t.Parallel()
	c, seen := newHTTPTestClient(t, Config{}, "/rec", replyWith(500, ``))

	for _, data := range [][]byte{nil, {}} {
		res := c.Record(t.Context(), RecorderRequest{Data: data, Metadata: map[string]any{"k": "v"}})
		assert.False(t, res.Sent)
		assert.True(t, res.OK())
		assert.Equal(t, RecorderVerdict{OK: true}, res.Verdict)
		assert.Equal(t, []string{NoteNotSent}, noteCodes(res.Notes))
		assert.Equal(t, http.MethodPost, res.Method)
	}
	_, _, _, _, calls := seen.last()
	assert.Zero(t, calls)
}

func TestRecordBadMetadata(t *testing.T) {
	t.Parallel()
	srv := &recorderServer{reply: &proto.RecordReply{Ok: true}}
	gc, gseen := newGRPCTestClient(t, Config{}, func(s *grpc.Server) { proto.RegisterRecorderServer(s, srv) })
	hc, hseen := newHTTPTestClient(t, Config{}, "/rec", replyWith(200, `{"ok":true}`))

	for _, c := range []*Client{gc, hc} {
		res := c.Record(t.Context(), RecorderRequest{Data: []byte("x"), Metadata: map[string]any{"f": func() {}}})
		assert.False(t, res.Sent)
		assert.Equal(t, FailureRequest, res.Failure)
		assert.Equal(t, RecorderVerdict{}, res.Verdict)
	}
	_, _, calls := gseen.last()
	assert.Zero(t, calls)
	_, _, _, _, hcalls := hseen.last()
	assert.Zero(t, hcalls)
}

func TestRecordHTTPVerdicts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		status  int
		body    string
		want    RecorderVerdict
		failure Failure
	}{
		{name: "ok", status: 200, body: `{"ok":true}`, want: RecorderVerdict{OK: true}},
		{name: "keys match case-insensitively", status: 200, body: `{"Ok":true}`, want: RecorderVerdict{OK: true}},
		{name: "trailing garbage ignored", status: 200, body: `{"ok":true} {"ok":false}`, want: RecorderVerdict{OK: true}},
		{name: "ok false", status: 200, body: `{"ok":false}`},
		{name: "null is not ok", status: 200, body: `null`},
		{name: "201", status: 201, body: `{"ok":true}`, failure: FailureStatus},
		{name: "204", status: 204, failure: FailureStatus},
		{name: "403", status: 403, body: `{"ok":true}`, failure: FailureStatus},
		{name: "500", status: 500, failure: FailureStatus},
		{name: "empty body", status: 200, body: ``, failure: FailureDecode},
		{name: "wrong type", status: 200, body: `{"ok":"true"}`, failure: FailureDecode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _ := newHTTPTestClient(t, Config{}, "/rec", replyWith(tt.status, tt.body))
			res := c.Record(t.Context(), RecorderRequest{Data: []byte("x")})
			assert.Equal(t, tt.want, res.Verdict)
			assert.Equal(t, tt.failure, res.Failure, res.Error())
			if tt.want.OK {
				assert.Empty(t, res.Notes)
			} else {
				assert.Equal(t, []string{NoteNotDelivered}, noteCodes(res.Notes))
			}
		})
	}
}

func TestRecordOperation(t *testing.T) {
	t.Parallel()
	op, err := LookupOperation(Recorder, "")
	require.NoError(t, err)
	assert.Equal(t, "record", op.Name)
	assert.Equal(t, "/proto.Recorder/Record", op.GRPCMethod)
	assert.Equal(t, RecorderVerdict{OK: true}, op.NilClientVerdict)

	req := op.NewRequest()
	require.NoError(t, json.Unmarshal([]byte(`{"data":"MTI3LjAuMC4x","metadata":null}`), req))
	c, seen := newHTTPTestClient(t, Config{}, "/rec", replyWith(200, `{"ok":true}`))
	out := op.Do(t.Context(), c, req)
	require.True(t, out.OK(), out.Error())
	_, _, _, body, _ := seen.last()
	assert.Equal(t, `{"data":"MTI3LjAuMC4x","metadata":"bnVsbA=="}`, string(body))
}
