package mockclient

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/go-gost/plugin/observer/proto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	protov2 "google.golang.org/protobuf/proto"
)

// resultNoteCodes lists the codes of notes, in order, never nil.
type observerServer struct {
	proto.UnimplementedObserverServer
	reply *proto.ObserveReply
	err   error
}

func (s *observerServer) Observe(context.Context, *proto.ObserveRequest) (*proto.ObserveReply, error) {
	return s.reply, s.err
}

// observerEvents has one event of each kind plus one GOST drops. The status
// event carries a client and stats, and the stats event a status, which
// GOST's mapping leaves out.
func observerEvents() []ObserverEvent {
	return []ObserverEvent{
		{
			Kind: "service", Service: "svc", Client: "leaks", Type: "status",
			Status: &ObserverStatus{State: "running", Msg: "service svc is running"},
			Stats:  &ObserverStats{TotalConns: 9},
		},
		{
			Kind: "handler", Service: "svc", Client: "u1", Type: "stats",
			Stats:  &ObserverStats{TotalConns: 1, CurrentConns: 2, InputBytes: 3, OutputBytes: 4, TotalErrs: 5},
			Status: &ObserverStatus{State: "leaks"},
		},
		{Kind: "service", Service: "svc", Type: "Status"},
	}
}

func TestObserveGRPCRequest(t *testing.T) {
	t.Parallel()
	srv := &observerServer{reply: &proto.ObserveReply{Ok: true}}
	c, seen := newGRPCTestClient(t, Config{Token: "s3cret"}, func(s *grpc.Server) { proto.RegisterObserverServer(s, srv) })

	res := c.Observe(t.Context(), ObserverRequest{Events: observerEvents()})
	require.True(t, res.OK(), res.Error())
	assert.Equal(t, ObserverVerdict{OK: true}, res.Verdict)
	assert.Equal(t, []string{NoteDroppedEvent}, noteCodes(res.Notes), "the \"Status\" event is dropped: types match exactly")

	method, md, calls := seen.last()
	assert.Equal(t, "/proto.Observer/Observe", method)
	assert.Equal(t, 1, calls)
	assert.Equal(t, []string{"s3cret"}, md.Get("token"))
	assert.Empty(t, md.Get("grpc-timeout"))

	want := &proto.ObserveRequest{Events: []*proto.Event{
		{Kind: "service", Service: "svc", Type: "status", Status: &proto.ServiceStatus{State: "running", Msg: "service svc is running"}},
		{Kind: "handler", Service: "svc", Client: "u1", Type: "stats", Stats: &proto.Stats{TotalConns: 1, CurrentConns: 2, InputBytes: 3, OutputBytes: 4, TotalErrs: 5}},
	}}
	got := seen.messages[0].(*proto.ObserveRequest)
	assert.True(t, protov2.Equal(want, got), "got %v", got)
}

func TestObserveGRPCNilStatusAndStats(t *testing.T) {
	t.Parallel()
	srv := &observerServer{reply: &proto.ObserveReply{Ok: true}}
	c, seen := newGRPCTestClient(t, Config{}, func(s *grpc.Server) { proto.RegisterObserverServer(s, srv) })

	res := c.Observe(t.Context(), ObserverRequest{Events: []ObserverEvent{
		{Kind: "service", Service: "a", Type: "status"},
		{Kind: "handler", Service: "b", Type: "stats"},
	}})
	require.True(t, res.OK(), res.Error())
	got := seen.messages[0].(*proto.ObserveRequest)
	require.Len(t, got.Events, 2)
	assert.NotNil(t, got.Events[0].Status, "GOST always sets status on status events")
	assert.Nil(t, got.Events[0].Stats)
	assert.NotNil(t, got.Events[1].Stats, "GOST always sets stats on stats events")
	assert.Nil(t, got.Events[1].Status)
}

