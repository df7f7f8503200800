package mockclient

import (
	"context"

	"github.com/go-gost/plugin/resolver/proto"
	"google.golang.org/grpc"
)

// ResolverRequest is what GOST's resolver sends (x/resolver/plugin). Field
// names are the proto field names.
type ResolverRequest struct {
	// Network is "ip" for router dials, UDP replies and the parallel
	// selector, "tcp"/"udp" for node addresses.
	Network string `json:"network"`
	// Host is the name to resolve, without port; GOST asks for IP literals
	// too.
	Host string `json:"host"`
	// Client is the ClientID from the context (the auth plugin's id).
	Client string `json:"client"`
}

// ResolverVerdict is what GOST gets from Resolve: the IPs it keeps (entries
// net.ParseIP accepts, in canonical form) and whether a dial can go ahead.
// GOST fails the dial with "resolver: domain X does not exist" on an error
// or an empty list, and otherwise dials only the first IP.
type ResolverVerdict struct {
	IPs      []string `json:"ips"`
	Resolved bool     `json:"resolved"`
}

// httpResolverRequest is x's body: network, host, client, no omitempty.
type httpResolverRequest struct {
	Network string `json:"network"`
	Host    string `json:"host"`
	Client  string `json:"client"`
}

type httpResolverReply struct {
	IPs []string `json:"ips"`
	OK  bool     `json:"ok"`
}

const methodResolve = "/proto.Resolver/Resolve"

var resolverOps = moduleOps{Resolver, []Operation{resolveOp.operation()}}

// resolveOp: every failure gives no IPs. Over gRPC ok is ignored and the
// IPs are used; over HTTP ok:false is GOST's error "resolve failed": the
// reply decoded, so the observation shows no failure, but no IPs are kept.
var resolveOp = &op[ResolverRequest, ResolverVerdict, resolverReply]{
	module: Resolver, name: "resolve", grpcMethod: methodResolve, httpMethod: "POST",
	start: func(_ ResolverRequest, res *Result[ResolverVerdict]) { res.Verdict = ResolverVerdict{IPs: []string{}} },
	grpc: func(req ResolverRequest) (grpcSpec[resolverReply], error) {
		msg := &proto.ResolveRequest{
			Network: req.Network,
			Host:    req.Host,
			Client:  req.Client,
		}
		return unary(msg, func(ctx context.Context, cc grpc.ClientConnInterface, opts ...grpc.CallOption) (*proto.ResolveReply, error) {
			return proto.NewResolverClient(cc).Resolve(ctx, msg, opts...)
		}, func(r *proto.ResolveReply) resolverReply {
			return resolverReply{ipsReply: ipsReply{ips: r.Ips, ok: r.Ok}, okIgnored: true}
		}), nil
	},
	http: func(req ResolverRequest) (httpSpec[resolverReply], error) {
		return jsonReply(httpResolverRequest{
			Network: req.Network,
			Host:    req.Host,
			Client:  req.Client,
		}, func(r *httpResolverReply) resolverReply {
			return resolverReply{ipsReply: ipsReply{ips: r.IPs, ok: r.OK}}
		}), nil
	},
	verdict: func(_ *Client, res *Result[ResolverVerdict], r resolverReply) {
		if !r.ok && !r.okIgnored {
			return
		}
		res.Verdict.IPs = keepIPs(res, r.ips)
		res.Verdict.Resolved = len(res.Verdict.IPs) > 0
		if !r.ok && res.Verdict.Resolved {
			res.note(NoteReplyIgnored, "over gRPC GOST ignores ok:false and dials the first IP")
		}
	},
	nilClient:       ResolverVerdict{IPs: []string{}},
	nilClientEffect: "GOST refuses to load the configuration",
}

// resolverReply is a resolver reply as GOST reads it; okIgnored is true over
// gRPC, where GOST never reads ok.
type resolverReply struct {
	ipsReply
	okIgnored bool
}

// Resolve asks the plugin for the IPs of a host. Every failure gives no IPs.
// The transports differ as in GOST: over gRPC ok is ignored and the IPs are
// used, over HTTP ok:false is an error ("resolve failed") and the IPs are
// discarded.
func (c *Client) Resolve(ctx context.Context, req ResolverRequest) Result[ResolverVerdict] {
	return resolveOp.call(ctx, c, req)
}
