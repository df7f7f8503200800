package mockclient

import (
	"net/http"
	"strings"

	"google.golang.org/grpc/codes"
)

// Target is a plugin block's address interpreted once, as GOST will use it:
// where to dial, whether GOST speaks TLS there, and with which block. Every
// package that needs to know anything about an address reads it from here.
type Target struct {
	// Address is the parsed address: transport, scheme, network, dial
	// address, host and, for HTTP, the URL.
	Address
	// HTTPS is true for an HTTP plugin addressed with https://. GOST then
	// speaks TLS with Go's default verification unless a tls block is set.
	HTTPS bool
	// TLS is the plugin block's tls block; nil when it is absent.
	TLS *TLSConfig

	// requestURL is the URL GOST sends an HTTP plugin's calls to, set even
	// when the address is refused, since GOST sends to it anyway.
	requestURL string
}

// RequestURL is the URL GOST sends an HTTP plugin's calls to: the addr
// verbatim, except that GOST's HTTP observer, alone, prepends "http://" to
// an addr that does not start with "http". It is empty for gRPC.
func (t Target) RequestURL() string { return t.requestURL }

// requestURL is Target.RequestURL for addr used over t by module m.
func requestURL(addr string, t Transport, m Module) string {
	switch {
	case t != HTTP:
		return ""
	case m == Observer && !strings.HasPrefix(addr, "http"):
		return "http://" + addr
	}
	return addr
}

// UsesTLS reports whether GOST speaks TLS to the plugin: a gRPC plugin with
// a tls block, or an HTTP plugin addressed with https://. An http:// URL
// with a tls block stays plaintext, as in GOST.
func (t Target) UsesTLS() bool {
	if t.Transport == HTTP {
		return t.HTTPS
	}
	return t.TLS != nil
}

// ServerName is the name GOST sends as SNI and verifies: the tls block's
// serverName when set, else the dialled host.
func (t Target) ServerName() string {
	if t.TLS != nil && t.TLS.ServerName != "" {
		return t.TLS.ServerName
	}
	return t.Host
}

// ParseTarget interprets cfg's address exactly as GOST will with cfg's
// transport ("" detects it, see DetectTransport) and module. It is the one
// place an address is read; refusals are *AddressError values with a hint,
// as ParseAddress documents.
func ParseTarget(cfg Config) (Target, error) {
	return targetOf(cfg, ParseAddress)
}

// targetOf builds the Target of cfg with parse, which is ParseAddress or,
// where no refusal is reported, parseAddress: the clients keep their
// target however it parses, and need not ask grpc-go whether GOST would
// refuse it.
func targetOf(cfg Config, parse func(string, Transport, Module) (Address, error)) (Target, error) {
	a, err := parse(cfg.Addr, cfg.Transport, cfg.Module)
	t := Target{Address: a, TLS: cfg.TLS}
	t.HTTPS = a.Transport == HTTP && strings.EqualFold(a.Scheme, "https")
	t.requestURL = requestURL(cfg.Addr, a.Transport, cfg.Module)
	return t, err
}

// Answered reports whether GOST took the call as answered by the plugin: a
// reply it decoded, or, for an HTTP hop, the 204 or 404 with which a plugin
// says it has no node. Everything else is a failed call to GOST.
func (o *Observation) Answered() bool {
	if o.OK() {
		return true
	}
	return o.module == Hop && o.Transport == HTTP && o.Failure == FailureStatus &&
		(o.HTTPStatus == http.StatusNoContent || o.HTTPStatus == http.StatusNotFound)
}

// NoReply reports whether no reply arrived at all: GOST could not send the
// call, the transport failed, or plugincheck's deadline ended it.
func (o *Observation) NoReply() bool {
	switch o.Failure {
	case FailureTransport, FailureTimeout, FailureRequest:
		return true
	}
	return false
}

// Unauthenticated reports whether the plugin refused the call's credentials:
// gRPC status Unauthenticated or HTTP 401, compared as codes.
func (o *Observation) Unauthenticated() bool {
	if o.Transport == HTTP {
		return o.HTTPStatus == http.StatusUnauthorized
	}
	return o.Failure == FailureStatus && o.Code == codes.Unauthenticated
}
