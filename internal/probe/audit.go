package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/plugincheck/plugincheck/internal/tlsprobe"
	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
)

// AuditOptions are the probe-only settings of an audit, which GOST has no
// equivalent for; they change what plugincheck can see, never the verdicts.
type AuditOptions struct {
	// CACert, when set, is a second trust anchor the chain is verified
	// against (--tls-ca-cert); GOST itself uses the system roots only.
	CACert *x509.CertPool
	// CACertName names CACert in the report, usually its file.
	CACertName string
	// ClientCert is presented by plugincheck's own handshake when the server
	// asks for one (--tls-client-cert), so that an mTLS-only server's chain
	// can be read. GOST never presents one.
	ClientCert *tls.Certificate
	// Now is the clock for validity and days left; nil means time.Now.
	Now func() time.Time

	// roots replace the system roots in this package's tests, which cannot
	// add a test CA to them.
	roots *x509.CertPool
	// timing replaces the real clock and bounds in this package's tests.
	timing timing
}

// facts is what the audit's own, unverified handshake found out.
type facts struct {
	security           string // "tls", "plaintext" or ""
	state              *tls.ConnectionState
	requested          bool
	clientCertRequired bool
	noALPN             bool // gRPC: the server negotiated no h2
	chainErr           *tlsprobe.Error
	caErr              *tlsprobe.Error
	// hello is how the ClientHello failed, when it did.
	hello *tlsprobe.Error
	// took is how long the connection GOST would use took to be ready:
	// TCP and TLS (and for gRPC the server's SETTINGS) for a TLS server,
	// TCP and the protocol's first reply for a plaintext one that hung up
	// on the ClientHello; 0 when not measured.
	took time.Duration
}

// known is what the audit's handshake says for every later probe. Its
// failure stands for every TLS row only where the rows' ClientHellos could
// not fare better: the server is plaintext, or did not answer at all. A TLS
// server that refused it may still accept another SNI or ALPN.
func (f *facts) known() known {
	k := known{security: f.security, helloFailed: f.security != "tls"}
	switch {
	case f.security == "plaintext":
		k.hello = f.hello
		if k.hello == nil {
			k.hello = &tlsprobe.Error{Kind: tlsprobe.KindPlaintext, Err: errPlaintext}
		}
	case f.security == "" && f.hello != nil && f.hello.Kind == tlsprobe.KindTimeout:
		k.hello = f.hello
	}
	return k
}

func (f *facts) leaf() *x509.Certificate {
	if f.state == nil || len(f.state.PeerCertificates) == 0 {
		return nil
	}
	return f.state.PeerCertificates[0]
}

