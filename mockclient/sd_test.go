package mockclient

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/go-gost/plugin/sd/proto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	protov2 "google.golang.org/protobuf/proto"
)

type sdServer struct {
	proto.UnimplementedSDServer
	ok       bool
	services []*proto.Service
	err      error
}

func (s *sdServer) Register(context.Context, *proto.RegisterRequest) (*proto.RegisterReply, error) {
	return &proto.RegisterReply{Ok: s.ok}, s.err
}

func (s *sdServer) Renew(context.Context, *proto.RenewRequest) (*proto.RenewReply, error) {
	return &proto.RenewReply{Ok: s.ok}, s.err
}

func (s *sdServer) Deregister(context.Context, *proto.DeregisterRequest) (*proto.DeregisterReply, error) {
	return &proto.DeregisterReply{Ok: s.ok}, s.err
}

func (s *sdServer) Get(context.Context, *proto.GetServiceRequest) (*proto.GetServiceReply, error) {
	return &proto.GetServiceReply{Services: s.services}, s.err
}

// sdTestService is a tunnel BIND registration.
func sdTestService() *SDService {
	return &SDService{ID: "c1", Name: "t1", Node: "n1", Network: "tcp", Address: ":8421"}
}

// sdWrite names the three write calls for table tests.
type sdWrite struct {
	name       string
	grpcMethod string
	httpMethod string
	call       func(*Client, context.Context, SDServiceRequest) Result[SDVerdict]
}

func sdWrites() []sdWrite {
	return []sdWrite{
		{"register", "/proto.SD/Register", http.MethodPost, (*Client).Register},
		{"renew", "/proto.SD/Renew", http.MethodPut, (*Client).Renew},
		{"deregister", "/proto.SD/Deregister", http.MethodDelete, (*Client).Deregister},
	}
}

func TestSDOperationOrder(t *testing.T) {
	t.Parallel()
	ops := Operations(SD)
	require.Len(t, ops, 4)
	var names, methods []string
	for _, op := range ops {
		names = append(names, op.Name)
		methods = append(methods, op.GRPCMethod+" "+op.HTTPMethod)
	}
	assert.Equal(t, []string{"register", "renew", "deregister", "get"}, names)
	assert.Equal(t, []string{"/proto.SD/Register POST", "/proto.SD/Renew PUT", "/proto.SD/Deregister DELETE", "/proto.SD/Get GET"}, methods)
}

func TestSDWriteGRPCRequest(t *testing.T) {
	t.Parallel()
	svc := &proto.Service{Id: "c1", Name: "t1", Node: "n1", Network: "tcp", Address: ":8421"}
	want := map[string]protov2.Message{
		"register":   &proto.RegisterRequest{Service: svc},
		"renew":      &proto.RenewRequest{Service: svc},
		"deregister": &proto.DeregisterRequest{Service: svc},
	}
	for _, w := range sdWrites() {
		t.Run(w.name, func(t *testing.T) {
			t.Parallel()
			srv := &sdServer{ok: true}
			c, seen := newGRPCTestClient(t, Config{Token: "s3cret"}, func(s *grpc.Server) { proto.RegisterSDServer(s, srv) })
			res := w.call(c, t.Context(), SDServiceRequest{Service: sdTestService()})
			require.True(t, res.OK(), res.Error())
			assert.Equal(t, SDVerdict{OK: true}, res.Verdict)
			assert.Empty(t, res.Notes)

			method, md, calls := seen.last()
			assert.Equal(t, w.grpcMethod, method)
			assert.Equal(t, 1, calls)
			assert.Equal(t, []string{"s3cret"}, md.Get("token"))
			assert.Empty(t, md.Get("grpc-timeout"))
			assert.True(t, protov2.Equal(want[w.name], seen.messages[0].(protov2.Message)), "got %v", seen.messages[0])
		})
	}
}

