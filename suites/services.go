package suites

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/plugincheck/plugincheck/clip"
	"github.com/plugincheck/plugincheck/mockclient"
)

// Service is one GOST service that uses a plugin. Its handler and listener
// types decide which request shapes GOST sends the plugin for it, and its
// name is the "service" field of those requests. Handler and Listener both
// empty means the types are unknown (plugincheck <module> --service NAME).
type Service struct {
	Name     string
	Handler  string
	Listener string
}

// maxServiceName bounds the service name kept in a case name; the full
// name still goes on the wire.
const maxServiceName = 48

// MaxServices bounds the services ForServices sends cases for: each adds
// a copy of the shapes its handler sends, and a config with thousands of
// services on one plugin would otherwise make a run of millions of cases.
// The first MaxServices distinct names are kept.
const MaxServices = 64

// maxDocName bounds the service name quoted in a case's doc and warning.
const maxDocName = 200

// ForServices returns ss with more cases: every built-in case whose request
// GOST fills with a service name is sent again, once for each service in
// svcs whose handler (or listener) sends that shape, with the service's
// name. A plugin that decides by service name (forward-tcp-8080 → user) is
// thereby called with the names it will see in the deployment, not only
// the suites' made-up ones. The new case of case c for service s is named
// "c@s", so IDs stay unique and say the service; its warning names the
// service. Suites of modules whose requests carry no service name (hop,
// hosts, resolver, router, sd, recorder, rewriter) come back unchanged.
// ss itself is not modified.
func ForServices(ss []*Suite, svcs []Service) []*Suite {
	svcs = mergeServices(svcs)
	if len(svcs) == 0 {
		return ss
	}
	out := make([]*Suite, 0, len(ss))
	for _, s := range ss {
		out = append(out, suiteForServices(s, svcs))
	}
	return out
}

// mergeServices drops empty names and merges repeats by name, keeping the
// first; a service that appears with unknown types and with known ones
// keeps the known ones.
func mergeServices(svcs []Service) []Service {
	var out []Service
	for _, sv := range svcs {
		if sv.Name == "" {
			continue
		}
		i := slices.IndexFunc(out, func(o Service) bool { return o.Name == sv.Name })
		switch {
		case i < 0 && len(out) < MaxServices:
			out = append(out, sv)
		case i < 0:
			// past MaxServices: left out
		case out[i].Handler == "" && out[i].Listener == "":
			out[i] = sv
		}
	}
	return out
}

func suiteForServices(s *Suite, svcs []Service) *Suite {
	cp := *s
	cp.Cases = slices.Clone(s.Cases)
	names := make(map[string]bool, len(s.Cases))
	for _, cs := range s.Cases {
		names[cs.Name] = true
	}
	for _, sv := range svcs {
		for _, cs := range s.Cases {
			if !caseFits(s.Module, cs, sv) {
				continue
			}
			nc := caseForService(cs, sv)
			for n := 2; names[nc.Name]; n++ {
				nc.Name = fmt.Sprintf("%s@%s-%d", cs.Name, serviceSlug(sv.Name), n)
			}
			names[nc.Name] = true
			cp.Cases = append(cp.Cases, nc)
		}
	}
	return &cp
}

// caseForService is cs with every request's service set to sv.Name.
func caseForService(cs *Case, sv Service) *Case {
	nc := *cs
	nc.Name = cs.Name + "@" + serviceSlug(sv.Name)
	shown := clip.Text(sv.Name, maxDocName)
	nc.Doc = fmt.Sprintf("%s; sent as service %q%s", cs.Doc, shown, typesOf(sv))
	nc.Steps = make([]*Step, len(cs.Steps))
	for i, st := range cs.Steps {
		ns := *st
		ns.Request = withService(st.Request, sv.Name)
		if ns.Warning != "" {
			ns.Warning = fmt.Sprintf("%s, on service %q", st.Warning, shown)
		}
		nc.Steps[i] = &ns
	}
	return &nc
}

func typesOf(sv Service) string {
	switch {
	case sv.Handler == "" && sv.Listener == "":
		return ""
	case sv.Listener == "":
		return fmt.Sprintf(" (handler %s)", clip.Text(sv.Handler, 64))
	case sv.Handler == "":
		return fmt.Sprintf(" (listener %s)", clip.Text(sv.Listener, 64))
	}
	return fmt.Sprintf(" (handler %s, listener %s)", clip.Text(sv.Handler, 64), clip.Text(sv.Listener, 64))
}