// Audit checks the plugin cfg points at: whether it answers, whether it
// speaks TLS, what it negotiates, its chain, and for each way GOST can be
// configured for it whether GOST would connect (report.TLS.Matrix, with the
// row for cfg marked). Problems come as findings, one line each.
func Audit(ctx context.Context, cfg mockclient.Config, opts AuditOptions) report.TLS {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	ep, err := endpointOf(cfg)
	if err != nil {
		return report.TLS{
			Endpoint: &report.Endpoint{Address: cfg.Addr, Error: err.Error()},
			Findings: []report.Note{{Code: string(kindBadAddr), Text: err.Error()}},
		}
	}
	out := report.TLS{Endpoint: &report.Endpoint{Address: ep.address}}
	bound := handshakeBound(cfg, opts.timing)
	start := time.Now()
	conn, fail := opts.timing.dial(ctx, ep)
	if conn == nil {
		out.Endpoint.Error = fail.reason
		out.Note = "no TLS handshake: " + fail.reason
		for _, r := range rows(cfg, ep, "") {
			out.Matrix = append(out.Matrix, r.verdict(fail, ep))
		}
		out.Findings = []report.Note{{Code: string(fail.kind), Text: fail.reason}}
		return out
	}
	out.Endpoint.Reachable = true
	f := observe(ctx, conn, start, ep, cfg, opts, bound)
	_ = conn.Close()

	if leaf := f.leaf(); leaf != nil {
		f.chainErr = tlsprobe.Verify(f.state.PeerCertificates, opts.roots, now())
		if opts.CACert != nil {
			f.caErr = tlsprobe.Verify(f.state.PeerCertificates, opts.CACert, now())
		}
	}

	candidate := ""
	if leaf := f.leaf(); leaf != nil && len(leaf.DNSNames) > 0 {
		candidate = leaf.DNSNames[0]
	}
	rs := rows(cfg, ep, candidate)
	outcomes := make([]outcome, len(rs))
	var wg sync.WaitGroup
	a := attempt{tls: tlsprobe.Options{Roots: opts.roots}, bound: bound, known: f.known(), timing: opts.timing}
	for i, r := range rs {
		wg.Go(func() {
			outcomes[i] = check(ctx, r.cfg, a)
		})
	}
	wg.Wait()
	var configured outcome
	for i, r := range rs {
		o := outcomes[i]
		if o.kind == "" && f.took > 0 {
			// The rows are judged by the audit's one measurement, made
			// alone, so that they agree; their own ran side by side.
			o.took = f.took
		}
		o = judge(o, ep, r.cfg, bound)
		if o.kind == tlsprobe.KindClientCertRequired {
			f.clientCertRequired = true
		}
		if o.kind == tlsprobe.KindUnknownAuthority && opts.CACert != nil && f.caErr == nil {
			o.reason += fmt.Sprintf("; the chain verifies against %s: add that CA to the system roots of GOST's host", caName(opts))
		}
		if o.kind != "" {
			o.reason = withExtras(o, f.problems(r, ep, now()))
		}
		out.Matrix = append(out.Matrix, r.verdict(o, ep))
		if r.configured {
			configured = o
		}
	}
	describe(&out, f, cfg, ep, opts, now())
	out.Findings = findings(&out, f, ep, configured, opts, now())
	return out
}

// observe makes plugincheck's own handshake: GOST's client for cfg's
// transport and name, unverified, with the probe's client certificate.
//
// It is the audit's one TLS ClientHello. start is when conn was dialled.
func observe(ctx context.Context, conn net.Conn, start time.Time, ep endpoint, cfg mockclient.Config, opts AuditOptions, bound time.Duration) *facts {
	f := &facts{}
	block := &mockclient.TLSConfig{}
	if cfg.TLS != nil {
		block.ServerName = cfg.TLS.ServerName
	}
	if ep.transport == mockclient.HTTP && ep.https && cfg.TLS == nil {
		block = nil // Go's defaults: ALPN h2 and http/1.1
	}
	c := tlsClient(ep.transport, block, ep.host)
	hctx, cancel := context.WithTimeout(ctx, bound)
	res := tlsprobe.Handshake(hctx, conn, c, tlsprobe.Options{Insecure: true, ClientCert: opts.ClientCert})
	cancel()
	f.state, f.requested, f.hello = res.State, res.ClientCertRequested, res.Err
	if res.State != nil {
		f.security = "tls"
	}
	if res.Err != nil {
		switch res.Err.Kind {
		case tlsprobe.KindNoALPN:
			f.security, f.noALPN = "tls", true
		case tlsprobe.KindClientCertRequired:
			f.security, f.clientCertRequired = "tls", true
		case tlsprobe.KindRSAKeyTooLarge:
			f.security = "tls" // it sent its certificate
		case tlsprobe.KindHandshake:
			if tlsprobe.Classify(res.Err.Err) != nil {
				f.security = "tls" // a TLS alert or message came back
			}
		case tlsprobe.KindPlaintext:
			f.security = "plaintext"
		}
	}
	if res.Conn != nil && !f.noALPN {
		f.took = opts.timing.elapsed(start)
		greeting := []byte("GET / HTTP/1.1\r\nHost: " + ep.host + "\r\nConnection: close\r\n\r\n")
		if res.State.NegotiatedProtocol == "h2" {
			greeting = h2Greeting()
		}
		reply, err := opts.timing.exchange(ctx, res.Conn, greeting)
		if tlsprobe.ClientCertRefused(err) {
			f.clientCertRequired = true
		}
		if ep.transport == mockclient.GRPC && classify(reply) == "h2" {
			f.took = opts.timing.elapsed(start)
		}
	}
	if f.security == "" {
		// A plaintext server may just hang up on a ClientHello; greet it in
		// the config's protocol, then in the other, as a gRPC server hangs
		// up on HTTP/1.1 too.
		httpGreeting := []byte("GET / HTTP/1.1\r\nHost: " + ep.host + "\r\nConnection: close\r\n\r\n")
		greetings := [][]byte{h2Greeting(), httpGreeting}
		if ep.transport == mockclient.HTTP {
			greetings[0], greetings[1] = greetings[1], greetings[0]
		}
		for i, greeting := range greetings {
			start := time.Now()
			c2, _ := opts.timing.dial(ctx, ep)
			if c2 == nil {
				break
			}
			reply, _ := opts.timing.exchange(ctx, c2, greeting)
			_ = c2.Close()
			if k := classify(reply); k == "h2" || k == "http1" {
				f.security = "plaintext"
				if i == 0 {
					f.took = opts.timing.elapsed(start)
				}
				break
			}
		}
	}
	return f
}

