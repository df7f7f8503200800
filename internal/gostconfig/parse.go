package gostconfig

import (
	"fmt"
	"strings"

	"github.com/plugincheck/plugincheck/mockclient"
)

// Parse reads a GOST config in YAML or JSON exactly as x v0.15.2 does
// (viper, then mapstructure with GOST's decode hook): keys are
// case-insensitive, a duration is a string such as "10s" or a number of
// nanoseconds, and a plugin's type is HTTP only when it says "http". Its
// errors are *ConfigError values naming source:line and the field; a
// token never appears in them.
func Parse(source string, data []byte) (*Deployment, error) {
	if len(data) > MaxConfigSize {
		return nil, &ConfigError{Source: source, Err: fmt.Errorf("%w: %d bytes, the cap is %d MiB", ErrTooLarge, len(data), MaxConfigSize>>20)}
	}
	r := &reader{source: source}
	root, err := r.read(data)
	if err != nil {
		return nil, err
	}
	p := &parser{reader: r, root: root,
		defined: map[string]map[string]int{}, inline: map[int]bool{}, inlineAt: map[string]int{}}
	if err := p.sections(); err != nil {
		return nil, err
	}
	if err := p.references(); err != nil {
		return nil, err
	}
	d := &Deployment{Source: source, Plugins: p.plugins}
	for i := range d.Plugins {
		d.Plugins[i].Users = p.users[i]
	}
	d.Findings = p.findings(d)
	if fromAPI(source) {
		for i := range d.Plugins {
			d.Plugins[i].Line = 0
		}
		for i := range d.Findings {
			d.Findings[i].Line = 0
		}
	}
	return d, nil
}

// parser holds one Parse's state.
type parser struct {
	*reader
	root    *value
	plugins []Plugin
	users   [][]User // by index in plugins
	// defined maps a section ("authers", "chains", …) to the names its
	// entries define, with the line of each.
	defined map[string]map[string]int
	// byName maps "kind/name" to the index of its plugin.
	byName map[string][]int
	// inlineAt indexes the plugins of chains' inline hops by their path
	// ("chains[0].hops[1]").
	inlineAt map[string]int
	// inline marks the plugins of hops written inside a chain.
	inline map[int]bool
	// dups are entries whose name an earlier entry of the section took.
	dups []dup
	// refs are the names services, chains and hops give.
	refs []ref
	// extra are findings the reading itself makes (bad type case, ignored
	// tls fields).
	extra []Finding
}

type dup struct {
	section, name string
	line, first   int
}

// sectionField is the Go field name of a section in x's config.Config,
// which mapstructure matches ignoring case.
var sectionField = map[string]string{"sds": "SDs", "climiters": "CLimiters", "rlimiters": "RLimiters"}

func fieldName(section string) string {
	if f, ok := sectionField[section]; ok {
		return f
	}
	return section
}

// sections reads every named entry of the plugin-capable sections, and the
// names of chains, so references can be checked.
func (p *parser) sections() error {
	p.byName = map[string][]int{}
	for _, kind := range Kinds {
		sec, err := p.field(p.root, "", fieldName(kind))
		if err != nil {
			return err
		}
		for i, it := range list(sec) {
			path := fmt.Sprintf("%s[%d]", kind, i)
			item, name, err := p.entry(it, path)
			if err != nil {
				return err
			}
			p.define(kind, name, it.line)
			if err := p.pluginOf(kind, name, item, path, ""); err != nil {
				return err
			}
		}
	}
	chains, err := p.field(p.root, "", "chains")
	if err != nil {
		return err
	}
	for i, it := range list(chains) {
		path := fmt.Sprintf("chains[%d]", i)
		item, name, err := p.entry(it, path)
		if err != nil {
			return err
		}
		p.define("chains", name, it.line)
		hops, err := p.field(item, path, "hops")
		if err != nil {
			return err
		}
		for j, h := range list(hops) {
			hpath := fmt.Sprintf("%s.hops[%d]", path, j)
			hop, hname, err := p.entry(h, hpath)
			if err != nil {
				return err
			}
			if err := p.pluginOf("hops", hname, hop, hpath, name); err != nil {
				return err
			}
		}
	}
	return nil
}