func TestObserveGRPCAllDroppedStillSent(t *testing.T) {
	t.Parallel()
	srv := &observerServer{reply: &proto.ObserveReply{Ok: true}}
	c, seen := newGRPCTestClient(t, Config{}, func(s *grpc.Server) { proto.RegisterObserverServer(s, srv) })

	res := c.Observe(t.Context(), ObserverRequest{Events: []ObserverEvent{{Type: "x"}, {Type: ""}}})
	require.True(t, res.OK(), res.Error())
	assert.True(t, res.Sent)
	assert.Equal(t, []string{NoteDroppedEvent, NoteDroppedEvent}, noteCodes(res.Notes))
	_, _, calls := seen.last()
	assert.Equal(t, 1, calls, "x checks the input length, not the events left after dropping")
	assert.Empty(t, seen.messages[0].(*proto.ObserveRequest).Events)
}

func TestObserveNoEventsNotSent(t *testing.T) {
	t.Parallel()
	srv := &observerServer{reply: &proto.ObserveReply{Ok: true}}
	gc, gseen := newGRPCTestClient(t, Config{}, func(s *grpc.Server) { proto.RegisterObserverServer(s, srv) })
	hc, hseen := newHTTPTestClient(t, Config{}, "/obs", replyWith(200, `{"ok":true}`))

	for _, c := range []*Client{gc, hc} {
		for _, events := range [][]ObserverEvent{nil, {}} {
			res := c.Observe(t.Context(), ObserverRequest{Events: events})
			assert.False(t, res.Sent)
			assert.True(t, res.OK())
			assert.Equal(t, ObserverVerdict{OK: true}, res.Verdict)
			assert.Equal(t, []string{NoteNotSent}, noteCodes(res.Notes))
		}
	}
	_, _, calls := gseen.last()
	assert.Zero(t, calls)
	_, _, _, _, hcalls := hseen.last()
	assert.Zero(t, hcalls)
}

func TestObserveGRPCVerdicts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		reply   *proto.ObserveReply
		err     error
		want    ObserverVerdict
		failure Failure
	}{
		{name: "ok", reply: &proto.ObserveReply{Ok: true}, want: ObserverVerdict{OK: true}},
		{name: "ok false is an error", reply: &proto.ObserveReply{}},
		{name: "status error", err: status.Error(codes.Internal, "boom"), failure: FailureStatus},
		{name: "unavailable", err: status.Error(codes.Unavailable, "down"), failure: FailureStatus},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := &observerServer{reply: tt.reply, err: tt.err}
			c, _ := newGRPCTestClient(t, Config{}, func(s *grpc.Server) { proto.RegisterObserverServer(s, srv) })
			res := c.Observe(t.Context(), ObserverRequest{Events: observerEvents()[:1]})
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

func TestObserveHTTPRequest(t *testing.T) {
	t.Parallel()
	c, seen := newHTTPTestClient(t, Config{Token: "s3cret"}, "/obs?x=1", replyWith(200, `{"ok":true}`))

	res := c.Observe(t.Context(), ObserverRequest{Events: observerEvents()})
	require.True(t, res.OK(), res.Error())
	assert.Equal(t, ObserverVerdict{OK: true}, res.Verdict)
	assert.Equal(t, []string{NoteDroppedEvent}, noteCodes(res.Notes))

	method, uri, header, body, _ := seen.last()
	assert.Equal(t, http.MethodPost, method)
	assert.Equal(t, "/obs?x=1", uri)
	assert.Equal(t, "application/json", header.Get("Content-Type"))
	assert.Equal(t, "Bearer s3cret", header.Get("Authorization"))
	assert.Equal(t, `{"events":[`+
		`{"kind":"service","service":"svc","type":"status","status":{"state":"running","msg":"service svc is running"}},`+
		`{"kind":"handler","service":"svc","client":"u1","type":"stats","stats":{"totalConns":1,"currentConns":2,"inputBytes":3,"outputBytes":4,"totalErrs":5}}`+
		`]}`, string(body))

	res = c.Observe(t.Context(), ObserverRequest{Events: []ObserverEvent{
		{Kind: "service", Service: "a", Type: "status"},
		{Kind: "service", Service: "b", Type: "stats"},
	}})
	require.True(t, res.OK(), res.Error())
	_, _, _, body, _ = seen.last()
	assert.Equal(t, `{"events":[`+
		`{"kind":"service","service":"a","type":"status","status":{"state":"","msg":""}},`+
		`{"kind":"service","service":"b","type":"stats","stats":{"totalConns":0,"currentConns":0,"inputBytes":0,"outputBytes":0,"totalErrs":0}}`+
		`]}`, string(body), "zero status and stats are still sent; an empty client is omitted")

	res = c.Observe(t.Context(), ObserverRequest{Events: []ObserverEvent{{Type: "bogus"}}})
	require.True(t, res.OK(), res.Error())
	_, _, _, body, calls := seen.last()
	assert.Equal(t, `{"events":null}`, string(body), "all events dropped: the empty batch is still sent")
	assert.Equal(t, 3, calls)
}

func TestObserveHTTPAddrWithoutScheme(t *testing.T) {
	t.Parallel()
	base, seen := newHTTPTestClient(t, Config{}, "/obs", replyWith(200, `{"ok":true}`))
	addr := strings.TrimPrefix(base.Config().Addr, "http://")
	c, err := New(Config{Addr: addr, Transport: HTTP, CallTimeout: testTimeout})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })

	res := c.Observe(t.Context(), ObserverRequest{Events: observerEvents()[:1]})
	require.True(t, res.OK(), res.Error())
	assert.Equal(t, ObserverVerdict{OK: true}, res.Verdict)
	assert.Equal(t, "http://"+addr, res.Target, "only the observer prepends http://")
	_, uri, _, _, calls := seen.last()
	assert.Equal(t, "/obs", uri)
	assert.Equal(t, 1, calls)

	res = c.Observe(t.Context(), ObserverRequest{})
	assert.Equal(t, "http://"+addr, res.Target)
	assert.False(t, res.Sent)
}

