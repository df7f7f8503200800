package gostconfig

import (
	"cmp"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"

	"github.com/plugincheck/plugincheck/clip"
	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
)

const (
	warn = report.Warn
	fail = report.Fail
)

// CodeTypeCase marks an auther whose type is "HTTP" or another case of
// "http", which x's auther parser alone reads as gRPC.
const CodeTypeCase = "type-case"

// missing says, for each section, what GOST does with a name that nothing
// in the section defines. Its registry hands out a wrapper for any name and
// looks the name up on every call, so GOST accepts the config and logs
// nothing (a rewriter alone is logged); the wrapper's answer for a missing
// component is the consequence.
var missing = map[string]struct {
	severity report.Status
	effect   string
}{
	"authers":    {fail, "lets every client in: its auther wrapper answers ok when nothing is registered under the name"},
	"admissions": {fail, "refuses every connection: its admission wrapper admits nothing when nothing is registered under the name"},
	"bypasses":   {warn, "bypasses nothing"},
	"resolvers":  {fail, "fails every host name lookup through it (resolver.ErrInvalid), so connections to host names fail"},
	"hosts":      {warn, "maps no host"},
	"ingresses":  {warn, "finds no ingress rule"},
	"routers":    {warn, "finds no route"},
	"sds":        {warn, "registers nothing in service discovery"},
	"recorders":  {warn, "records nothing"},
	"rewriters":  {warn, "logs `rewriter not found in registry` once and passes the data unchanged"},
	"limiters":   {warn, "applies no traffic limit"},
	"climiters":  {warn, "applies no connection limit"},
	"rlimiters":  {warn, "applies no rate limit"},
	"observers":  {warn, "reports no events or stats"},
	"chains":     {fail, "connects directly, not through a chain: the chain wrapper routes nowhere"},
	"hops":       {fail, "has no node to forward to, so every connection fails (node not available)"},
}

// chainHopMissing is what GOST does with a chain's hop that names no hop:
// its route ends there (x's Chain.Route returns the route so far).
var chainHopMissing = struct {
	severity report.Status
	effect   string
}{fail, "ends the chain's route before it: connections skip this hop and every hop after it, and with no hop before it they go direct"}

// findings gathers the config's problems, by line.
func (p *parser) findings(d *Deployment) []Finding {
	var out []Finding
	add := func(f Finding) {
		f.File = d.Source
		out = append(out, f)
	}
	for _, f := range p.extra {
		add(f)
	}
	for _, dp := range p.dups {
		add(Finding{Code: CodeDuplicateName, Severity: fail, Line: dp.line,
			Message: fmt.Sprintf("%s: a second entry named %q%s: GOST refuses the config (registry: duplicate object); rename one",
				dp.section, clip.Text(dp.name, 80), p.lineRef(" (the first is at line %d)", dp.first))})
	}
	seen := map[string]bool{}
	for _, r := range p.refs {
		if _, ok := p.defined[r.section][r.name]; ok {
			continue
		}
		key := fmt.Sprintf("%s/%s/%d", r.section, r.name, r.line)
		if seen[key] {
			continue
		}
		seen[key] = true
		m := missing[r.section]
		if r.via == "chains.hops" {
			m = chainHopMissing
		}
		add(Finding{Code: CodeUnknownComponent, Severity: m.severity, Line: r.line,
			Message: fmt.Sprintf("%s names %s %q, which the config does not define: GOST accepts the config and silently %s; define it under %s: or fix the name",
				r.via, singular(r.section), clip.Text(r.name, 80), m.effect, r.section)})
	}
	tokens := map[string][]int{} // server → plugins, for token conflicts
	var addrs []string           // servers in config order
	for i, pl := range d.Plugins {
		id := pl.ID()
		if pl.Ignored != "" {
			add(Finding{Code: CodeIgnoredPlugin, Severity: warn, Line: pl.Line, Plugin: id,
				Message: pl.Ignored + "; GOST never calls this plugin, so remove the block or move the plugin to limiters:"})
		} else if len(pl.Users) == 0 {
			add(Finding{Code: CodeUnusedPlugin, Severity: warn, Line: pl.Line, Plugin: id,
				Message: fmt.Sprintf("no service, chain or hop uses %s: GOST builds its client and never calls it; name it in a service or remove it", id)})
		}
		t, err := mockclient.ParseTarget(pl.Config)
		if err != nil {
			add(Finding{Code: CodeBadAddress, Severity: fail, Line: pl.Line, Plugin: id,
				Message: "addr " + clip.Redact(err.Error(), pl.Config.Token)})
		}
		cfg := pl.Config
		switch {
		case cfg.Transport == mockclient.HTTP && cfg.Timeout <= 0:
			add(Finding{Code: CodeHTTPNoTimeout, Severity: warn, Line: pl.Line, Plugin: id,
				Message: "an HTTP plugin without timeout: GOST's HTTP client then has no deadline (http.Client.Timeout 0), so a plugin that never answers holds each connection forever; set timeout, e.g. 5s"})
		}
		if cfg.Transport == mockclient.HTTP && cfg.TLS != nil && err == nil && !t.UsesTLS() {
			add(Finding{Code: CodeIgnoredTLS, Severity: warn, Line: pl.Line, Plugin: id,
				Message: "a tls block on an http:// URL: GOST speaks plaintext to it and ignores the block; use an https:// addr for TLS"})
		}
		if cfg.Transport == mockclient.GRPC && cfg.TLS == nil && err == nil && !loopback(t) {
			add(Finding{Code: CodeGRPCPlaintextRemote, Severity: warn, Line: pl.Line, Plugin: id,
				Message: fmt.Sprintf("a gRPC plugin at %s without tls: GOST sends the token and every request in clear over the network; add tls (secure: true) or keep the plugin on loopback",
					clip.Text(t.Host, 80))})
		}
		if err == nil {
			// One server: the same transport and dial address, whatever
			// the URL path (one HTTP server often serves several modules).
			k := string(t.Transport) + " " + t.Network + " " + t.Dial
			if _, ok := tokens[k]; !ok {
				addrs = append(addrs, k)
			}
			tokens[k] = append(tokens[k], i)
		}
	}
	for _, k := range addrs {
		is := tokens[k]
		for _, j := range is[1:] {
			a, b := d.Plugins[is[0]], d.Plugins[j]
			if a.Config.Token == b.Config.Token {
				continue
			}
			add(Finding{Code: CodeTokenConflict, Severity: warn, Line: b.Line, Plugin: b.ID(),
				Message: fmt.Sprintf("addr %q reaches the plugin server of %s%s, with a different token: a plugin server checks one token, so it refuses GOST's calls from one of the two blocks; use the same token",
					clip.Text(b.Config.Addr, 120), a.ID(), p.lineRef(" (line %d)", a.Line))})
		}
	}
	// A finding about one plugin carries that plugin's token (and the
	// other's, for a conflict) redacted; one about no plugin, every token.
	// A token "1" (from `token: true`) would otherwise mangle every other
	// plugin's address.
	all := newRedactor(d.Plugins)
	for i := range out {
		f := &out[i]
		if f.Plugin == "" {
			f.Message = all.redact(f.Message)
			continue
		}
		for _, j := range p.byName[f.Plugin] {
			f.Message = clip.Redact(f.Message, d.Plugins[j].Config.Token)
		}
		if f.Code == CodeTokenConflict {
			f.Message = all.redact(f.Message)
		}
	}
	slices.SortStableFunc(out, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), strings.Compare(a.Code, b.Code), strings.Compare(a.Plugin, b.Plugin))
	})
	return out
}

