package parity

import (
	"context"
	"testing"

	"github.com/go-gost/core/observer"
	observerpb "github.com/go-gost/plugin/observer/proto"
	"github.com/go-gost/x/config"
	observer_parser "github.com/go-gost/x/config/parsing/observer"
	xstats "github.com/go-gost/x/observer/stats"
	"github.com/go-gost/x/service"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/mockclient"
)

// otherEvent is an event of a type GOST's observers do not know; they drop
// it with a warning.
type otherEvent observer.EventType

func (e otherEvent) Type() observer.EventType { return observer.EventType(e) }

// gostEvents builds GOST's own event values from mockclient's events: a
// service.ServiceEvent for "status" and a stats.StatsEvent for "stats", as
// x's service and handlers emit them.
func gostEvents(evs []mockclient.ObserverEvent) []observer.Event {
	var out []observer.Event
	for _, ev := range evs {
		switch ev.Type {
		case string(observer.EventStatus):
			se := service.ServiceEvent{Kind: ev.Kind, Service: ev.Service}
			if ev.Status != nil {
				se.State, se.Msg = service.State(ev.Status.State), ev.Status.Msg
			}
			out = append(out, se)
		case string(observer.EventStats):
			se := xstats.StatsEvent{Kind: ev.Kind, Service: ev.Service, Client: ev.Client}
			if s := ev.Stats; s != nil {
				se.TotalConns, se.CurrentConns, se.InputBytes, se.OutputBytes, se.TotalErrs =
					s.TotalConns, s.CurrentConns, s.InputBytes, s.OutputBytes, s.TotalErrs
			}
			out = append(out, se)
		default:
			out = append(out, otherEvent(ev.Type))
		}
	}
	return out
}

var observerAdapter = adapter{
	module: mockclient.Observer,
	op:     "observe",
	newGOST: func(t *testing.T, p *config.PluginConfig) any {
		o := observer_parser.ParseObserver(&config.ObserverConfig{Name: "parity", Plugin: p})
		require.NotNil(t, o)
		return o
	},
	callGOST: func(ctx context.Context, client any, req any) any {
		r := req.(*mockclient.ObserverRequest)
		err := client.(observer.Observer).Observe(ctx, gostEvents(r.Events))
		return mockclient.ObserverVerdict{OK: err == nil}
	},
	project: func(v any) any { return v },
	ok: func(t mockclient.Transport) reply {
		if t == mockclient.GRPC {
			return reply{Name: "ok", GRPC: &observerpb.ObserveReply{Ok: true}}
		}
		return reply{Name: "ok", Body: `{"ok":true}`}
	},
	faults: func(t mockclient.Transport) []reply {
		if t == mockclient.GRPC {
			return []reply{
				{Name: "ok-false", GRPC: &observerpb.ObserveReply{}},
				{Name: "grpc-resource-exhausted", GRPCErr: statusErr(8, "slow down")},
			}
		}
		return []reply{
			{Name: "ok-false", Body: `{"ok":false}`},
			{Name: "upper-case-keys", Body: `{"OK":true}`},
			{Name: "trailing-garbage", Body: `{"ok":true} trailing`},
			{Name: "wrong-type-string", Body: `{"ok":"true"}`},
			{Name: "wrong-type-number", Body: `{"ok":1}`},
			{Name: "ok-null", Body: `{"ok":null}`},
			{Name: "http-201-ok-false", Status: 201, Body: `{"ok":false}`},
		}
	},
	extra: []any{
		// No events: GOST makes no call and returns nil.
		&mockclient.ObserverRequest{},
		// Only an unknown type: dropped, yet the empty batch is still sent.
		&mockclient.ObserverRequest{Events: []mockclient.ObserverEvent{{Kind: "service", Service: "svc", Type: "bogus"}}},
		// Mixed: nil status and stats, empty fields, a status event with a
		// client (GOST's ServiceEvent has none), an unknown type in between.
		&mockclient.ObserverRequest{Events: []mockclient.ObserverEvent{
			{Type: "status"},
			{Type: "stats"},
			{Kind: "service", Service: "ü-svc", Client: "dropped", Type: "status", Status: &mockclient.ObserverStatus{State: "ready", Msg: "service ü-svc is ready"}},
			{Kind: "handler", Service: "svc", Client: "[2001:db8::1]:443", Type: "event"},
			{Kind: "handler", Service: "svc", Client: "用户", Type: "stats", Stats: &mockclient.ObserverStats{TotalConns: ^uint64(0), InputBytes: 1}},
		}},
	},
}

func TestParityObserver(t *testing.T) {
	t.Parallel()
	runDifferential(t, observerAdapter)
}
