package refplugin

import (
	"context"
	"net"
	"net/http"

	resolverpb "github.com/go-gost/plugin/resolver/proto"
	"google.golang.org/grpc"
)

// resolve knows the same names as the hosts plugin, except that "localhost"
// follows the network: "::1" for "ip6", "127.0.0.1" for anything else.
// An IP literal resolves to itself: GOST asks the resolver even when dialing
// an IP address, and an empty answer would fail that dial. Unknown names
// return an empty, non-nil list and ok false, which GOST's HTTP client turns
// into "resolve failed".
func resolve(network, host string) (ips []string, ok bool) {
	if ip := net.ParseIP(host); ip != nil {
		return []string{ip.String()}, true
	}
	switch normName(host) {
	case "gost.local":
		return byNetwork(network), true
	case "localhost":
		if network == "ip6" {
			return []string{"::1"}, true
		}
		return []string{"127.0.0.1"}, true
	}
	return []string{}, false
}

var resolverModule = module{
	name:    "resolver",
	service: resolverpb.Resolver_ServiceDesc.ServiceName,
	register: func(_ *Server, g grpc.ServiceRegistrar) {
		resolverpb.RegisterResolverServer(g, resolverGRPC{})
	},
	handler: func(*Server) http.Handler {
		return post(func(req lookupRequest) any {
			ips, ok := resolve(req.Network, req.Host)
			return ipsReply{IPs: ips, OK: ok}
		})
	},
}

type resolverGRPC struct {
	resolverpb.UnimplementedResolverServer
}

func (resolverGRPC) Resolve(_ context.Context, req *resolverpb.ResolveRequest) (*resolverpb.ResolveReply, error) {
	ips, ok := resolve(req.GetNetwork(), req.GetHost())
	return &resolverpb.ResolveReply{Ips: ips, Ok: ok}, nil
}
