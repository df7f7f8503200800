package parity

import (
	"context"
	"strings"
	"testing"

	"github.com/go-gost/core/bypass"
	bypasspb "github.com/go-gost/plugin/bypass/proto"
	"github.com/go-gost/x/config"
	bypass_parser "github.com/go-gost/x/config/parsing/bypass"
	xctx "github.com/go-gost/x/ctx"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/mockclient"
)

var bypassAdapter = adapter{
	module: mockclient.Bypass,
	op:     "bypass",
	newGOST: func(t *testing.T, p *config.PluginConfig) any {
		b := bypass_parser.ParseBypass(&config.BypassConfig{Name: "parity", Plugin: p})
		require.NotNil(t, b)
		return b
	},
	callGOST: func(ctx context.Context, client any, req any) any {
		r := req.(*mockclient.BypassRequest)
		if r.Client != "" {
			ctx = xctx.ContextWithClientID(ctx, xctx.ClientID(r.Client))
		}
		// Handlers pass WithService; hop/node bypass passes WithHostOption;
		// the HTTP sniffers pass WithPathOption. Each only where it applies.
		var opts []bypass.Option
		if r.Service != "" {
			opts = append(opts, bypass.WithService(r.Service))
		}
		if r.Host != "" {
			opts = append(opts, bypass.WithHostOption(r.Host))
		}
		if r.Path != "" {
			opts = append(opts, bypass.WithPathOption(r.Path))
		}
		matched := client.(bypass.Bypass).Contains(ctx, r.Network, r.Addr, opts...)
		return mockclient.BypassVerdict{Matched: matched}
	},
	project: func(v any) any { return v },
	ok: func(t mockclient.Transport) reply {
		// The accepting reply of a bypass is "not matched": the request goes
		// through the proxy. (ok:true is exercised as a fault-shaped reply.)
		if t == mockclient.GRPC {
			return reply{Name: "ok", GRPC: &bypasspb.BypassReply{}}
		}
		return reply{Name: "ok", Body: `{"ok":false}`}
	},
	faults: func(t mockclient.Transport) []reply {
		if t == mockclient.GRPC {
			return []reply{
				{Name: "matched", GRPC: &bypasspb.BypassReply{Ok: true}},
				{Name: "grpc-invalid-argument", GRPCErr: statusErr(3, "bad addr")},
				{Name: "grpc-deadline-exceeded", GRPCErr: statusErr(4, "slow")},
				{Name: "grpc-not-found", GRPCErr: statusErr(5, "no rule")},
				{Name: "grpc-long-message", GRPCErr: statusErr(13, strings.Repeat("e", 64<<10))},
			}
		}
		return []reply{
			{Name: "matched", Body: `{"ok":true}`},
			{Name: "upper-case-keys", Body: `{"OK":true}`},
			{Name: "upper-case-keys-false", Body: `{"OK":false}`},
			{Name: "trailing-garbage", Body: `{"ok":false} trailing`},
			{Name: "two-objects", Body: `{"ok":false}{"ok":true}`},
			{Name: "wrong-type-string", Body: `{"ok":"false"}`},
			{Name: "wrong-type-number", Body: `{"ok":0}`},
			{Name: "ok-null", Body: `{"ok":null}`},
			{Name: "bare-false", Body: `false`},
			{Name: "truncated", Body: `{"ok":fa`},
			{Name: "extra-keys", Body: `{"ok":false,"matched":true}`},
			{Name: "http-201-not-matched", Status: 201, Body: `{"ok":false}`},
			{Name: "http-204-empty", Status: 204},
			{Name: "http-403-not-matched", Status: 403, Body: `{"ok":false}`},
			{Name: "http-500-not-matched", Status: 500, Body: `{"ok":false}`},
		}
	},
	extra: []any{
		&mockclient.BypassRequest{Client: "c"},
		&mockclient.BypassRequest{Addr: "[2001:db8::1]:443", Client: "用户-✓", Network: "udp", Host: "bücher.例え.example:443", Path: "/文档?q=ü&x=%20", Service: "svc ✓"},
		&mockclient.BypassRequest{Addr: "[fe80::1%eth0]:80", Network: "tcp6", Host: "[fe80::1%eth0]:80", Path: "*"},
	},
}

func TestParityBypass(t *testing.T) {
	t.Parallel()
	runDifferential(t, bypassAdapter)
}
