package mockclient

import (
	"context"
	"fmt"
	"net"

	"github.com/go-gost/plugin/hosts/proto"
	"google.golang.org/grpc"
)

// HostsRequest is what GOST's host mapper sends (x/hosts/plugin). Field
// names are the proto field names.
type HostsRequest struct {
	// Network is "ip" for router dials, UDP replies and the parallel
	// selector, "tcp"/"udp" for node addresses, "ip4"/"ip6" for the DNS
	// handler.
	Network string `json:"network"`
	// Host is the name to map, without port; GOST asks for IP literals too.
	Host string `json:"host"`
	// Client is the ClientID from the context (the auth plugin's id).
	Client string `json:"client"`
}

// HostsVerdict is what GOST keeps of a Lookup: the reply's IPs that
// net.ParseIP accepts, in canonical form. The reply's ok is not part of it
// because no GOST caller reads it; no IPs means GOST falls through to the
// resolver.
type HostsVerdict struct {
	IPs []string `json:"ips"`
}

// httpHostsRequest is x's body: network, host, client, no omitempty.
type httpHostsRequest struct {
	Network string `json:"network"`
	Host    string `json:"host"`
	Client  string `json:"client"`
}

type httpHostsReply struct {
	IPs []string `json:"ips"`
	OK  bool     `json:"ok"`
}

const methodLookup = "/proto.HostMapper/Lookup"

var hostsOps = moduleOps{Hosts, []Operation{lookupOp.operation()}}

// ipsReply is a hosts or resolver reply as GOST reads it.
type ipsReply struct {
	ips []string
	ok  bool
}

// lookupOp: every failure gives no IPs. Entries that are not IPs are
// dropped, and the reply's ok is ignored, as GOST does.
var lookupOp = &op[HostsRequest, HostsVerdict, ipsReply]{
	module: Hosts, name: "lookup", grpcMethod: methodLookup, httpMethod: "POST",
	start: func(_ HostsRequest, res *Result[HostsVerdict]) { res.Verdict = HostsVerdict{IPs: []string{}} },
	grpc: func(req HostsRequest) (grpcSpec[ipsReply], error) {
		msg := &proto.LookupRequest{
			Network: req.Network,
			Host:    req.Host,
			Client:  req.Client,
		}
		return unary(msg, func(ctx context.Context, cc grpc.ClientConnInterface, opts ...grpc.CallOption) (*proto.LookupReply, error) {
			return proto.NewHostMapperClient(cc).Lookup(ctx, msg, opts...)
		}, func(r *proto.LookupReply) ipsReply { return ipsReply{ips: r.Ips, ok: r.Ok} }), nil
	},
	http: func(req HostsRequest) (httpSpec[ipsReply], error) {
		return jsonReply(httpHostsRequest{
			Network: req.Network,
			Host:    req.Host,
			Client:  req.Client,
		}, func(r *httpHostsReply) ipsReply { return ipsReply{ips: r.IPs, ok: r.OK} }), nil
	},
	verdict: func(_ *Client, res *Result[HostsVerdict], r ipsReply) {
		res.Verdict.IPs = keepIPs(res, r.ips)
		hostsOKIgnored(res, r.ok)
	},
	nilClient:       HostsVerdict{IPs: []string{}},
	nilClientEffect: "GOST finds no host mapping and falls through to the resolver",
}

// Lookup asks the plugin to map a host name to IPs. Every failure gives no
// IPs. Entries that are not IPs are dropped, and the reply's ok is ignored,
// as GOST does.
func (c *Client) Lookup(ctx context.Context, req HostsRequest) Result[HostsVerdict] {
	return lookupOp.call(ctx, c, req)
}

// hostsOKIgnored notes a reply whose ok contradicts its IPs: GOST never
// reads ok, only whether usable IPs came back.
func hostsOKIgnored(res *Result[HostsVerdict], ok bool) {
	switch {
	case ok && len(res.Verdict.IPs) == 0:
		res.note(NoteReplyIgnored, "GOST ignores ok:true; only IPs matter, and with no usable IP it falls through to the resolver")
	case !ok && len(res.Verdict.IPs) > 0:
		res.note(NoteReplyIgnored, "GOST ignores ok:false; only IPs matter, and it uses these IPs")
	}
}

// keepIPs parses reply entries as GOST's hosts and resolver clients do: each
// goes through net.ParseIP, unparsable ones are dropped (with a note), and
// the kept ones are returned in canonical form, never nil.
func keepIPs[V any](res *Result[V], entries []string) []string {
	ips := make([]string, 0, len(entries))
	for _, s := range entries {
		ip := net.ParseIP(s)
		if ip == nil {
			res.note(NoteDroppedIP, fmt.Sprintf("GOST drops %q: not an IP", s))
			continue
		}
		ips = append(ips, ip.String())
	}
	return ips
}
