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

func init() {
	register(opSpec[ResolverRequest, ResolverVerdict]{
		module: Resolver, name: "resolve", grpcMethod: methodResolve, httpMethod: "POST",
		call:            (*Client).Resolve,
		nilClient:       ResolverVerdict{IPs: []string{}},
		nilClientEffect: "GOST refuses to load the configuration",
	})
}

// Resolve asks the plugin for the IPs of a host. Every failure gives no IPs.
// The transports differ as in GOST: over gRPC ok is ignored and the IPs are
// used, over HTTP ok:false is an error ("resolve failed") and the IPs are
// discarded.
func (c *Client) Resolve(ctx context.Context, req ResolverRequest) Result[ResolverVerdict] {
	res := Result[ResolverVerdict]{Verdict: ResolverVerdict{IPs: []string{}}}
	if c.transport == GRPC {
		msg := &proto.ResolveRequest{
			Network: req.Network,
			Host:    req.Host,
			Client:  req.Client,
		}
		stub := proto.NewResolverClient(c.conn)
		reply, obs := callGRPC(ctx, c, methodResolve, msg,
			func(ctx context.Context, opts ...grpc.CallOption) (*proto.ResolveReply, error) {
				return stub.Resolve(ctx, msg, opts...)
			})
		res.observe(obs)
		if obs.OK() {
			res.Verdict.IPs = keepIPs(&res, reply.Ips)
			res.Verdict.Resolved = len(res.Verdict.IPs) > 0
			if !reply.Ok && res.Verdict.Resolved {
				res.note(NoteReplyIgnored, "over gRPC GOST ignores ok:false and dials the first IP")
			}
		}
		return res
	}

	var reply httpResolverReply
	res.observe(c.callHTTP(ctx, httpCall{
		method: "POST",
		url:    c.cfg.Addr,
		body: httpResolverRequest{
			Network: req.Network,
			Host:    req.Host,
			Client:  req.Client,
		},
		reply: &reply,
	}))
	// ok:false is GOST's error "resolve failed": the reply decoded, so the
	// observation shows no failure, but no IPs are kept.
	if res.OK() && reply.OK {
		res.Verdict.IPs = keepIPs(&res, reply.IPs)
		res.Verdict.Resolved = len(res.Verdict.IPs) > 0
	}
	return res
}
