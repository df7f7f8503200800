package mockclient

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/plugincheck/plugincheck/clip"
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
	// counted here unless the server itself sent it (see FailureStatus).
	FailureTransport Failure = "transport"
	// FailureTimeout means plugincheck's per-call deadline fired. GOST would
	// still be waiting (gRPC) or fail at its own `timeout` (HTTP).
	FailureTimeout Failure = "timeout"
	// FailureStatus means the plugin answered with a gRPC status other than
	// OK or an HTTP status other than 200. A gRPC Unavailable counts here
	// when the server sent it in gRPC response headers or trailers: the
	// plugin is up, so "unreachable" would send its author the wrong way.
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
	// Redirects are the HTTP redirects GOST followed, in order (at most
	// MaxRedirects), recorded because GOST follows them silently; nil when
	// the plugin did not redirect.
	Redirects []Redirect `json:"redirects,omitempty"`
	// FinalURL is the URL whose reply GOST used (clipped, token redacted)
	// when the plugin redirected; Target keeps the configured addr.
	FinalURL string `json:"finalURL,omitempty"`
	// Sent is false when GOST would not send this call at all (for example
	// the HTTP recorder with empty data, or an observer with no events).
	Sent bool `json:"sent"`
	// Request is the request as sent: the HTTP body, or the gRPC message in
	// protojson (proto field names).
	Request []byte `json:"request,omitempty"`
	// Header holds the request headers GOST sets itself (HTTP) or the
	// request metadata it adds (gRPC "token").
	Header http.Header `json:"header,omitempty"`
	// facts are notes the transport layer found, adopted by Result.observe.
	facts []Note
	// tokenCrossHost is set when GOST's token went to another host or port.
	tokenCrossHost bool
	// module is the module whose operation made the call, for Answered.
	module Module
	// Code is the gRPC status code (gRPC only).
	Code codes.Code `json:"code"`
	// HTTPStatus is the HTTP status code (HTTP only; 0 if none arrived).
	HTTPStatus int `json:"httpStatus,omitempty"`
	// Reply is the raw reply: the HTTP body as read (at most 64 KiB kept),
	// or the gRPC reply message in protojson (its first 64 KiB).
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
	// NoteNotDelivered: the observer or recorder did not answer ok:true.
	// GOST resends the same failed observer stats batch on every tick and
	// sends nothing newer until it succeeds; status events and records are
	// lost. The text names the reply's keys when it has no ok key, since
	// such a plugin never succeeds and its accounting freezes.
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
	// NoteRedirected: the HTTP plugin redirected and GOST followed (Go's
	// http.Client, at most 10 requests), using the final reply. The text gives
	// the chain of methods, URLs and statuses.
	NoteRedirected = "redirected"
	// NoteTokenCrossHost: GOST sent the bearer token to a redirect target
	// on another host or port. Its token RoundTripper adds the header on
	// every hop, so Go's rule of dropping Authorization across hosts never
	// applies: a plugin's redirect can harvest the token.
	NoteTokenCrossHost = "token-cross-host"
	// NoteReplyKeysIgnored: top-level keys of an HTTP JSON reply that
	// GOST's reply struct does not have (matched case-insensitively, as
	// encoding/json does), so GOST drops them without a word.
	NoteReplyKeysIgnored = "reply-keys-ignored"
	// NoteUnimplementedService: the gRPC server answered Unimplemented
	// with grpc-go's "unknown service": it does not serve this GOST module.
	NoteUnimplementedService = "unimplemented-service"
	// NoteUnimplementedMethod: the gRPC server serves the module's service
	// but not the method GOST calls ("unknown method", or the generated
	// Unimplemented stub): stubs from another go-gost/plugin version.
	NoteUnimplementedMethod = "unimplemented-method"
	// NoteLimiterFloor: a positive limiter rate below LimiterFloor bytes
	// per second, which GOST applies as given although no real
	// connection survives it.
	NoteLimiterFloor = "limiter-floor"
	// NoteGOSTTimeout: an HTTP call that reached GOST's own `timeout`
	// (http.Client.Timeout): the plugin was reached, but GOST gave up
	// waiting and applied the module's failure rule.
	NoteGOSTTimeout = "gost-timeout"
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

// observe sets the call's observation and adopts the notes its transport
// found (redirects, ignored reply keys, unimplemented methods).
func (r *Result[V]) observe(o Observation) {
	r.Observation = o
	r.Notes = append(r.Notes, o.facts...)
}

// note adds a note; its text may quote the reply, so it is cut to
// MaxErrorText like any text from the plugin.
func (r *Result[V]) note(code, text string) {
	r.Notes = append(r.Notes, Note{Code: code, Text: clip.Text(text, MaxErrorText)})
}

// bound returns a context cancelled after the call timeout, with one
// mechanism: a timerCtx whose cause is ErrCallTimeout. Its deadline is
// hidden (noDeadline), since grpc-go turns a context deadline into a
// grpc-timeout header and GOST sets none, so the wire stays GOST's. The
// former WithCancelCause plus time.AfterFunc pair cost two contexts' worth
// of allocations and locking per call, 2.7% of a load's CPU.
func (c *Client) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeoutCause(ctx, c.callTimeout, ErrCallTimeout)
	return noDeadline{ctx}, cancel
}

// noDeadline hides the deadline of its timerCtx. Done, Err and Value are
// the timerCtx's own, so a context derived from it (grpc-go derives one per
// stream) still registers with the timerCtx directly, without a goroutine.
type noDeadline struct{ context.Context }

func (noDeadline) Deadline() (time.Time, bool) { return time.Time{}, false }

// timedOut reports whether ctx was ended by plugincheck's call deadline.
func timedOut(ctx context.Context) bool {
	return errors.Is(context.Cause(ctx), ErrCallTimeout)
}
