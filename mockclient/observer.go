package mockclient

import (
	"context"
	"fmt"

	"github.com/go-gost/plugin/observer/proto"
	"google.golang.org/grpc"
)

// ObserverRequest is the batch of events GOST hands its observer
// (x/observer/plugin). GOST sends one batch per status change or per stats
// tick; an empty batch is never sent.
type ObserverRequest struct {
	Events []ObserverEvent `json:"events"`
}

// Observer event types GOST knows. Any other type is dropped before sending.
const (
	ObserverEventStatus = "status"
	ObserverEventStats  = "stats"
)

// ObserverEvent is one GOST event. GOST builds the wire event from it by
// type: a "status" event carries kind, service, type and status (never
// client or stats); a "stats" event carries kind, service, client, type and
// stats (never status).
type ObserverEvent struct {
	// Kind is "service" for service events and "handler" for handler stats.
	Kind string `json:"kind"`
	// Service is the GOST service name.
	Service string `json:"service"`
	// Client is the ClientID of handler stats ("" without auth); GOST sends
	// it only with "stats" events.
	Client string `json:"client"`
	// Type is "status" or "stats"; GOST drops any other type.
	Type string `json:"type"`
	// Stats is sent with "stats" events; nil sends zero counters, as GOST
	// always fills them.
	Stats *ObserverStats `json:"stats"`
	// Status is sent with "status" events; nil sends an empty state and
	// message, as GOST always fills them.
	Status *ObserverStatus `json:"status"`
}

// ObserverStats are the cumulative counters of a "stats" event (deltas for
// the byte counters when GOST's observer.resetTraffic is set).
type ObserverStats struct {
	TotalConns   uint64 `json:"totalConns"`
	CurrentConns uint64 `json:"currentConns"`
	InputBytes   uint64 `json:"inputBytes"`
	OutputBytes  uint64 `json:"outputBytes"`
	TotalErrs    uint64 `json:"totalErrs"`
}

// ObserverStatus is the service state of a "status" event: state is one of
// running, ready, failed, closed, and msg is "service <name> is <state>".
type ObserverStatus struct {
	State string `json:"state"`
	Msg   string `json:"msg"`
}

// ObserverVerdict is whether Observe returned nil. A failed stats batch is
// resent by GOST on the next tick; a failed status event is lost.
type ObserverVerdict struct {
	OK bool `json:"ok"`
}

// httpObserveRequest and its parts are x's body: client, stats and status
// are omitempty.
type httpObserveRequest struct {
	Events []httpObserverEvent `json:"events"`
}

type httpObserverEvent struct {
	Kind    string                  `json:"kind"`
	Service string                  `json:"service"`
	Client  string                  `json:"client,omitempty"`
	Type    string                  `json:"type"`
	Stats   *httpObserverStatsEvent `json:"stats,omitempty"`
	Status  *httpObserverStatus     `json:"status,omitempty"`
}

type httpObserverStatsEvent struct {
	TotalConns   uint64 `json:"totalConns"`
	CurrentConns uint64 `json:"currentConns"`
	InputBytes   uint64 `json:"inputBytes"`
	OutputBytes  uint64 `json:"outputBytes"`
	TotalErrs    uint64 `json:"totalErrs"`
}

type httpObserverStatus struct {
	State string `json:"state"`
	Msg   string `json:"msg"`
}

type httpObserverReply struct {
	OK bool `json:"ok"`
}

const methodObserve = "/proto.Observer/Observe"

var observerOps = moduleOps{Observer, []Operation{observeOp.operation()}}

// observeOp: with no events GOST makes no call and returns nil. Events of
// an unknown type are dropped; if all are dropped the empty batch is still
// sent, as GOST checks only the input length.
var observeOp = &op[ObserverRequest, ObserverVerdict, bool]{
	module: Observer, name: "observe", grpcMethod: methodObserve, httpMethod: "POST",
	skip: func(_ Transport, req ObserverRequest) (ObserverVerdict, string, bool) {
		return ObserverVerdict{OK: true}, "GOST never sends an empty event batch", len(req.Events) == 0
	},
	start: func(req ObserverRequest, res *Result[ObserverVerdict]) {
		for i, ev := range req.Events {
			if ev.Type != ObserverEventStatus && ev.Type != ObserverEventStats {
				res.note(NoteDroppedEvent, fmt.Sprintf("event %d has type %q; GOST drops it with the warning \"unknown event type\"", i, ev.Type))
			}
		}
	},
	grpc: func(req ObserverRequest) (grpcSpec[bool], error) {
		msg := observeProto(req)
		return unary(msg, func(ctx context.Context, cc grpc.ClientConnInterface, opts ...grpc.CallOption) (*proto.ObserveReply, error) {
			return proto.NewObserverClient(cc).Observe(ctx, msg, opts...)
		}, (*proto.ObserveReply).GetOk), nil
	},
	http: func(req ObserverRequest) (httpSpec[bool], error) {
		return jsonReply(observeBody(req), func(r *httpObserverReply) bool { return r.OK }), nil
	},
	verdict: func(c *Client, res *Result[ObserverVerdict], ok bool) {
		res.Verdict = ObserverVerdict{OK: ok}
		c.observerNotes(res)
	},
	failed:          func(c *Client, res *Result[ObserverVerdict]) { c.observerNotes(res) },
	nilClient:       ObserverVerdict{OK: true},
	nilClientEffect: "GOST observes nothing (no-op)",
}

