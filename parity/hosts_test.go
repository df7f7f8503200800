package parity

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/go-gost/core/hosts"
	hostspb "github.com/go-gost/plugin/hosts/proto"
	"github.com/go-gost/x/config"
	hosts_parser "github.com/go-gost/x/config/parsing/hosts"
	xctx "github.com/go-gost/x/ctx"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/plugincheck/plugincheck/mockclient"
)

// ipStrings is GOST's []net.IP as mockclient reports it: canonical strings,
// never nil.
func ipStrings(ips []net.IP) []string {
	out := make([]string, 0, len(ips))
	for _, ip := range ips {
		out = append(out, ip.String())
	}
	return out
}

// oddIPs are reply entries GOST must filter through net.ParseIP: invalid
// ones, IPv6 and IPv4-mapped forms, zones, ports, padding.
var oddIPs = []string{
	"not-an-ip", "192.0.2.1", "", "2001:DB8:0:0::1", "::ffff:192.0.2.2", "fe80::1%eth0",
	"192.0.2.3:80", " 192.0.2.4", "[2001:db8::5]", "192.0.2.256", "::", "0.0.0.0", "010.000.002.001", "1.2.3",
}

// hugeIPs is a reply past gRPC's default 4 MiB receive limit: a usable IP
// and one huge entry, so that a client that accepted the message would keep
// 192.0.2.99 while one that fails (ResourceExhausted) keeps nothing.
var hugeIPs = []string{"192.0.2.99", strings.Repeat("1", 4<<20+16)}

var hostsAdapter = adapter{
	module: mockclient.Hosts,
	op:     "lookup",
	newGOST: func(t *testing.T, p *config.PluginConfig) any {
		h := hosts_parser.ParseHostMapper(&config.HostsConfig{Name: "parity", Plugin: p})
		require.NotNil(t, h)
		return h
	},
	callGOST: func(ctx context.Context, client any, req any) any {
		r := req.(*mockclient.HostsRequest)
		if r.Client != "" {
			ctx = xctx.ContextWithClientID(ctx, xctx.ClientID(r.Client))
		}
		// GOST's callers read only the IPs; ok is not part of the verdict.
		ips, _ := client.(hosts.HostMapper).Lookup(ctx, r.Network, r.Host)
		return mockclient.HostsVerdict{IPs: ipStrings(ips)}
	},
	project: func(v any) any { return v },
	ok: func(t mockclient.Transport) reply {
		if t == mockclient.GRPC {
			return reply{Name: "ok", GRPC: &hostspb.LookupReply{Ips: []string{"192.0.2.10", "2001:db8::10"}, Ok: true}}
		}
		return reply{Name: "ok", Body: `{"ips":["192.0.2.10","2001:db8::10"],"ok":true}`}
	},
	faults: func(t mockclient.Transport) []reply {
		if t == mockclient.GRPC {
			return []reply{
				{Name: "invalid-and-ipv6-ips", GRPC: &hostspb.LookupReply{Ips: oddIPs, Ok: true}},
				{Name: "ok-false-with-ips", GRPC: &hostspb.LookupReply{Ips: []string{"192.0.2.7", "2001:db8::7"}}},
				{Name: "ok-true-no-ips", GRPC: &hostspb.LookupReply{Ok: true}},
				{Name: "only-invalid-ips", GRPC: &hostspb.LookupReply{Ips: []string{"x", "", "300.1.1.1"}, Ok: true}},
				{Name: "empty", GRPC: &hostspb.LookupReply{}},
				{Name: "grpc-not-found", GRPCErr: statusErr(5, "no mapping")},
				{Name: "grpc-invalid-argument", GRPCErr: statusErr(3, "bad host")},
				{Name: "oversized-ip", GRPC: &hostspb.LookupReply{Ips: hugeIPs, Ok: true}},
			}
		}
		return ipsHTTPFaults
	},
	extra: []any{
		&mockclient.HostsRequest{},
		&mockclient.HostsRequest{Network: "ip6", Host: "fe80::1%eth0", Client: "[2001:db8::1]:1"},
		&mockclient.HostsRequest{Network: "udp", Host: "ÄÖÜ.例え", Client: "用户 ✓"},
	},
}

func TestParityHosts(t *testing.T) {
	t.Parallel()
	runDifferential(t, hostsAdapter)
}

