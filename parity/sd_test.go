package parity

import (
	"context"
	"strings"
	"testing"

	"github.com/go-gost/core/sd"
	sdpb "github.com/go-gost/plugin/sd/proto"
	"github.com/go-gost/x/config"
	sd_parser "github.com/go-gost/x/config/parsing/sd"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/plugincheck/plugincheck/mockclient"
)

func newGOSTSD(t *testing.T, p *config.PluginConfig) any {
	s := sd_parser.ParseSD(&config.SDConfig{Name: "parity", Plugin: p})
	require.NotNil(t, s)
	return s
}

// gostService is the *sd.Service GOST's tunnel and router handlers pass;
// nil stays nil (GOST then returns nil without a call).
func gostService(s *mockclient.SDService) *sd.Service {
	if s == nil {
		return nil
	}
	return &sd.Service{ID: s.ID, Name: s.Name, Node: s.Node, Network: s.Network, Address: s.Address}
}

// sdWriteAdapter is the adapter of Register, Renew or Deregister; they
// differ only in the call and the HTTP method.
func sdWriteAdapter(op string, call func(ctx context.Context, c sd.SD, s *sd.Service) error) adapter {
	return adapter{
		module:  mockclient.SD,
		op:      op,
		newGOST: newGOSTSD,
		callGOST: func(ctx context.Context, client any, req any) any {
			r := req.(*mockclient.SDServiceRequest)
			err := call(ctx, client.(sd.SD), gostService(r.Service))
			return mockclient.SDVerdict{OK: err == nil}
		},
		project: func(v any) any { return v },
		ok: func(t mockclient.Transport) reply {
			if t == mockclient.GRPC {
				return reply{Name: "ok", GRPC: sdWriteReply(op, true)}
			}
			return reply{Name: "ok", Body: `{"ok":true}`}
		},
		faults: func(t mockclient.Transport) []reply {
			if t == mockclient.GRPC {
				return []reply{
					// GOST ignores the reply's ok over gRPC.
					{Name: "ok-false", GRPC: sdWriteReply(op, false)},
					{Name: "grpc-already-exists", GRPCErr: statusErr(6, "exists")},
					{Name: "grpc-not-found", GRPCErr: statusErr(5, "unknown")},
				}
			}
			// Over HTTP only the status counts: the body is never read.
			return []reply{
				{Name: "ok-false", Body: `{"ok":false}`},
				{Name: "upper-case-keys", Body: `{"OK":false}`},
				{Name: "trailing-garbage", Body: `{"ok":true} trailing`},
				{Name: "wrong-type", Body: `{"ok":"false"}`},
				{Name: "http-404", Status: 404, Body: `{"ok":true}`},
				{Name: "http-202", Status: 202},
			}
		},
		extra: []any{
			// nil service: GOST returns nil without a call.
			&mockclient.SDServiceRequest{},
			// Every field empty: still sent.
			&mockclient.SDServiceRequest{Service: &mockclient.SDService{}},
			// IPv6 and non-ASCII names, a bracketed IPv6 entrypoint.
			&mockclient.SDServiceRequest{Service: &mockclient.SDService{
				ID: "not-a-uuid", Name: "2001:db8::50@路由器", Node: "ünïcode", Network: "udp", Address: "[2001:db8::1]:8420",
			}},
		},
	}
}

// sdWriteReply is the accepting or refusing proto reply of a write call.
func sdWriteReply(op string, ok bool) proto.Message {
	switch op {
	case "register":
		return &sdpb.RegisterReply{Ok: ok}
	case "renew":
		return &sdpb.RenewReply{Ok: ok}
	default:
		return &sdpb.DeregisterReply{Ok: ok}
	}
}

var (
	sdRegisterAdapter = sdWriteAdapter("register", func(ctx context.Context, c sd.SD, s *sd.Service) error {
		return c.Register(ctx, s)
	})
	sdRenewAdapter = sdWriteAdapter("renew", func(ctx context.Context, c sd.SD, s *sd.Service) error {
		return c.Renew(ctx, s)
	})
	sdDeregisterAdapter = sdWriteAdapter("deregister", func(ctx context.Context, c sd.SD, s *sd.Service) error {
		return c.Deregister(ctx, s)
	})
)

