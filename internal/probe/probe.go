// Package probe finds out, in one line, why a plugin cannot be reached or
// spoken to: nothing listening, TLS where GOST expects plaintext or the
// reverse, HTTP where GOST expects gRPC or the reverse, or a certificate GOST
// would refuse. It opens its own raw connections and never calls a plugin
// method.
package probe

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/plugincheck/plugincheck/mockclient"
)

// Timeout bounds each connection attempt and each read of a probe.
const Timeout = 3 * time.Second

// endpoint is where a plugin config points and what GOST expects there.
type endpoint struct {
	network, address string
	host             string // for SNI and messages
	transport        mockclient.Transport
	tls              bool
	https            bool // HTTP plugin addressed with https://
}

func endpointOf(cfg mockclient.Config) (endpoint, error) {
	t := cfg.Transport
	if t == "" {
		t = mockclient.DetectTransport(cfg.Addr)
	}
	ep := endpoint{network: "tcp", transport: t}
	if t == mockclient.HTTP {
		addr := cfg.Addr
		if !strings.HasPrefix(strings.ToLower(addr), "http") {
			addr = "http://" + addr
		}
		u, err := url.Parse(addr)
		if err != nil {
			return ep, fmt.Errorf("parse URL: %w", err)
		}
		ep.host = u.Hostname()
		port := u.Port()
		ep.https = strings.EqualFold(u.Scheme, "https")
		ep.tls = ep.https
		if port == "" {
			port = "80"
			if ep.https {
				port = "443"
			}
		}
		ep.address = net.JoinHostPort(ep.host, port)
		return ep, nil
	}
	target := cfg.Addr
	for _, scheme := range []string{"dns:///", "passthrough:///"} {
		target = strings.TrimPrefix(target, scheme)
	}
	if sock, ok := strings.CutPrefix(target, "unix://"); ok {
		ep.network, ep.address, ep.host = "unix", sock, "localhost"
	} else if sock, ok := strings.CutPrefix(target, "unix:"); ok {
		ep.network, ep.address, ep.host = "unix", sock, "localhost"
	} else {
		host, _, err := net.SplitHostPort(target)
		if err != nil {
			return ep, fmt.Errorf("gRPC target %q is not host:port: %w", cfg.Addr, err)
		}
		ep.address, ep.host = target, host
	}
	ep.tls = cfg.TLS != nil
	return ep, nil
}

// Diagnose returns one line saying why GOST could not talk to the plugin
// configured by cfg, or "" when the connection, TLS and protocol look right
// (the problem, if any, is in the plugin's replies).
func Diagnose(ctx context.Context, cfg mockclient.Config) string {
	ep, err := endpointOf(cfg)
	if err != nil {
		return err.Error()
	}
	conn, msg := dial(ctx, ep)
	if conn == nil {
		return msg
	}
	defer conn.Close()
	if ep.tls {
		tc, msg := handshake(ctx, conn, ep, cfg)
		if tc == nil {
			return msg
		}
		if msg != "" {
			return msg
		}
		return speaks(ctx, tc, ep, cfg, true)
	}
	return speaks(ctx, conn, ep, cfg, false)
}

func dial(ctx context.Context, ep endpoint) (net.Conn, string) {
	d := net.Dialer{Timeout: Timeout}
	conn, err := d.DialContext(ctx, ep.network, ep.address)
	if err == nil {
		return conn, ""
	}
	var dnsErr *net.DNSError
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return nil, fmt.Sprintf("connection refused: nothing is listening on %s", ep.address)
	case errors.As(err, &dnsErr):
		return nil, fmt.Sprintf("cannot resolve %q: %v", dnsErr.Name, dnsErr.Err)
	case errors.As(err, &ne) && ne.Timeout():
		return nil, fmt.Sprintf("no answer from %s within %s", ep.address, Timeout)
	}
	return nil, fmt.Sprintf("cannot connect to %s: %v", ep.address, err)
}

// gostTLS is the client configuration GOST uses for this endpoint.
func gostTLS(ep endpoint, cfg mockclient.Config) *tls.Config {
	tc := &tls.Config{}
	if cfg.TLS != nil {
		tc.ServerName = cfg.TLS.ServerName
		tc.InsecureSkipVerify = !cfg.TLS.Secure //nolint:gosec // GOST's `tls: {}` semantics.
	}
	if tc.ServerName == "" {
		// As grpc-go and net/http do; crypto/tls sends no SNI for an IP.
		tc.ServerName = ep.host
	}
	if ep.transport == mockclient.GRPC {
		tc.NextProtos = []string{"h2"}
	} else {
		tc.NextProtos = []string{"http/1.1"}
	}
	return tc
}

func handshake(ctx context.Context, conn net.Conn, ep endpoint, cfg mockclient.Config) (net.Conn, string) {
	tc := tls.Client(conn, gostTLS(ep, cfg))
	hctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	err := tc.HandshakeContext(hctx)
	if err == nil {
		if ep.transport == mockclient.GRPC && tc.ConnectionState().NegotiatedProtocol != "h2" {
			return tc, fmt.Sprintf("%s completed TLS without negotiating ALPN \"h2\"; grpc-go, and so GOST, refuses such a server", ep.address)
		}
		return tc, ""
	}
	return nil, explainTLS(err, ep, cfg)
}

