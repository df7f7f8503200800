package parity

import (
	"context"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/go-gost/core/limiter"
	"github.com/go-gost/core/limiter/traffic"
	limiterpb "github.com/go-gost/plugin/limiter/traffic/proto"
	"github.com/go-gost/x/config"
	limiter_parser "github.com/go-gost/x/config/parsing/limiter"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/plugincheck/plugincheck/mockclient"
)

// limiterRate is the rate GOST's connection wrapper enforces with l: none
// (0) for a nil limiter, and for one whose Limit() is ≤ 0
// (x: limiter/traffic/wrapper/conn.go).
func limiterRate(l traffic.Limiter) int64 {
	if l == nil || l.Limit() <= 0 {
		return 0
	}
	return int64(l.Limit())
}

var limiterAdapter = adapter{
	module: mockclient.Limiter,
	op:     "limit",
	newGOST: func(t *testing.T, p *config.PluginConfig) any {
		l := limiter_parser.ParseTrafficLimiter(&config.LimiterConfig{Name: "parity", Plugin: p})
		require.NotNil(t, l)
		if c, ok := l.(io.Closer); ok {
			t.Cleanup(func() { _ = c.Close() })
		}
		return l
	},
	// GOST asks twice with the same request: In() keeps the reply's in,
	// Out() its out.
	gostCalls: 2,
	callGOST: func(ctx context.Context, client any, req any) any {
		r := req.(*mockclient.LimiterRequest)
		opts := []limiter.Option{
			limiter.ServiceOption(r.Service),
			limiter.ScopeOption(r.Scope),
			limiter.NetworkOption(r.Network),
			limiter.AddrOption(r.Addr),
			limiter.ClientOption(r.Client),
			limiter.SrcOption(r.Src),
		}
		// The key is never sent; the handlers use the ClientID (or "$",
		// or the remote address), which only the cache in front of the
		// plugin looks at.
		l := client.(traffic.TrafficLimiter)
		in := l.In(ctx, r.Client, opts...)
		out := l.Out(ctx, r.Client, opts...)
		// The cache in front of the plugin (x: limiter/traffic/cache) keeps
		// any non-nil limiter, even an unlimited one, and never a nil one.
		// In and Out see the same reply, so they agree; if they did not,
		// Cached would be false with a rate set, which no mockclient
		// verdict has.
		return mockclient.LimiterVerdict{In: limiterRate(in), Out: limiterRate(out), Cached: in != nil && out != nil}
	},
	project: func(v any) any { return v },
	ok: func(t mockclient.Transport) reply {
		if t == mockclient.GRPC {
			return reply{Name: "ok", GRPC: &limiterpb.LimitReply{In: 1048576, Out: 524288}}
		}
		return reply{Name: "ok", Body: `{"in":1048576,"out":524288}`}
	},
	faults: func(t mockclient.Transport) []reply {
		if t == mockclient.GRPC {
			return []reply{
				{Name: "zero", GRPC: &limiterpb.LimitReply{}},
				{Name: "negative", GRPC: &limiterpb.LimitReply{In: -1, Out: -1048576}},
				{Name: "in-only", GRPC: &limiterpb.LimitReply{In: 1}},
				{Name: "out-only", GRPC: &limiterpb.LimitReply{Out: 1}},
				{Name: "max-int64", GRPC: &limiterpb.LimitReply{In: math.MaxInt64, Out: math.MinInt64}},
				{Name: "beyond-int32", GRPC: &limiterpb.LimitReply{In: 1 << 40, Out: math.MaxInt32 + 1}},
				{Name: "float64-rounding", GRPC: &limiterpb.LimitReply{In: 1<<53 + 1, Out: math.MaxInt64 - 1023}},
				// A length-delimited field 1 where an int64 is expected:
				// protobuf keeps it as an unknown field, so in is 0.
				{Name: "wrong-wire-type", GRPC: &wrapperspb.BytesValue{Value: []byte("1048576")}},
				// The reply has no string or bytes field; an unknown one
				// still counts against grpc-go's 4 MiB receive limit.
				{Name: "oversized", GRPC: &wrapperspb.BytesValue{Value: []byte(strings.Repeat("x", 5<<20))}},
			}
		}
		return []reply{
			{Name: "zero", Body: `{"in":0,"out":0}`},
			{Name: "negative", Body: `{"in":-1,"out":-1048576}`},
			{Name: "in-only", Body: `{"in":1}`},
			{Name: "max-int64", Body: `{"in":9223372036854775807,"out":-9223372036854775808}`},
			{Name: "int64-overflow", Body: `{"in":9223372036854775808,"out":1}`},
			{Name: "float-value", Body: `{"in":1.5,"out":1}`},
			{Name: "exponent-value", Body: `{"in":1e6,"out":1}`},
			{Name: "string-value", Body: `{"in":"1048576","out":1}`},
			{Name: "null-values", Body: `{"in":null,"out":null}`},
			{Name: "bool-value", Body: `{"in":true,"out":1}`},
			{Name: "upper-case-keys", Body: `{"IN":2048,"Out":4096}`},
			{Name: "trailing-garbage", Body: `{"in":1,"out":2} trailing`},
			{Name: "two-objects", Body: `{"in":1,"out":2}{"in":3,"out":4}`},
			{Name: "duplicate-keys", Body: `{"in":1,"in":5,"out":2}`},
			{Name: "wrapped", Body: `{"limit":{"in":1,"out":2}}`},
			{Name: "http-500-with-rates", Status: 500, Body: `{"in":1,"out":2}`},
		}
	},
	extra: []any{
		&mockclient.LimiterRequest{},
		&mockclient.LimiterRequest{Network: "udp6", Addr: "[2001:db8::1]:53", Client: "用户-✓", Src: "[fe80::1%eth0]:5353", Service: "服务", Scope: "client"},
		&mockclient.LimiterRequest{Network: "tcp", Addr: "a\"b\\c:1", Client: "\u0000", Src: "@", Service: "svc", Scope: "SERVICE"},
	},
}

func TestParityLimiter(t *testing.T) {
	t.Parallel()
	runDifferential(t, limiterAdapter)
}
