package parity

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/go-gost/core/rewriter"
	"github.com/go-gost/core/sd"
	rewriterpb "github.com/go-gost/plugin/rewriter/proto"
	sdpb "github.com/go-gost/plugin/sd/proto"
	"github.com/go-gost/x/config"
	rewriter_parser "github.com/go-gost/x/config/parsing/rewriter"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/plugincheck/plugincheck/mockclient"
)

var rewriterAdapter = adapter{
	module: mockclient.Rewriter,
	op:     "rewrite",
	newGOST: func(t *testing.T, p *config.PluginConfig) any {
		r := rewriter_parser.ParseRewriter(&config.RewriterConfig{Name: "parity", Plugin: p})
		require.NotNil(t, r)
		return r
	},
	callGOST: func(ctx context.Context, client any, req any) any {
		r := req.(*mockclient.RewriterRequest)
		// The sniffer always passes its metadata map; a nil map and no
		// option both marshal to `null`.
		var opts []rewriter.RewriteOption
		if r.Metadata != nil {
			opts = append(opts, rewriter.MetadataRewriteOption(r.Metadata))
		}
		out, err := client.(rewriter.Rewriter).Rewrite(ctx, r.Data, opts...)
		// GOST returns the body it continues with and whether the exchange
		// is aborted; whether that body came from the plugin is not
		// observable (a plugin may return the original bytes).
		return mockclient.RewriterVerdict{Body: string(out), Aborted: err != nil}
	},
	project: func(v any) any {
		rv := v.(mockclient.RewriterVerdict)
		rv.Replaced = false
		return rv
	},
	ok: func(t mockclient.Transport) reply {
		if t == mockclient.GRPC {
			return reply{Name: "ok", GRPC: &rewriterpb.RewriteReply{Ok: true, Data: []byte("rewritten ✓")}}
		}
		return reply{Name: "ok", Body: `{"ok":true,"data":"cmV3cml0dGVuIOKckw=="}`}
	},
	faults: func(t mockclient.Transport) []reply {
		if t == mockclient.GRPC {
			return []reply{
				{Name: "ok-false-with-data", GRPC: &rewriterpb.RewriteReply{Data: []byte("ignored")}},
				{Name: "ok-false", GRPC: &rewriterpb.RewriteReply{}},
				// proto3 cannot carry empty bytes: GOST sees nil data and
				// keeps the original body.
				{Name: "empty-data", GRPC: &rewriterpb.RewriteReply{Ok: true, Data: []byte{}}},
				{Name: "no-data", GRPC: &rewriterpb.RewriteReply{Ok: true}},
				{Name: "oversized-data", GRPC: &rewriterpb.RewriteReply{Ok: true, Data: bytes.Repeat([]byte("x"), 4<<20+1)}},
				{Name: "grpc-cancelled", GRPCErr: statusErr(1, "cancelled")},
			}
		}
		return []reply{
			{Name: "empty-data", Body: `{"ok":true,"data":""}`},
			{Name: "null-data", Body: `{"ok":true,"data":null}`},
			{Name: "no-data", Body: `{"ok":true}`},
			{Name: "ok-false-with-data", Body: `{"ok":false,"data":"aWdub3JlZA=="}`},
			{Name: "ok-false", Body: `{"ok":false}`},
			{Name: "upper-case-keys", Body: `{"OK":true,"DATA":"VVBQRVI="}`},
			{Name: "trailing-garbage", Body: `{"ok":true,"data":"Zw=="} trailing`},
			{Name: "wrong-type-data-number", Body: `{"ok":true,"data":123}`},
			{Name: "wrong-type-data-array", Body: `{"ok":true,"data":[1,2]}`},
			{Name: "data-not-base64", Body: `{"ok":true,"data":"not base64!"}`},
			{Name: "wrong-type-ok", Body: `{"ok":"true","data":"Zw=="}`},
			{Name: "http-500-with-data", Status: 500, Body: `{"ok":true,"data":"Zw=="}`},
			{Name: "http-201-with-data", Status: 201, Body: `{"ok":true,"data":"Zw=="}`},
		}
	},
	extra: []any{
		// Empty, non-nil data: gRPC sends no field, HTTP sends "".
		&mockclient.RewriterRequest{Data: []byte{}, Metadata: map[string]any{}},
		// No metadata at all (`null`) and non-UTF-8 data.
		&mockclient.RewriterRequest{Data: []byte{0xff, 0x00, 0xfe}},
		// SSE end phase with a stream error and a non-ASCII, IPv6 uri.
		&mockclient.RewriterRequest{Metadata: map[string]any{
			"sid": "c3r95hfthgivb9c6knp8", "direction": "response", "uri": "http://[2001:db8::1]/流?q=ü",
			"sse_phase": "end", "event_index": 3, "stream_error": "unexpected EOF",
		}},
	},
}

func TestParityRewriter(t *testing.T) {
	t.Parallel()
	runDifferential(t, rewriterAdapter)
}

// TestOversizedGRPCReplies checks what the verdicts cannot show: a reply over
// grpc-go's 4 MiB receive limit fails on both sides with ResourceExhausted,
// for each of this file's and sd_test.go's modules with a bytes or string
// reply field.
func TestOversizedGRPCReplies(t *testing.T) {
	t.Parallel()
	cases := []struct {
		module mockclient.Module
		reply  reply
		gost   func(ctx context.Context, client any) error
		mock   func(ctx context.Context, mc *mockclient.Client) mockclient.Observation
	}{
		{
			module: mockclient.Rewriter,
			reply:  reply{GRPC: &rewriterpb.RewriteReply{Ok: true, Data: bytes.Repeat([]byte("x"), 4<<20+1)}},
			gost: func(ctx context.Context, client any) error {
				_, err := client.(rewriter.Rewriter).Rewrite(ctx, []byte("b"))
				return err
			},
			mock: func(ctx context.Context, mc *mockclient.Client) mockclient.Observation {
				return mc.Rewrite(ctx, mockclient.RewriterRequest{Data: []byte("b")}).Observation
			},
		},
		{
			module: mockclient.SD,
			reply:  reply{GRPC: &sdpb.GetServiceReply{Services: []*sdpb.Service{{Id: strings.Repeat("x", 4<<20+1)}}}},
			gost: func(ctx context.Context, client any) error {
				_, err := client.(sd.SD).Get(ctx, "n")
				return err
			},
			mock: func(ctx context.Context, mc *mockclient.Client) mockclient.Observation {
				return mc.GetServices(ctx, mockclient.SDGetRequest{Name: "n"}).Observation
			},
		},
	}
	for _, c := range cases {
		t.Run(string(c.module), func(t *testing.T) {
			t.Parallel()
			srv := startServer(t, mockclient.GRPC, nil)
			srv.reply(c.reply)
			plugin := pluginConfig(srv, c.module, "", nil)
			var gost any
			if c.module == mockclient.SD {
				gost = newGOSTSD(t, plugin)
			} else {
				gost = rewriterAdapter.newGOST(t, plugin)
			}
			ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
			defer cancel()
			err := c.gost(ctx, gost)
			require.Equal(t, codes.ResourceExhausted, status.Code(err), "GOST: %v", err)

			mc, err := mockclient.New(mockConfig(plugin))
			require.NoError(t, err)
			t.Cleanup(func() { _ = mc.Close() })
			obs := c.mock(ctx, mc)
			require.Equal(t, codes.ResourceExhausted, obs.Code, "plugincheck: %v", obs.Err)
		})
	}
}