func explainTLS(err error, ep endpoint, cfg mockclient.Config) string {
	var rh tls.RecordHeaderError
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	block := "the GOST config has a tls block (--tls)"
	if ep.https {
		block = "the address is https://"
	}
	how := "secure: true"
	if cfg.TLS == nil {
		how = "https:// without a tls block (Go's default verification)"
	}
	switch {
	case errors.As(err, &rh):
		return fmt.Sprintf("%s answers in plaintext, but %s", ep.address, block)
	case errors.As(err, &unknown):
		return fmt.Sprintf("%s will fail: certificate signed by unknown authority; GOST verifies plugins against the system roots only and ignores caFile (use --tls without --tls-secure, which is `tls: {}`, to skip verification)", how)
	case errors.As(err, &host):
		return fmt.Sprintf("%s will fail: %v (set --tls-server-name to a name in the certificate)", how, host)
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return fmt.Sprintf("%s will fail: %v", how, invalid)
	case clientCertRefused(err):
		return fmt.Sprintf("%s requires a client certificate; GOST never presents one to a plugin, so it can never connect", ep.address)
	case errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET):
		return fmt.Sprintf("%s closed the connection during the TLS handshake: is it a TLS server? %s", ep.address, block)
	}
	return fmt.Sprintf("TLS handshake with %s failed: %v", ep.address, err)
}

// clientCertRefused reports a certificate_required or bad_certificate alert
// from the server. crypto/tls surfaces remote alerts only as a
// *net.OpError{Op: "remote error"} around an unexported type, so the alert
// is recognised by its text.
func clientCertRefused(err error) bool {
	var alert tls.AlertError
	if errors.As(err, &alert) {
		return alert == 116 || alert == 42
	}
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "remote error" {
		return false
	}
	msg := op.Err.Error()
	return strings.Contains(msg, "certificate required") || strings.Contains(msg, "bad certificate")
}

// speaks sends a protocol greeting and reads what comes back.
func speaks(ctx context.Context, conn net.Conn, ep endpoint, cfg mockclient.Config, overTLS bool) string {
	var greeting []byte
	if ep.transport == mockclient.GRPC {
		greeting = h2Greeting()
	} else {
		greeting = []byte("GET / HTTP/1.1\r\nHost: " + ep.host + "\r\nConnection: close\r\n\r\n")
	}
	first, err := exchange(ctx, conn, greeting)
	if clientCertRefused(err) {
		// TLS 1.3 finishes the client's handshake before the server has
		// checked the client's certificate; the refusal comes on first read.
		return explainTLS(err, ep, cfg)
	}
	switch kind := classify(first); {
	case ep.transport == mockclient.GRPC && kind == "h2":
		return ""
	case ep.transport == mockclient.HTTP && kind == "http1":
		return ""
	case kind == "http1":
		return fmt.Sprintf("%s answers HTTP/1.1, not gRPC: for an HTTP plugin use --addr http://%s/<path>", ep.address, ep.address)
	case kind == "h2":
		return fmt.Sprintf("%s speaks HTTP/2 only, as gRPC servers do: for a gRPC plugin drop the URL scheme (--addr %s)", ep.address, ep.address)
	case kind == "tls" && !overTLS:
		return fmt.Sprintf("%s speaks TLS, but the GOST config has no tls block: add --tls%s", ep.address, httpsHint(ep))
	}
	if !overTLS && speaksTLS(ctx, ep, cfg) {
		return fmt.Sprintf("%s speaks TLS, but the GOST config has no tls block: add --tls%s", ep.address, httpsHint(ep))
	}
	if ep.transport == mockclient.HTTP {
		// A gRPC server closes an HTTP/1.1 connection without a word; ask
		// it in HTTP/2 to tell the two apart.
		if conn2, _ := dial(ctx, ep); conn2 != nil {
			defer conn2.Close()
			var c net.Conn = conn2
			if overTLS {
				tc := tls.Client(conn2, gostTLS(endpoint{host: ep.host, transport: mockclient.GRPC}, cfg))
				if tc.HandshakeContext(ctx) != nil {
					return fmt.Sprintf("%s closed the connection without an HTTP reply", ep.address)
				}
				c = tc
			}
			if reply, _ := exchange(ctx, c, h2Greeting()); classify(reply) == "h2" {
				return fmt.Sprintf("%s speaks HTTP/2 only, as gRPC servers do: for a gRPC plugin drop the URL scheme (--addr %s)", ep.address, ep.address)
			}
		}
		return fmt.Sprintf("%s closed the connection without an HTTP reply", ep.address)
	}
	return fmt.Sprintf("%s does not speak gRPC (no HTTP/2 settings frame in reply to the client preface)", ep.address)
}

func httpsHint(ep endpoint) string {
	if ep.transport == mockclient.HTTP {
		return " and use https://"
	}
	return ""
}

// speaksTLS reports whether a TLS handshake (without verification) succeeds.
func speaksTLS(ctx context.Context, ep endpoint, cfg mockclient.Config) bool {
	conn, _ := dial(ctx, ep)
	if conn == nil {
		return false
	}
	defer conn.Close()
	tc := gostTLS(ep, cfg)
	tc.InsecureSkipVerify = true //nolint:gosec // only asks whether the server speaks TLS at all.
	tc.NextProtos = nil
	hctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	return tls.Client(conn, tc).HandshakeContext(hctx) == nil
}

// h2Greeting is the HTTP/2 client connection preface plus an empty SETTINGS
// frame, which any HTTP/2 server answers with its own SETTINGS.
func h2Greeting() []byte {
	return append([]byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), 0, 0, 0, 4, 0, 0, 0, 0, 0)
}

// exchange writes greeting and returns the first bytes the peer sends back,
// and the read error if fewer than a frame header arrived.
func exchange(ctx context.Context, conn net.Conn, greeting []byte) ([]byte, error) {
	deadline := time.Now().Add(Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = conn.SetDeadline(deadline)
	if _, err := conn.Write(greeting); err != nil {
		return nil, fmt.Errorf("write greeting: %w", err)
	}
	buf := make([]byte, 512)
	n, err := io.ReadAtLeast(conn, buf, 9)
	return buf[:n], err
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
