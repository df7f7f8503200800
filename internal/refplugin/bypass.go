package refplugin

import (
	"context"
	"net/http"
	"net/netip"
	"strings"

	bypasspb "github.com/go-gost/plugin/bypass/proto"
	"google.golang.org/grpc"
)

const blockedDomain = "blocked.example"

// blockedPrefix is a documentation range, so the policy never matches real traffic.
var blockedPrefix = netip.MustParsePrefix("198.51.100.0/24")

// bypassed reports whether the bypass matches (GOST then refuses the request
// or skips the hop). The name checked is that of host, which GOST sets only
// for hop and node bypass, else that of addr; either may be "name:port" or a
// bare name. The addr IP is checked too, because in a chain addr is the
// resolved address.
func bypassed(addr, host string) bool {
	name := hostname(host)
	if host == "" {
		name = hostname(addr)
	}
	if name == blockedDomain || strings.HasSuffix(name, "."+blockedDomain) {
		return true
	}
	ip, ok := hostIP(addr)
	return ok && blockedPrefix.Contains(ip)
}

var bypassModule = module{
	name:    "bypass",
	service: bypasspb.Bypass_ServiceDesc.ServiceName,
	register: func(_ *Server, g grpc.ServiceRegistrar) {
		bypasspb.RegisterBypassServer(g, bypassGRPC{})
	},
	handler: func(*Server) http.Handler {
		return post(func(req bypassRequest) any { return okReply{OK: bypassed(req.Addr, req.Host)} })
	},
}

type bypassGRPC struct {
	bypasspb.UnimplementedBypassServer
}

func (bypassGRPC) Bypass(_ context.Context, req *bypasspb.BypassRequest) (*bypasspb.BypassReply, error) {
	return &bypasspb.BypassReply{Ok: bypassed(req.GetAddr(), req.GetHost())}, nil
}

// bypassRequest is the body GOST POSTs (x: bypass/plugin/http.go).
type bypassRequest struct {
	Service string `json:"service"`
	Network string `json:"network"`
	Addr    string `json:"addr"`
	Client  string `json:"client"`
	Host    string `json:"host"`
	Path    string `json:"path"`
}
