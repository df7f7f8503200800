package tlsprobe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"
)

// Kind classifies why GOST could not connect. The values are stable: they
// are the codes of report findings.
type Kind string

// Reasons a TLS connection fails, or a finding about the certificate.
const (
	KindPlaintext          Kind = "plaintext-server"
	KindUnknownAuthority   Kind = "unknown-authority"
	KindNameMismatch       Kind = "name-mismatch"
	KindExpired            Kind = "expired"
	KindNotYetValid        Kind = "not-yet-valid"
	KindClientCertRequired Kind = "client-cert-required"
	KindNoALPN             Kind = "no-alpn"
	KindClosed             Kind = "closed"
	KindHandshake          Kind = "handshake-failed"
	// KindRSAKeyTooLarge is crypto/tls's refusal of a certificate whose RSA
	// key is larger than 8192 bits, made before any verification, so that
	// no tls block helps.
	KindRSAKeyTooLarge Kind = "rsa-key-too-large"
	// KindTimeout is a handshake that did not finish within the time it was
	// given.
	KindTimeout Kind = "handshake-timeout"
)

// maxText bounds the plugin-supplied text (certificate names, error
// messages) a message quotes.
const maxText = 200

// Bound cuts text that came from the plugin (a certificate field, an error
// that quotes one) to a few hundred bytes on a rune boundary, so that a
// hostile certificate cannot flood a report.
func Bound(s string) string { return bounded(s) }