func TestSDWriteGRPCVerdicts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		ok      bool
		err     error
		want    SDVerdict
		failure Failure
		notes   []string
	}{
		{name: "ok", ok: true, want: SDVerdict{OK: true}},
		{name: "ok false is ignored", want: SDVerdict{OK: true}, notes: []string{NoteReplyIgnored}},
		{name: "status error", err: status.Error(codes.Internal, "boom"), failure: FailureStatus},
		{name: "unavailable", err: status.Error(codes.Unavailable, "down"), failure: FailureStatus},
	}
	for _, w := range sdWrites() {
		for _, tt := range tests {
			t.Run(w.name+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				srv := &sdServer{ok: tt.ok, err: tt.err}
				c, _ := newGRPCTestClient(t, Config{}, func(s *grpc.Server) { proto.RegisterSDServer(s, srv) })
				res := w.call(c, t.Context(), SDServiceRequest{Service: sdTestService()})
				assert.Equal(t, tt.want, res.Verdict)
				assert.Equal(t, tt.failure, res.Failure, res.Error())
				assert.Equal(t, tt.notes, noteCodes(res.Notes))
			})
		}
	}
}

func TestSDWriteNilServiceNotSent(t *testing.T) {
	t.Parallel()
	srv := &sdServer{ok: true}
	gc, gseen := newGRPCTestClient(t, Config{}, func(s *grpc.Server) { proto.RegisterSDServer(s, srv) })
	hc, hseen := newHTTPTestClient(t, Config{}, "/sd", replyWith(500, ``))

	for _, w := range sdWrites() {
		for _, c := range []*Client{gc, hc} {
			res := w.call(c, t.Context(), SDServiceRequest{})
			assert.False(t, res.Sent)
			assert.True(t, res.OK())
			assert.Equal(t, SDVerdict{OK: true}, res.Verdict)
			assert.Equal(t, []string{NoteNotSent}, noteCodes(res.Notes))
			if c == gc {
				assert.Equal(t, w.grpcMethod, res.Method)
			} else {
				assert.Equal(t, w.httpMethod, res.Method)
			}
		}
	}
	_, _, calls := gseen.last()
	assert.Zero(t, calls)
	_, _, _, _, hcalls := hseen.last()
	assert.Zero(t, hcalls)
}

func TestSDWriteHTTPRequest(t *testing.T) {
	t.Parallel()
	for _, w := range sdWrites() {
		t.Run(w.name, func(t *testing.T) {
			t.Parallel()
			c, seen := newHTTPTestClient(t, Config{Token: "s3cret"}, "/sd?x=1", replyWith(200, ``))
			res := w.call(c, t.Context(), SDServiceRequest{Service: sdTestService()})
			require.True(t, res.OK(), res.Error())
			assert.Equal(t, SDVerdict{OK: true}, res.Verdict)

			method, uri, header, body, _ := seen.last()
			assert.Equal(t, w.httpMethod, method)
			assert.Equal(t, "/sd?x=1", uri)
			assert.Equal(t, "application/json", header.Get("Content-Type"))
			assert.Equal(t, "Bearer s3cret", header.Get("Authorization"))
			assert.Equal(t, `{"id":"c1","name":"t1","node":"n1","network":"tcp","address":":8421"}`, string(body),
				"the flat service object, not wrapped in {\"service\":…}")

			res = w.call(c, t.Context(), SDServiceRequest{Service: &SDService{ID: "c1", Name: "t1", Node: "n1"}})
			require.True(t, res.OK(), res.Error())
			_, _, _, body, _ = seen.last()
			assert.Equal(t, `{"id":"c1","name":"t1","node":"n1","network":"","address":""}`, string(body), "no omitempty")
		})
	}
}

func TestSDWriteHTTPVerdicts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		status  int
		body    string
		want    SDVerdict
		failure Failure
	}{
		{name: "200 empty body", status: 200, body: ``, want: SDVerdict{OK: true}},
		{name: "200 ok false is not read", status: 200, body: `{"ok":false}`, want: SDVerdict{OK: true}},
		{name: "200 garbage is not read", status: 200, body: `not json`, want: SDVerdict{OK: true}},
		{name: "200 wrong type is not read", status: 200, body: `{"ok":"no"}`, want: SDVerdict{OK: true}},
		{name: "200 null", status: 200, body: `null`, want: SDVerdict{OK: true}},
		{name: "201", status: 201, body: `{"ok":true}`, failure: FailureStatus},
		{name: "204", status: 204, failure: FailureStatus},
		{name: "403", status: 403, body: `{"ok":true}`, failure: FailureStatus},
		{name: "500", status: 500, failure: FailureStatus},
	}
	for _, w := range sdWrites() {
		for _, tt := range tests {
			t.Run(w.name+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				c, _ := newHTTPTestClient(t, Config{}, "/sd", replyWith(tt.status, tt.body))
				res := w.call(c, t.Context(), SDServiceRequest{Service: sdTestService()})
				assert.Equal(t, tt.want, res.Verdict)
				assert.Equal(t, tt.failure, res.Failure, res.Error())
				assert.Empty(t, res.Notes)
			})
		}
	}
}