// Observe sends a batch of events. With no events GOST makes no call and
// returns nil. Events of an unknown type are dropped; if all are dropped the
// empty batch is still sent, as GOST checks only the input length.
func (c *Client) Observe(ctx context.Context, req ObserverRequest) Result[ObserverVerdict] {
	return observeOp.call(ctx, c, req)
}

// observeProto builds x's gRPC batch: events of a known type only, status
// events without client or stats, stats events without status.
func observeProto(req ObserverRequest) *proto.ObserveRequest {
	msg := &proto.ObserveRequest{}
	for _, ev := range req.Events {
		switch ev.Type {
		case ObserverEventStatus:
			st := ev.Status
			if st == nil {
				st = &ObserverStatus{}
			}
			msg.Events = append(msg.Events, &proto.Event{
				Kind:    ev.Kind,
				Service: ev.Service,
				Type:    ev.Type,
				Status:  &proto.ServiceStatus{State: st.State, Msg: st.Msg},
			})
		case ObserverEventStats:
			s := ev.Stats
			if s == nil {
				s = &ObserverStats{}
			}
			msg.Events = append(msg.Events, &proto.Event{
				Kind:    ev.Kind,
				Service: ev.Service,
				Client:  ev.Client,
				Type:    ev.Type,
				Stats: &proto.Stats{
					TotalConns:   s.TotalConns,
					CurrentConns: s.CurrentConns,
					InputBytes:   s.InputBytes,
					OutputBytes:  s.OutputBytes,
					TotalErrs:    s.TotalErrs,
				},
			})
		}
	}
	return msg
}

// observeBody builds x's HTTP batch, with the same filtering as observeProto.
func observeBody(req ObserverRequest) httpObserveRequest {
	var body httpObserveRequest
	for _, ev := range req.Events {
		switch ev.Type {
		case ObserverEventStatus:
			st := ev.Status
			if st == nil {
				st = &ObserverStatus{}
			}
			body.Events = append(body.Events, httpObserverEvent{
				Kind:    ev.Kind,
				Service: ev.Service,
				Type:    ev.Type,
				Status:  &httpObserverStatus{State: st.State, Msg: st.Msg},
			})
		case ObserverEventStats:
			s := ev.Stats
			if s == nil {
				s = &ObserverStats{}
			}
			body.Events = append(body.Events, httpObserverEvent{
				Kind:    ev.Kind,
				Service: ev.Service,
				Client:  ev.Client,
				Type:    ev.Type,
				Stats: &httpObserverStatsEvent{
					TotalConns:   s.TotalConns,
					CurrentConns: s.CurrentConns,
					InputBytes:   s.InputBytes,
					OutputBytes:  s.OutputBytes,
					TotalErrs:    s.TotalErrs,
				},
			})
		}
	}
	return body
}

// observerResend is what GOST (x/service and every handler's observeStats)
// does with a batch whose Observe returned an error.
const observerResend = "GOST resends the same failed stats batch (the service's, and each handler's) on every tick " +
	"and sends no newer stats until it succeeds; status events (service state changes) are sent once and lost"

// observerNotes explains what GOST does with an undelivered batch. A plugin
// that replies, but not ok:true, will never succeed: GOST then resends its
// first failed batch forever.
func (c *Client) observerNotes(res *Result[ObserverVerdict]) {
	if res.Verdict.OK {
		return
	}
	reason := c.notOKReason(&res.Observation)
	if reason == "" {
		res.note(NoteNotDelivered, observerResend)
		return
	}
	res.note(NoteNotDelivered, reason+": GOST counts the batch as failed. "+observerResend+
		". If the plugin always answers so, GOST resends its first failed batch forever and the plugin's accounting freezes there")
}
