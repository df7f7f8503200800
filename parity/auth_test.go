package parity

import (
	"context"
	"testing"

	"github.com/go-gost/core/auth"
	authpb "github.com/go-gost/plugin/auth/proto"
	"github.com/go-gost/x/config"
	auth_parser "github.com/go-gost/x/config/parsing/auth"
	xctx "github.com/go-gost/x/ctx"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/mockclient"
)

var authAdapter = adapter{
	module: mockclient.Auth,
	op:     "authenticate",
	newGOST: func(t *testing.T, p *config.PluginConfig) any {
		a := auth_parser.ParseAuther(&config.AutherConfig{Name: "parity", Plugin: p})
		require.NotNil(t, a)
		return a
	},
	callGOST: func(ctx context.Context, client any, req any) any {
		r := req.(*mockclient.AuthRequest)
		if r.Client != "" {
			ctx = xctx.ContextWithSrcAddr(ctx, strAddr(r.Client))
		}
		if r.ClientCN != "" || len(r.ClientSAN) > 0 || r.ClientCertFingerprint != "" {
			ctx = xctx.ContextWithPeerCert(ctx, &xctx.PeerCert{CN: r.ClientCN, SANs: r.ClientSAN, Fingerprint: r.ClientCertFingerprint})
		}
		id, ok := client.(auth.Authenticator).Authenticate(ctx, r.Username, r.Password, auth.WithService(r.Service))
		return mockclient.AuthVerdict{OK: ok, ID: id}
	},
	project: func(v any) any { return v },
	ok: func(t mockclient.Transport) reply {
		if t == mockclient.GRPC {
			return reply{Name: "ok", GRPC: &authpb.AuthenticateReply{Ok: true, Id: "parity-id"}}
		}
		return reply{Name: "ok", Body: `{"ok":true,"id":"parity-id"}`}
	},
	faults: func(t mockclient.Transport) []reply {
		if t == mockclient.GRPC {
			return []reply{
				{Name: "denied-with-id", GRPC: &authpb.AuthenticateReply{Id: "kept"}},
				{Name: "denied", GRPC: &authpb.AuthenticateReply{}},
			}
		}
		return []reply{
			{Name: "upper-case-keys", Body: `{"OK":true,"ID":"upper"}`},
			{Name: "trailing-garbage", Body: `{"ok":true,"id":"g"} trailing`},
			{Name: "wrong-type", Body: `{"ok":"true"}`},
			{Name: "denied-with-id", Body: `{"ok":false,"id":"kept"}`},
		}
	},
	extra: []any{
		&mockclient.AuthRequest{},
		&mockclient.AuthRequest{Username: "u", Password: "p", Client: "[2001:db8::1]:443", Service: "svc", ClientCN: "cn"},
	},
}

func TestParityAuth(t *testing.T) {
	t.Parallel()
	runDifferential(t, authAdapter)
}
