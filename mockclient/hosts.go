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

func init() {
	register(opSpec[HostsRequest, HostsVerdict]{
		module: Hosts, name: "lookup", grpcMethod: methodLookup, httpMethod: "POST",
		call:            (*Client).Lookup,
		nilClient:       HostsVerdict{IPs: []string{}},
		nilClientEffect: "GOST finds no host mapping and falls through to the resolver",
	})
}

// Lookup asks the plugin to map a host name to IPs. Every failure gives no
// IPs. Entries that are not IPs are dropped, and the reply's ok is ignored,
// as GOST does.
func (c *Client) Lookup(ctx context.Context, req HostsRequest) Result[HostsVerdict] {
	res := Result[HostsVerdict]{Verdict: HostsVerdict{IPs: []string{}}}
	if c.transport == GRPC {
		msg := &proto.LookupRequest{
			Network: req.Network,
			Host:    req.Host,
			Client:  req.Client,
		}
		stub := proto.NewHostMapperClient(c.conn)
		reply, obs := callGRPC(ctx, c, methodLookup, msg,
			func(ctx context.Context, opts ...grpc.CallOption) (*proto.LookupReply, error) {
				return stub.Lookup(ctx, msg, opts...)
			})
		res.observe(obs)
		if obs.OK() {
			res.Verdict.IPs = keepIPs(&res, reply.Ips)
			hostsOKIgnored(&res, reply.Ok)
		}
		return res
	}

	var reply httpHostsReply
	res.observe(c.callHTTP(ctx, httpCall{
		method: "POST",
		url:    c.cfg.Addr,
		body: httpHostsRequest{
			Network: req.Network,
			Host:    req.Host,
			Client:  req.Client,
		},
		reply: &reply,
	}))
	if res.OK() {
		res.Verdict.IPs = keepIPs(&res, reply.IPs)
		hostsOKIgnored(&res, reply.OK)
	}
	return res
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
