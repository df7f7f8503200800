package probe

import (
	"crypto/x509"
	"time"

	"github.com/plugincheck/plugincheck/internal/tlsprobe"
	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
)

// targetOf reads cfg's address with mockclient.ParseTarget. Without a
// module it takes the observer's reading, the most lenient (GOST's HTTP
// observer alone prepends "http://"): commands have already refused a
// scheme-less HTTP addr for every other module.
func targetOf(cfg mockclient.Config) (mockclient.Target, error) {
	if cfg.Module == "" {
		cfg.Module = mockclient.Observer
	}
	return mockclient.ParseTarget(cfg)
}

// tlsClient is tlsprobe's view of GOST's TLS client for transport t with
// tls block b (nil: none) dialling host.
func tlsClient(t mockclient.Transport, b *mockclient.TLSConfig, host string) tlsprobe.Client {
	c := tlsprobe.Client{Transport: tlsprobe.GRPC, Host: host}
	if t == mockclient.HTTP {
		c.Transport = tlsprobe.HTTP
	}
	if b != nil {
		c.Block = &tlsprobe.Block{Secure: b.Secure, ServerName: b.ServerName}
	}
	return c
}

// Chain summarises certs, leaf first, as of now, for a report.
func Chain(certs []*x509.Certificate, now time.Time) []report.Certificate {
	return certificates(tlsprobe.Chain(certs, now))
}

func certificates(cs []tlsprobe.Certificate) []report.Certificate {
	out := make([]report.Certificate, 0, len(cs))
	for _, c := range cs {
		out = append(out, report.Certificate{
			Subject: c.Subject, Issuer: c.Issuer, DNSNames: c.DNSNames, IPs: c.IPs,
			NotBefore: c.NotBefore, NotAfter: c.NotAfter, DaysLeft: c.DaysLeft,
			KeyType: c.KeyType, KeyBits: c.KeyBits, SignatureAlgorithm: c.SignatureAlgorithm,
			SelfSigned: c.SelfSigned, IsCA: c.IsCA,
		})
	}
	return out
}
