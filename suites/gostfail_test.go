package suites

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"

	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
)

func TestGOSTFailure(t *testing.T) {
	t.Parallel()
	const (
		grpcT = mockclient.GRPC
		httpT = mockclient.HTTP
	)
	replied := func(tr mockclient.Transport, v any, notes ...mockclient.Note) mockclient.Outcome {
		o := mockclient.Outcome{Verdict: v, Notes: notes}
		o.Transport, o.Sent = tr, true
		if tr == httpT {
			o.HTTPStatus = 200
		}
		return o
	}
	failed := func(tr mockclient.Transport, f mockclient.Failure, code codes.Code, status int, notes ...mockclient.Note) mockclient.Outcome {
		o := mockclient.Outcome{Notes: notes}
		o.Transport, o.Sent, o.Failure, o.Code, o.HTTPStatus = tr, true, f, code, status
		o.Err = errors.New("boom")
		return o
	}
	note := func(code string) mockclient.Note { return mockclient.Note{Code: code, Text: "plugin said <script>"} }
	tests := []struct {
		name       string
		module     mockclient.Module
		op         string
		transport  mockclient.Transport
		out        mockclient.Outcome
		wantKind   string
		wantEffect string // a part of the effect text
	}{
		// happy: answers and denies are not failures.
		{name: "auth allow", module: mockclient.Auth, transport: grpcT, out: replied(grpcT, mockclient.AuthVerdict{OK: true, ID: "u"})},
		{name: "auth deny is a verdict", module: mockclient.Auth, transport: httpT, out: replied(httpT, mockclient.AuthVerdict{})},
		{name: "admission deny is a verdict", module: mockclient.Admission, transport: grpcT, out: replied(grpcT, mockclient.AdmissionVerdict{})},
		{name: "bypass matched is a verdict", module: mockclient.Bypass, transport: httpT, out: replied(httpT, mockclient.BypassVerdict{Matched: true})},
		{name: "observer ok", module: mockclient.Observer, transport: httpT, out: replied(httpT, mockclient.ObserverVerdict{OK: true})},
		{name: "hop direct warns only", module: mockclient.Hop, transport: grpcT, out: replied(grpcT, mockclient.HopVerdict{}, note(mockclient.NoteHopDirect))},
		{name: "hosts reply-ignored warns only", module: mockclient.Hosts, transport: httpT, out: replied(httpT, mockclient.HostsVerdict{}, note(mockclient.NoteReplyIgnored))},
		{name: "limiter unlimited warns only", module: mockclient.Limiter, transport: grpcT, out: replied(grpcT, mockclient.LimiterVerdict{}, note(mockclient.NoteUnlimited))},
		{name: "http hop 404 is no node", module: mockclient.Hop, transport: httpT, out: failed(httpT, mockclient.FailureStatus, 0, 404, note(mockclient.NoteHopDirect))},
		{name: "http hop 204 is no node", module: mockclient.Hop, transport: httpT, out: failed(httpT, mockclient.FailureStatus, 0, 204, note(mockclient.NoteHopDirect))},
		{name: "unsent recorder call", module: mockclient.Recorder, transport: httpT, out: mockclient.Outcome{Verdict: mockclient.RecorderVerdict{OK: true}, Notes: []mockclient.Note{note(mockclient.NoteNotSent)}}},
		// transport-level errors are not GOST-level failures.
		{name: "refused", module: mockclient.Auth, transport: httpT, out: failed(httpT, mockclient.FailureTransport, 0, 0)},
		{name: "grpc unavailable", module: mockclient.Observer, transport: grpcT, out: failed(grpcT, mockclient.FailureTransport, codes.Unavailable, 0, note(mockclient.NoteNotDelivered))},
		{name: "timeout", module: mockclient.Recorder, transport: grpcT, out: failed(grpcT, mockclient.FailureTimeout, codes.Canceled, 0, note(mockclient.NoteNotDelivered))},
		{name: "request", module: mockclient.Recorder, transport: httpT, out: failed(httpT, mockclient.FailureRequest, 0, 0, note(mockclient.NoteNotDelivered))},
		// sad: status and decode failures, by module.
		{name: "auth http 500", module: mockclient.Auth, transport: httpT, out: failed(httpT, mockclient.FailureStatus, 0, 500), wantKind: "http 500", wantEffect: "GOST denies the client"},
		{name: "auth grpc Internal", module: mockclient.Auth, transport: grpcT, out: failed(grpcT, mockclient.FailureStatus, codes.Internal, 0), wantKind: "grpc Internal", wantEffect: "GOST denies the client"},
		{name: "bypass http 404", module: mockclient.Bypass, transport: httpT, out: failed(httpT, mockclient.FailureStatus, 0, 404, note(mockclient.NoteFailOpen)), wantKind: "http 404", wantEffect: "as matched"},
		{name: "http hop 500 is a failure", module: mockclient.Hop, transport: httpT, out: failed(httpT, mockclient.FailureStatus, 0, 500, note(mockclient.NoteHopDirect)), wantKind: "http 500", wantEffect: "selects no node"},
		{name: "grpc hop 404-like NotFound is a failure", module: mockclient.Hop, transport: grpcT, out: failed(grpcT, mockclient.FailureStatus, codes.NotFound, 0), wantKind: "grpc NotFound", wantEffect: "dials directly"},
		{name: "limiter decode", module: mockclient.Limiter, transport: httpT, out: failed(httpT, mockclient.FailureDecode, 0, 200, note(mockclient.NoteUnlimited), note(mockclient.NoteFailOpen)), wantKind: "decode", wantEffect: "every Read and Write"},
		{name: "ingress set_rule status", module: mockclient.Ingress, op: "set_rule", transport: httpT, out: failed(httpT, mockclient.FailureStatus, 0, 503), wantKind: "http 503", wantEffect: "stores no rule"},
		{name: "ingress get_rule status", module: mockclient.Ingress, transport: grpcT, out: failed(grpcT, mockclient.FailureStatus, codes.Unimplemented, 0), wantKind: "grpc Unimplemented", wantEffect: "no route"},
		{name: "resolver status", module: mockclient.Resolver, transport: httpT, out: failed(httpT, mockclient.FailureStatus, 0, 502), wantKind: "http 502", wantEffect: "fails the dial"},
		{name: "rewriter http status keeps the body", module: mockclient.Rewriter, transport: httpT, out: failed(httpT, mockclient.FailureStatus, 0, 500), wantKind: "http 500", wantEffect: "original body"},
		{name: "rewriter decode aborts", module: mockclient.Rewriter, transport: httpT, out: failed(httpT, mockclient.FailureDecode, 0, 200), wantKind: "decode", wantEffect: "aborts"},
		{name: "router status", module: mockclient.Router, transport: grpcT, out: failed(grpcT, mockclient.FailureStatus, codes.Unknown, 0), wantKind: "grpc Unknown", wantEffect: "drops the packet"},
		{name: "sd register status", module: mockclient.SD, transport: httpT, out: failed(httpT, mockclient.FailureStatus, 0, 500), wantKind: "http 500", wantEffect: "logs the error"},
		{name: "recorder grpc status", module: mockclient.Recorder, transport: grpcT, out: failed(grpcT, mockclient.FailureStatus, codes.PermissionDenied, 0, note(mockclient.NoteNotDelivered)), wantKind: "grpc PermissionDenied", wantEffect: "record is lost"},
		// sad: replies GOST decodes but treats as failed (sanity Fail notes).
		{name: "observer without ok", module: mockclient.Observer, transport: httpT, out: replied(httpT, mockclient.ObserverVerdict{}, note(mockclient.NoteNotDelivered)), wantKind: "not-delivered", wantEffect: "observer reply without ok:true: GOST treats the report as failed"},
		{name: "recorder without ok", module: mockclient.Recorder, transport: grpcT, out: replied(grpcT, mockclient.RecorderVerdict{}, note(mockclient.NoteNotDelivered)), wantKind: "not-delivered", wantEffect: "recorder reply without ok:true"},
		{name: "sd null reply panics GOST", module: mockclient.SD, op: "get", transport: httpT, out: failed(httpT, mockclient.FailureDecode, 0, 200, note(mockclient.NoteGOSTPanics)), wantKind: "gost-panics", wantEffect: "crashes the GOST process"},
		{name: "hosts dropped ip", module: mockclient.Hosts, transport: httpT, out: replied(httpT, mockclient.HostsVerdict{}, note(mockclient.NoteDroppedIP)), wantKind: "dropped-ip", wantEffect: "drops it"},
		{name: "resolver dropped ip", module: mockclient.Resolver, transport: grpcT, out: replied(grpcT, mockclient.ResolverVerdict{}, note(mockclient.NoteDroppedIP)), wantKind: "dropped-ip", wantEffect: "not an IP"},
		{name: "router bad route", module: mockclient.Router, transport: httpT, out: replied(httpT, nil, note(mockclient.NoteBadRoute)), wantKind: "bad-route", wantEffect: "drops the packet"},
		{name: "hop empty node", module: mockclient.Hop, transport: grpcT, out: replied(grpcT, mockclient.HopVerdict{Selected: true}, note(mockclient.NoteHopEmptyNode)), wantKind: "hop-empty-node", wantEffect: `dials ""`},
		{name: "hop unusable node after a warning", module: mockclient.Hop, transport: httpT, out: replied(httpT, mockclient.HopVerdict{}, note(mockclient.NoteHopDirect), note(mockclient.NoteHopUnusable)), wantKind: "hop-unusable", wantEffect: "node parser rejects"},
		{name: "hop node that does not decode", module: mockclient.Hop, transport: grpcT, out: failed(grpcT, mockclient.FailureDecode, codes.OK, 0, note(mockclient.NoteHopDirect), note(mockclient.NoteHopUnusable)), wantKind: "hop-unusable", wantEffect: "selects no node"},
		{name: "ingress bad endpoint", module: mockclient.Ingress, transport: grpcT, out: replied(grpcT, mockclient.IngressRuleVerdict{Rule: true, Endpoint: "x"}, note(mockclient.NoteBadEndpoint)), wantKind: "bad-endpoint", wantEffect: "not a tunnel ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			op, err := mockclient.LookupOperation(tt.module, tt.op)
			require.NoError(t, err)
			kind, effect, failed := GOSTFailure(op, tt.transport, &tt.out)
			if tt.wantKind == "" {
				assert.False(t, failed, "GOSTFailure = %q, %q, true; want no failure", kind, effect)
				assert.Empty(t, kind)
				return
			}
			require.True(t, failed, "GOSTFailure: no failure; want %q", tt.wantKind)
			assert.Equal(t, tt.wantKind, kind)
			assert.Contains(t, effect, tt.wantEffect)
			assert.NotContains(t, effect, "<script>", "the effect never quotes the plugin")
		})
	}
}

