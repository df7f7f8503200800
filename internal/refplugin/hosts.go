package refplugin

import (
	"context"
	"net/http"

	hostspb "github.com/go-gost/plugin/hosts/proto"
	"google.golang.org/grpc"
)

// lookupHost maps the two names the reference plugins know. "gost.local"
// honours the network GOST asks for ("ip4" from DNS A queries, "ip6" from
// AAAA; "ip", "tcp", "udp" get both), so suites can check that the plugin's
// answer follows the network. Unknown names return an empty, non-nil list
// and ok false.
func lookupHost(network, host string) (ips []string, ok bool) {
	switch normName(host) {
	case "gost.local":
		return byNetwork(network), true
	case "localhost":
		return []string{"127.0.0.1"}, true
	}
	return []string{}, false
}

// byNetwork returns gost.local's addresses for network.
func byNetwork(network string) []string {
	switch network {
	case "ip4":
		return []string{"127.0.0.1"}
	case "ip6":
		return []string{"::1"}
	}
	return []string{"127.0.0.1", "::1"}
}

var hostsModule = module{
	name:    "hosts",
	service: hostspb.HostMapper_ServiceDesc.ServiceName,
	register: func(_ *Server, g grpc.ServiceRegistrar) {
		hostspb.RegisterHostMapperServer(g, hostsGRPC{})
	},
	handler: func(*Server) http.Handler {
		return post(func(req lookupRequest) any {
			ips, ok := lookupHost(req.Network, req.Host)
			return ipsReply{IPs: ips, OK: ok}
		})
	},
}

type hostsGRPC struct {
	hostspb.UnimplementedHostMapperServer
}

func (hostsGRPC) Lookup(_ context.Context, req *hostspb.LookupRequest) (*hostspb.LookupReply, error) {
	ips, ok := lookupHost(req.GetNetwork(), req.GetHost())
	return &hostspb.LookupReply{Ips: ips, Ok: ok}, nil
}

// lookupRequest is the body GOST POSTs to hosts and resolver plugins
// (x: hosts/plugin/http.go, x: resolver/plugin/http.go).
type lookupRequest struct {
	Network string `json:"network"`
	Host    string `json:"host"`
	Client  string `json:"client"`
}

// ipsReply is the hosts and resolver reply; IPs is never nil so it encodes as [].
type ipsReply struct {
	IPs []string `json:"ips"`
	OK  bool     `json:"ok"`
}