// oversizedGRPC asserts that both sides fail the module's over-4-MiB gRPC
// reply with ResourceExhausted, not merely that they agree on the verdict.
// gostErr is GOST's error where its API returns one (resolver), else nil.
func oversizedGRPC(t *testing.T, a adapter, rep reply, req any, gostErr func(ctx context.Context, client any, req any) error) {
	t.Helper()
	srv := startServer(t, mockclient.GRPC, nil)
	plugin := pluginConfig(srv, a.module, "parity-token", nil)
	gost := a.newGOST(t, plugin)
	mc, err := mockclient.New(mockConfig(plugin))
	require.NoError(t, err)
	t.Cleanup(func() { _ = mc.Close() })
	op, err := mockclient.LookupOperation(a.module, a.op)
	require.NoError(t, err)
	srv.reply(rep)
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	if gostErr != nil {
		require.Equal(t, codes.ResourceExhausted, status.Code(gostErr(ctx, gost, req)), "GOST's error")
	}
	require.Equal(t, a.project(op.Do(ctx, mc, req).Verdict), a.callGOST(ctx, gost, req))
	out := op.Do(ctx, mc, req)
	require.Equal(t, codes.ResourceExhausted, out.Code, "plugincheck's observation: %v", out.Err)
	require.Equal(t, mockclient.FailureStatus, out.Failure)
}

func TestParityHostsOversizedGRPC(t *testing.T) {
	t.Parallel()
	oversizedGRPC(t, hostsAdapter, reply{Name: "oversized-ips", GRPC: &hostspb.LookupReply{Ips: hugeIPs, Ok: true}},
		&mockclient.HostsRequest{Network: "ip", Host: "app.example"}, nil)
}

// ipsHTTPFaults are the HTTP replies of the two modules that answer
// {"ips":[…],"ok":…}: hosts and resolver.
var ipsHTTPFaults = []reply{
	{Name: "invalid-and-ipv6-ips", Body: `{"ips":["not-an-ip","192.0.2.1","","2001:DB8:0:0::1","::ffff:192.0.2.2","fe80::1%eth0","192.0.2.3:80"," 192.0.2.4","[2001:db8::5]","192.0.2.256","::","1.2.3"],"ok":true}`},
	{Name: "ok-false-with-ips", Body: `{"ips":["192.0.2.7","2001:db8::7"],"ok":false}`},
	{Name: "no-ok-with-ips", Body: `{"ips":["192.0.2.8"]}`},
	{Name: "ok-true-no-ips", Body: `{"ok":true}`},
	{Name: "ok-false-no-ips", Body: `{"ok":false}`},
	{Name: "ips-null", Body: `{"ips":null,"ok":true}`},
	{Name: "ips-empty", Body: `{"ips":[],"ok":true}`},
	{Name: "null-entry", Body: `{"ips":[null,"192.0.2.9"],"ok":true}`},
	{Name: "upper-case-keys", Body: `{"IPS":["192.0.2.11"],"OK":true}`},
	{Name: "mixed-case-keys-ok-false", Body: `{"Ips":["192.0.2.12"],"Ok":false}`},
	{Name: "trailing-garbage", Body: `{"ips":["192.0.2.13"],"ok":true} trailing`},
	{Name: "wrong-type-ips-string", Body: `{"ips":"192.0.2.14","ok":true}`},
	{Name: "wrong-type-ip-number", Body: `{"ips":["192.0.2.15",3232235777],"ok":true}`},
	{Name: "wrong-type-ok", Body: `{"ips":["192.0.2.16"],"ok":"true"}`},
	{Name: "wrong-type-object", Body: `{"ips":{"a":"192.0.2.17"},"ok":true}`},
	{Name: "ok-null", Body: `{"ips":["192.0.2.17"],"ok":null}`},
	{Name: "truncated", Body: `{"ips":["192.0.2.18"`},
	{Name: "http-201-ips", Status: 201, Body: `{"ips":["192.0.2.19"],"ok":true}`},
	{Name: "http-204", Status: 204},
	{Name: "http-403-ips", Status: 403, Body: `{"ips":["192.0.2.20"],"ok":true}`},
	{Name: "http-500-ips", Status: 500, Body: `{"ips":["192.0.2.21"],"ok":true}`},
}
