package mockclient

import (
	"context"
	"math"
	"net/http"
	"runtime"
	"testing"

	"github.com/go-gost/plugin/limiter/traffic/proto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

type limiterServer struct {
	proto.UnimplementedLimiterServer
	reply *proto.LimitReply
	err   error
}

func (s *limiterServer) Limit(context.Context, *proto.LimitRequest) (*proto.LimitReply, error) {
	return s.reply, s.err
}

func TestLimitGRPCRequest(t *testing.T) {
	t.Parallel()
	srv := &limiterServer{reply: &proto.LimitReply{In: 1024, Out: 2048}}
	c, seen := newGRPCTestClient(t, Config{Token: "s3cret"}, func(s *grpc.Server) { proto.RegisterLimiterServer(s, srv) })

	req := LimiterRequest{Network: "tcp", Addr: "example.com:443", Client: "u1", Src: "10.0.0.1:1234", Service: "svc", Scope: "client"}
	res := c.Limit(t.Context(), req)
	require.True(t, res.OK(), res.Error())

	method, md, calls := seen.last()
	assert.Equal(t, "/proto.Limiter/Limit", method)
	assert.Equal(t, 1, calls, "one call reports both directions")
	assert.Equal(t, []string{"s3cret"}, md.Get("token"))
	assert.Empty(t, md.Get("grpc-timeout"))

	got := seen.messages[0].(*proto.LimitRequest)
	assert.Equal(t, "tcp", got.Network)
	assert.Equal(t, "example.com:443", got.Addr)
	assert.Equal(t, "u1", got.Client)
	assert.Equal(t, "10.0.0.1:1234", got.Src)
	assert.Equal(t, "svc", got.Service)
	assert.Equal(t, "client", got.Scope)
	assert.Equal(t, LimiterVerdict{In: 1024, Out: 2048, Cached: true}, res.Verdict)
	assert.Empty(t, res.Notes)
}

var failedLimitNotes = []string{NoteUnlimited, NoteNotCached, NoteFailOpen}

func TestLimitGRPCVerdicts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		reply   *proto.LimitReply
		err     error
		want    LimiterVerdict
		failure Failure
		notes   []string
	}{
		{name: "rates", reply: &proto.LimitReply{In: 100 << 10, Out: 200 << 10}, want: LimiterVerdict{In: 100 << 10, Out: 200 << 10, Cached: true}},
		{name: "the floor itself passes", reply: &proto.LimitReply{In: LimiterFloor, Out: LimiterFloor}, want: LimiterVerdict{In: LimiterFloor, Out: LimiterFloor, Cached: true}},
		{name: "below the floor warns", reply: &proto.LimitReply{In: 1, Out: LimiterFloor - 1}, want: LimiterVerdict{In: 1, Out: LimiterFloor - 1, Cached: true}, notes: []string{NoteLimiterFloor, NoteLimiterFloor}},
		{name: "zero is unlimited", reply: &proto.LimitReply{In: 0, Out: 200 << 10}, want: LimiterVerdict{Out: 200 << 10, Cached: true}, notes: []string{NoteUnlimited}},
		{name: "negative is unlimited", reply: &proto.LimitReply{In: 100 << 10, Out: -5}, want: LimiterVerdict{In: 100 << 10, Cached: true}, notes: []string{NoteUnlimited}},
		{name: "both unlimited", reply: &proto.LimitReply{}, want: LimiterVerdict{Cached: true}, notes: []string{NoteUnlimited, NoteUnlimited}},
		{name: "float64 rounding", reply: &proto.LimitReply{In: 1<<53 + 1, Out: 1 << 20}, want: LimiterVerdict{In: 1 << 53, Out: 1 << 20, Cached: true}},
		{name: "status error is unlimited", err: status.Error(codes.Internal, "boom"), failure: FailureStatus, notes: failedLimitNotes},
		{name: "unavailable is unlimited", err: status.Error(codes.Unavailable, "down"), failure: FailureStatus, notes: failedLimitNotes},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := &limiterServer{reply: tt.reply, err: tt.err}
			c, _ := newGRPCTestClient(t, Config{}, func(s *grpc.Server) { proto.RegisterLimiterServer(s, srv) })
			res := c.Limit(t.Context(), LimiterRequest{Scope: "conn"})
			assert.Equal(t, tt.want, res.Verdict)
			assert.Equal(t, tt.failure, res.Failure)
			assert.Equal(t, tt.notes, noteCodes(res.Notes), res.Notes)
		})
	}
}

func TestLimitUnlimitedNoteText(t *testing.T) {
	t.Parallel()
	srv := &limiterServer{reply: &proto.LimitReply{In: -5, Out: 0}}
	c, _ := newGRPCTestClient(t, Config{}, func(s *grpc.Server) { proto.RegisterLimiterServer(s, srv) })
	res := c.Limit(t.Context(), LimiterRequest{})
	assert.Equal(t, []Note{
		{Code: NoteUnlimited, Text: "in=-5 ≤ 0: GOST applies no limit"},
		{Code: NoteUnlimited, Text: "out=0 ≤ 0: GOST applies no limit"},
	}, res.Notes)
}

