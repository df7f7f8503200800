package parity

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/go-gost/core/ingress"
	ingresspb "github.com/go-gost/plugin/ingress/proto"
	"github.com/go-gost/x/config"
	ingress_parser "github.com/go-gost/x/config/parsing/ingress"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/plugincheck/plugincheck/mockclient"
)

const ingressTunnelID = "6ba7b810-9dad-11d1-80b4-00c04fd430c8"

func newGOSTIngress(t *testing.T, p *config.PluginConfig) any {
	in := ingress_parser.ParseIngress(&config.IngressConfig{Name: "parity", Plugin: p})
	require.NotNil(t, in)
	if c, ok := in.(io.Closer); ok {
		t.Cleanup(func() { _ = c.Close() })
	}
	return in
}

var ingressGetRuleAdapter = adapter{
	module:  mockclient.Ingress,
	op:      "get_rule",
	newGOST: newGOSTIngress,
	callGOST: func(ctx context.Context, client any, req any) any {
		r := req.(*mockclient.IngressGetRuleRequest)
		rule := client.(ingress.Ingress).GetRule(ctx, r.Host, ingress.WithService(r.Service))
		if rule == nil {
			return mockclient.IngressRuleVerdict{}
		}
		return mockclient.IngressRuleVerdict{Rule: true, Endpoint: rule.Endpoint}
	},
	project: func(v any) any { return v },
	ok: func(t mockclient.Transport) reply {
		if t == mockclient.GRPC {
			return reply{Name: "ok", GRPC: &ingresspb.GetRuleReply{Endpoint: ingressTunnelID}}
		}
		return reply{Name: "ok", Body: `{"endpoint":"` + ingressTunnelID + `"}`}
	},
	faults: func(t mockclient.Transport) []reply {
		// Endpoint values: GOST keeps any non-empty one as the rule; whether
		// it routes is the tunnel handler's ParseTunnelID, which mockclient
		// reports as a note, not in the verdict.
		endpoints := []struct{ name, endpoint string }{
			{"endpoint-empty", ""},
			{"endpoint-private", "$" + ingressTunnelID},
			{"endpoint-not-a-uuid", "not-a-uuid"},
			{"endpoint-zero-uuid", "00000000-0000-0000-0000-000000000000"},
			{"endpoint-uuid-no-dashes", strings.ReplaceAll(ingressTunnelID, "-", "")},
			{"endpoint-uuid-braces", "{" + ingressTunnelID + "}"},
			{"endpoint-upper-case-uuid", strings.ToUpper(ingressTunnelID)},
			{"endpoint-dollar-only", "$"},
			{"endpoint-non-ascii", "隧道-✓"},
			{"endpoint-space", " "},
		}
		var out []reply
		if t == mockclient.GRPC {
			for _, e := range endpoints {
				out = append(out, reply{Name: e.name, GRPC: &ingresspb.GetRuleReply{Endpoint: e.endpoint}})
			}
			return append(out,
				// Field 1 as bytes that are not UTF-8: a proto3 string
				// field rejects them when the reply is unmarshalled.
				reply{Name: "endpoint-invalid-utf8", GRPC: &wrapperspb.BytesValue{Value: []byte{0xff, 0xfe, '$'}}},
				reply{Name: "oversized-endpoint", GRPC: &ingresspb.GetRuleReply{Endpoint: strings.Repeat("e", 5<<20)}},
				// A varint field 1 where a string is expected: protobuf
				// keeps it as an unknown field, so the endpoint is empty.
				reply{Name: "wrong-wire-type", GRPC: &wrapperspb.Int64Value{Value: 42}},
			)
		}
		for _, e := range endpoints {
			out = append(out, reply{Name: e.name, Body: `{"endpoint":"` + e.endpoint + `"}`})
		}
		return append(out,
			reply{Name: "upper-case-keys", Body: `{"ENDPOINT":"` + ingressTunnelID + `"}`},
			reply{Name: "trailing-garbage", Body: `{"endpoint":"` + ingressTunnelID + `"} trailing`},
			reply{Name: "wrong-type-number", Body: `{"endpoint":123}`},
			reply{Name: "wrong-type-object", Body: `{"endpoint":{"id":"` + ingressTunnelID + `"}}`},
			reply{Name: "null-endpoint", Body: `{"endpoint":null}`},
			reply{Name: "duplicate-keys", Body: `{"endpoint":"first","endpoint":"` + ingressTunnelID + `"}`},
			reply{Name: "invalid-utf8-endpoint", Body: "{\"endpoint\":\"\xff\xfe\"}"},
			reply{Name: "escaped-endpoint", Body: `{"endpoint":"\u0024` + ingressTunnelID + `"}`},
			reply{Name: "legacy-wrapped-rule", Body: `{"rule":{"endpoint":"` + ingressTunnelID + `"}}`},
			reply{Name: "http-404-with-endpoint", Status: 404, Body: `{"endpoint":"` + ingressTunnelID + `"}`},
		)
	},
	extra: []any{
		&mockclient.IngressGetRuleRequest{},
		&mockclient.IngressGetRuleRequest{Host: "[2001:db8::1]:443", Service: "a&b=c d/é"},
		&mockclient.IngressGetRuleRequest{Host: "bücher.例え.example?x=1#f", Service: ""},
		&mockclient.IngressGetRuleRequest{Host: "*.example.com", Service: "tunnel"},
	},
}