// problems lists what stands between GOST configured as r and the server,
// as far as the audit's own handshake could tell.
func (f *facts) problems(r row, ep endpoint, now time.Time) []tlsprobe.Kind {
	if !r.usesTLS() || f.security != "tls" {
		return nil
	}
	var out []tlsprobe.Kind
	c := tlsClient(ep.transport, r.cfg.TLS, ep.host)
	if leaf := f.leaf(); leaf != nil && c.Verifies() {
		if k, _ := tlsprobe.Validity(leaf, now); k != "" {
			out = append(out, k)
		}
		if tlsprobe.CheckName(leaf, c.Name()) != nil {
			out = append(out, tlsprobe.KindNameMismatch)
		}
		if f.chainErr != nil && f.chainErr.Kind == tlsprobe.KindUnknownAuthority {
			out = append(out, tlsprobe.KindUnknownAuthority)
		}
	}
	if f.noALPN && ep.transport == mockclient.GRPC {
		out = append(out, tlsprobe.KindNoALPN)
	}
	if f.clientCertRequired {
		out = append(out, tlsprobe.KindClientCertRequired)
	}
	return out
}

// withExtras adds to a row's reason the other problems found for it.
func withExtras(o outcome, problems []tlsprobe.Kind) string {
	var extra []string
	for _, k := range problems {
		if k != o.kind {
			extra = append(extra, k.Short())
		}
	}
	if len(extra) == 0 {
		return o.reason
	}
	return o.reason + "; also: " + strings.Join(extra, "; ")
}

// describe fills in what the audit saw and what is wrong with it.
func describe(out *report.TLS, f *facts, cfg mockclient.Config, ep endpoint, opts AuditOptions, now time.Time) {
	out.Endpoint.Security = f.security
	out.Enabled = f.state != nil // a handshake got as far as the certificate check
	switch {
	case f.clientCertRequired:
		out.ClientAuth = "required"
	case f.requested:
		out.ClientAuth = "requested"
	}
	if st := f.state; st != nil {
		out.Version = tls.VersionName(st.Version)
		out.CipherSuite = tls.CipherSuiteName(st.CipherSuite)
		out.ALPN = st.NegotiatedProtocol
		out.ServerName = st.ServerName
		out.Peer = Chain(st.PeerCertificates, now)
	}
	leaf := f.leaf()
	if leaf != nil {
		nc := report.NameCheck{Name: ep.host, Source: "addr", Match: true}
		if cfg.TLS != nil && cfg.TLS.ServerName != "" {
			nc.Name, nc.Source = cfg.TLS.ServerName, "--tls-server-name"
		}
		if err := tlsprobe.CheckName(leaf, nc.Name); err != nil {
			nc.Match, nc.Error = false, tlsprobe.Bound(err.Err.Error())
		}
		out.NameCheck = &nc
		out.Verification = append(out.Verification, verification("system", f.chainErr))
		if opts.CACert != nil {
			out.Verification = append(out.Verification, verification(caName(opts), f.caErr))
		}
	}
	out.Note = note(cfg, ep, f, opts)
}

