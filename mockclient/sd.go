package mockclient

import (
	"context"
	"errors"
	"net/http"

	protov2 "google.golang.org/protobuf/proto"

	"github.com/go-gost/plugin/sd/proto"
	"google.golang.org/grpc"
)

// SDService is a service instance as GOST's tunnel and router handlers
// register it (x/sd/plugin). Renew and Deregister carry only id, name and
// node.
type SDService struct {
	// ID is the connector ID (a UUID string).
	ID string `json:"id"`
	// Name is the tunnel ID, or "<host>@<routerID>" for the router handler.
	Name string `json:"name"`
	// Node is this GOST node's random UUID; Get skips entries of its own node.
	Node string `json:"node"`
	// Network is "tcp" or "udp".
	Network string `json:"network"`
	// Address is the raw entrypoint string other nodes dial (e.g. ":8421").
	Address string `json:"address"`
}

// SDServiceRequest is the proto request of Register, Renew and Deregister.
// Over HTTP GOST sends the flat service object instead, not wrapped.
type SDServiceRequest struct {
	// Service is the instance; nil makes GOST return nil without a call.
	Service *SDService `json:"service"`
}

// SDVerdict is whether Register, Renew or Deregister returned nil. GOST only
// logs a failure (Renew errors are ignored outright).
type SDVerdict struct {
	OK bool `json:"ok"`
}

// SDGetRequest is the lookup GOST makes when no local connector exists for a
// tunnel, or for a router gateway.
type SDGetRequest struct {
	Name string `json:"name"`
}

// SDGetVerdict is Get's (services, err): OK is a nil error, and Services the
// non-nil entries of the reply in order. GOST dials the first entry whose
// node differs from its own and whose network matches.
type SDGetVerdict struct {
	OK       bool        `json:"ok"`
	Services []SDService `json:"services"`
}

// httpSDService is x's flat body for register, renew and deregister, and the
// entry type of its Get reply.
type httpSDService struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Node    string `json:"node"`
	Network string `json:"network"`
	Address string `json:"address"`
}

type httpSDGetReply struct {
	Services []*httpSDService `json:"services"`
}

const (
	methodSDRegister   = "/proto.SD/Register"
	methodSDRenew      = "/proto.SD/Renew"
	methodSDDeregister = "/proto.SD/Deregister"
	methodSDGet        = "/proto.SD/Get"
)

// errSDNullReply is the decode result GOST turns into a nil dereference.
var errSDNullReply = errors.New("decode reply: the body is JSON null; GOST decodes it into a pointer to a " +
	"pointer, which null sets to nil, and then dereferences it")

var sdOps = moduleOps{SD, []Operation{
	registerOp.operation(), renewOp.operation(), deregisterOp.operation(), sdGetOp.operation(),
}}

const sdEffect = "GOST skips service discovery"

var (
	registerOp = sdWriteOp("register", methodSDRegister, http.MethodPost,
		func(s *proto.Service) *proto.RegisterRequest { return &proto.RegisterRequest{Service: s} },
		proto.SDClient.Register)
	renewOp = sdWriteOp("renew", methodSDRenew, http.MethodPut,
		func(s *proto.Service) *proto.RenewRequest { return &proto.RenewRequest{Service: s} },
		proto.SDClient.Renew)
	deregisterOp = sdWriteOp("deregister", methodSDDeregister, http.MethodDelete,
		func(s *proto.Service) *proto.DeregisterRequest { return &proto.DeregisterRequest{Service: s} },
		proto.SDClient.Deregister)
)

// okReply is a v0.5.0 reply with an ok field.
type okReply interface {
	protov2.Message
	GetOk() bool
}

// sdWriteReply is what the verdict reads of a write call's reply: over gRPC
// the reply's ok, which GOST ignores; over HTTP nothing, since GOST never
// reads the body.
type sdWriteReply struct{ grpcOK *bool }

// sdWriteOp declares one of the three write calls, which differ only in
// their method and proto types: GOST's guard on a nil service, the proto
// request wrapping the service (the flat service object over HTTP), and x's
// rule that only an RPC error or a status other than 200 fails.
func sdWriteOp[M protov2.Message, G okReply](name, grpcMethod, httpMethod string,
	build func(*proto.Service) M,
	stub func(proto.SDClient, context.Context, M, ...grpc.CallOption) (G, error),
) *op[SDServiceRequest, SDVerdict, sdWriteReply] {
	return &op[SDServiceRequest, SDVerdict, sdWriteReply]{
		module: SD, name: name, grpcMethod: grpcMethod, httpMethod: httpMethod,
		skip: func(_ Transport, req SDServiceRequest) (SDVerdict, string, bool) {
			return SDVerdict{OK: true}, "GOST returns nil without a call when the service is nil", req.Service == nil
		},
		grpc: func(req SDServiceRequest) (grpcSpec[sdWriteReply], error) {
			msg := build(sdProtoService(req.Service))
			return unary(msg, func(ctx context.Context, cc grpc.ClientConnInterface, opts ...grpc.CallOption) (G, error) {
				return stub(proto.NewSDClient(cc), ctx, msg, opts...)
			}, func(r G) sdWriteReply {
				ok := r.GetOk()
				return sdWriteReply{grpcOK: &ok}
			}), nil
		},
		http: func(req SDServiceRequest) (httpSpec[sdWriteReply], error) {
			s := req.Service
			return httpSpec[sdWriteReply]{
				body: httpSDService{ID: s.ID, Name: s.Name, Node: s.Node, Network: s.Network, Address: s.Address},
			}, nil
		},
		verdict:         sdWriteVerdict,
		nilClient:       SDVerdict{OK: true},
		nilClientEffect: sdEffect,
	}
}

