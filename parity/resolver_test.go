package parity

import (
	"context"
	"testing"

	"github.com/go-gost/core/resolver"
	resolverpb "github.com/go-gost/plugin/resolver/proto"
	"github.com/go-gost/x/config"
	resolver_parser "github.com/go-gost/x/config/parsing/resolver"
	xctx "github.com/go-gost/x/ctx"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/mockclient"
)

var resolverAdapter = adapter{
	module: mockclient.Resolver,
	op:     "resolve",
	newGOST: func(t *testing.T, p *config.PluginConfig) any {
		r, err := resolver_parser.ParseResolver(&config.ResolverConfig{Name: "parity", Plugin: p})
		require.NoError(t, err)
		require.NotNil(t, r)
		return r
	},
	callGOST: func(ctx context.Context, client any, req any) any {
		r := req.(*mockclient.ResolverRequest)
		if r.Client != "" {
			ctx = xctx.ContextWithClientID(ctx, xctx.ClientID(r.Client))
		}
		ips, err := client.(resolver.Resolver).Resolve(ctx, r.Network, r.Host)
		// x internal/net/resolve.go: an error or an empty list fails the
		// dial ("resolver: domain X does not exist"); otherwise it goes on.
		return mockclient.ResolverVerdict{IPs: ipStrings(ips), Resolved: err == nil && len(ips) > 0}
	},
	project: func(v any) any { return v },
	ok: func(t mockclient.Transport) reply {
		if t == mockclient.GRPC {
			return reply{Name: "ok", GRPC: &resolverpb.ResolveReply{Ips: []string{"192.0.2.10", "2001:db8::10"}, Ok: true}}
		}
		return reply{Name: "ok", Body: `{"ips":["192.0.2.10","2001:db8::10"],"ok":true}`}
	},
	faults: func(t mockclient.Transport) []reply {
		if t == mockclient.GRPC {
			return []reply{
				{Name: "invalid-and-ipv6-ips", GRPC: &resolverpb.ResolveReply{Ips: oddIPs, Ok: true}},
				{Name: "ok-false-with-ips", GRPC: &resolverpb.ResolveReply{Ips: []string{"192.0.2.7", "2001:db8::7"}}},
				{Name: "ok-false-invalid-and-ipv6-ips", GRPC: &resolverpb.ResolveReply{Ips: oddIPs}},
				{Name: "ok-true-no-ips", GRPC: &resolverpb.ResolveReply{Ok: true}},
				{Name: "only-invalid-ips", GRPC: &resolverpb.ResolveReply{Ips: []string{"x", "", "300.1.1.1"}, Ok: true}},
				{Name: "empty", GRPC: &resolverpb.ResolveReply{}},
				{Name: "grpc-not-found", GRPCErr: statusErr(5, "NXDOMAIN")},
				{Name: "grpc-invalid-argument", GRPCErr: statusErr(3, "bad host")},
				{Name: "oversized-ip", GRPC: &resolverpb.ResolveReply{Ips: hugeIPs, Ok: true}},
			}
		}
		return ipsHTTPFaults
	},
	extra: []any{
		&mockclient.ResolverRequest{},
		&mockclient.ResolverRequest{Network: "ip6", Host: "fe80::1%eth0", Client: "[2001:db8::1]:1"},
		&mockclient.ResolverRequest{Network: "tcp", Host: "ÄÖÜ.例え", Client: "用户 ✓"},
	},
}

func TestParityResolver(t *testing.T) {
	t.Parallel()
	runDifferential(t, resolverAdapter)
}

func TestParityResolverOversizedGRPC(t *testing.T) {
	t.Parallel()
	oversizedGRPC(t, resolverAdapter, reply{Name: "oversized-ips", GRPC: &resolverpb.ResolveReply{Ips: hugeIPs, Ok: true}},
		&mockclient.ResolverRequest{Network: "ip", Host: "www.example"},
		func(ctx context.Context, client any, req any) error {
			r := req.(*mockclient.ResolverRequest)
			_, err := client.(resolver.Resolver).Resolve(ctx, r.Network, r.Host)
			return err
		})
}
