// Package testcert generates certificates at test time: a CA, intermediate
// CAs and leaf certificates for loopback servers and clients, valid,
// expired, self-signed or for the wrong name, and their PEM encodings.
package testcert

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"time"
)

// CA is a certificate authority that signs leaf certificates.
type CA struct {
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
	// Pool trusts only the root of this CA's chain.
	Pool *x509.CertPool
	// chain holds the DER of this CA and of the intermediates above it,
	// without the root, which servers send after their leaf.
	chain [][]byte
}

// NewCA creates a self-signed root CA valid for a day.
func NewCA(name string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate CA key: %w", err)
	}
	tmpl := caTemplate(name)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("create CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse CA certificate: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &CA{Cert: cert, Key: key, Pool: pool}, nil
}

func caTemplate(name string) *x509.Certificate {
	return &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
}

// Intermediate creates a CA signed by ca. Leaves it issues carry it in
// their chain, as a server presents an intermediate after its leaf.
func (ca *CA) Intermediate(name string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate intermediate key: %w", err)
	}
	tmpl := caTemplate(name)
	tmpl.SerialNumber = big.NewInt(2)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		return nil, fmt.Errorf("create intermediate certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse intermediate certificate: %w", err)
	}
	chain := append([][]byte{der}, ca.chain...)
	return &CA{Cert: cert, Key: key, Pool: ca.Pool, chain: chain}, nil
}

// Leaf describes a certificate to issue.
type Leaf struct {
	CommonName string
	DNSNames   []string
	IPs        []net.IP
	NotBefore  time.Time // zero: an hour ago
	NotAfter   time.Time // zero: in a day
	Client     bool      // for client authentication instead of server
}

// Issue signs a leaf certificate; a nil CA makes it self-signed. The
// returned certificate carries the CA's intermediates after the leaf.
func (ca *CA) Issue(l Leaf) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("generate key: %w", err)
	}
	return ca.issue(l, key)
}

// IssueRSAPublic signs, with ca (not nil), a leaf whose public key is an RSA
// key of bits bits that is never generated: its modulus is a random odd
// number, as generating a 16384-bit key takes minutes. That is enough for
// a client that judges the key by its size on the Certificate message, as
// crypto/tls does for RSA keys over 8192 bits. The private key only claims
// the public key: its signatures are zeros of the right length, so a
// client that checks them fails the handshake there.
func (ca *CA) IssueRSAPublic(l Leaf, bits int) (tls.Certificate, error) {
	if ca == nil || bits < 1024 {
		return tls.Certificate{}, errors.New("testcert: IssueRSAPublic needs a CA and at least 1024 bits")
	}
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), uint(bits-1)))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("modulus: %w", err)
	}
	n.SetBit(n, bits-1, 1).SetBit(n, 0, 1)
	return ca.issue(l, fakeSigner{&rsa.PublicKey{N: n, E: 65537}})
}

// fakeSigner claims an RSA public key whose private key nobody has.
type fakeSigner struct{ pub *rsa.PublicKey }

func (f fakeSigner) Public() crypto.PublicKey { return f.pub }

func (f fakeSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return make([]byte, f.pub.Size()), nil
}

// issue signs a leaf for key's public key; a nil CA makes key sign it.
func (ca *CA) issue(l Leaf, key crypto.Signer) (tls.Certificate, error) {
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("serial: %w", err)
	}
	if l.NotBefore.IsZero() {
		l.NotBefore = time.Now().Add(-time.Hour)
	}
	if l.NotAfter.IsZero() {
		l.NotAfter = time.Now().Add(24 * time.Hour)
	}
	usage := x509.ExtKeyUsageServerAuth
	if l.Client {
		usage = x509.ExtKeyUsageClientAuth
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: l.CommonName},
		DNSNames:     l.DNSNames,
		IPAddresses:  l.IPs,
		NotBefore:    l.NotBefore,
		NotAfter:     l.NotAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
	}
	parent, signer := tmpl, crypto.Signer(key)
	var chain [][]byte
	if ca != nil {
		parent, signer, chain = ca.Cert, ca.Key, ca.chain
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), signer)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("create certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("parse certificate: %w", err)
	}
	return tls.Certificate{Certificate: append([][]byte{der}, chain...), PrivateKey: key, Leaf: leaf}, nil
}

