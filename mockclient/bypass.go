package mockclient

import (
	"context"
	"fmt"

	"github.com/go-gost/plugin/bypass/proto"
	"google.golang.org/grpc"
)

// BypassRequest is what GOST's bypass sends (x/bypass/plugin). Field names
// are the proto field names.
type BypassRequest struct {
	// Addr is the target "host:port" (a bare name for the DNS handler).
	Addr string `json:"addr"`
	// Client is the ClientID from the context, which is the auth plugin's
	// id, not the client's address; "" without authentication.
	Client string `json:"client"`
	// Network is "tcp" or "udp" (the dial network for hop/node bypass).
	Network string `json:"network"`
	// Host is the original "host:port", set only by hop- and node-level
	// bypass.
	Host string `json:"host"`
	// Path is the HTTP request URI, set only by HTTP sniffing in the
	// forwarder and unix handlers.
	Path string `json:"path"`
	// Service is the GOST service name; empty for hop/node bypass.
	Service string `json:"service"`
}

// BypassVerdict is Bypass.Contains. Matched means GOST refuses the request,
// or, for a hop or node bypass, skips the hop or node so that traffic goes
// direct. GOST treats every failure as matched.
type BypassVerdict struct {
	Matched bool `json:"matched"`
}

// httpBypassRequest is x's body: service, network, addr, client, host,
// path, no omitempty.
type httpBypassRequest struct {
	Service string `json:"service"`
	Network string `json:"network"`
	Addr    string `json:"addr"`
	Client  string `json:"client"`
	Host    string `json:"host"`
	Path    string `json:"path"`
}

type httpBypassReply struct {
	OK bool `json:"ok"`
}

const methodBypass = "/proto.Bypass/Bypass"

var bypassOps = moduleOps{Bypass, []Operation{bypassOp.operation()}}

// bypassOp: every failure counts as matched, over both transports.
var bypassOp = &op[BypassRequest, BypassVerdict, bool]{
	module: Bypass, name: "bypass", grpcMethod: methodBypass, httpMethod: "POST",
	grpc: func(req BypassRequest) (grpcSpec[bool], error) {
		msg := &proto.BypassRequest{
			Service: req.Service,
			Network: req.Network,
			Addr:    req.Addr,
			Client:  req.Client,
			Host:    req.Host,
			Path:    req.Path,
		}
		return unary(msg, func(ctx context.Context, cc grpc.ClientConnInterface, opts ...grpc.CallOption) (*proto.BypassReply, error) {
			return proto.NewBypassClient(cc).Bypass(ctx, msg, opts...)
		}, (*proto.BypassReply).GetOk), nil
	},
	http: func(req BypassRequest) (httpSpec[bool], error) {
		return jsonReply(httpBypassRequest{
			Service: req.Service,
			Network: req.Network,
			Addr:    req.Addr,
			Client:  req.Client,
			Host:    req.Host,
			Path:    req.Path,
		}, func(r *httpBypassReply) bool { return r.OK }), nil
	},
	verdict:         func(_ *Client, res *Result[BypassVerdict], ok bool) { res.Verdict = BypassVerdict{Matched: ok} },
	failed:          bypassFailed,
	nilClient:       BypassVerdict{Matched: true},
	nilClientEffect: "GOST treats every address as matched: requests are refused, or hops and nodes are skipped so traffic goes direct",
}

// Bypass asks the plugin whether an address is matched by the bypass. Every
// failure counts as matched, over both transports, and is noted as
// fail-open.
func (c *Client) Bypass(ctx context.Context, req BypassRequest) Result[BypassVerdict] {
	return bypassOp.call(ctx, c, req)
}

// bypassFailed applies GOST's failure rule: a failed call is a match.
func bypassFailed(_ *Client, res *Result[BypassVerdict]) {
	res.Verdict = BypassVerdict{Matched: true}
	res.note(NoteFailOpen, fmt.Sprintf("GOST treats the failed call (%s) as matched: the request is refused, "+
		"or the hop or node is skipped so traffic goes direct", res.Failure))
}
