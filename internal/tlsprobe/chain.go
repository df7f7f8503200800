package tlsprobe

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"math"
	"time"
)

// Certificate summarises one certificate of a chain for a report; every
// field that came from the server is bounded.
type Certificate struct {
	Subject, Issuer     string
	DNSNames, IPs       []string
	NotBefore, NotAfter time.Time
	// DaysLeft is the whole days until NotAfter; negative once expired.
	DaysLeft int
	// KeyType is the public key algorithm, with the curve for ECDSA.
	KeyType            string
	KeyBits            int
	SignatureAlgorithm string
	SelfSigned, IsCA   bool
}

// Chain summarises certs, leaf first, as of now.
func Chain(certs []*x509.Certificate, now time.Time) []Certificate {
	out := make([]Certificate, 0, len(certs))
	for _, c := range certs {
		rc := Certificate{
			Subject:            bounded(c.Subject.String()),
			Issuer:             bounded(c.Issuer.String()),
			DNSNames:           names(c.DNSNames),
			NotBefore:          c.NotBefore.UTC(),
			NotAfter:           c.NotAfter.UTC(),
			DaysLeft:           DaysLeft(c, now),
			SignatureAlgorithm: c.SignatureAlgorithm.String(),
			SelfSigned:         SelfSigned(c),
			IsCA:               c.IsCA,
		}
		var ips []string
		for _, ip := range c.IPAddresses {
			ips = append(ips, ip.String())
		}
		rc.IPs = names(ips)
		rc.KeyType, rc.KeyBits = keyOf(c)
		out = append(out, rc)
	}
	return out
}

// maxNames bounds the names of a certificate a report lists.
const maxNames = 32

// names bounds a certificate's names for a report: each name, and their
// number, with a last entry saying how many were left out.
func names(all []string) []string {
	if len(all) == 0 {
		return nil
	}
	out := make([]string, 0, min(len(all), maxNames+1))
	for _, n := range all[:min(len(all), maxNames)] {
		out = append(out, bounded(n))
	}
	if len(all) > maxNames {
		out = append(out, fmt.Sprintf("… (%d more)", len(all)-maxNames))
	}
	return out
}

// DaysLeft is the whole days from now until cert expires, negative once it
// has.
func DaysLeft(cert *x509.Certificate, now time.Time) int {
	return int(math.Floor(cert.NotAfter.Sub(now).Hours() / 24))
}

// SelfSigned reports a certificate signed by its own key. CheckSignatureFrom
// would refuse a leaf as its own parent, since it is no CA.
func SelfSigned(cert *x509.Certificate) bool {
	return bytes.Equal(cert.RawSubject, cert.RawIssuer) &&
		cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature) == nil
}

func keyOf(c *x509.Certificate) (string, int) {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		return "RSA", k.N.BitLen()
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name, k.Curve.Params().BitSize
	case ed25519.PublicKey:
		return "Ed25519", 256
	}
	return c.PublicKeyAlgorithm.String(), 0
}

// Verify checks the chain (leaf first, as the server sent it) against roots
// at now, for server authentication; nil roots are the system roots. The
// name is not checked: that is CheckName's job.
func Verify(chain []*x509.Certificate, roots *x509.CertPool, now time.Time) *Error {
	if len(chain) == 0 {
		return &Error{Kind: KindHandshake, Err: fmt.Errorf("no certificate")}
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	_, err := chain[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: now})
	if err == nil {
		return nil
	}
	if e := Classify(err); e != nil {
		if e.Kind == KindExpired && now.Before(chain[0].NotBefore) {
			e.Kind = KindNotYetValid
		}
		return e
	}
	return &Error{Kind: KindHandshake, Err: err}
}

// CheckName checks leaf against name as GOST's client does (an IP address
// against the IP SANs, a host name against the DNS SANs).
func CheckName(leaf *x509.Certificate, name string) *Error {
	if err := leaf.VerifyHostname(name); err != nil {
		return &Error{Kind: KindNameMismatch, Err: err}
	}
	return nil
}

// Validity returns KindExpired or KindNotYetValid with a description when
// cert is outside its validity period at now.
func Validity(cert *x509.Certificate, now time.Time) (Kind, string) {
	switch {
	case now.After(cert.NotAfter):
		return KindExpired, validity(cert, now)
	case now.Before(cert.NotBefore):
		return KindNotYetValid, validity(cert, now)
	}
	return "", ""
}