// Loopback is a leaf for 127.0.0.1, ::1 and localhost.
func Loopback() Leaf {
	return Leaf{CommonName: "localhost", DNSNames: []string{"localhost"}, IPs: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}}
}

// CertPEM returns the CA certificate in PEM, as a --tls-ca-cert file or an
// SSL_CERT_FILE holds it.
func (ca *CA) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw})
}

// KeyPEM returns the CA's private key in PEM.
func (ca *CA) KeyPEM() ([]byte, error) {
	der, err := x509.MarshalECPrivateKey(ca.Key)
	if err != nil {
		return nil, fmt.Errorf("marshal CA key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil
}

// LoadCA reads a root CA written with CertPEM and KeyPEM, so that a child
// process can issue certificates its parent's roots trust.
func LoadCA(certPEM, keyPEM []byte) (*CA, error) {
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		return nil, errors.New("testcert: no PEM block")
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse CA certificate: %w", err)
	}
	key, err := x509.ParseECPrivateKey(kb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse CA key: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &CA{Cert: cert, Key: key, Pool: pool}, nil
}

// PEM returns the chain and private key of cert in PEM, as
// --tls-client-cert and --tls-client-key files hold them.
func PEM(cert tls.Certificate) (certPEM, keyPEM []byte, err error) {
	for _, der := range cert.Certificate {
		certPEM = append(certPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	key, ok := cert.PrivateKey.(*ecdsa.PrivateKey)
	if !ok {
		return nil, nil, fmt.Errorf("testcert: unsupported key type %T", cert.PrivateKey)
	}
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("marshal key: %w", err)
	}
	return certPEM, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil
}

// Set is the certificates TLS tests serve: one of each kind GOST treats
// differently, all for loopback except WrongName.
type Set struct {
	// CA is the root; Valid chains to it through an intermediate.
	CA *CA
	// Valid is for localhost, 127.0.0.1 and ::1, issued by an intermediate
	// of CA, and carries that intermediate.
	Valid tls.Certificate
	// SelfSigned is for loopback and signed by its own key.
	SelfSigned tls.Certificate
	// Expired is from CA, for loopback, and expired a day ago.
	Expired tls.Certificate
	// WrongName is from CA and valid only for other.example.
	WrongName tls.Certificate
	// Client is a client certificate from CA, for mTLS servers.
	Client tls.Certificate
}

// WrongName is the only name Set.WrongName is valid for.
const WrongName = "other.example"

// NewSet creates a Set with a new CA.
func NewSet() (*Set, error) {
	ca, err := NewCA("plugincheck test CA")
	if err != nil {
		return nil, err
	}
	return NewSetFrom(ca)
}

// NewSetFrom creates a Set whose certificates come from ca, for a process
// whose system roots trust ca (SSL_CERT_FILE).
func NewSetFrom(ca *CA) (*Set, error) {
	inter, err := ca.Intermediate("plugincheck test intermediate")
	if err != nil {
		return nil, err
	}
	s := &Set{CA: ca}
	expired := Loopback()
	expired.NotBefore, expired.NotAfter = time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour)
	client := Leaf{CommonName: "plugincheck client", Client: true}
	for _, c := range []struct {
		dst    *tls.Certificate
		issuer *CA
		leaf   Leaf
	}{
		{&s.Valid, inter, Loopback()},
		{&s.SelfSigned, nil, Loopback()},
		{&s.Expired, ca, expired},
		{&s.WrongName, ca, Leaf{CommonName: WrongName, DNSNames: []string{WrongName}}},
		{&s.Client, ca, client},
	} {
		if *c.dst, err = c.issuer.Issue(c.leaf); err != nil {
			return nil, err
		}
	}
	return s, nil
}