// serviceSlug is the service name as a case name part: kebab-case ASCII,
// bounded, with a short hash when that loses anything, so that two names
// never share a slug.
func serviceSlug(name string) string {
	slug := slugify(name)
	if len(slug) > maxServiceName {
		slug = strings.TrimSuffix(slug[:maxServiceName], "-")
	}
	if slug == name {
		return slug
	}
	sum := sha256.Sum256([]byte(name))
	if slug == "" {
		return hex.EncodeToString(sum[:4])
	}
	return slug + "-" + hex.EncodeToString(sum[:4])
}

// withService returns a copy of req (a pointer to an operation's request)
// with its service name set; requests without one are returned as they
// are.
func withService(req any, name string) any {
	switch r := req.(type) {
	case *mockclient.AuthRequest:
		c := *r
		c.Service = name
		return &c
	case *mockclient.AdmissionRequest:
		c := *r
		c.Service = name
		return &c
	case *mockclient.BypassRequest:
		c := *r
		c.Service = name
		return &c
	case *mockclient.LimiterRequest:
		c := *r
		c.Service = name
		return &c
	case *mockclient.IngressGetRuleRequest:
		c := *r
		c.Service = name
		return &c
	case *mockclient.IngressSetRuleRequest:
		c := *r
		c.Service = name
		return &c
	case *mockclient.ObserverRequest:
		c := mockclient.ObserverRequest{Events: make([]mockclient.ObserverEvent, len(r.Events))}
		for i, ev := range r.Events {
			old := ev.Service
			ev.Service = name
			if ev.Status != nil {
				st := *ev.Status
				// GOST's status message is "service <name> is <state>".
				st.Msg = strings.Replace(st.Msg, "service "+old+" ", "service "+name+" ", 1)
				ev.Status = &st
			}
			c.Events[i] = ev
		}
		return &c
	}
	return req
}

// shapeKey names the shape of a request by what decides it in GOST: the
// made-up service name the built-in suite sends stands for the handler or
// listener that sends that shape; a limiter's scope and an observer
// event's kind say whether the listener or the handler calls. "" means
// the request carries no service name GOST takes from the config.
func shapeKey(req any) string {
	switch r := req.(type) {
	case *mockclient.AuthRequest:
		return r.Service
	case *mockclient.AdmissionRequest:
		return r.Service
	case *mockclient.BypassRequest:
		return r.Service
	case *mockclient.LimiterRequest:
		if r.Service == "" {
			return ""
		}
		return r.Scope + ":" + r.Service
	case *mockclient.IngressGetRuleRequest:
		return r.Service
	case *mockclient.IngressSetRuleRequest:
		return r.Service
	case *mockclient.ObserverRequest:
		if len(r.Events) == 0 || r.Events[0].Service == "" {
			return ""
		}
		return r.Events[0].Kind + ":" + r.Events[0].Service
	}
	return ""
}

// family is a set of services that send one request shape: a service is in
// it when its handler is one of handlers and its listener one of listeners
// (nil means any).
type family struct {
	handlers, listeners []string
}

func (f family) has(sv Service) bool {
	return (f.handlers == nil || slices.Contains(f.handlers, sv.Handler)) &&
		(f.listeners == nil || slices.Contains(f.listeners, sv.Listener))
}

// Listener and handler types of x v0.15.2 (its registry), grouped by what
// they make GOST send.
var (
	// streamListeners accept connections whose RemoteAddr is the client's
	// "ip:port" ("tcp" is GOST's default listener).
	streamListeners = []string{"tcp", "tls", "mtls", "mtcp", "otls", "ftcp", "ssh", "sshd", "pht", "phts", "ohttp", "dns", "red", "redir", "redirect", "rtcp"}
	// forwardedListeners put the X-Forwarded-For client IP, with no port,
	// in the context.
	forwardedListeners = []string{"ws", "wss", "mws", "mwss", "grpc", "http2", "h2", "h2c"}
	udpListeners       = []string{"udp", "rudp", "kcp", "quic", "dtls", "redu"}
	httpHandlers       = []string{"http", "http2", "auto"}
	// credentialHandlers pass the client's username and password to the
	// auther unchanged (x handler/http, socks/v5, relay, tunnel, router,
	// sshd, masque).
	credentialHandlers = []string{"http", "http2", "auto", "socks5", "socks", "relay", "tunnel", "router", "sshd", "masque"}
)

