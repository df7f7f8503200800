package parity

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/go-gost/core/router"
	routerpb "github.com/go-gost/plugin/router/proto"
	"github.com/go-gost/x/config"
	router_parser "github.com/go-gost/x/config/parsing/router"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/plugincheck/plugincheck/mockclient"
)

var routerAdapter = adapter{
	module: mockclient.Router,
	op:     "get_route",
	newGOST: func(t *testing.T, p *config.PluginConfig) any {
		r := router_parser.ParseRouter(&config.RouterConfig{Name: "parity", Plugin: p})
		require.NotNil(t, r)
		if c, ok := r.(io.Closer); ok {
			t.Cleanup(func() { _ = c.Close() })
		}
		return r
	},
	callGOST: func(ctx context.Context, client any, req any) any {
		r := req.(*mockclient.RouterRequest)
		route := client.(router.Router).GetRoute(ctx, r.Dst, router.IDOption(r.ID))
		if route == nil {
			return mockclient.RouterVerdict{}
		}
		v := mockclient.RouterVerdict{Route: true, Dst: route.Dst, Gateway: route.Gateway}
		if route.Net != nil {
			v.Net = route.Net.String()
		}
		return v
	},
	project: func(v any) any { return v },
	ok: func(t mockclient.Transport) reply {
		if t == mockclient.GRPC {
			return reply{Name: "ok", GRPC: &routerpb.GetRouteReply{Dst: "10.0.0.0/8", Gateway: "192.168.1.1"}}
		}
		return reply{Name: "ok", Body: `{"dst":"10.0.0.0/8","gateway":"192.168.1.1"}`}
	},
	faults: func(t mockclient.Transport) []reply {
		// dst/gateway pairs, sent as the gRPC reply or as HTTP {"dst","gateway"}.
		routes := []struct{ name, dst, gateway string }{
			{"no-route", "", ""},
			{"gateway-without-dst", "", "192.168.1.1"},
			{"dst-without-gateway", "10.0.0.0/8", ""},
			{"non-cidr-dst-ip", "10.1.2.3", "192.168.1.1"},
			{"non-cidr-dst-garbage", "not-a-network", "192.168.1.1"},
			{"cidr-host-bits-set", "10.1.2.3/8", "192.168.1.1"},
			{"ipv6-cidr", "2001:db8::/32", "fe80::1"},
			{"ipv4-mapped-cidr", "::ffff:10.0.0.0/104", "192.168.1.1"},
			{"cidr-with-space", " 10.0.0.0/8", "192.168.1.1"},
			{"default-route", "0.0.0.0/0", "192.168.1.1"},
			{"non-ip-gateway", "10.0.0.0/8", "gw.example"},
			{"non-ascii", "网络", "网关"},
		}
		var out []reply
		if t == mockclient.GRPC {
			for _, r := range routes {
				out = append(out, reply{Name: r.name, GRPC: &routerpb.GetRouteReply{Dst: r.dst, Gateway: r.gateway}})
			}
			return append(out,
				// Field 1 (dst) as bytes that are not UTF-8: a proto3
				// string field rejects them when the reply is unmarshalled.
				reply{Name: "dst-invalid-utf8", GRPC: &wrapperspb.BytesValue{Value: []byte{0xff, '/', '8'}}},
				reply{Name: "oversized-dst", GRPC: &routerpb.GetRouteReply{Dst: "10.0.0.0/8", Gateway: strings.Repeat("g", 5<<20)}},
				// A varint field 1 where a string is expected: an unknown
				// field, so dst is empty.
				reply{Name: "wrong-wire-type", GRPC: &wrapperspb.Int64Value{Value: 10}},
			)
		}
		for _, r := range routes {
			out = append(out, reply{Name: r.name, Body: `{"dst":"` + r.dst + `","gateway":"` + r.gateway + `"}`})
		}
		return append(out,
			reply{Name: "legacy-net", Body: `{"net":"10.0.0.0/8","gateway":"192.168.1.1"}`},
			reply{Name: "legacy-net-non-cidr", Body: `{"net":"10.1.2.3","gateway":"192.168.1.1"}`},
			reply{Name: "dst-over-net", Body: `{"net":"172.16.0.0/12","dst":"10.0.0.0/8","gateway":"192.168.1.1"}`},
			reply{Name: "empty-dst-falls-back-to-net", Body: `{"net":"172.16.0.0/12","dst":"","gateway":"192.168.1.1"}`},
			reply{Name: "upper-case-keys", Body: `{"DST":"10.0.0.0/8","GateWay":"192.168.1.1"}`},
			reply{Name: "upper-case-legacy-net", Body: `{"NET":"10.0.0.0/8","GATEWAY":"192.168.1.1"}`},
			reply{Name: "trailing-garbage", Body: `{"dst":"10.0.0.0/8","gateway":"192.168.1.1"} trailing`},
			reply{Name: "wrong-type-dst", Body: `{"dst":["10.0.0.0/8"],"gateway":"192.168.1.1"}`},
			reply{Name: "wrong-type-gateway", Body: `{"dst":"10.0.0.0/8","gateway":3232235777}`},
			reply{Name: "null-fields", Body: `{"dst":null,"net":null,"gateway":null}`},
			reply{Name: "http-404-with-route", Status: 404, Body: `{"dst":"10.0.0.0/8","gateway":"192.168.1.1"}`},
		)
	},
	extra: []any{
		&mockclient.RouterRequest{},
		&mockclient.RouterRequest{Dst: "fe80::1%eth0", ID: "$ü&id=x y"},
		&mockclient.RouterRequest{Dst: "::ffff:192.0.2.1", ID: "7c8e5631-2447-41e4-90ca-45bead37396e"},
	},
}

func TestParityRouter(t *testing.T) {
	t.Parallel()
	runDifferential(t, routerAdapter)
}