// lineRef formats a reference to another line, or nothing for a config
// from GOST's API, whose lines mean nothing.
func (p *parser) lineRef(format string, line int) string {
	if fromAPI(p.source) || line <= 0 {
		return ""
	}
	return fmt.Sprintf(format, line)
}

// loopback reports whether GOST's connection to t stays on this machine:
// a unix socket, localhost or a loopback IP.
func loopback(t mockclient.Target) bool {
	if t.Network == "unix" {
		return true
	}
	if strings.EqualFold(t.Host, "localhost") {
		return true
	}
	ip := net.ParseIP(t.Host)
	return ip != nil && ip.IsLoopback()
}

// singulars names one component of each section in messages.
var singulars = map[string]string{
	"authers": "auther", "admissions": "admission", "bypasses": "bypass", "hosts": "hosts",
	"resolvers": "resolver", "ingresses": "ingress", "routers": "router", "sds": "sd",
	"recorders": "recorder", "rewriters": "rewriter", "limiters": "limiter", "climiters": "climiter",
	"rlimiters": "rlimiter", "observers": "observer", "chains": "chain", "hops": "hop",
}

func singular(section string) string { return cmp.Or(singulars[section], section) }

// redactor removes every distinct token of a config, in the forms
// clip.Redact knows (as is, query- and path-escaped), in one pass: a
// config can hold thousands of tokens and findings, and one
// strings.Replacer costs the length of the message, not the number of
// tokens.
type redactor struct{ r *strings.Replacer }

func newRedactor(ps []Plugin) redactor {
	seen := map[string]bool{}
	var forms []string
	for _, p := range ps {
		t := p.Config.Token
		for _, f := range []string{t, url.QueryEscape(t), url.PathEscape(t)} {
			if f != "" && !seen[f] {
				seen[f] = true
				forms = append(forms, f)
			}
		}
	}
	// Longer forms first, so a token that holds another is replaced whole.
	slices.SortStableFunc(forms, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	pairs := make([]string, 0, 2*len(forms))
	for _, f := range forms {
		pairs = append(pairs, f, clip.Redacted)
	}
	return redactor{strings.NewReplacer(pairs...)}
}

func (r redactor) redact(s string) string { return r.r.Replace(s) }