// entry checks one entry of a section: a mapping (GOST crashes on an
// empty entry) with a string name.
func (p *parser) entry(it *value, path string) (*value, string, error) {
	if it.kind == kNull {
		return nil, "", p.errorf(it.line, path, "an empty entry: GOST v0.15.2 crashes on it; remove the empty list item")
	}
	item, err := p.object(it, path)
	if err != nil {
		return nil, "", err
	}
	nv, err := p.field(item, path, "name")
	if err != nil {
		return nil, "", err
	}
	name, err := p.str(nv, path+".name")
	return item, name, err
}

func (p *parser) define(section, name string, line int) {
	if name == "" {
		return // GOST registers no empty name
	}
	m := p.defined[section]
	if m == nil {
		m = map[string]int{}
		p.defined[section] = m
	}
	if first, ok := m[name]; ok {
		p.dups = append(p.dups, dup{section: section, name: name, line: line, first: first})
		return
	}
	m[name] = line
}

// pluginOf reads item's plugin block, if any. chain is the chain holding an
// inline hop, empty for a section entry.
func (p *parser) pluginOf(kind, name string, item *value, path, chain string) error {
	raw, err := p.field(item, path, "plugin")
	if err != nil {
		return err
	}
	if raw == nil {
		return nil
	}
	hopPath := path
	path += ".plugin"
	blk, err := p.object(raw, path)
	if err != nil {
		return err
	}
	pl := Plugin{Kind: kind, Name: name, Module: kindModule[kind], Line: keyLine(item, "plugin")}
	get := func(f string) (*value, error) { return p.field(blk, path, f) }
	var typ string
	var typLine int
	if v, err := get("type"); err != nil {
		return err
	} else if typ, err = p.str(v, path+".type"); err != nil {
		return err
	} else if v != nil {
		typLine = v.line
	}
	cfg := mockclient.Config{Module: pl.Module, Transport: mockclient.GRPC}
	switch {
	case typ == "http":
		cfg.Transport = mockclient.HTTP
	case strings.EqualFold(typ, "http") && kind == "authers":
		// x's auther parser alone compares the type case-sensitively.
		p.extra = append(p.extra, Finding{Code: CodeTypeCase, Severity: warn, Line: typLine, Plugin: pl.ID(),
			Message: fmt.Sprintf("type %q: GOST's auther parser compares the type case-sensitively, so it speaks gRPC to this plugin; write type: http", typ)})
	case strings.EqualFold(typ, "http"):
		cfg.Transport = mockclient.HTTP
	case typ == "" || strings.EqualFold(typ, "grpc"):
	default:
		return p.errorf(typLine, path+".type", "unknown plugin type %q: GOST would silently speak gRPC; write grpc or http", typ)
	}
	if v, err := get("addr"); err != nil {
		return err
	} else if cfg.Addr, err = p.str(v, path+".addr"); err != nil {
		return err
	}
	if v, err := get("token"); err != nil {
		return err
	} else if cfg.Token, err = p.str(v, path+".token"); err != nil {
		return p.errorf(v.line, path+".token", "want a string, got %s", kindOf(v))
	}
	if v, err := get("timeout"); err != nil {
		return err
	} else if cfg.Timeout, err = p.duration(v, path+".timeout"); err != nil {
		return err
	}
	if v, err := get("tls"); err != nil {
		return err
	} else if v != nil {
		t, ignored, err := p.tls(v, path+".tls")
		if err != nil {
			return err
		}
		cfg.TLS = t
		if len(ignored) > 0 {
			p.extra = append(p.extra, Finding{Code: CodeIgnoredTLS, Severity: warn, Line: keyLine(blk, "tls"), Plugin: pl.ID(),
				Message: fmt.Sprintf("tls %s: GOST ignores these on a plugin block (it uses only secure and serverName, and sends no client certificate); remove them",
					strings.Join(ignored, ", "))})
		}
	}
	pl.Config = cfg
	pl.Chain = chain
	if kind == "climiters" || kind == "rlimiters" {
		pl.Ignored = "GOST v0.15.2 reads no plugin for " + kind + ": its connection and rate limiters take only limits, file, redis and http"
	}
	p.byName[pl.ID()] = append(p.byName[pl.ID()], len(p.plugins))
	p.plugins = append(p.plugins, pl)
	p.users = append(p.users, nil)
	if chain != "" {
		p.inline[len(p.plugins)-1] = true
		p.inlineAt[hopPath] = len(p.plugins) - 1
	}
	return nil
}

