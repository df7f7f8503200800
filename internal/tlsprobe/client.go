// Package tlsprobe knows TLS the way GOST's plugin clients meet it: the
// exact tls.Config GOST builds for each plugin configuration, a handshake
// that records what the server showed even when it fails, the reasons a
// handshake fails explained in GOST's terms, and a summary of the chain
// (names, validity, keys, verification). It handshakes over connections it
// is given and never dials, sniffs protocols or calls a plugin method.
package tlsprobe

import (
	"crypto/tls"
	"fmt"
	"net"
	"slices"
	"strings"
)

// Transport is how GOST speaks to the plugin, which decides the ALPN and
// TLS settings of its client. The zero value is gRPC.
type Transport int

// The transports of a GOST plugin.
const (
	GRPC Transport = iota
	HTTP
)

// Block is a GOST plugin's tls block, as far as TLS reads it.
type Block struct {
	// Secure verifies the server against the system roots (`secure: true`).
	Secure bool
	// ServerName sets SNI and the name verified.
	ServerName string
}

// Client is the TLS side of one GOST plugin configuration that uses TLS:
// a gRPC plugin with a tls block, or an HTTP plugin with an https:// addr.
type Client struct {
	Transport Transport
	// Block is the plugin's tls block. nil is meaningful for HTTP only: an
	// https:// addr without a tls block, which Go verifies with its defaults.
	Block *Block
	// Host is the host part of the plugin addr (no port).
	Host string
}

// Verifies reports whether GOST checks the certificate chain and name:
// with `secure: true`, and for https:// without a tls block.
func (c Client) Verifies() bool { return c.Block == nil || c.Block.Secure }

// Name is the name GOST checks the certificate against, and the SNI unless
// it is an IP address: the tls block's serverName, else the addr's host.
func (c Client) Name() string {
	if c.Block != nil && c.Block.ServerName != "" {
		return c.Block.ServerName
	}
	return c.Host
}

// Config returns the tls.Config GOST's client uses for c, with GOST's
// system roots (RootCAs nil).
//
// gRPC: GOST passes {ServerName, InsecureSkipVerify} to credentials.NewTLS,
// which offers ALPN h2 only, requires TLS 1.2, drops the cipher suites
// HTTP/2 forbids, and sets ServerName to the host of the :authority, which
// is serverName when set and the addr otherwise.
//
// HTTP with a tls block: net/http takes the block's config as is; a custom
// TLSClientConfig disables HTTP/2, so no ALPN is offered, and an empty
// ServerName becomes the URL's host. Without a tls block net/http uses its
// defaults and offers h2 and http/1.1.
func (c Client) Config() *tls.Config {
	cfg := &tls.Config{ServerName: c.Name()}
	if c.Block != nil {
		cfg.InsecureSkipVerify = !c.Block.Secure //nolint:gosec // GOST's semantics: `tls: {}` means no verification.
	}
	switch {
	case c.Transport == GRPC:
		cfg.NextProtos = []string{"h2"}
		cfg.MinVersion = tls.VersionTLS12
		cfg.CipherSuites = grpcCipherSuites()
	case c.Block == nil:
		cfg.NextProtos = []string{"h2", "http/1.1"}
	}
	return cfg
}

// grpcCipherSuites are crypto/tls's secure suites without those RFC 7540
// appendix A forbids, as grpc-go's credentials.NewTLS chooses them.
func grpcCipherSuites() []uint16 {
	forbidden := []uint16{
		tls.TLS_RSA_WITH_AES_128_CBC_SHA, tls.TLS_RSA_WITH_AES_256_CBC_SHA,
		tls.TLS_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_RSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
		tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
	}
	var out []uint16
	for _, cs := range tls.CipherSuites() {
		if !slices.Contains(forbidden, cs.ID) {
			out = append(out, cs.ID)
		}
	}
	return out
}

// How names the configuration in GOST's terms, for messages such as
// "secure: true will fail: …".
func (c Client) How() string {
	switch {
	case c.Block == nil:
		return "https:// without a tls block (Go's default verification)"
	case c.Block.Secure && c.Block.ServerName != "":
		return fmt.Sprintf("secure: true with serverName %s", c.Block.ServerName)
	case c.Block.Secure:
		return "secure: true"
	case c.Block.ServerName != "":
		return fmt.Sprintf("tls: {serverName: %s}", c.Block.ServerName)
	}
	return "tls: {}"
}

// OpenSSL returns an openssl s_client line that makes c's handshake with
// address: the same SNI and ALPN, and with verification on when GOST
// verifies (openssl's default roots stand in for the system roots).
func (c Client) OpenSSL(address string) string {
	args := []string{"openssl", "s_client", "-connect", quote(address)}
	name := c.Name()
	isIP := net.ParseIP(name) != nil
	if !isIP && name != "" {
		args = append(args, "-servername", quote(name))
	}
	if alpn := c.Config().NextProtos; len(alpn) > 0 {
		args = append(args, "-alpn", strings.Join(alpn, ","))
	}
	if c.Verifies() {
		args = append(args, "-verify_return_error")
		if isIP {
			args = append(args, "-verify_ip", quote(name))
		} else {
			args = append(args, "-verify_hostname", quote(name))
		}
	}
	return strings.Join(args, " ") + " </dev/null"
}

// quote makes s one shell word.
func quote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:[]/") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