var ingressSetRuleAdapter = adapter{
	module:  mockclient.Ingress,
	op:      "set_rule",
	newGOST: newGOSTIngress,
	callGOST: func(ctx context.Context, client any, req any) any {
		r := req.(*mockclient.IngressSetRuleRequest)
		ok := client.(ingress.Ingress).SetRule(ctx, &ingress.Rule{Hostname: r.Host, Endpoint: r.Endpoint}, ingress.WithService(r.Service))
		return mockclient.IngressSetVerdict{OK: ok}
	},
	project: func(v any) any { return v },
	ok: func(t mockclient.Transport) reply {
		if t == mockclient.GRPC {
			return reply{Name: "ok", GRPC: &ingresspb.SetRuleReply{Ok: true}}
		}
		return reply{Name: "ok", Body: `{"ok":true}`}
	},
	faults: func(t mockclient.Transport) []reply {
		if t == mockclient.GRPC {
			return []reply{
				{Name: "not-ok", GRPC: &ingresspb.SetRuleReply{}},
				{Name: "wrong-wire-type", GRPC: &wrapperspb.StringValue{Value: "true"}},
				// No string or bytes field in the reply; an unknown one
				// still counts against grpc-go's 4 MiB receive limit.
				{Name: "oversized", GRPC: &wrapperspb.BytesValue{Value: []byte(strings.Repeat("x", 5<<20))}},
			}
		}
		return []reply{
			{Name: "not-ok", Body: `{"ok":false}`},
			{Name: "upper-case-keys", Body: `{"OK":true}`},
			{Name: "trailing-garbage", Body: `{"ok":true} trailing`},
			{Name: "wrong-type-string", Body: `{"ok":"true"}`},
			{Name: "wrong-type-number", Body: `{"ok":1}`},
			{Name: "null-ok", Body: `{"ok":null}`},
			{Name: "http-500-ok", Status: 500, Body: `{"ok":true}`},
		}
	},
	extra: []any{
		&mockclient.IngressSetRuleRequest{},
		&mockclient.IngressSetRuleRequest{Host: "bücher.例え.example", Endpoint: "$" + ingressTunnelID, Service: "隧道"},
		&mockclient.IngressSetRuleRequest{Host: "[2001:db8::1]:443", Endpoint: "not-a-uuid", Service: ""},
	},
}

func TestParityIngressGetRule(t *testing.T) {
	t.Parallel()
	runDifferential(t, ingressGetRuleAdapter)
}

func TestParityIngressSetRule(t *testing.T) {
	t.Parallel()
	runDifferential(t, ingressSetRuleAdapter)
}