func verification(roots string, e *tlsprobe.Error) report.Verification {
	v := report.Verification{Roots: roots, OK: e == nil}
	if e != nil {
		v.Error = tlsprobe.Bound(e.Err.Error())
	}
	return v
}

// note explains the configured TLS in GOST's terms.
func note(cfg mockclient.Config, ep endpoint, f *facts, opts AuditOptions) string {
	var n string
	switch {
	case !ep.tls && ep.transport == mockclient.HTTP && cfg.TLS != nil:
		n = "plaintext: the addr is http://, so GOST ignores the tls block"
	case !ep.tls:
		n = "plaintext: the GOST config has no tls block"
	case cfg.TLS == nil:
		n = "https:// without a tls block: GOST verifies with Go's defaults (system roots)"
	case cfg.TLS.Secure:
		n = "secure: true: GOST verifies against the system roots only (it ignores caFile for plugins)"
	default:
		n = "tls without secure: GOST does not verify the plugin's certificate"
	}
	if f.security == "tls" && f.requested && opts.ClientCert != nil {
		n += "; the chain was read with --tls-client-cert, which GOST cannot present"
	}
	return n
}

// findings lists the problems found: first why the configured settings
// fail, then what is wrong with the server whatever the settings.
func findings(out *report.TLS, f *facts, ep endpoint, configured outcome, opts AuditOptions, now time.Time) []report.Note {
	var ns []report.Note
	add := func(k tlsprobe.Kind, text string) {
		if !slices.ContainsFunc(ns, func(n report.Note) bool { return n.Code == string(k) }) {
			ns = append(ns, report.Note{Code: string(k), Text: text})
		}
	}
	switch {
	case configured.kind != "":
		add(configured.kind, configured.reason)
	case configured.caveat != "":
		add(configured.caveat, configured.reason)
	}
	if f.hello != nil && f.hello.Kind == tlsprobe.KindRSAKeyTooLarge {
		add(tlsprobe.KindRSAKeyTooLarge, ep.client(mockclient.Config{}).Explain(f.hello, ep.address))
	}
	if f.security != "tls" {
		return ns
	}
	fails := "secure: true fails"
	if ep.transport == mockclient.HTTP {
		fails = "secure: true and https:// without a tls block fail"
	}
	if f.clientCertRequired {
		text := fmt.Sprintf("%s requires a client certificate: GOST never presents one to a plugin (certFile and keyFile are ignored), so no GOST configuration can connect", ep.address)
		if opts.ClientCert != nil {
			text += "; plugincheck read it with --tls-client-cert"
		}
		add(tlsprobe.KindClientCertRequired, text)
	}
	if f.noALPN && ep.transport == mockclient.GRPC {
		add(tlsprobe.KindNoALPN, fmt.Sprintf("%s completes TLS without negotiating ALPN \"h2\": grpc-go, and so GOST, refuses it under every tls block", ep.address))
	}
	leaf := f.leaf()
	if leaf == nil {
		return ns
	}
	if k, text := tlsprobe.Validity(leaf, now); k != "" {
		add(k, text+": "+fails+"; tls: {} does not check")
	}
	if nc := out.NameCheck; nc != nil && !nc.Match {
		add(tlsprobe.KindNameMismatch, fmt.Sprintf("%s: %s unless serverName is a name in the certificate", nc.Error, fails))
	}
	if f.chainErr != nil && f.chainErr.Kind == tlsprobe.KindUnknownAuthority {
		text := fmt.Sprintf("the chain does not verify against the system roots (%s): %s, as GOST ignores a plugin's caFile", tlsprobe.Bound(f.chainErr.Err.Error()), fails)
		if opts.CACert != nil && f.caErr == nil {
			text += fmt.Sprintf("; it verifies against %s: add that CA to the system roots of GOST's host", caName(opts))
		}
		add(tlsprobe.KindUnknownAuthority, text)
	}
	if ep.transport == mockclient.HTTP && tlsprobe.SelfSigned(leaf) {
		add("self-signed", "the certificate is self-signed: https:// without a tls block fails (Go's default verification); add `tls: {}` (--tls)")
	}
	return ns
}

func caName(opts AuditOptions) string {
	if opts.CACertName == "" {
		return "--tls-ca-cert"
	}
	return opts.CACertName
}