var sdGetAdapter = adapter{
	module:  mockclient.SD,
	op:      "get",
	newGOST: newGOSTSD,
	callGOST: func(ctx context.Context, client any, req any) (verdict any) {
		r := req.(*mockclient.SDGetRequest)
		// GOST v0.15.2's HTTP Get decodes into a pointer to a pointer, so a
		// `null` body sets it to nil and the next line dereferences nil: a
		// real GOST crash (the panic takes the GOST process down), which
		// plugincheck reports as gost-panics with OK=false. Recover it
		// here and map it to that verdict; nothing else may panic.
		defer func() {
			if p := recover(); p != nil {
				if e, ok := p.(error); !ok || !strings.Contains(e.Error(), "nil pointer dereference") {
					panic(p)
				}
				verdict = mockclient.SDGetVerdict{OK: false, Services: []mockclient.SDService{}}
			}
		}()
		services, err := client.(sd.SD).Get(ctx, r.Name)
		// GOST returns a nil slice for no services; mockclient reports an
		// empty list. Both mean the same thing to GOST's callers.
		v := mockclient.SDGetVerdict{OK: err == nil, Services: []mockclient.SDService{}}
		for _, s := range services {
			v.Services = append(v.Services, mockclient.SDService{
				ID: s.ID, Name: s.Name, Node: s.Node, Network: s.Network, Address: s.Address,
			})
		}
		return v
	},
	project: func(v any) any { return v },
	ok: func(t mockclient.Transport) reply {
		if t == mockclient.GRPC {
			return reply{Name: "ok", GRPC: &sdpb.GetServiceReply{Services: []*sdpb.Service{
				{Id: "45a6ec1d-94fd-455e-a6b1-f9215f1bcd39", Name: "tunnel", Node: "4ddac005-036d-4d19-83b7-849bc6507272", Network: "tcp", Address: "192.0.2.2:8421"},
				{Id: "bd8d7d22-abf0-451d-ac79-79300e4982b6", Name: "tunnel", Node: "30520240-356e-4a1f-80ca-af0dde6e5cb1", Network: "udp", Address: "[2001:db8::1]:8421"},
			}}}
		}
		return reply{Name: "ok", Body: `{"services":[` +
			`{"id":"45a6ec1d-94fd-455e-a6b1-f9215f1bcd39","name":"tunnel","node":"4ddac005-036d-4d19-83b7-849bc6507272","network":"tcp","address":"192.0.2.2:8421"},` +
			`{"id":"bd8d7d22-abf0-451d-ac79-79300e4982b6","name":"tunnel","node":"30520240-356e-4a1f-80ca-af0dde6e5cb1","network":"udp","address":"[2001:db8::1]:8421"}]}`}
	},
	faults: func(t mockclient.Transport) []reply {
		if t == mockclient.GRPC {
			return []reply{
				{Name: "no-services", GRPC: &sdpb.GetServiceReply{}},
				// A nil entry goes on the wire as an empty message, so
				// both sides see an empty service, not a skipped one.
				{Name: "null-entries", GRPC: &sdpb.GetServiceReply{Services: []*sdpb.Service{nil, {Id: "x", Network: "tcp", Address: ":1"}, nil}}},
				{Name: "oversized", GRPC: &sdpb.GetServiceReply{Services: []*sdpb.Service{{Id: strings.Repeat("x", 4<<20+1)}}}},
				{Name: "grpc-not-found", GRPCErr: statusErr(5, "no such name")},
			}
		}
		return []reply{
			{Name: "null-entries", Body: `{"services":[null,{"id":"x","network":"tcp","address":":1"},null]}`},
			{Name: "services-null", Body: `{"services":null}`},
			{Name: "services-empty", Body: `{"services":[]}`},
			// sd replies have no ok: an ok:false is ignored.
			{Name: "ok-false", Body: `{"ok":false,"services":[{"id":"kept"}]}`},
			{Name: "upper-case-keys", Body: `{"SERVICES":[{"ID":"u","NAME":"n","NODE":"o","NETWORK":"tcp","ADDRESS":":2"}]}`},
			{Name: "trailing-garbage", Body: `{"services":[{"id":"g"}]} trailing`},
			{Name: "wrong-type-services", Body: `{"services":{"id":"x"}}`},
			{Name: "wrong-type-entry", Body: `{"services":[1]}`},
			{Name: "wrong-type-field", Body: `{"services":[{"id":1}]}`},
			{Name: "null-with-whitespace", Body: " null \n"},
			// GOST's decoder stops after the first value: still a crash.
			{Name: "null-then-object", Body: `null {"services":[]}`},
		}
	},
	extra: []any{
		&mockclient.SDGetRequest{},
		&mockclient.SDGetRequest{Name: "2001:db8::50@路由器 &x=y"},
	},
}

func TestParitySDRegister(t *testing.T) {
	t.Parallel()
	runDifferential(t, sdRegisterAdapter)
}

func TestParitySDRenew(t *testing.T) {
	t.Parallel()
	runDifferential(t, sdRenewAdapter)
}

func TestParitySDDeregister(t *testing.T) {
	t.Parallel()
	runDifferential(t, sdDeregisterAdapter)
}

func TestParitySDGet(t *testing.T) {
	t.Parallel()
	runDifferential(t, sdGetAdapter)
}

// TestSDGetHTTPNullPanicsInGOST pins the crash sdGetAdapter recovers from:
// GOST's HTTP Get really panics on a `null` body (it is not an ordinary
// error), and plugincheck reports it as a decode failure noted gost-panics.
func TestSDGetHTTPNullPanicsInGOST(t *testing.T) {
	t.Parallel()
	srv := startServer(t, mockclient.HTTP, nil)
	srv.reply(reply{Name: "null", Body: "null"})
	plugin := pluginConfig(srv, mockclient.SD, "", nil)
	gost := newGOSTSD(t, plugin).(sd.SD)
	require.PanicsWithError(t, "runtime error: invalid memory address or nil pointer dereference", func() {
		_, _ = gost.Get(context.Background(), "n")
	})

	mc, err := mockclient.New(mockConfig(plugin))
	require.NoError(t, err)
	t.Cleanup(func() { _ = mc.Close() })
	res := mc.GetServices(context.Background(), mockclient.SDGetRequest{Name: "n"})
	require.False(t, res.Verdict.OK)
	require.Equal(t, mockclient.FailureDecode, res.Failure)
	var noted bool
	for _, n := range res.Notes {
		noted = noted || n.Code == mockclient.NoteGOSTPanics
	}
	require.True(t, noted, "notes: %+v", res.Notes)
}
