package probe

import (
	"fmt"
	"strings"

	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
)

// row is one way GOST can be configured for a plugin: a row of the verdict
// matrix.
type row struct {
	id, config string
	cfg        mockclient.Config
	configured bool
}

func (r row) usesTLS() bool {
	t, err := targetOf(r.cfg)
	return err == nil && t.UsesTLS()
}

// https reports whether r is an HTTP row addressed with https://.
func (r row) https() bool {
	t, err := targetOf(r.cfg)
	return err == nil && t.HTTPS
}

func (r row) verdict(o outcome, ep endpoint) report.Verdict {
	v := report.Verdict{
		ID: r.id, Config: r.config, Addr: r.cfg.Addr, Connects: o.kind == "", Reason: o.reason,
		Configured: r.configured, Reproducer: r.reproducer(ep),
	}
	if r.cfg.TLS != nil {
		v.TLS = &report.TargetTLS{Secure: r.cfg.TLS.Secure, ServerName: r.cfg.TLS.ServerName}
	}
	return v
}

// rows lists every configuration GOST allows for the plugin cfg points at
// and marks cfg's own. serverName is the name used in the rows that set
// one: cfg's, else candidate (the certificate's first DNS name), else the
// addr's host.
func rows(cfg mockclient.Config, ep endpoint, candidate string) []row {
	name := candidate
	if name == "" {
		name = ep.host
	}
	if cfg.TLS != nil && cfg.TLS.ServerName != "" {
		name = cfg.TLS.ServerName
	}
	blocks := []struct {
		id, config string
		block      *mockclient.TLSConfig
	}{
		{"tls", "tls: {}", &mockclient.TLSConfig{}},
		{"tls-server-name", fmt.Sprintf("tls: {serverName: %s}", name), &mockclient.TLSConfig{ServerName: name}},
		{"tls-secure", "tls: {secure: true}", &mockclient.TLSConfig{Secure: true}},
		{"tls-secure-server-name", fmt.Sprintf("tls: {secure: true, serverName: %s}", name), &mockclient.TLSConfig{Secure: true, ServerName: name}},
	}
	// GOST's timeout stays: it bounds the TLS handshake of every HTTP row.
	base := mockclient.Config{Addr: cfg.Addr, Transport: ep.transport, Module: cfg.Module, Timeout: cfg.Timeout, CallTimeout: cfg.CallTimeout}
	var out []row
	if ep.transport == mockclient.GRPC {
		out = append(out, row{id: "no-tls", config: "no tls block", cfg: base})
		for _, b := range blocks {
			c := base
			c.TLS = b.block
			out = append(out, row{id: b.id, config: b.config, cfg: c})
		}
	} else {
		plain, secure := *ep.url, *ep.url
		plain.Scheme, secure.Scheme = "http", "https"
		c := base
		c.Addr = plain.String()
		out = append(out, row{id: "http", config: "http://, no tls block (a tls block changes nothing)", cfg: c})
		c.Addr = secure.String()
		out = append(out, row{id: "https", config: "https://, no tls block", cfg: c})
		for _, b := range blocks {
			c := c
			c.TLS = b.block
			out = append(out, row{id: "https-" + b.id, config: "https://, " + b.config, cfg: c})
		}
	}
	for i := range out {
		out[i].configured = sameSettings(out[i], cfg, ep)
	}
	return out
}

// sameSettings reports whether row settings r are those of cfg.
func sameSettings(r row, cfg mockclient.Config, ep endpoint) bool {
	if ep.transport == mockclient.HTTP {
		rowHTTPS := r.https()
		if !ep.https || !rowHTTPS {
			return rowHTTPS == ep.https
		}
	}
	rt := r.cfg.TLS
	switch {
	case rt == nil || cfg.TLS == nil:
		return rt == nil && cfg.TLS == nil
	case rt.Secure != cfg.TLS.Secure:
		return false
	}
	return (rt.ServerName != "") == (cfg.TLS.ServerName != "")
}

// reproducer is a command line that connects as GOST configured as r does.
func (r row) reproducer(ep endpoint) string {
	switch {
	case r.usesTLS():
		return tlsClient(ep.transport, r.cfg.TLS, ep.host).OpenSSL(ep.address)
	case ep.network == "unix":
		return ""
	case ep.transport == mockclient.GRPC:
		return "curl -sS --http2-prior-knowledge -o /dev/null -w '%{http_version} %{http_code}\\n' http://" + ep.address + "/"
	}
	return "curl -sS -o /dev/null -w '%{http_code}\\n' '" + strings.ReplaceAll(r.cfg.Addr, "'", `'\''`) + "'"
}