// sdWriteVerdict applies x's rule for the write calls: only a failed call
// fails; over gRPC the reply's ok is ignored.
func sdWriteVerdict(_ *Client, res *Result[SDVerdict], r sdWriteReply) {
	res.Verdict = SDVerdict{OK: true}
	if r.grpcOK != nil && !*r.grpcOK {
		res.note(NoteReplyIgnored, "the reply says ok=false, but GOST ignores ok over gRPC: only an RPC error fails")
	}
}

// Register announces a service instance (tunnel BIND, router associate).
func (c *Client) Register(ctx context.Context, req SDServiceRequest) Result[SDVerdict] {
	return registerOp.call(ctx, c, req)
}

// Renew refreshes a service instance; GOST sends it every tunnel.ttl or
// sd.renewInterval (15 s by default) with only id, name and node.
func (c *Client) Renew(ctx context.Context, req SDServiceRequest) Result[SDVerdict] {
	return renewOp.call(ctx, c, req)
}

// Deregister withdraws a service instance when its session ends. Over HTTP
// it is a DELETE with a body.
func (c *Client) Deregister(ctx context.Context, req SDServiceRequest) Result[SDVerdict] {
	return deregisterOp.call(ctx, c, req)
}

// sdProtoService maps the service field by field, as x does.
func sdProtoService(s *SDService) *proto.Service {
	return &proto.Service{Id: s.ID, Name: s.Name, Node: s.Node, Network: s.Network, Address: s.Address}
}

// sdGetReply is a Get reply as GOST reads it: the non-nil entries, or, over
// HTTP, a `null` body that GOST v0.15.2 dereferences.
type sdGetReply struct {
	services []SDService
	null     bool
}

// sdGetOp: over HTTP a GET with the name in the query. A `null` body makes
// GOST v0.15.2 dereference nil and crash; plugincheck reports it as a decode
// failure instead.
var sdGetOp = &op[SDGetRequest, SDGetVerdict, sdGetReply]{
	module: SD, name: "get", grpcMethod: methodSDGet, httpMethod: http.MethodGet,
	start: func(_ SDGetRequest, res *Result[SDGetVerdict]) { res.Verdict = SDGetVerdict{Services: []SDService{}} },
	grpc: func(req SDGetRequest) (grpcSpec[sdGetReply], error) {
		msg := &proto.GetServiceRequest{Name: req.Name}
		return unary(msg, func(ctx context.Context, cc grpc.ClientConnInterface, opts ...grpc.CallOption) (*proto.GetServiceReply, error) {
			return proto.NewSDClient(cc).Get(ctx, msg, opts...)
		}, func(r *proto.GetServiceReply) sdGetReply {
			var out sdGetReply
			for _, v := range r.GetServices() {
				if v != nil {
					out.services = append(out.services, SDService{ID: v.Id, Name: v.Name, Node: v.Node, Network: v.Network, Address: v.Address})
				}
			}
			return out
		}), nil
	},
	http: func(req SDGetRequest) (httpSpec[sdGetReply], error) {
		// x decodes into &res where res is already a pointer, so a `null`
		// body sets res to nil.
		reply := &httpSDGetReply{}
		return httpSpec[sdGetReply]{
			query: [][2]string{{"name", req.Name}},
			reply: &reply,
			read: func() sdGetReply {
				if reply == nil {
					return sdGetReply{null: true}
				}
				var out sdGetReply
				for _, v := range reply.Services {
					if v != nil {
						out.services = append(out.services, SDService{ID: v.ID, Name: v.Name, Node: v.Node, Network: v.Network, Address: v.Address})
					}
				}
				return out
			},
		}, nil
	},
	verdict: func(_ *Client, res *Result[SDGetVerdict], r sdGetReply) {
		if r.null {
			res.Failure, res.Err = FailureDecode, errSDNullReply
			res.note(NoteGOSTPanics, "GOST v0.15.2 dereferences nil on a `null` reply and the panic crashes the GOST process")
			return
		}
		res.Verdict.OK = true
		res.Verdict.Services = append(res.Verdict.Services, r.services...)
	},
	nilClient:       SDGetVerdict{OK: true, Services: []SDService{}},
	nilClientEffect: sdEffect + " (Get returns no services)",
}

// GetServices looks up the instances registered under a name. Over HTTP a
// body of `null` makes GOST v0.15.2 dereference nil and crash; plugincheck
// reports it as a decode failure instead.
func (c *Client) GetServices(ctx context.Context, req SDGetRequest) Result[SDGetVerdict] {
	return sdGetOp.call(ctx, c, req)
}
