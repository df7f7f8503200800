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
		return []reply{
			{Name: "invalid-and-ipv6-ips", Body: `{"ips":["not-an-ip","192.0.2.1","","2001:DB8:0:0::1","::ffff:192.0.2.2","fe80::1%eth0","192.0.2.3:80"," 192.0.2.4","[2001:db8::5]","192.0.2.256","::","1.2.3"],"ok":true}`},
			{Name: "ok-false-with-ips", Body: `{"ips":["192.0.2.7","2001:db8::7"],"ok":false}`},
			{Name: "no-ok-with-ips", Body: `{"ips":["192.0.2.8"]}`},
			{Name: "ok-true-no-ips", Body: `{"ok":true}`},
			{Name: "ok-false-no-ips", Body: `{"ok":false}`},
			{Name: "ips-null", Body: `{"ips":null,"ok":true}`},
			{Name: "null-entry", Body: `{"ips":[null,"192.0.2.9"],"ok":true}`},
			{Name: "upper-case-keys", Body: `{"IPS":["192.0.2.11"],"OK":true}`},
			{Name: "mixed-case-keys-ok-false", Body: `{"Ips":["192.0.2.12"],"Ok":false}`},
			{Name: "trailing-garbage", Body: `{"ips":["192.0.2.13"],"ok":true} trailing`},
			{Name: "wrong-type-ips-string", Body: `{"ips":"192.0.2.14","ok":true}`},
			{Name: "wrong-type-ip-number", Body: `{"ips":["192.0.2.15",3232235777],"ok":true}`},
			{Name: "wrong-type-ok", Body: `{"ips":["192.0.2.16"],"ok":"true"}`},
			{Name: "ok-null", Body: `{"ips":["192.0.2.17"],"ok":null}`},
			{Name: "truncated", Body: `{"ips":["192.0.2.18"`},
			{Name: "http-201-ips", Status: 201, Body: `{"ips":["192.0.2.19"],"ok":true}`},
			{Name: "http-204", Status: 204},
			{Name: "http-403-ips", Status: 403, Body: `{"ips":["192.0.2.20"],"ok":true}`},
			{Name: "http-500-ips", Status: 500, Body: `{"ips":["192.0.2.21"],"ok":true}`},
		}
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