func TestObserveHTTPVerdicts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		status  int
		body    string
		want    ObserverVerdict
		failure Failure
	}{
		{name: "ok", status: 200, body: `{"ok":true}`, want: ObserverVerdict{OK: true}},
		{name: "keys match case-insensitively", status: 200, body: `{"OK":true}`, want: ObserverVerdict{OK: true}},
		{name: "trailing garbage ignored", status: 200, body: `{"ok":true}garbage`, want: ObserverVerdict{OK: true}},
		{name: "ok false", status: 200, body: `{"ok":false}`},
		{name: "null is not ok", status: 200, body: `null`},
		{name: "201", status: 201, body: `{"ok":true}`, failure: FailureStatus},
		{name: "204", status: 204, failure: FailureStatus},
		{name: "403", status: 403, body: `{"ok":true}`, failure: FailureStatus},
		{name: "500", status: 500, failure: FailureStatus},
		{name: "empty body", status: 200, body: ``, failure: FailureDecode},
		{name: "wrong type", status: 200, body: `{"ok":1}`, failure: FailureDecode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _ := newHTTPTestClient(t, Config{}, "/obs", replyWith(tt.status, tt.body))
			res := c.Observe(t.Context(), ObserverRequest{Events: observerEvents()[:1]})
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

func TestObserveOperation(t *testing.T) {
	t.Parallel()
	op, err := LookupOperation(Observer, "")
	require.NoError(t, err)
	assert.Equal(t, "observe", op.Name)
	assert.Equal(t, "/proto.Observer/Observe", op.GRPCMethod)
	assert.Equal(t, ObserverVerdict{OK: true}, op.NilClientVerdict)

	req := op.NewRequest()
	require.NoError(t, json.Unmarshal([]byte(`{"events":[{"kind":"handler","service":"s","client":"u","type":"stats","stats":{"totalConns":7,"inputBytes":9}}]}`), req))
	c, seen := newHTTPTestClient(t, Config{}, "/obs", replyWith(200, `{"ok":true}`))
	out := op.Do(t.Context(), c, req)
	require.True(t, out.OK(), out.Error())
	assert.Equal(t, ObserverVerdict{OK: true}, out.Verdict)
	_, _, _, body, _ := seen.last()
	assert.Equal(t, `{"events":[{"kind":"handler","service":"s","client":"u","type":"stats","stats":{"totalConns":7,"currentConns":0,"inputBytes":9,"outputBytes":0,"totalErrs":0}}]}`, string(body))
}
