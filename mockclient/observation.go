package mockclient

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"time"

	"google.golang.org/grpc/codes"
)

// Failure classifies why a call produced no usable reply. GOST applies the
// module's failure rule to every class alike; the class tells a plugin author
// what went wrong.
type Failure string

// Failure classes.
const (
	// FailureNone means the plugin replied and the reply decoded.
	FailureNone Failure = ""
	// FailureRequest means GOST could not even build the request (for
	// example an HTTP addr without a scheme).
	FailureRequest Failure = "request"
	// FailureTransport means no reply arrived: refused, reset, TLS failure,
	// or the server does not speak the transport. gRPC Unavailable is
	// counted here.
	FailureTransport Failure = "transport"
	// FailureTimeout means plugincheck's per-call deadline fired. GOST would
	// still be waiting (gRPC) or fail at its own `timeout` (HTTP).
	FailureTimeout Failure = "timeout"
	// FailureStatus means the plugin answered with a gRPC status other than
	// OK (and other than Unavailable) or an HTTP status other than 200.
	FailureStatus Failure = "status"
	// FailureDecode means the reply could not be decoded as GOST decodes it.
	FailureDecode Failure = "decode"
)

// ErrCallTimeout is the cause recorded when plugincheck's own per-call
// deadline ends a call.
var ErrCallTimeout = errors.New("plugincheck call deadline exceeded")

// Observation is what happened on the wire during one call.
type Observation struct {
	// Transport is the transport used.
	Transport Transport `json:"transport"`
	// Method is the gRPC full method name, or the HTTP method.
	Method string `json:"method"`
	// Target is the gRPC target, or the HTTP URL including the query.
	Target string `json:"target"`
	// Sent is false when GOST would not send this call at all (for example
	// the HTTP recorder with empty data, or an observer with no events).
	Sent bool `json:"sent"`
	// Request is the request as sent: the HTTP body, or the gRPC message in
	// protojson (proto field names).
	Request []byte `json:"request,omitempty"`
	// Header holds the request headers GOST sets itself (HTTP) or the
	// request metadata it adds (gRPC "token").
	Header http.Header `json:"header,omitempty"`
	// Code is the gRPC status code (gRPC only).
	Code codes.Code `json:"code"`
	// HTTPStatus is the HTTP status code (HTTP only; 0 if none arrived).
	HTTPStatus int `json:"httpStatus,omitempty"`
	// Reply is the raw reply: the HTTP body as read (at most 64 KiB kept),
	// or the gRPC reply message in protojson.
	Reply []byte `json:"reply,omitempty"`
	// Failure classifies a failed call; empty on success.
	Failure Failure `json:"failure,omitempty"`
	// Err is the transport, status or decode error; nil on success.
	Err error `json:"-"`
	// Latency is the wall time of the call.
	Latency time.Duration `json:"latency"`
	// TLS is the negotiated TLS state, when TLS was used and the handshake
	// completed.
	TLS *tls.ConnectionState `json:"-"`
	// Timing splits Latency into connect, TLS, write and first byte; nil
	// in Lean mode, where timing is not measured.
	Timing *Timing `json:"timing,omitempty"`
}

// Error returns the error text, or "" on success.
func (o *Observation) Error() string {
	if o.Err == nil {
		return ""
	}
	return o.Err.Error()
}

// OK reports whether the plugin replied and GOST could decode the reply.
func (o *Observation) OK() bool { return o.Failure == FailureNone }

// Note is a GOST-level fact about a verdict that a plugin author should know,
// such as an IP GOST silently dropped. Code is stable; Text is for people.
type Note struct {
	Code string `json:"code"`
	Text string `json:"text"`
}

// Note codes. Suites decide which of them are warnings or failures.
const (
	// NoteDroppedIP: hosts/resolver returned an entry net.ParseIP rejects;
	// GOST drops it silently.
	NoteDroppedIP = "dropped-ip"
	// NoteUnlimited: a limiter value ≤ 0 (or a failed call) means unlimited.
	NoteUnlimited = "unlimited"
	// NoteNotCached: a failed limiter call is not cached, so GOST calls the
	// plugin again on every Read and Write.
	NoteNotCached = "not-cached"
	// NoteHopDirect: no node was selected; a single-hop chain then dials the
	// target directly, bypassing the proxy.
	NoteHopDirect = "hop-direct"
	// NoteHopEmptyNode: the node has no address; GOST would dial "".
	NoteHopEmptyNode = "hop-empty-node"
	// NoteHopUnusable: the reply carried a node that GOST's node parser
	// rejects (JSON that does not decode as a NodeConfig, an unregistered
	// connector or dialer type, …), so GOST uses no node.
	NoteHopUnusable = "hop-unusable"
	// NoteHopFileRef: the node names a file (a TLS certFile, keyFile or
	// caFile) that GOST loads on its own host; if it is missing there, GOST
	// drops the node.
	NoteHopFileRef = "hop-file-ref"
	// NoteNotDelivered: the observer or recorder did not answer ok:true;
	// GOST logs it, and resends observer stats batches on the next tick.
	NoteNotDelivered = "not-delivered"
	// NoteNotSent: GOST would not send this call at all.
	NoteNotSent = "not-sent"
	// NoteFailOpen: the failure rule of this module lets the request through
	// (bypass "matched", limiter unlimited, hop direct).
	NoteFailOpen = "fail-open"
	// NoteBadEndpoint: an ingress endpoint that is not a tunnel UUID, which
	// GOST turns into "no route".
	NoteBadEndpoint = "bad-endpoint"
	// NoteBadRoute: a router dst that does not parse as a CIDR.
	NoteBadRoute = "bad-route"
	// NoteReplyIgnored: part of the reply that GOST ignores on this
	// transport (resolver ok over gRPC, sd ok, hosts ok).
	NoteReplyIgnored = "reply-ignored"
	// NoteGOSTPanics: GOST v0.15.2 dereferences nil on this reply and the
	// goroutine panics, which crashes the GOST process.
	NoteGOSTPanics = "gost-panics"
	// NoteEmptyReply: the reply carries nothing GOST can use.
	NoteEmptyReply = "empty-reply"
	// NoteDroppedEvent: an observer event whose type is neither "status"
	// nor "stats"; GOST drops it with a warning and sends the rest.
	NoteDroppedEvent = "dropped-event"
)

// unsent is the observation of a call GOST decides not to make (Sent is
// false): method is the gRPC full method or the HTTP method, target the
// address GOST would have used.
func (c *Client) unsent(method, target string) Observation {
	return Observation{Transport: c.transport, Method: method, Target: target}
}

// Result is one call's observation together with GOST's verdict.
type Result[V any] struct {
	Observation
	// Verdict is what GOST concludes from the observation.
	Verdict V
	// Notes are GOST-level facts about the verdict.
	Notes []Note
}

func (r *Result[V]) note(code, text string) {
	r.Notes = append(r.Notes, Note{Code: code, Text: text})
}

// bound returns a context cancelled after the call timeout. Cancellation,
// unlike a deadline, adds no grpc-timeout header, so the wire stays GOST's.
func (c *Client) bound(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	timer := time.AfterFunc(c.callTimeout, func() { cancel(ErrCallTimeout) })
	return ctx, func() {
		timer.Stop()
		cancel(nil)
	}
}

// timedOut reports whether ctx was ended by plugincheck's call deadline.
func timedOut(ctx context.Context) bool {
	return errors.Is(context.Cause(ctx), ErrCallTimeout)
}
