package refplugin

import (
	"context"
	"net/http"
	"net/netip"

	routerpb "github.com/go-gost/plugin/router/proto"
	"google.golang.org/grpc"
)

var routedPrefix = netip.MustParsePrefix("10.0.0.0/8")

const routeGateway = "192.168.1.1"

// route returns the route for a destination IP, or empty strings for none
// (GOST reads an empty dst as no route). GOST sends the packet's
// destination IP, never a CIDR.
func route(dst string) (dstNet, gateway string) {
	ip, err := netip.ParseAddr(dst)
	if err != nil || !routedPrefix.Contains(ip.WithZone("").Unmap()) {
		return "", ""
	}
	return routedPrefix.String(), routeGateway
}

var routerModule = module{
	name:    "router",
	service: routerpb.Router_ServiceDesc.ServiceName,
	register: func(_ *Server, g grpc.ServiceRegistrar) {
		routerpb.RegisterRouterServer(g, routerGRPC{})
	},
	handler: func(*Server) http.Handler {
		// GOST sends GET ?dst=<ip>[&id=<routerID>] with no body.
		return methods{http.MethodGet: func(w http.ResponseWriter, r *http.Request) {
			dst, gw := route(r.URL.Query().Get("dst"))
			writeJSON(w, routeReply{Dst: dst, Gateway: gw})
		}}
	},
}

type routerGRPC struct {
	routerpb.UnimplementedRouterServer
}

func (routerGRPC) GetRoute(_ context.Context, req *routerpb.GetRouteRequest) (*routerpb.GetRouteReply, error) {
	dst, gw := route(req.GetDst())
	return &routerpb.GetRouteReply{Dst: dst, Gateway: gw}, nil
}

// routeReply leaves out the legacy "net" key; GOST reads it only when dst is empty.
type routeReply struct {
	Dst     string `json:"dst"`
	Gateway string `json:"gateway"`
}
