package mockclient

import (
	"context"
	"fmt"
	"net"

	"github.com/go-gost/plugin/router/proto"
	"google.golang.org/grpc"
)

// RouterRequest is what GOST's router plugin client sends on GetRoute
// (x/router/plugin): the packet's destination IP and the router ID.
type RouterRequest struct {
	Dst string `json:"dst"`
	ID  string `json:"id"`
}

// RouterVerdict is the route GOST builds with x's router.ParseRoute.
type RouterVerdict struct {
	// Route is false when GOST has no route: a failure or an empty dst.
	Route bool `json:"route"`
	// Dst is the reply's dst as GOST keeps it (over HTTP, net when dst is
	// empty).
	Dst string `json:"dst"`
	// Net is the network GOST parsed from Dst; "" when Dst is not a CIDR.
	Net string `json:"net"`
	// Gateway is the next hop; the router handler needs it non-empty.
	Gateway string `json:"gateway"`
}

// httpRouterReply is x's reply: net is the legacy name of dst.
type httpRouterReply struct {
	Net     string `json:"net"`
	Dst     string `json:"dst"`
	Gateway string `json:"gateway"`
}

const methodRouterGetRoute = "/proto.Router/GetRoute"

var routerOps = moduleOps{Router, []Operation{getRouteOp.operation()}}

// routerReply is the route as GOST reads it: over HTTP, net when dst is
// empty.
type routerReply struct{ dst, gateway string }

// getRouteOp: over HTTP a GET with dst (always) and id (only when
// non-empty) in the query. Every failure, and an empty dst, means no route.
var getRouteOp = &op[RouterRequest, RouterVerdict, routerReply]{
	module: Router, name: "get_route", grpcMethod: methodRouterGetRoute, httpMethod: "GET",
	grpc: func(req RouterRequest) (grpcSpec[routerReply], error) {
		msg := &proto.GetRouteRequest{
			Dst: req.Dst,
			Id:  req.ID,
		}
		return unary(msg, func(ctx context.Context, cc grpc.ClientConnInterface, opts ...grpc.CallOption) (*proto.GetRouteReply, error) {
			return proto.NewRouterClient(cc).GetRoute(ctx, msg, opts...)
		}, func(r *proto.GetRouteReply) routerReply { return routerReply{dst: r.Dst, gateway: r.Gateway} }), nil
	},
	http: func(req RouterRequest) (httpSpec[routerReply], error) {
		query := [][2]string{{"dst", req.Dst}}
		if req.ID != "" {
			query = append(query, [2]string{"id", req.ID})
		}
		spec := jsonReply(nil, func(r *httpRouterReply) routerReply {
			dst := r.Dst
			if dst == "" {
				dst = r.Net
			}
			return routerReply{dst: dst, gateway: r.Gateway}
		})
		spec.query = query
		return spec, nil
	},
	verdict:         routeVerdict,
	nilClientEffect: "GOST has no route: the router handler drops the packet",
}

// routeVerdict is x's router.ParseRoute.
func routeVerdict(_ *Client, res *Result[RouterVerdict], r routerReply) {
	if r.dst == "" {
		return
	}
	res.Verdict = RouterVerdict{Route: true, Dst: r.dst, Gateway: r.gateway}
	if _, ipNet, err := net.ParseCIDR(r.dst); err == nil {
		res.Verdict.Net = ipNet.String()
	} else {
		res.note(NoteBadRoute, fmt.Sprintf("dst %q is not a CIDR; GOST keeps the route with no network", r.dst))
	}
	if r.gateway == "" {
		res.note(NoteBadRoute, "empty gateway: the router handler drops the packet (no route to host)")
	}
}

// GetRoute asks the plugin for the route to a destination. Over HTTP it is a
// GET with dst (always) and id (only when non-empty) in the query. Every
// failure, and an empty dst, means no route.
func (c *Client) GetRoute(ctx context.Context, req RouterRequest) Result[RouterVerdict] {
	return getRouteOp.call(ctx, c, req)
}
