package mockclient

import (
	"context"
	"errors"
	"net/http"

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

func init() {
	const effect = "GOST skips service discovery"
	register(opSpec[SDServiceRequest, SDVerdict]{
		module: SD, name: "register", grpcMethod: methodSDRegister, httpMethod: http.MethodPost,
		call: (*Client).Register, nilClient: SDVerdict{OK: true}, nilClientEffect: effect,
	})
	register(opSpec[SDServiceRequest, SDVerdict]{
		module: SD, name: "renew", grpcMethod: methodSDRenew, httpMethod: http.MethodPut,
		call: (*Client).Renew, nilClient: SDVerdict{OK: true}, nilClientEffect: effect,
	})
	register(opSpec[SDServiceRequest, SDVerdict]{
		module: SD, name: "deregister", grpcMethod: methodSDDeregister, httpMethod: http.MethodDelete,
		call: (*Client).Deregister, nilClient: SDVerdict{OK: true}, nilClientEffect: effect,
	})
	register(opSpec[SDGetRequest, SDGetVerdict]{
		module: SD, name: "get", grpcMethod: methodSDGet, httpMethod: http.MethodGet,
		call:            (*Client).GetServices,
		nilClient:       SDGetVerdict{OK: true, Services: []SDService{}},
		nilClientEffect: effect + " (Get returns no services)",
	})
}

// Register announces a service instance (tunnel BIND, router associate).
func (c *Client) Register(ctx context.Context, req SDServiceRequest) Result[SDVerdict] {
	if res, skip := c.sdSkip(req, methodSDRegister, http.MethodPost); skip {
		return res
	}
	if c.transport == GRPC {
		msg := &proto.RegisterRequest{Service: sdProtoService(req.Service)}
		stub := proto.NewSDClient(c.conn)
		reply, obs := callGRPC(ctx, c, methodSDRegister, msg,
			func(ctx context.Context, opts ...grpc.CallOption) (*proto.RegisterReply, error) {
				return stub.Register(ctx, msg, opts...)
			})
		return sdGRPCResult(obs, reply.GetOk())
	}
	return c.sdHTTP(ctx, http.MethodPost, req.Service)
}

// Renew refreshes a service instance; GOST sends it every tunnel.ttl or
// sd.renewInterval (15 s by default) with only id, name and node.
func (c *Client) Renew(ctx context.Context, req SDServiceRequest) Result[SDVerdict] {
	if res, skip := c.sdSkip(req, methodSDRenew, http.MethodPut); skip {
		return res
	}
	if c.transport == GRPC {
		msg := &proto.RenewRequest{Service: sdProtoService(req.Service)}
		stub := proto.NewSDClient(c.conn)
		reply, obs := callGRPC(ctx, c, methodSDRenew, msg,
			func(ctx context.Context, opts ...grpc.CallOption) (*proto.RenewReply, error) {
				return stub.Renew(ctx, msg, opts...)
			})
		return sdGRPCResult(obs, reply.GetOk())
	}
	return c.sdHTTP(ctx, http.MethodPut, req.Service)
}

// Deregister withdraws a service instance when its session ends. Over HTTP
// it is a DELETE with a body.
func (c *Client) Deregister(ctx context.Context, req SDServiceRequest) Result[SDVerdict] {
	if res, skip := c.sdSkip(req, methodSDDeregister, http.MethodDelete); skip {
		return res
	}
	if c.transport == GRPC {
		msg := &proto.DeregisterRequest{Service: sdProtoService(req.Service)}
		stub := proto.NewSDClient(c.conn)
		reply, obs := callGRPC(ctx, c, methodSDDeregister, msg,
			func(ctx context.Context, opts ...grpc.CallOption) (*proto.DeregisterReply, error) {
				return stub.Deregister(ctx, msg, opts...)
			})
		return sdGRPCResult(obs, reply.GetOk())
	}
	return c.sdHTTP(ctx, http.MethodDelete, req.Service)
}

// sdSkip is GOST's guard on the write calls: a nil service returns nil
// without a call.
func (c *Client) sdSkip(req SDServiceRequest, grpcMethod, httpMethod string) (Result[SDVerdict], bool) {
	var res Result[SDVerdict]
	if req.Service != nil {
		return res, false
	}
	method := grpcMethod
	if c.transport == HTTP {
		method = httpMethod
	}
	res.Observation = c.unsent(method, c.cfg.Addr)
	res.Verdict = SDVerdict{OK: true}
	res.note(NoteNotSent, "GOST returns nil without a call when the service is nil")
	return res, true
}

// sdProtoService maps the service field by field, as x does.
func sdProtoService(s *SDService) *proto.Service {
	return &proto.Service{Id: s.ID, Name: s.Name, Node: s.Node, Network: s.Network, Address: s.Address}
}

// sdGRPCResult applies x's gRPC rule for the write calls: only an RPC
// error fails; the reply's ok is ignored.
func sdGRPCResult(obs Observation, ok bool) Result[SDVerdict] {
	res := Result[SDVerdict]{Observation: obs, Verdict: SDVerdict{OK: obs.OK()}}
	if obs.OK() && !ok {
		res.note(NoteReplyIgnored, "the reply says ok=false, but GOST ignores ok over gRPC: only an RPC error fails")
	}
	return res
}

// sdHTTP is x's HTTP write call: the flat service object as the body,
// status 200 required, the reply body never read.
func (c *Client) sdHTTP(ctx context.Context, method string, s *SDService) Result[SDVerdict] {
	var res Result[SDVerdict]
	res.observe(c.callHTTP(ctx, httpCall{
		method: method,
		url:    c.cfg.Addr,
		body:   httpSDService{ID: s.ID, Name: s.Name, Node: s.Node, Network: s.Network, Address: s.Address},
	}))
	res.Verdict = SDVerdict{OK: res.OK()}
	return res
}

// GetServices looks up the instances registered under a name. Over HTTP a
// body of `null` makes GOST v0.15.2 dereference nil and crash; plugincheck
// reports it as a decode failure instead.
func (c *Client) GetServices(ctx context.Context, req SDGetRequest) Result[SDGetVerdict] {
	res := Result[SDGetVerdict]{Verdict: SDGetVerdict{Services: []SDService{}}}
	if c.transport == GRPC {
		msg := &proto.GetServiceRequest{Name: req.Name}
		stub := proto.NewSDClient(c.conn)
		reply, obs := callGRPC(ctx, c, methodSDGet, msg,
			func(ctx context.Context, opts ...grpc.CallOption) (*proto.GetServiceReply, error) {
				return stub.Get(ctx, msg, opts...)
			})
		res.observe(obs)
		if !obs.OK() {
			return res
		}
		res.Verdict.OK = true
		for _, v := range reply.GetServices() {
			if v == nil {
				continue
			}
			res.Verdict.Services = append(res.Verdict.Services, SDService{
				ID: v.Id, Name: v.Name, Node: v.Node, Network: v.Network, Address: v.Address,
			})
		}
		return res
	}

	// x decodes into &res where res is already a pointer, so a `null` body
	// sets res to nil.
	reply := &httpSDGetReply{}
	res.observe(c.callHTTP(ctx, httpCall{
		method: http.MethodGet,
		url:    c.cfg.Addr,
		query:  [][2]string{{"name", req.Name}},
		reply:  &reply,
	}))
	if !res.OK() {
		return res
	}
	if reply == nil {
		res.Failure, res.Err = FailureDecode, errSDNullReply
		res.note(NoteGOSTPanics, "GOST v0.15.2 dereferences nil on a `null` reply and the panic crashes the GOST process")
		return res
	}
	res.Verdict.OK = true
	for _, v := range reply.Services {
		if v == nil {
			continue
		}
		res.Verdict.Services = append(res.Verdict.Services, SDService{
			ID: v.ID, Name: v.Name, Node: v.Node, Network: v.Network, Address: v.Address,
		})
	}
	return res
}
