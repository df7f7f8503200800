package tlsprobe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
)

// Options change a handshake from GOST's in ways GOST cannot.
type Options struct {
	// Roots replace the system roots; nil uses them, as GOST does.
	Roots *x509.CertPool
	// Insecure skips verification whatever the client says, to read the
	// chain of a server GOST would refuse.
	Insecure bool
	// ClientCert is presented when the server asks for one. GOST never
	// presents one; this lets plugincheck read an mTLS-only server.
	ClientCert *tls.Certificate
}

// Result is one handshake.
type Result struct {
	// Conn is the TLS connection when the handshake completed.
	Conn *tls.Conn
	// State is what the server showed, recorded once its certificate was
	// accepted, so it is set even when the handshake failed after that (a
	// refused client certificate in TLS 1.2).
	State *tls.ConnectionState
	// ClientCertRequested reports that the server asked for a client
	// certificate.
	ClientCertRequested bool
	// Err says why GOST would not connect: the handshake failed, or a gRPC
	// server negotiated no ALPN (Conn is then set too).
	Err *Error
}

// Handshake runs the TLS handshake of GOST's client c over conn, changed
// only by opts. The caller closes conn.
func Handshake(ctx context.Context, conn net.Conn, c Client, opts Options) Result {
	var res Result
	cfg := c.Config()
	cfg.RootCAs = opts.Roots
	if opts.Insecure {
		cfg.InsecureSkipVerify = true
	}
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		res.State = &cs
		return nil
	}
	cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		res.ClientCertRequested = true
		if opts.ClientCert != nil {
			return opts.ClientCert, nil
		}
		// What crypto/tls sends when the config has no certificate.
		return &tls.Certificate{}, nil
	}
	tc := tls.Client(conn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		res.Err = Classify(err)
		switch {
		case res.Err != nil:
		case Timeout(err):
			res.Err = &Error{Kind: KindTimeout, Err: err}
		default:
			res.Err = &Error{Kind: KindHandshake, Err: err}
		}
		return res
	}
	st := tc.ConnectionState()
	res.Conn, res.State = tc, &st
	if c.Transport == GRPC && st.NegotiatedProtocol != "h2" {
		res.Err = &Error{Kind: KindNoALPN, Err: errNoALPN}
	}
	return res
}