// TestGOSTFailureFollowsSanity pins that every note sanity fails is a
// GOST-level failure with its own effect text, and no other note is.
func TestGOSTFailureFollowsSanity(t *testing.T) {
	t.Parallel()
	op, err := mockclient.LookupOperation(mockclient.Observer, "")
	require.NoError(t, err)
	for code, sev := range noteSeverity {
		out := mockclient.Outcome{Notes: []mockclient.Note{{Code: code}}}
		out.Sent = true
		kind, effect, failed := GOSTFailure(op, mockclient.HTTP, &out)
		if sev != report.Fail {
			assert.False(t, failed, "%s (%s): counted as a GOST-level failure", code, sev)
			continue
		}
		assert.True(t, failed, "%s: not counted", code)
		assert.Equal(t, code, kind)
		assert.NotEqual(t, "GOST treats the reply as failed", effect, "%s has no effect text of its own", code)
	}
}

// An observer that answers {"success":true}: GOST decodes the reply, finds
// no ok:true and treats the report as failed.
func ExampleGOSTFailure() {
	op, _ := mockclient.LookupOperation(mockclient.Observer, "")
	var out mockclient.Outcome
	out.Transport, out.Sent, out.HTTPStatus = mockclient.HTTP, true, 200
	out.Verdict = mockclient.ObserverVerdict{OK: false}
	out.Notes = []mockclient.Note{{Code: mockclient.NoteNotDelivered}}
	kind, effect, failed := GOSTFailure(op, mockclient.HTTP, &out)
	fmt.Println(failed, kind)
	fmt.Println(effect)
	// Output:
	// true not-delivered
	// observer reply without ok:true: GOST treats the report as failed and resends the same stats batch on every tick, sending nothing newer until one is accepted, so the plugin's accounting freezes (status events are lost)
}