func handlers(h ...string) []family  { return []family{{handlers: h}} }
func listeners(l ...string) []family { return []family{{listeners: l}} }

// anyService is a shape every service sends (an observer's service events).
var anyService = []family{{}}

// shapes maps each module's shape keys (shapeKey) to the services that send
// them, following x v0.15.2's handlers and listeners as the built-in
// suites' docs cite them. Keys not listed (the non-ASCII and long names,
// "@api", "@metrics", empty services) are not shapes a config's service
// sends, so they are not sent again.
var shapes = map[mockclient.Module]map[string][]family{
	mockclient.Auth: {
		"http-proxy":  handlers(httpHandlers...),
		"https-proxy": {{handlers: httpHandlers, listeners: []string{"tls", "mtls", "wss", "mwss", "http2", "h2", "quic", "http3", "h3"}}},
		"socks5":      handlers("socks5", "socks", "auto"),
		"socks4":      handlers("socks4", "socks4a", "auto"),
		"relay":       handlers("relay", "tunnel", "router"),
		"tun":         handlers("tun"),
		"sshd":        {{handlers: []string{"sshd"}}, {listeners: []string{"ssh", "sshd"}}},
	},
	mockclient.Admission: {
		"http-proxy":  listeners(streamListeners...),
		"ws-proxy":    listeners(forwardedListeners...),
		"h3-proxy":    listeners("http3", "h3", "wt"),
		"udp-forward": listeners(udpListeners...),
		"unix-svc":    listeners("unix", "runix"),
		"tun-svc":     listeners("tun", "tap", "tungo"),
		"serial-svc":  listeners("serial"),
		"stdio-svc":   listeners("stdio"),
	},
	mockclient.Bypass: {
		"http-proxy":   handlers("http", "http2", "auto", "http3"),
		"socks5":       handlers("socks5", "socks", "auto", "socks4", "socks4a", "ss", "ssu", "relay"),
		"redirect-tcp": handlers("red", "redir", "redirect", "redu"),
		"dns-svc":      handlers("dns"),
		"forward-svc":  handlers("tcp", "udp", "rtcp", "rudp", "forward", "sni", "unix"),
	},
	mockclient.Limiter: {
		"service:http-proxy":  listeners(streamListeners...),
		"service:udp-forward": listeners(udpListeners...),
		"service:tun-svc":     listeners("tun", "tap", "tungo"),
		"conn:http-proxy":     listeners(streamListeners...),
		"conn:udp-forward":    listeners(udpListeners...),
		"conn:unix-svc":       listeners("unix", "runix"),
		"client:http-proxy":   handlers(httpHandlers...),
		"client:socks5":       handlers("socks5", "socks", "auto"),
		"client:tunnel":       handlers("tunnel"),
		"client:router":       handlers("router"),
		"client:masque":       handlers("masque"),
	},
	mockclient.Ingress: {
		"tunnel": handlers("tunnel"),
		"router": handlers("router"),
	},
	mockclient.Observer: {
		"service:http-proxy":   anyService,
		"handler:http-proxy":   anyService,
		"handler:socks5-proxy": anyService,
		"handler:tunnel":       handlers("tunnel"),
		"handler:router":       handlers("router"),
	},
}

// caseShapes overrides shapes for single cases: probes whose request does
// not depend on the handler beyond the service name.
var caseShapes = map[mockclient.Module]map[string][]family{
	mockclient.Auth: {
		// Random credentials reach the auther from every handler that
		// reads a username and password, in the same fields.
		"random-credentials": handlers(credentialHandlers...),
	},
}

// caseFits reports whether GOST sends cs's shape for service sv. A service
// of unknown types gets every shape the built-in suite has.
func caseFits(m mockclient.Module, cs *Case, sv Service) bool {
	key := ""
	for _, st := range cs.Steps {
		if key = shapeKey(st.Request); key != "" {
			break
		}
	}
	fams, ok := shapes[m][key]
	if !ok || key == "" {
		return false
	}
	if f, ok := caseShapes[m][cs.Name]; ok {
		fams = f
	}
	if sv.Handler == "" && sv.Listener == "" {
		return true
	}
	// GOST's defaults: handler "auto", listener "tcp".
	if sv.Handler == "" {
		sv.Handler = "auto"
	}
	if sv.Listener == "" {
		sv.Listener = "tcp"
	}
	for _, f := range fams {
		if f.has(sv) {
			return true
		}
	}
	return false
}