func TestSDGetGRPCRequest(t *testing.T) {
	t.Parallel()
	srv := &sdServer{services: []*proto.Service{
		{Id: "c1", Name: "t1", Node: "n1", Network: "tcp", Address: ":8421"},
		{Id: "c2", Name: "t1", Node: "n2", Network: "udp", Address: "10.0.0.2:53"},
	}}
	c, seen := newGRPCTestClient(t, Config{Token: "s3cret"}, func(s *grpc.Server) { proto.RegisterSDServer(s, srv) })

	res := c.GetServices(t.Context(), SDGetRequest{Name: "t1"})
	require.True(t, res.OK(), res.Error())
	assert.Equal(t, SDGetVerdict{OK: true, Services: []SDService{
		{ID: "c1", Name: "t1", Node: "n1", Network: "tcp", Address: ":8421"},
		{ID: "c2", Name: "t1", Node: "n2", Network: "udp", Address: "10.0.0.2:53"},
	}}, res.Verdict)

	method, md, calls := seen.last()
	assert.Equal(t, "/proto.SD/Get", method)
	assert.Equal(t, 1, calls)
	assert.Equal(t, []string{"s3cret"}, md.Get("token"))
	assert.Empty(t, md.Get("grpc-timeout"))
	assert.True(t, protov2.Equal(&proto.GetServiceRequest{Name: "t1"}, seen.messages[0].(protov2.Message)))
}

func TestSDGetGRPCVerdicts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		services []*proto.Service
		err      error
		want     SDGetVerdict
		failure  Failure
	}{
		{name: "one", services: []*proto.Service{{Id: "c1"}}, want: SDGetVerdict{OK: true, Services: []SDService{{ID: "c1"}}}},
		{name: "none", want: SDGetVerdict{OK: true, Services: []SDService{}}},
		{name: "status error", err: status.Error(codes.Internal, "boom"), want: SDGetVerdict{Services: []SDService{}}, failure: FailureStatus},
		{name: "unavailable", err: status.Error(codes.Unavailable, "down"), want: SDGetVerdict{Services: []SDService{}}, failure: FailureStatus},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := &sdServer{services: tt.services, err: tt.err}
			c, _ := newGRPCTestClient(t, Config{}, func(s *grpc.Server) { proto.RegisterSDServer(s, srv) })
			res := c.GetServices(t.Context(), SDGetRequest{Name: "t1"})
			assert.Equal(t, tt.want, res.Verdict)
			assert.Equal(t, tt.failure, res.Failure, res.Error())
		})
	}
}

func TestSDGetHTTPRequest(t *testing.T) {
	t.Parallel()
	c, seen := newHTTPTestClient(t, Config{Token: "s3cret"}, "/sd?x=1", replyWith(200, `{"services":[]}`))

	res := c.GetServices(t.Context(), SDGetRequest{Name: "gw 1@r/1"})
	require.True(t, res.OK(), res.Error())
	assert.Equal(t, SDGetVerdict{OK: true, Services: []SDService{}}, res.Verdict)

	method, uri, header, body, _ := seen.last()
	assert.Equal(t, http.MethodGet, method)
	assert.Equal(t, "/sd?name=gw+1%40r%2F1&x=1", uri, "Query().Set then Encode: sorted and escaped")
	assert.Equal(t, "application/json", header.Get("Content-Type"), "set even on a bodiless GET")
	assert.Equal(t, "Bearer s3cret", header.Get("Authorization"))
	assert.Empty(t, body)

	res = c.GetServices(t.Context(), SDGetRequest{})
	require.True(t, res.OK(), res.Error())
	_, uri, _, _, _ = seen.last()
	assert.Equal(t, "/sd?name=&x=1", uri, "name is set even when empty")
}

