// Package probe finds out whether GOST can connect to a plugin, and why
// not: nothing listening, TLS where GOST expects plaintext or the reverse,
// HTTP where GOST expects gRPC or the reverse, or a certificate GOST would
// refuse. Diagnose answers in one line for one configuration; Audit checks
// every configuration GOST allows (the verdict matrix) and summarises the
// plugin's TLS. It opens its own raw connections, leaves TLS itself to
// package tlsprobe, and never calls a plugin method.
package probe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/plugincheck/plugincheck/internal/tlsprobe"
	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
)

// Timeout bounds each connection attempt and each read of a probe; TLS
// handshakes get HandshakeTimeout.
const Timeout = 3 * time.Second

// HandshakeTimeout is the least time a probe gives a TLS handshake. GOST's
// HTTP client sets no handshake deadline and its gRPC client's grows with
// each attempt, so a short bound would call a slow but working plugin
// unreachable; the time a handshake took is judged against GOST's deadlines
// instead.
const HandshakeTimeout = 10 * time.Second

// endpoint is where a plugin config points and what GOST expects there.
type endpoint struct {
	network, address string
	host             string // for SNI and messages
	transport        mockclient.Transport
	tls              bool     // GOST speaks TLS to it
	https            bool     // HTTP plugin addressed with https://
	url              *url.URL // HTTP plugins: the addr with an explicit port
}

func endpointOf(cfg mockclient.Config) (endpoint, error) {
	t, err := targetOf(cfg)
	if err != nil {
		return endpoint{transport: t.Transport}, err
	}
	ep := endpoint{network: t.Network, address: t.Dial, host: t.Host, transport: t.Transport, tls: t.UsesTLS(), https: t.HTTPS}
	if t.Transport == mockclient.HTTP {
		u := *t.URL
		u.Host = t.Dial
		ep.url = &u
	}
	return ep, nil
}

// client is GOST's TLS client for a TLS endpoint configured by cfg.
func (ep endpoint) client(cfg mockclient.Config) tlsprobe.Client {
	return tlsClient(ep.transport, cfg.TLS, ep.host)
}

// Kinds of failure besides tlsprobe's, for findings and matrix rows.
const (
	kindBadAddr        tlsprobe.Kind = "bad-addr"
	kindUnreachable    tlsprobe.Kind = "unreachable"
	kindTLSServer      tlsprobe.Kind = "tls-server"
	kindWrongTransport tlsprobe.Kind = "wrong-transport"
	kindNoReply        tlsprobe.Kind = "no-reply"
)

// outcome is whether GOST, configured one way, would connect.
type outcome struct {
	kind tlsprobe.Kind // "" when it would
	// reason says why not; when kind is "", it is a caveat or "".
	reason string
	// took is how long the connection took to be ready for a call, as
	// GOST's client counts it: TCP and TLS, and for gRPC the server's
	// SETTINGS. It is set when kind is "".
	took time.Duration
	// caveat is the finding code of a reason given when kind is "".
	caveat tlsprobe.Kind
}

// known is what an earlier probe of the same address learnt from its one
// TLS ClientHello. Later probes reuse it rather than ask again, so that a
// plaintext plugin sees a single ClientHello per run.
type known struct {
	// security is "tls", "plaintext", or "" when not known.
	security string
	// hello is how the address failed the ClientHello; set only when the
	// answer is to be reused for every TLS probe.
	hello *tlsprobe.Error
	// helloFailed reports that the ClientHello was sent and did not get a
	// TLS server's answer, however it failed.
	helloFailed bool
}

// attempt is how one probe connects.
type attempt struct {
	tls    tlsprobe.Options
	bound  time.Duration // for the TLS handshake
	known  known
	timing timing
}

// Diagnose returns one line saying why GOST could not talk to the plugin
// configured by cfg, or "" when the connection, TLS and protocol look right
// (the problem, if any, is in the plugin's replies).
func Diagnose(ctx context.Context, cfg mockclient.Config) string {
	return DiagnoseAfter(ctx, cfg, nil)
}