// kindOf describes v without its content, for fields that may hold a
// secret.
func kindOf(v *value) string {
	switch v.kind {
	case kMap:
		return "a mapping"
	case kSeq:
		return "a list"
	}
	return "a value of another type"
}

// tlsIgnored are the TLSConfig fields GOST reads from a plugin's tls block
// and then never uses: each plugin parser builds its tls.Config from
// serverName and secure alone.
var tlsIgnored = []string{"certFile", "keyFile", "caFile", "options", "validity", "commonName", "organization", "rejectUnknownSNI", "serverNames"}

// tls reads a plugin's tls block: the two fields GOST uses, and the names
// of the set fields it ignores. Every field is type-checked, since
// mapstructure refuses the whole config on a bad one.
func (p *parser) tls(v *value, path string) (*mockclient.TLSConfig, []string, error) {
	blk, err := p.object(v, path)
	if err != nil {
		return nil, nil, err
	}
	t := &mockclient.TLSConfig{}
	get := func(f string) (*value, error) { return p.field(blk, path, f) }
	sec, err := get("secure")
	if err != nil {
		return nil, nil, err
	}
	if t.Secure, err = p.boolean(sec, path+".secure"); err != nil {
		return nil, nil, err
	}
	sn, err := get("serverName")
	if err != nil {
		return nil, nil, err
	}
	if t.ServerName, err = p.str(sn, path+".serverName"); err != nil {
		return nil, nil, err
	}
	var ignored []string
	for _, f := range tlsIgnored {
		fv, err := get(f)
		if err != nil {
			return nil, nil, err
		}
		fp := path + "." + f
		set := false
		switch f {
		case "options":
			o, err := p.object(fv, fp)
			if err != nil {
				return nil, nil, err
			}
			for _, of := range []string{"minVersion", "maxVersion"} {
				ov, err := p.field(o, fp, of)
				if err != nil {
					return nil, nil, err
				}
				if _, err := p.str(ov, fp+"."+of); err != nil {
					return nil, nil, err
				}
			}
			for _, of := range []string{"cipherSuites", "alpn"} {
				ov, err := p.field(o, fp, of)
				if err != nil {
					return nil, nil, err
				}
				if _, err := p.strs(ov, fp+"."+of); err != nil {
					return nil, nil, err
				}
			}
			set = o != nil
		case "validity":
			d, err := p.duration(fv, fp)
			if err != nil {
				return nil, nil, err
			}
			set = d != 0
		case "rejectUnknownSNI":
			b, err := p.boolean(fv, fp)
			if err != nil {
				return nil, nil, err
			}
			set = b
		case "serverNames":
			ss, err := p.strs(fv, fp)
			if err != nil {
				return nil, nil, err
			}
			set = len(ss) > 0
		default:
			s, err := p.str(fv, fp)
			if err != nil {
				return nil, nil, err
			}
			set = s != ""
		}
		if set {
			ignored = append(ignored, f)
		}
	}
	return t, ignored, nil
}
