package gostconfig

import (
	"fmt"
	"strings"
)

// ref is one name a service, chain, hop or node gives for a component.
type ref struct {
	section string // "authers", …, "chains", "hops"
	name    string
	line    int
	via     string // config path of the reference, for User.Via
}

// service is what a User records of a service.
type service struct {
	name, handler, listener string
}

// hopInfo is a hop's plugin (if any) and the references it makes.
type hopInfo struct {
	plugin int // -1 when the hop has no plugin block
	refs   []ref
}

// graph is who refers to what.
type graph struct {
	services             []service
	svcRefs              [][]ref // direct references by service
	svcChains            [][]ref // chains by service
	svcHops              [][]ref // forwarder hops by service
	chainHops            map[string][]hopRef
	hops                 map[string]hopInfo // top-level hops by name (first wins, as GOST's registry)
	chainOrder, hopOrder []string           // config order, for stable users
	others               []ref              // api.auther, metrics.auther, resolvers' chains
}

// hopRef is one hop of a chain: inline (its own plugin and references)
// or a name in the hops section.
type hopRef struct {
	name   string
	line   int
	inline *hopInfo
}

// references reads every reference in the config, then computes the users
// of every plugin.
func (p *parser) references() error {
	g := &graph{chainHops: map[string][]hopRef{}, hops: map[string]hopInfo{}}
	if err := p.readServices(g); err != nil {
		return err
	}
	if err := p.readHops(g); err != nil {
		return err
	}
	if err := p.readOthers(g); err != nil {
		return err
	}
	p.resolveUsers(g)
	return nil
}

// names reads a single name field and a list field (auther + authers) as
// references.
func (p *parser) names(v *value, path, single, multi, section string) ([]ref, error) {
	var out []ref
	if single != "" {
		sv, err := p.field(v, path, single)
		if err != nil {
			return nil, err
		}
		s, err := p.str(sv, join(path, single))
		if err != nil {
			return nil, err
		}
		if s != "" {
			out = append(out, ref{section: section, name: s, line: sv.line, via: join(trimIndex(path), strings.ToLower(single))})
		}
	}
	if multi != "" {
		mv, err := p.field(v, path, multi)
		if err != nil {
			return nil, err
		}
		ss, err := p.strs(mv, join(path, multi))
		if err != nil {
			return nil, err
		}
		items := list(mv)
		for i, s := range ss {
			if s != "" {
				out = append(out, ref{section: section, name: s, line: items[i].line, via: join(trimIndex(path), strings.ToLower(multi))})
			}
		}
	}
	return out, nil
}

// trimIndex drops the leading "services[3]" so User.Via reads as a path
// inside the service.
func trimIndex(path string) string {
	if i := strings.Index(path, "]."); i >= 0 && !strings.Contains(path[:i], ".") {
		return path[i+2:]
	}
	if strings.HasSuffix(path, "]") && !strings.Contains(path, ".") {
		return ""
	}
	return path
}

