package suites

import (
	"fmt"

	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
)

// GOSTFailure says whether GOST treats the reply of a call as a failed call:
// the plugin answered, yet GOST applies the module's failure rule or acts on
// something the plugin cannot have meant. It is the one place that decides
// this, so that load tests count what module runs fail.
//
// kind is a stable label: "http <status>" or "grpc <Code>" for a status
// failure, "decode", or the code of a note whose sanity severity is Fail
// ("not-delivered", "gost-panics", …). effect says, for people, what GOST
// does then; it never quotes the plugin, so it may be kept and printed.
//
// Calls that got no reply at all (mockclient's transport, timeout and request
// failures) are transport-level errors, not GOST-level failures, and calls
// GOST never sends are neither. Deny verdicts (auth or admission ok:false, a
// bypass match, a resolver's ok:false) are answers, not failures, and so is
// an HTTP hop plugin's 204 or 404, its only way to say "no node".
func GOSTFailure(op mockclient.Operation, t mockclient.Transport, out *mockclient.Outcome) (kind, effect string, failed bool) {
	switch out.Failure {
	case mockclient.FailureNone:
		if !out.Sent {
			return "", "", false
		}
		return failingNote(op, out)
	case mockclient.FailureStatus:
		if noNodeReply(op, t, out) {
			return "", "", false
		}
		return statusKind(t, out), "the plugin answered with an error status: " + failedCallEffect(op, t, out), true
	case mockclient.FailureDecode:
		// A note such as gost-panics says more than "decode".
		if kind, effect, failed := failingNote(op, out); failed {
			return kind, effect, true
		}
		return "decode", "the reply does not decode as GOST decodes it: " + failedCallEffect(op, t, out), true
	}
	return "", "", false
}

// statusKind labels a status failure by what arrived on the wire.
func statusKind(t mockclient.Transport, out *mockclient.Outcome) string {
	switch {
	case t == mockclient.GRPC:
		return "grpc " + out.Code.String()
	case out.HTTPStatus != 0:
		return fmt.Sprintf("http %d", out.HTTPStatus)
	}
	return "status"
}

// failingNote returns the first note of out whose severity is Fail.
func failingNote(op mockclient.Operation, out *mockclient.Outcome) (kind, effect string, failed bool) {
	for _, n := range out.Notes {
		if noteSeverity[n.Code] != report.Fail {
			continue
		}
		return n.Code, noteEffect(op, n.Code), true
	}
	return "", "", false
}

// noteEffect says what GOST does with a reply that carries a failing note.
// The note's own text may quote the plugin's reply, so it is not used.
func noteEffect(op mockclient.Operation, code string) string {
	switch code {
	case mockclient.NoteNotDelivered:
		if op.Module == mockclient.Recorder {
			return "recorder reply without ok:true: GOST treats the record as failed, logs the error and loses the record (no retry)"
		}
		return "observer reply without ok:true: GOST treats the report as failed and resends the same stats batch on every tick, sending nothing newer until one is accepted, so the plugin's accounting freezes (status events are lost)"
	case mockclient.NoteGOSTPanics:
		return "GOST v0.15.2 dereferences nil on this reply: the panic crashes the GOST process"
	case mockclient.NoteDroppedIP:
		return "an entry that is not an IP: GOST drops it silently"
	case mockclient.NoteBadRoute:
		return "a route GOST cannot use (dst not a CIDR, or no gateway): the router handler drops the packet"
	case mockclient.NoteHopEmptyNode:
		return `a node without addr: GOST selects it anyway and dials ""`
	case mockclient.NoteHopUnusable:
		return "a node GOST's node parser rejects: GOST selects no node, so a single-hop chain dials directly"
	case mockclient.NoteBadEndpoint:
		return "an ingress endpoint that is not a tunnel ID: GOST has no route for the host"
	case mockclient.NoteUnimplementedMethod:
		return "the service is served without this method (stubs older than go-gost/plugin v0.5.0): GOST's call fails every time"
	case mockclient.NoteUnimplementedService:
		return "the server does not serve this module's service: GOST's call fails every time"
	}
	return "GOST treats the reply as failed"
}

// failedCallEffect is each module's failure rule, in GOST's terms.
func failedCallEffect(op mockclient.Operation, t mockclient.Transport, out *mockclient.Outcome) string {
	switch op.Module {
	case mockclient.Admission:
		return "GOST denies the connection"
	case mockclient.Auth:
		return "GOST denies the client"
	case mockclient.Bypass:
		return "GOST treats the address as matched: the request is refused, or the hop is skipped"
	case mockclient.Hop:
		return "GOST selects no node: a single-hop chain dials directly"
	case mockclient.Hosts:
		return "GOST finds no mapping and falls through to the resolver"
	case mockclient.Ingress:
		if op.Name == "set_rule" {
			return "GOST stores no rule (its callers ignore the error)"
		}
		return "GOST finds no ingress rule: the tunnel has no route to the host"
	case mockclient.Limiter:
		return "GOST applies no limit and, since failures are not cached, calls the plugin again on every Read and Write"
	case mockclient.Observer:
		return "GOST treats the report as failed and resends the same stats batch on every tick, sending nothing newer until one is accepted (status events are lost)"
	case mockclient.Recorder:
		return "GOST logs the error and the record is lost (no retry)"
	case mockclient.Resolver:
		return "GOST fails the dial (domain does not exist), with no system-DNS fallback"
	case mockclient.Rewriter:
		if t == mockclient.HTTP && out.Failure == mockclient.FailureStatus {
			return "GOST silently forwards the original body"
		}
		return "GOST aborts the proxied HTTP exchange (logged \"rewrite body\")"
	case mockclient.Router:
		return "GOST has no route: the router handler drops the packet"
	case mockclient.SD:
		if op.Name == "get" {
			return "GOST finds no remote endpoint: the tunnel is not available"
		}
		return "GOST logs the error and carries on"
	}
	return "GOST applies the module's failure rule"
}
