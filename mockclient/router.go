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

func init() {
	register(opSpec[RouterRequest, RouterVerdict]{
		module: Router, name: "get_route", grpcMethod: methodRouterGetRoute, httpMethod: "GET",
		call:            (*Client).GetRoute,
		nilClientEffect: "GOST has no route: the router handler drops the packet",
	})
}

// GetRoute asks the plugin for the route to a destination. Over HTTP it is a
// GET with dst (always) and id (only when non-empty) in the query. Every
// failure, and an empty dst, means no route.
func (c *Client) GetRoute(ctx context.Context, req RouterRequest) Result[RouterVerdict] {
	var res Result[RouterVerdict]
	var dst, gateway string
	if c.transport == GRPC {
		msg := &proto.GetRouteRequest{
			Dst: req.Dst,
			Id:  req.ID,
		}
		stub := proto.NewRouterClient(c.conn)
		reply, obs := callGRPC(ctx, c, methodRouterGetRoute, msg,
			func(ctx context.Context, opts ...grpc.CallOption) (*proto.GetRouteReply, error) {
				return stub.GetRoute(ctx, msg, opts...)
			})
		res.observe(obs)
		if obs.OK() {
			dst, gateway = reply.Dst, reply.Gateway
		}
	} else {
		query := [][2]string{{"dst", req.Dst}}
		if req.ID != "" {
			query = append(query, [2]string{"id", req.ID})
		}
		var reply httpRouterReply
		res.observe(c.callHTTP(ctx, httpCall{
			method: "GET",
			url:    c.cfg.Addr,
			query:  query,
			reply:  &reply,
		}))
		if res.OK() {
			dst, gateway = reply.Dst, reply.Gateway
			if dst == "" {
				dst = reply.Net
			}
		}
	}

	// x's router.ParseRoute.
	if dst == "" {
		return res
	}
	res.Verdict = RouterVerdict{Route: true, Dst: dst, Gateway: gateway}
	if _, ipNet, err := net.ParseCIDR(dst); err == nil {
		res.Verdict.Net = ipNet.String()
	} else {
		res.note(NoteBadRoute, fmt.Sprintf("dst %q is not a CIDR; GOST keeps the route with no network", dst))
	}
	if gateway == "" {
		res.note(NoteBadRoute, "empty gateway: the router handler drops the packet (no route to host)")
	}
	return res
}