func (p *parser) readServices(g *graph) error {
	svcs, err := p.field(p.root, "", "services")
	if err != nil {
		return err
	}
	for i, it := range list(svcs) {
		path := fmt.Sprintf("services[%d]", i)
		item, name, err := p.entry(it, path)
		if err != nil {
			return err
		}
		h, err := p.sub(item, path, "handler")
		if err != nil {
			return err
		}
		l, err := p.sub(item, path, "listener")
		if err != nil {
			return err
		}
		s := service{name: name}
		if s.handler, err = p.typeOf(h, path+".handler", "auto"); err != nil {
			return err
		}
		if s.listener, err = p.typeOf(l, path+".listener", "tcp"); err != nil {
			return err
		}
		var refs, chains, hops []ref
		add := func(rs []ref, err error) error {
			refs = append(refs, rs...)
			return err
		}
		for _, step := range []func() error{
			func() error { return add(p.names(h, path+".handler", "auther", "authers", "authers")) },
			func() error { return add(p.names(l, path+".listener", "auther", "authers", "authers")) },
			func() error { return add(p.names(item, path, "admission", "admissions", "admissions")) },
			func() error { return add(p.names(item, path, "bypass", "bypasses", "bypasses")) },
			func() error { return add(p.names(item, path, "resolver", "", "resolvers")) },
			func() error { return add(p.names(item, path, "hosts", "", "hosts")) },
			func() error { return add(p.names(item, path, "limiter", "", "limiters")) },
			func() error { return add(p.names(h, path+".handler", "limiter", "", "limiters")) },
			func() error { return add(p.names(item, path, "climiter", "", "climiters")) },
			func() error { return add(p.names(item, path, "rlimiter", "", "rlimiters")) },
			func() error { return add(p.names(item, path, "observer", "", "observers")) },
			func() error { return add(p.names(h, path+".handler", "observer", "", "observers")) },
			func() error { return add(p.names(item, path, "rewriter", "", "rewriters")) },
		} {
			if err := step(); err != nil {
				return err
			}
		}
		recs, err := p.field(item, path, "recorders")
		if err != nil {
			return err
		}
		for j, rv := range list(recs) {
			rp := fmt.Sprintf("%s.recorders[%d]", path, j)
			ro, err := p.object(rv, rp)
			if err != nil {
				return err
			}
			rs, err := p.names(ro, rp, "name", "", "recorders")
			for i := range rs {
				rs[i].via = "recorders"
			}
			if err := add(rs, err); err != nil {
				return err
			}
		}
		if err := p.metadataRefs(&refs, h, path+".handler", s.handler, "handler"); err != nil {
			return err
		}
		if err := p.metadataRefs(&refs, l, path+".listener", s.listener, "listener"); err != nil {
			return err
		}
		for _, part := range []struct {
			v    *value
			path string
		}{{h, path + ".handler"}, {l, path + ".listener"}} {
			cs, err := p.names(part.v, part.path, "chain", "", "chains")
			if err != nil {
				return err
			}
			chains = append(chains, cs...)
			cg, err := p.sub(part.v, part.path, "chainGroup")
			if err != nil {
				return err
			}
			gc, err := p.field(cg, part.path+".chainGroup", "chains")
			if err != nil {
				return err
			}
			for j, e := range list(gc) {
				ep := fmt.Sprintf("%s.chainGroup.chains[%d]", part.path, j)
				if e.kind == kScalar { // GOST's hook: a string, and only a string, is the chain's name
					s, ok := e.scalar.(string)
					if !ok {
						return p.errorf(e.line, ep, "want a chain name or a mapping, got %s", e.describe())
					}
					if s != "" {
						chains = append(chains, ref{section: "chains", name: s, line: e.line, via: trimIndex(part.path) + ".chainGroup"})
					}
					continue
				}
				eo, err := p.object(e, ep)
				if err != nil {
					return err
				}
				cs, err := p.names(eo, ep, "chain", "", "chains")
				if err != nil {
					return err
				}
				chains = append(chains, cs...)
			}
		}
		fw, err := p.sub(item, path, "forwarder")
		if err != nil {
			return err
		}
		hs, err := p.names(fw, path+".forwarder", "hop", "", "hops")
		if err != nil {
			return err
		}
		if len(hs) == 0 { // forwarder.name is the deprecated spelling of forwarder.hop
			hs, err = p.names(fw, path+".forwarder", "name", "", "hops")
			if err != nil {
				return err
			}
		}
		hops = append(hops, hs...)
		hg, err := p.sub(fw, path+".forwarder", "hopGroup")
		if err != nil {
			return err
		}
		ghs, err := p.field(hg, path+".forwarder.hopGroup", "hops")
		if err != nil {
			return err
		}
		for j, e := range list(ghs) {
			ep := fmt.Sprintf("%s.forwarder.hopGroup.hops[%d]", path, j)
			eo, err := p.object(e, ep)
			if err != nil {
				return err
			}
			hs, err := p.names(eo, ep, "hop", "", "hops")
			if err != nil {
				return err
			}
			hops = append(hops, hs...)
		}
		nodes, err := p.field(fw, path+".forwarder", "nodes")
		if err != nil {
			return err
		}
		for j, n := range list(nodes) {
			np := fmt.Sprintf("%s.forwarder.nodes[%d]", path, j)
			no, err := p.object(n, np)
			if err != nil {
				return err
			}
			if err := add(p.names(no, np, "bypass", "bypasses", "bypasses")); err != nil {
				return err
			}
			rs, err := p.bodyRewriters(no, np)
			for k := range rs {
				rs[k].via = "forwarder." + rs[k].via
			}
			if err := add(rs, err); err != nil {
				return err
			}
		}
		g.services = append(g.services, s)
		g.svcRefs = append(g.svcRefs, refs)
		g.svcChains = append(g.svcChains, chains)
		g.svcHops = append(g.svcHops, hops)
	}
	return nil
}

