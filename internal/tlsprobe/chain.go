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

	"github.com/plugincheck/plugincheck/report"
)

// Chain summarises certs, leaf first, as of now.
func Chain(certs []*x509.Certificate, now time.Time) []report.Certificate {
	out := make([]report.Certificate, 0, len(certs))
	for _, c := range certs {
		rc := report.Certificate{
			Subject:            c.Subject.String(),
			Issuer:             c.Issuer.String(),
			DNSNames:           c.DNSNames,
			NotBefore:          c.NotBefore.UTC(),
			NotAfter:           c.NotAfter.UTC(),
			DaysLeft:           DaysLeft(c, now),
			SignatureAlgorithm: c.SignatureAlgorithm.String(),
			SelfSigned:         SelfSigned(c),
			IsCA:               c.IsCA,
		}
		for _, ip := range c.IPAddresses {
			rc.IPs = append(rc.IPs, ip.String())
		}
		rc.KeyType, rc.KeyBits = keyOf(c)
		out = append(out, rc)
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
