package parity

import (
	"context"
	"strings"
	"testing"

	"github.com/go-gost/core/admission"
	admissionpb "github.com/go-gost/plugin/admission/proto"
	"github.com/go-gost/x/config"
	admission_parser "github.com/go-gost/x/config/parsing/admission"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/mockclient"
)

var admissionAdapter = adapter{
	module: mockclient.Admission,
	op:     "admit",
	newGOST: func(t *testing.T, p *config.PluginConfig) any {
		a := admission_parser.ParseAdmission(&config.AdmissionConfig{Name: "parity", Plugin: p})
		require.NotNil(t, a)
		return a
	},
	callGOST: func(ctx context.Context, client any, req any) any {
		r := req.(*mockclient.AdmissionRequest)
		// GOST's service loop passes admission.WithService(name); per-datagram
		// checks and routing rules pass no option, which GOST sends as "".
		var opts []admission.Option
		if r.Service != "" {
			opts = append(opts, admission.WithService(r.Service))
		}
		ok := client.(admission.Admission).Admit(ctx, r.Network, r.Addr, opts...)
		return mockclient.AdmissionVerdict{Admit: ok}
	},
	project: func(v any) any { return v },
	ok: func(t mockclient.Transport) reply {
		if t == mockclient.GRPC {
			return reply{Name: "ok", GRPC: &admissionpb.AdmissionReply{Ok: true}}
		}
		return reply{Name: "ok", Body: `{"ok":true}`}
	},
	faults: func(t mockclient.Transport) []reply {
		if t == mockclient.GRPC {
			return []reply{
				{Name: "denied", GRPC: &admissionpb.AdmissionReply{}},
				{Name: "grpc-invalid-argument", GRPCErr: statusErr(3, "bad addr")},
				{Name: "grpc-deadline-exceeded", GRPCErr: statusErr(4, "slow")},
				{Name: "grpc-resource-exhausted", GRPCErr: statusErr(8, "quota")},
				{Name: "grpc-long-message", GRPCErr: statusErr(13, strings.Repeat("e", 64<<10))},
			}
		}
		return []reply{
			{Name: "denied", Body: `{"ok":false}`},
			{Name: "upper-case-keys", Body: `{"OK":true}`},
			{Name: "mixed-case-keys", Body: `{"Ok":true}`},
			{Name: "trailing-garbage", Body: `{"ok":true} trailing`},
			{Name: "two-objects", Body: `{"ok":true}{"ok":false}`},
			{Name: "wrong-type-string", Body: `{"ok":"true"}`},
			{Name: "wrong-type-number", Body: `{"ok":1}`},
			{Name: "ok-null", Body: `{"ok":null}`},
			{Name: "bare-true", Body: `true`},
			{Name: "truncated", Body: `{"ok":tr`},
			{Name: "extra-keys", Body: `{"ok":true,"reason":"x","admit":false}`},
			{Name: "leading-whitespace", Body: "\n\t {\"ok\":true}\n"},
			{Name: "http-201-denied", Status: 201, Body: `{"ok":false}`},
			{Name: "http-204-ok", Status: 204, Body: ""},
			{Name: "http-403-ok", Status: 403, Body: `{"ok":true}`},
			{Name: "http-500-ok", Status: 500, Body: `{"ok":true}`},
		}
	},
	extra: []any{
		&mockclient.AdmissionRequest{},
		&mockclient.AdmissionRequest{Addr: "[fe80::1%eth0]:443", Service: "服务 ✓", Network: "tcp6"},
		&mockclient.AdmissionRequest{Addr: "::ffff:192.0.2.1", Network: "ip"},
	},
}

func TestParityAdmission(t *testing.T) {
	t.Parallel()
	runDifferential(t, admissionAdapter)
}