func bounded(s string) string {
	if len(s) <= maxText {
		return s
	}
	cut := maxText
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// Error is a failed TLS connection, classified.
type Error struct {
	Kind Kind
	Err  error
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %v", e.Kind, e.Err) }

func (e *Error) Unwrap() error { return e.Err }

// errNoALPN is grpc-go's refusal of a server that negotiated no protocol.
var errNoALPN = errors.New(`credentials: cannot check peer: missing selected ALPN property`)

// Classify returns the kind of a handshake error, or of a read error right
// after the handshake, where TLS 1.3 reports a refused client certificate.
// It returns nil for an error that says nothing about TLS.
func Classify(err error) *Error {
	if err == nil {
		return nil
	}
	var rh tls.RecordHeaderError
	var unknown x509.UnknownAuthorityError
	var roots x509.SystemRootsError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	var kind Kind
	switch {
	case errors.Is(err, errNoALPN) || isAlert(err, 120, "no application protocol"):
		kind = KindNoALPN
	case errors.As(err, &rh):
		kind = KindPlaintext
	case strings.HasPrefix(err.Error(), rsaKeyTooLarge):
		kind = KindRSAKeyTooLarge
	case errors.As(err, &unknown), errors.As(err, &roots):
		kind = KindUnknownAuthority
	case errors.As(err, &host):
		kind = KindNameMismatch
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		kind = KindExpired
		if invalid.Cert != nil && time.Now().Before(invalid.Cert.NotBefore) {
			kind = KindNotYetValid
		}
	case ClientCertRefused(err):
		kind = KindClientCertRequired
	case errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET):
		kind = KindClosed
	default:
		var ce *tls.CertificateVerificationError
		var op *net.OpError
		if !errors.As(err, &ce) && !(errors.As(err, &op) && op.Op == "remote error") && !strings.HasPrefix(err.Error(), "tls: ") {
			return nil
		}
		kind = KindHandshake
	}
	return &Error{Kind: kind, Err: err}
}

// rsaKeyTooLarge starts crypto/tls's error for a server certificate with an
// RSA key over its limit (8192 bits unless GODEBUG tlsmaxrsasize says
// otherwise); it has no type of its own.
const rsaKeyTooLarge = "tls: server sent certificate containing RSA key larger than"

// Timeout reports a handshake error that is its context's deadline or a
// network timeout.
func Timeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

// ClientCertRefused reports a certificate_required or bad_certificate alert
// from the server: it wanted a client certificate GOST did not send.
func ClientCertRefused(err error) bool {
	return isAlert(err, 116, "certificate required") || isAlert(err, 42, "bad certificate")
}

// isAlert reports a TLS alert from the peer. crypto/tls surfaces remote
// alerts only as a *net.OpError{Op: "remote error"} around an unexported
// type, so the alert is recognised by its text.
func isAlert(err error, code tls.AlertError, text string) bool {
	var alert tls.AlertError
	if errors.As(err, &alert) {
		return alert == code
	}
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "remote error" {
		return false
	}
	return strings.Contains(op.Err.Error(), text)
}

// Explain says in one line, in GOST's terms, why GOST configured as c
// cannot connect to address.
func (c Client) Explain(e *Error, address string) string {
	block := "the GOST config has a tls block (--tls)"
	if c.Transport == HTTP {
		block = "the address is https://"
	}
	switch e.Kind {
	case KindPlaintext:
		return fmt.Sprintf("%s answers in plaintext, but %s", address, block)
	case KindUnknownAuthority:
		ss := untrusted(e.Err)
		if c.Block == nil {
			return fmt.Sprintf("%s will fail: certificate signed by unknown authority%s; add a tls block, `tls: {}` (--tls), to skip verification", c.How(), ss)
		}
		return fmt.Sprintf("%s will fail: certificate signed by unknown authority%s; GOST uses the system roots only, and a plugin's caFile is ignored (`tls: {}`, --tls without --tls-secure, skips verification)", c.How(), ss)
	case KindNameMismatch:
		var host x509.HostnameError
		msg := bounded(e.Err.Error())
		if errors.As(e.Err, &host) {
			msg = bounded(host.Error())
			if valid := certNames(host.Certificate); valid != "" && !strings.Contains(msg, "valid for") {
				msg += " (it is valid for " + bounded(valid) + ")"
			}
		}
		if c.Block == nil {
			return fmt.Sprintf("%s will fail: %s; use an addr with a name in the certificate, or a tls block with serverName (--tls-server-name) set to one", c.How(), msg)
		}
		return fmt.Sprintf("%s will fail: %s; set serverName (--tls-server-name) to a name in the certificate", c.How(), msg)
	case KindExpired, KindNotYetValid:
		var invalid x509.CertificateInvalidError
		if errors.As(e.Err, &invalid) && invalid.Cert != nil {
			return fmt.Sprintf("%s will fail: %s", c.How(), validity(invalid.Cert, time.Now()))
		}
		return fmt.Sprintf("%s will fail: %s", c.How(), bounded(e.Err.Error()))
	case KindClientCertRequired:
		return fmt.Sprintf("%s requires a client certificate; GOST never presents one to a plugin, so it can never connect", address)
	case KindNoALPN:
		return fmt.Sprintf("%s completed TLS without negotiating ALPN \"h2\"; grpc-go, and so GOST, refuses such a server", address)
	case KindClosed:
		return fmt.Sprintf("%s closed the connection during the TLS handshake: is it a TLS server? %s", address, block)
	case KindRSAKeyTooLarge:
		return fmt.Sprintf("%s: %s; Go's crypto/tls, and so GOST, refuses the certificate under every tls block before any verification: reissue it with a smaller key (RSA 2048-4096 or ECDSA P-256)",
			address, bounded(e.Err.Error()))
	case KindTimeout:
		return fmt.Sprintf("no TLS handshake from %s in time: %s", address, bounded(e.Err.Error()))
	}
	return fmt.Sprintf("TLS handshake with %s failed: %s", address, bounded(e.Err.Error()))
}

// validity describes an expired or not yet valid certificate.
func validity(cert *x509.Certificate, now time.Time) string {
	if now.Before(cert.NotBefore) {
		return fmt.Sprintf("certificate %s is not valid until %s", bounded(cert.Subject.String()), cert.NotBefore.UTC().Format(time.RFC3339))
	}
	return fmt.Sprintf("certificate %s expired on %s (%s ago)", bounded(cert.Subject.String()), cert.NotAfter.UTC().Format(time.RFC3339), ago(now.Sub(cert.NotAfter)))
}

func ago(d time.Duration) string {
	switch days := int(d / (24 * time.Hour)); {
	case days == 1:
		return "1 day"
	case days > 1:
		return fmt.Sprintf("%d days", days)
	}
	return d.Round(time.Minute).String()
}

// Short is a few words for a problem listed after the main reason.
func (k Kind) Short() string {
	switch k {
	case KindUnknownAuthority:
		return "certificate signed by unknown authority (GOST uses the system roots only)"
	case KindNameMismatch:
		return "certificate not valid for the name GOST checks"
	case KindExpired:
		return "certificate expired"
	case KindNotYetValid:
		return "certificate not yet valid"
	case KindClientCertRequired:
		return "the server requires a client certificate, which GOST never presents"
	case KindNoALPN:
		return `the server negotiates no ALPN "h2", which grpc-go requires`
	case KindRSAKeyTooLarge:
		return "RSA key over 8192 bits, which Go's crypto/tls refuses"
	}
	return string(k)
}

// untrusted says, in parentheses, whom an unknown-authority error leaves
// untrusted: "self-signed" only when the leaf signed itself, else the
// authority at the top of what the server sent. x509 reports the last
// certificate it found no parent for, which is as often a root the server
// sent along as it is the leaf.
func untrusted(err error) string {
	var leaf *x509.Certificate
	var ce *tls.CertificateVerificationError
	if errors.As(err, &ce) && len(ce.UnverifiedCertificates) > 0 {
		leaf = ce.UnverifiedCertificates[0]
	}
	if leaf != nil && SelfSigned(leaf) {
		return " (the certificate is self-signed)"
	}
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) || unknown.Cert == nil {
		return ""
	}
	top := unknown.Cert
	switch {
	case !SelfSigned(top):
		return fmt.Sprintf(" (issued by %s, which the roots do not hold)", bounded(top.Issuer.String()))
	case leaf != nil:
		return fmt.Sprintf(" (its chain ends at %s, a root the server sent along, which the roots do not hold)", bounded(top.Subject.String()))
	}
	return fmt.Sprintf(" (its chain ends at the self-signed %s, which the roots do not hold)", bounded(top.Subject.String()))
}

// certNames lists the names a certificate is valid for.
func certNames(cert *x509.Certificate) string {
	if cert == nil {
		return ""
	}
	names := append([]string(nil), cert.DNSNames...)
	for _, ip := range cert.IPAddresses {
		names = append(names, ip.String())
	}
	return strings.Join(names, ", ")
}