func TestSDGetHTTPVerdicts(t *testing.T) {
	t.Parallel()
	none := []SDService{}
	tests := []struct {
		name    string
		status  int
		body    string
		want    SDGetVerdict
		failure Failure
		notes   []string
	}{
		{
			name: "services", status: 200,
			body: `{"services":[{"id":"c1","name":"t1","node":"n1","network":"tcp","address":":8421"},{"id":"c2"}]}`,
			want: SDGetVerdict{OK: true, Services: []SDService{{ID: "c1", Name: "t1", Node: "n1", Network: "tcp", Address: ":8421"}, {ID: "c2"}}},
		},
		{name: "null entries skipped", status: 200, body: `{"services":[null,{"id":"c2"},null]}`, want: SDGetVerdict{OK: true, Services: []SDService{{ID: "c2"}}}},
		{name: "keys match case-insensitively", status: 200, body: `{"Services":[{"ID":"c1","NETWORK":"udp"}]}`, want: SDGetVerdict{OK: true, Services: []SDService{{ID: "c1", Network: "udp"}}}},
		{name: "trailing garbage ignored", status: 200, body: `{"services":[{"id":"c1"}]}garbage`, want: SDGetVerdict{OK: true, Services: []SDService{{ID: "c1"}}}},
		{name: "null services", status: 200, body: `{"services":null}`, want: SDGetVerdict{OK: true, Services: none}},
		{name: "empty object", status: 200, body: `{}`, want: SDGetVerdict{OK: true, Services: none}},
		{name: "null body panics GOST", status: 200, body: `null`, want: SDGetVerdict{Services: none}, failure: FailureDecode, notes: []string{NoteGOSTPanics}},
		{name: "null body with garbage panics GOST", status: 200, body: ` null {"services":[]}`, want: SDGetVerdict{Services: none}, failure: FailureDecode, notes: []string{NoteGOSTPanics}},
		{name: "201", status: 201, body: `{"services":[]}`, want: SDGetVerdict{Services: none}, failure: FailureStatus},
		{name: "204", status: 204, want: SDGetVerdict{Services: none}, failure: FailureStatus},
		{name: "403", status: 403, body: `{"services":[]}`, want: SDGetVerdict{Services: none}, failure: FailureStatus},
		{name: "500", status: 500, want: SDGetVerdict{Services: none}, failure: FailureStatus},
		{name: "empty body", status: 200, body: ``, want: SDGetVerdict{Services: none}, failure: FailureDecode},
		{name: "wrong type", status: 200, body: `{"services":{}}`, want: SDGetVerdict{Services: none}, failure: FailureDecode},
		{name: "wrong entry type", status: 200, body: `{"services":[{"id":1}]}`, want: SDGetVerdict{Services: none}, failure: FailureDecode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _ := newHTTPTestClient(t, Config{}, "/sd", replyWith(tt.status, tt.body))
			res := c.GetServices(t.Context(), SDGetRequest{Name: "t1"})
			assert.Equal(t, tt.want, res.Verdict)
			assert.Equal(t, tt.failure, res.Failure, res.Error())
			assert.Equal(t, tt.notes, noteCodes(res.Notes))
			if tt.failure != FailureNone {
				assert.Error(t, res.Err)
			}
		})
	}
}

func TestSDOperations(t *testing.T) {
	t.Parallel()
	op, err := LookupOperation(SD, "")
	require.NoError(t, err)
	assert.Equal(t, "register", op.Name, "register is the default")
	assert.Equal(t, SDVerdict{OK: true}, op.NilClientVerdict)
	get, err := LookupOperation(SD, "get")
	require.NoError(t, err)
	assert.Equal(t, SDGetVerdict{OK: true, Services: []SDService{}}, get.NilClientVerdict)

	c, seen := newHTTPTestClient(t, Config{}, "/sd", replyWith(200, `{"services":[{"id":"c1"}]}`))
	req := op.NewRequest()
	require.NoError(t, json.Unmarshal([]byte(`{"service":{"id":"c1","name":"t1","node":"n1","network":"udp","address":":1"}}`), req))
	out := op.Do(t.Context(), c, req)
	require.True(t, out.OK(), out.Error())
	_, _, _, body, _ := seen.last()
	assert.Equal(t, `{"id":"c1","name":"t1","node":"n1","network":"udp","address":":1"}`, string(body))

	req = get.NewRequest()
	require.NoError(t, json.Unmarshal([]byte(`{"name":"t1"}`), req))
	out = get.Do(t.Context(), c, req)
	require.True(t, out.OK(), out.Error())
	assert.Equal(t, SDGetVerdict{OK: true, Services: []SDService{{ID: "c1"}}}, out.Verdict)
	_, uri, _, _, _ := seen.last()
	assert.Equal(t, "/sd?name=t1", uri)
}
