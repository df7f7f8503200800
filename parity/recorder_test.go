package parity

import (
	"context"
	"testing"

	"github.com/go-gost/core/recorder"
	recorderpb "github.com/go-gost/plugin/recorder/proto"
	"github.com/go-gost/x/config"
	recorder_parser "github.com/go-gost/x/config/parsing/recorder"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/mockclient"
)

var recorderAdapter = adapter{
	module: mockclient.Recorder,
	op:     "record",
	newGOST: func(t *testing.T, p *config.PluginConfig) any {
		r := recorder_parser.ParseRecorder(&config.RecorderConfig{Name: "parity", Plugin: p})
		require.NotNil(t, r)
		return r
	},
	callGOST: func(ctx context.Context, client any, req any) any {
		r := req.(*mockclient.RecorderRequest)
		// x/recorder.MetadataRecorder appends the entry's metadata option
		// only when it has metadata; without it GOST marshals a nil any,
		// the same `null` a nil map gives.
		var opts []recorder.RecordOption
		if r.Metadata != nil {
			opts = append(opts, recorder.MetadataRecordOption(r.Metadata))
		}
		err := client.(recorder.Recorder).Record(ctx, r.Data, opts...)
		return mockclient.RecorderVerdict{OK: err == nil}
	},
	project: func(v any) any { return v },
	ok: func(t mockclient.Transport) reply {
		if t == mockclient.GRPC {
			return reply{Name: "ok", GRPC: &recorderpb.RecordReply{Ok: true}}
		}
		return reply{Name: "ok", Body: `{"ok":true}`}
	},
	faults: func(t mockclient.Transport) []reply {
		if t == mockclient.GRPC {
			return []reply{
				{Name: "ok-false", GRPC: &recorderpb.RecordReply{}},
				{Name: "grpc-deadline-exceeded", GRPCErr: statusErr(4, "too slow")},
			}
		}
		return []reply{
			{Name: "ok-false", Body: `{"ok":false}`},
			{Name: "upper-case-keys", Body: `{"OK":true}`},
			{Name: "trailing-garbage", Body: `{"ok":true} trailing`},
			{Name: "wrong-type-string", Body: `{"ok":"true"}`},
			{Name: "wrong-type-object", Body: `{"ok":{}}`},
			{Name: "ok-null", Body: `{"ok":null}`},
			{Name: "http-500-ok-true", Status: 500, Body: `{"ok":true}`},
		}
	},
	extra: []any{
		// Empty data: the gRPC recorder sends it, the HTTP recorder does not.
		&mockclient.RecorderRequest{},
		// Empty, non-nil data with an empty metadata map (`{}`).
		&mockclient.RecorderRequest{Data: []byte{}, Metadata: map[string]any{}},
		// IPv6 client address, non-ASCII metadata and nested values.
		&mockclient.RecorderRequest{Data: []byte("2001:db8::1"), Metadata: map[string]any{"ключ": "значение", "n": 1.5, "l": []any{nil, true}}},
		// Invalid UTF-8 in data (JSON base64 carries it byte for byte).
		&mockclient.RecorderRequest{Data: []byte{0xff, 0xfe, 0x00, '\n'}, Metadata: map[string]any{"record": "serial"}},
	},
}

func TestParityRecorder(t *testing.T) {
	t.Parallel()
	runDifferential(t, recorderAdapter)
}