// DiagnoseAfter is Diagnose for a run whose TLS audit (nil when none ran)
// already learnt whether the address speaks TLS: it does not send the
// plugin a ClientHello just to learn that again.
func DiagnoseAfter(ctx context.Context, cfg mockclient.Config, audit *report.TLS) string {
	a := attempt{bound: handshakeBound(cfg, timing{})}
	if audit != nil && audit.Endpoint != nil && audit.Endpoint.Reachable {
		// A reachable endpoint got the audit's ClientHello.
		a.known.security = audit.Endpoint.Security
		a.known.helloFailed = a.known.security != "tls"
		if a.known.security == "plaintext" {
			a.known.hello = &tlsprobe.Error{Kind: tlsprobe.KindPlaintext, Err: errPlaintext}
		}
	}
	ep, err := endpointOf(cfg)
	if err != nil {
		return err.Error()
	}
	return judge(check(ctx, cfg, a), ep, cfg, a.bound).reason
}

// errPlaintext stands for the reply of a server known to be plaintext.
var errPlaintext = errors.New("the server answered a TLS ClientHello in plaintext")

// handshakeBound is the time a probe gives the TLS handshake of GOST
// configured by cfg: HandshakeTimeout or the run's call timeout if longer,
// but no more than GOST's own `timeout`, which bounds an HTTP plugin's
// handshake (http.Client.Timeout).
func handshakeBound(cfg mockclient.Config, t timing) time.Duration {
	bound := max(HandshakeTimeout, cfg.CallTimeout, t.timeout)
	if ep, err := endpointOf(cfg); err == nil && ep.transport == mockclient.HTTP && cfg.Timeout > 0 {
		bound = min(bound, cfg.Timeout)
	}
	return bound
}

// check connects as GOST configured by cfg would, TLS included, and sends
// the protocol's greeting.
func check(ctx context.Context, cfg mockclient.Config, a attempt) outcome {
	ep, err := endpointOf(cfg)
	if err != nil {
		return outcome{kind: kindBadAddr, reason: err.Error()}
	}
	c := ep.client(cfg)
	if ep.tls && a.known.hello != nil && a.known.security != "tls" {
		return outcome{kind: a.known.hello.Kind, reason: c.Explain(a.known.hello, ep.address)}
	}
	start := time.Now()
	conn, out := a.timing.dial(ctx, ep)
	if conn == nil {
		return out
	}
	defer conn.Close()
	if !ep.tls {
		o := speaks(ctx, conn, ep, nil, "", a)
		o.took = a.timing.elapsed(start)
		return o
	}
	hctx, cancel := context.WithTimeout(ctx, a.bound)
	res := tlsprobe.Handshake(hctx, conn, c, a.tls)
	cancel()
	if res.Err != nil {
		return outcome{kind: res.Err.Kind, reason: c.Explain(res.Err, ep.address)}
	}
	took := a.timing.elapsed(start)
	o := speaks(ctx, res.Conn, ep, &c, res.Conn.ConnectionState().NegotiatedProtocol, a)
	if ep.transport == mockclient.GRPC {
		took = a.timing.elapsed(start)
	}
	o.took = took
	return o
}