// metadataRefs reads the components handlers and listeners name in their
// metadata: a tunnel or router handler's ingress and sd, a router
// handler's router, a tun listener's router, and any handler's mitm.bypass.
func (p *parser) metadataRefs(refs *[]ref, v *value, path, typ, part string) error {
	md, err := p.sub(v, path, "metadata")
	if err != nil || md == nil {
		return err
	}
	keys := []struct{ key, section string }{}
	switch {
	case part == "handler" && (typ == "tunnel" || typ == "router"):
		keys = append(keys, struct{ key, section string }{"ingress", "ingresses"}, struct{ key, section string }{"sd", "sds"})
		if typ == "router" {
			keys = append(keys, struct{ key, section string }{"router", "routers"})
		}
	case part == "listener" && typ == "tun":
		keys = append(keys, struct{ key, section string }{"router", "routers"}, struct{ key, section string }{"tun.router", "routers"})
	}
	if part == "handler" {
		keys = append(keys, struct{ key, section string }{"mitm.bypass", "bypasses"})
	}
	for _, k := range keys {
		mv, err := p.field(md, path+".metadata", k.key)
		if err != nil {
			return err
		}
		if mv == nil || mv.kind != kScalar {
			continue // GOST's metadata reader takes only plain values
		}
		s, _ := p.str(mv, "")
		if s != "" {
			*refs = append(*refs, ref{section: k.section, name: s, line: mv.line, via: part + ".metadata." + k.key})
			if k.key == "router" && part == "listener" {
				break // "router" comes before "tun.router"
			}
		}
	}
	return nil
}

// sub reads a nested struct field (handler, listener, forwarder, …).
func (p *parser) sub(v *value, path, name string) (*value, error) {
	f, err := p.field(v, path, name)
	if err != nil {
		return nil, err
	}
	return p.object(f, join(path, name))
}

// typeOf reads a handler's or listener's type with GOST's default.
func (p *parser) typeOf(v *value, path, def string) (string, error) {
	tv, err := p.field(v, path, "type")
	if err != nil {
		return "", err
	}
	t, err := p.str(tv, path+".type")
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(t) == "" {
		return def, nil
	}
	return t, nil
}