func TestLimitFloorNoteText(t *testing.T) {
	t.Parallel()
	srv := &limiterServer{reply: &proto.LimitReply{In: 1, Out: 512}}
	c, _ := newGRPCTestClient(t, Config{}, func(s *grpc.Server) { proto.RegisterLimiterServer(s, srv) })
	res := c.Limit(t.Context(), LimiterRequest{})
	assert.Equal(t, []Note{
		{Code: NoteLimiterFloor, Text: "in=1 is below 1 KiB/s: GOST reads from the connection at most 1 bytes per second " +
			"(burst 1 bytes, no deadline), so a 4 KiB exchange takes 1h8m16s; no real connection survives it, " +
			"clients and servers time out while GOST keeps throttling"},
		{Code: NoteLimiterFloor, Text: "out=512 is below 1 KiB/s: GOST writes to the connection at most 512 bytes per second " +
			"(burst 512 bytes, no deadline), so a 4 KiB exchange takes 8s; no real connection survives it, " +
			"clients and servers time out while GOST keeps throttling"},
	}, res.Notes)
}

func TestLimitOverflowIsUnlimited(t *testing.T) {
	t.Parallel()
	if runtime.GOARCH != "amd64" {
		t.Skip("the float64 → int overflow result is platform-specific; pinned for amd64")
	}
	srv := &limiterServer{reply: &proto.LimitReply{In: math.MaxInt64, Out: 1 << 20}}
	c, _ := newGRPCTestClient(t, Config{}, func(s *grpc.Server) { proto.RegisterLimiterServer(s, srv) })
	res := c.Limit(t.Context(), LimiterRequest{})
	assert.Equal(t, LimiterVerdict{Out: 1 << 20, Cached: true}, res.Verdict, "GOST's int(rate.Limit(MaxInt64)) is negative on amd64")
	assert.Equal(t, []string{NoteUnlimited}, noteCodes(res.Notes))
}

func TestLimitHTTPRequest(t *testing.T) {
	t.Parallel()
	c, seen := newHTTPTestClient(t, Config{Token: "s3cret"}, "/limiter?x=1", replyWith(200, `{"in":1024,"out":2048}`))

	res := c.Limit(t.Context(), LimiterRequest{Network: "tcp", Addr: "example.com:443", Client: "u1", Src: "10.0.0.1:1234", Service: "svc", Scope: "client"})
	require.True(t, res.OK(), res.Error())
	assert.Equal(t, LimiterVerdict{In: 1024, Out: 2048, Cached: true}, res.Verdict)

	method, uri, header, body, calls := seen.last()
	assert.Equal(t, 1, calls)
	assert.Equal(t, http.MethodPost, method)
	assert.Equal(t, "/limiter?x=1", uri, "GOST uses addr verbatim")
	assert.Equal(t, "application/json", header.Get("Content-Type"))
	assert.Equal(t, "Bearer s3cret", header.Get("Authorization"))
	assert.Equal(t, `{"service":"svc","scope":"client","network":"tcp","addr":"example.com:443","client":"u1","src":"10.0.0.1:1234"}`, string(body))

	res = c.Limit(t.Context(), LimiterRequest{})
	require.True(t, res.OK(), res.Error())
	_, _, _, body, _ = seen.last()
	assert.Equal(t, `{"service":"","scope":"","network":"","addr":"","client":"","src":""}`, string(body))
}

func TestLimitHTTPVerdicts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		status  int
		body    string
		want    LimiterVerdict
		failure Failure
		notes   []string
	}{
		{name: "rates", status: 200, body: `{"in":102400,"out":204800}`, want: LimiterVerdict{In: 100 << 10, Out: 200 << 10, Cached: true}},
		{name: "below the floor warns", status: 200, body: `{"in":1,"out":1}`, want: LimiterVerdict{In: 1, Out: 1, Cached: true}, notes: []string{NoteLimiterFloor, NoteLimiterFloor}},
		{name: "keys match case-insensitively", status: 200, body: `{"IN":102400,"Out":204800}`, want: LimiterVerdict{In: 100 << 10, Out: 200 << 10, Cached: true}},
		{name: "trailing garbage ignored", status: 200, body: `{"in":102400,"out":204800}garbage`, want: LimiterVerdict{In: 100 << 10, Out: 200 << 10, Cached: true}},
		{name: "zero and negative are unlimited", status: 200, body: `{"in":0,"out":-5}`, want: LimiterVerdict{Cached: true}, notes: []string{NoteUnlimited, NoteUnlimited}},
		{name: "null is unlimited but cached", status: 200, body: `null`, want: LimiterVerdict{Cached: true}, notes: []string{NoteUnlimited, NoteUnlimited}},
		{name: "201 is unlimited", status: 201, body: `{"in":1,"out":1}`, failure: FailureStatus, notes: failedLimitNotes},
		{name: "204 is unlimited", status: 204, failure: FailureStatus, notes: failedLimitNotes},
		{name: "403 is unlimited", status: 403, failure: FailureStatus, notes: failedLimitNotes},
		{name: "500 is unlimited", status: 500, failure: FailureStatus, notes: failedLimitNotes},
		{name: "empty body is unlimited", status: 200, failure: FailureDecode, notes: failedLimitNotes},
		{name: "wrong type is unlimited", status: 200, body: `{"in":"100"}`, failure: FailureDecode, notes: failedLimitNotes},
		{name: "fraction is unlimited", status: 200, body: `{"in":1.5}`, failure: FailureDecode, notes: failedLimitNotes},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _ := newHTTPTestClient(t, Config{}, "/limiter", replyWith(tt.status, tt.body))
			res := c.Limit(t.Context(), LimiterRequest{Scope: "conn"})
			assert.Equal(t, tt.want, res.Verdict)
			assert.Equal(t, tt.failure, res.Failure, res.Error())
			assert.Equal(t, tt.notes, noteCodes(res.Notes), res.Notes)
		})
	}
}