// speaks sends a protocol greeting over conn and reads what comes back. c
// is GOST's TLS client when conn is a completed TLS connection, and alpn
// the protocol it negotiated.
func speaks(ctx context.Context, conn net.Conn, ep endpoint, c *tlsprobe.Client, alpn string, a attempt) outcome {
	overTLS := c != nil
	wantH2 := ep.transport == mockclient.GRPC || alpn == "h2"
	greeting := []byte("GET / HTTP/1.1\r\nHost: " + ep.host + "\r\nConnection: close\r\n\r\n")
	if wantH2 {
		greeting = h2Greeting()
	}
	first, err := a.timing.exchange(ctx, conn, greeting)
	if overTLS && tlsprobe.ClientCertRefused(err) {
		// TLS 1.3 finishes the client's handshake before the server has
		// checked the client's certificate; the refusal comes on first read.
		e := tlsprobe.Classify(err)
		return outcome{kind: e.Kind, reason: c.Explain(e, ep.address)}
	}
	tlsHint := func() outcome {
		return outcome{kind: kindTLSServer, reason: fmt.Sprintf("%s speaks TLS, but the GOST config has no tls block: add --tls%s", ep.address, httpsHint(ep))}
	}
	switch kind := classify(first); {
	case wantH2 && kind == "h2", !wantH2 && kind == "http1":
		return outcome{}
	case kind == "http1":
		return outcome{kind: kindWrongTransport, reason: fmt.Sprintf("%s answers HTTP/1.1, not gRPC: for an HTTP plugin use --addr http://%s/<path>", ep.address, ep.address)}
	case kind == "h2":
		return outcome{kind: kindWrongTransport, reason: fmt.Sprintf("%s speaks HTTP/2 only, as gRPC servers do: for a gRPC plugin drop the URL scheme (--addr %s)", ep.address, ep.address)}
	case kind == "tls" && !overTLS:
		return tlsHint()
	}
	if !overTLS && a.speaksTLS(ctx, ep) {
		return tlsHint()
	}
	if ep.transport == mockclient.HTTP {
		// A gRPC server closes an HTTP/1.1 connection without a word; ask
		// it in HTTP/2 to tell the two apart.
		if conn2, _ := a.timing.dial(ctx, ep); conn2 != nil {
			defer conn2.Close()
			var c2 net.Conn = conn2
			if overTLS {
				h2 := tlsClient(mockclient.GRPC, &mockclient.TLSConfig{}, ep.host)
				hctx, cancel := context.WithTimeout(ctx, a.bound)
				res := tlsprobe.Handshake(hctx, conn2, h2, tlsprobe.Options{Insecure: true})
				cancel()
				if res.Err != nil {
					return outcome{kind: kindNoReply, reason: fmt.Sprintf("%s closed the connection without an HTTP reply", ep.address)}
				}
				c2 = res.Conn
			}
			if reply, _ := a.timing.exchange(ctx, c2, h2Greeting()); classify(reply) == "h2" {
				return outcome{kind: kindWrongTransport, reason: fmt.Sprintf("%s speaks HTTP/2 only, as gRPC servers do: for a gRPC plugin drop the URL scheme (--addr %s)", ep.address, ep.address)}
			}
		}
		return outcome{kind: kindNoReply, reason: fmt.Sprintf("%s closed the connection without an HTTP reply", ep.address)}
	}
	return outcome{kind: kindWrongTransport, reason: fmt.Sprintf("%s does not speak gRPC (no HTTP/2 settings frame in reply to the client preface)", ep.address)}
}

func httpsHint(ep endpoint) string {
	if ep.transport == mockclient.HTTP {
		return " and use https://"
	}
	return ""
}

// speaksTLS reports whether the address speaks TLS: what an earlier probe
// learnt, else whether a TLS handshake (without verification or ALPN)
// succeeds.
func (a attempt) speaksTLS(ctx context.Context, ep endpoint) bool {
	switch {
	case a.known.security == "tls":
		return true
	case a.known.helloFailed:
		return false // its one ClientHello got no TLS answer
	}
	conn, _ := a.timing.dial(ctx, ep)
	if conn == nil {
		return false
	}
	defer conn.Close()
	hctx, cancel := context.WithTimeout(ctx, a.bound)
	defer cancel()
	c := tlsClient(mockclient.HTTP, &mockclient.TLSConfig{}, ep.host)
	res := tlsprobe.Handshake(hctx, conn, c, tlsprobe.Options{Insecure: true})
	return res.Conn != nil || res.State != nil
}

// h2Greeting is the HTTP/2 client connection preface plus an empty SETTINGS
// frame, which any HTTP/2 server answers with its own SETTINGS.
func h2Greeting() []byte {
	return append([]byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), 0, 0, 0, 4, 0, 0, 0, 0, 0)
}

func classify(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("HTTP/1.")) && bytes.Contains(b, []byte("HTTP request to an HTTPS server")):
		return "tls" // Go's HTTPS server answering a plaintext request
	case bytes.HasPrefix(b, []byte("HTTP/1.")):
		return "http1"
	case len(b) >= 5 && b[0] == 0x15 && b[1] == 0x03:
		return "tls" // a TLS alert record
	case len(b) >= 9 && b[3] == 0x4:
		return "h2" // a SETTINGS frame
	}
	return ""
}