// hopRefs reads what a hop names: its bypasses, resolver and hosts, and
// those of its nodes.
func (p *parser) hopRefs(h *value, path string) ([]ref, error) {
	var out []ref
	for _, f := range []struct{ single, multi, section string }{
		{"bypass", "bypasses", "bypasses"}, {"resolver", "", "resolvers"}, {"hosts", "", "hosts"},
	} {
		rs, err := p.names(h, path, f.single, f.multi, f.section)
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	nodes, err := p.field(h, path, "nodes")
	if err != nil {
		return nil, err
	}
	for j, n := range list(nodes) {
		np := fmt.Sprintf("%s.nodes[%d]", path, j)
		no, err := p.object(n, np)
		if err != nil {
			return nil, err
		}
		for _, f := range []struct{ single, multi, section string }{
			{"bypass", "bypasses", "bypasses"}, {"resolver", "", "resolvers"}, {"hosts", "", "hosts"},
		} {
			rs, err := p.names(no, np, f.single, f.multi, f.section)
			if err != nil {
				return nil, err
			}
			out = append(out, rs...)
		}
		rs, err := p.bodyRewriters(no, np)
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	for i := range out {
		if strings.HasPrefix(out[i].via, "nodes.") {
			out[i].via = "hop." + out[i].via
			continue
		}
		out[i].via = "hop." + lastPart(out[i].via)
	}
	return out, nil
}

// bodyRewriters reads the rewriters a node's HTTP body rewrite rules name
// (rewriteBody, rewriteRequestBody, rewriteResponseBody), which x's node
// parser looks up by name.
func (p *parser) bodyRewriters(node *value, path string) ([]ref, error) {
	h, err := p.sub(node, path, "http")
	if err != nil || h == nil {
		return nil, err
	}
	var out []ref
	for _, f := range []string{"rewriteBody", "rewriteRequestBody", "rewriteResponseBody"} {
		lv, err := p.field(h, path+".http", f)
		if err != nil {
			return nil, err
		}
		for i, it := range list(lv) {
			ip := fmt.Sprintf("%s.http.%s[%d]", path, f, i)
			io, err := p.object(it, ip)
			if err != nil {
				return nil, err
			}
			rs, err := p.names(io, ip, "rewriter", "", "rewriters")
			if err != nil {
				return nil, err
			}
			for j := range rs {
				rs[j].via = "nodes.http." + f + ".rewriter"
			}
			out = append(out, rs...)
		}
	}
	return out, nil
}

func lastPart(via string) string {
	if i := strings.LastIndex(via, "]."); i >= 0 {
		return "nodes." + via[i+2:]
	}
	if i := strings.LastIndex(via, "."); i >= 0 {
		return via[i+1:]
	}
	return via
}

func (p *parser) readHops(g *graph) error {
	hops, err := p.field(p.root, "", "hops")
	if err != nil {
		return err
	}
	for i, it := range list(hops) {
		path := fmt.Sprintf("hops[%d]", i)
		item, name, _ := p.entry(it, path) // checked in sections
		rs, err := p.hopRefs(item, path)
		if err != nil {
			return err
		}
		if _, ok := g.hops[name]; ok || name == "" {
			continue
		}
		g.hopOrder = append(g.hopOrder, name)
		g.hops[name] = hopInfo{plugin: p.pluginIndex(name), refs: rs}
	}
	chains, err := p.field(p.root, "", "chains")
	if err != nil {
		return err
	}
	for i, it := range list(chains) {
		path := fmt.Sprintf("chains[%d]", i)
		item, cname, _ := p.entry(it, path)
		hv, _ := p.field(item, path, "hops")
		var hrs []hopRef
		for j, h := range list(hv) {
			hp := fmt.Sprintf("%s.hops[%d]", path, j)
			hop, hname, _ := p.entry(h, hp)
			pl, _ := p.field(hop, hp, "plugin")
			nodes, _ := p.field(hop, hp, "nodes")
			rs, err := p.hopRefs(hop, hp) // type-checked even when x then ignores them
			if err != nil {
				return err
			}
			if pl == nil && nodes == nil {
				hrs = append(hrs, hopRef{name: hname, line: h.line})
				continue
			}
			idx := -1
			if i, ok := p.inlineAt[hp]; ok && pl != nil {
				idx = i
			}
			hrs = append(hrs, hopRef{name: hname, line: h.line, inline: &hopInfo{plugin: idx, refs: rs}})
		}
		if _, ok := g.chainHops[cname]; !ok && cname != "" {
			g.chainOrder = append(g.chainOrder, cname)
			g.chainHops[cname] = hrs
		}
	}
	return nil
}

// pluginIndex finds the plugin of the hops-section entry name, the first
// with that name, as GOST's registry keeps the first; -1 for none.
func (p *parser) pluginIndex(name string) int {
	for _, i := range p.byName["hops/"+name] {
		if !p.inline[i] {
			return i
		}
	}
	return -1
}

func (p *parser) readOthers(g *graph) error {
	for _, sec := range []string{"api", "metrics"} {
		v, err := p.sub(p.root, "", sec)
		if err != nil {
			return err
		}
		rs, err := p.names(v, sec, "auther", "", "authers")
		if err != nil {
			return err
		}
		for i := range rs {
			rs[i].via = sec + ".auther"
		}
		g.others = append(g.others, rs...)
	}
	res, err := p.field(p.root, "", "resolvers")
	if err != nil {
		return err
	}
	for i, it := range list(res) {
		path := fmt.Sprintf("resolvers[%d]", i)
		item, _, _ := p.entry(it, path)
		ns, err := p.field(item, path, "nameservers")
		if err != nil {
			return err
		}
		for j, n := range list(ns) {
			np := fmt.Sprintf("%s.nameservers[%d]", path, j)
			no, err := p.object(n, np)
			if err != nil {
				return err
			}
			rs, err := p.names(no, np, "chain", "", "chains")
			if err != nil {
				return err
			}
			g.others = append(g.others, rs...)
		}
	}
	return nil
}

// resolveUsers turns the graph into the users of every plugin, and keeps
// every reference for the unknown-component check.
func (p *parser) resolveUsers(g *graph) {
	type key struct {
		i int
		u User
	}
	seen := map[key]bool{} // a plugin used by many services stays linear
	addUser := func(i int, u User) {
		if i < 0 || i >= len(p.users) || seen[key{i, u}] {
			return
		}
		seen[key{i, u}] = true
		p.users[i] = append(p.users[i], u)
	}
	// direct: the plugins of a named component.
	direct := func(r ref, u User) {
		for _, i := range p.byName[r.section+"/"+r.name] {
			if r.section == "hops" && p.inline[i] {
				continue
			}
			u.Via = r.via
			addUser(i, u)
		}
	}
	useHop := func(h hopInfo, name string, u User) {
		u.Hop = name
		if h.plugin >= 0 {
			hu := u
			hu.Via = "hop.plugin"
			addUser(h.plugin, hu)
		}
		for _, r := range h.refs {
			direct(r, u)
		}
	}
	chainUsed := map[string]bool{}
	hopUsed := map[string]bool{}
	useChain := func(name string, u User) {
		u.Chain = name
		for _, hr := range g.chainHops[name] {
			if hr.inline != nil {
				useHop(*hr.inline, hr.name, u)
				continue
			}
			hopUsed[hr.name] = true
			if h, ok := g.hops[hr.name]; ok {
				useHop(h, hr.name, u)
			}
		}
	}
	for i, s := range g.services {
		u := User{Service: s.name, Handler: s.handler, Listener: s.listener}
		for _, r := range g.svcRefs[i] {
			p.refs = append(p.refs, r)
			direct(r, u)
		}
		for _, r := range g.svcChains[i] {
			p.refs = append(p.refs, r)
			chainUsed[r.name] = true
			useChain(r.name, u)
		}
		for _, r := range g.svcHops[i] {
			p.refs = append(p.refs, r)
			hopUsed[r.name] = true
			if h, ok := g.hops[r.name]; ok {
				useHop(h, r.name, u)
			}
		}
	}
	for _, r := range g.others {
		p.refs = append(p.refs, r)
		if r.section == "chains" {
			chainUsed[r.name] = true
			useChain(r.name, User{Via: r.via})
			continue
		}
		direct(r, User{Via: r.via})
	}
	// A chain no service uses still uses its hops; a hop no chain or
	// service uses still uses what it names.
	for _, name := range g.chainOrder {
		hrs := g.chainHops[name]
		for _, hr := range hrs {
			if hr.inline == nil {
				if hr.name != "" { // x skips a hop with no name and nothing inline
					p.refs = append(p.refs, ref{section: "hops", name: hr.name, line: hr.line, via: "chains.hops"})
				}
			} else {
				for _, r := range hr.inline.refs {
					p.refs = append(p.refs, r)
				}
			}
		}
		if !chainUsed[name] {
			useChain(name, User{})
		}
	}
	for _, name := range g.hopOrder {
		h := g.hops[name]
		for _, r := range h.refs {
			p.refs = append(p.refs, r)
		}
		if !hopUsed[name] {
			for _, r := range h.refs {
				direct(r, User{Hop: name})
			}
		}
	}
}
