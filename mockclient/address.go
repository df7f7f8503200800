package mockclient

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/plugincheck/plugincheck/clip"
)

// ErrBadAddress is matched by every *AddressError: an address plugincheck
// refuses before dialling, because GOST could not use it or would never
// reach a plugin with it.
var ErrBadAddress = errors.New("bad plugin address")

// AddressError says what is wrong with a plugin address and what to write
// instead.
type AddressError struct {
	// Addr is the address as given.
	Addr string
	// Problem says what is wrong, in GOST's terms.
	Problem string
	// Hint says what to write instead; it may be empty.
	Hint string
	// GOSTRejects is true when GOST itself fails to build a client for the
	// address (grpc.NewClient returns an error) and so runs the plugin with
	// a nil client; otherwise GOST accepts it and every call fails.
	GOSTRejects bool
}

// maxQuotedAddr bounds how much of an address an error repeats.
const maxQuotedAddr = 200

func (e *AddressError) Error() string {
	msg := fmt.Sprintf("%q: %s", clip.Text(e.Addr, maxQuotedAddr), clip.Text(e.Problem, 2*maxQuotedAddr))
	if e.Hint != "" {
		msg += "; " + clip.Text(e.Hint, 2*maxQuotedAddr)
	}
	return msg
}

// Is makes errors.Is(err, ErrBadAddress) hold for every AddressError.
func (e *AddressError) Is(target error) bool { return target == ErrBadAddress }

// Address is a plugin address as GOST uses it: a gRPC target handed to
// grpc.NewClient (host:port, dns:///host:port, passthrough:///host:port,
// unix:path, unix:///path, unix-abstract:name), or an HTTP plugin's URL,
// which GOST uses verbatim.
type Address struct {
	// Raw is the address as given.
	Raw string
	// Transport is the transport the address is used with.
	Transport Transport
	// Scheme is the gRPC resolver scheme ("" for host:port, "dns",
	// "passthrough", "unix", "unix-abstract") or the URL scheme ("http",
	// "https").
	Scheme string
	// Network and Dial are what a dialer connects to: "tcp" and host:port,
	// or "unix" and a socket path ("@name" for an abstract socket). An HTTP
	// address without a port gets the scheme's default one.
	Network, Dial string
	// Host is the host name or IP without brackets, for SNI and messages:
	// "localhost" for a unix socket or a host-less ":port", as grpc-go uses.
	Host string
	// URL is an HTTP plugin's URL; nil for gRPC.
	URL *url.URL
}

// Port reports the port dialled, empty for a unix socket.
func (a Address) Port() string {
	if a.Network != "tcp" {
		return ""
	}
	_, p, _ := net.SplitHostPort(a.Dial)
	return p
}

// ParseAddress checks addr the way GOST will use it with transport t (""
// detects it from the address, see DetectTransport) for module m ("" when
// no module applies). It is stricter than GOST in one way: a gRPC address
// needs an explicit port, since grpc-go's silent default of 443 is never
// what a plugin listens on. Every refusal is an *AddressError with a hint.
func ParseAddress(addr string, t Transport, m Module) (Address, error) {
	a, err := parseAddress(addr, t, m)
	var ae *AddressError
	if errors.As(err, &ae) && a.Transport == GRPC {
		ae.GOSTRejects = grpcRejects(addr)
	}
	return a, err
}

func parseAddress(addr string, t Transport, m Module) (Address, error) {
	a := Address{Raw: addr, Transport: t}
	scheme, rest, hasScheme := splitScheme(addr)
	if a.Transport == "" {
		a.Transport = GRPC
		if scheme == "http" || scheme == "https" {
			a.Transport = HTTP
		}
	}
	bad := func(problem, hint string) (Address, error) {
		return a, &AddressError{Addr: addr, Problem: problem, Hint: hint}
	}
	switch {
	case addr == "":
		return bad("empty", "give host:port for a gRPC plugin, or its http(s):// URL for an HTTP plugin")
	case strings.HasPrefix(addr, "-"):
		return bad("looks like a flag, not an address", "--addr needs a value, e.g. --addr 127.0.0.1:8000")
	case strings.IndexFunc(addr, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		return bad("contains a space or control character", "")
	}
	switch scheme {
	case "http", "https":
		if !hasScheme {
			return bad("a URL needs // after "+scheme+":", "write "+scheme+"://"+rest)
		}
		if a.Transport == GRPC {
			return bad("is a URL but the transport is grpc: GOST's gRPC client would resolve it as a host name and never connect",
				"for a gRPC plugin write host:port")
		}
		return parseHTTP(a, addr)
	case "":
		if a.Transport == HTTP {
			if m == Observer {
				// GOST's HTTP observer, alone, prepends "http://".
				return parseHTTP(a, requestURL(addr, HTTP, m))
			}
			what := "every call"
			if m != "" {
				what = "every " + string(m) + " call"
			}
			return bad("has no http:// or https:// scheme: GOST uses an HTTP plugin's addr verbatim as the URL, so "+what+" would fail",
				"write http://"+addr)
		}
		return parseHostPort(a, addr, addr)
	}
	if a.Transport == HTTP {
		return bad(fmt.Sprintf("unknown scheme %q: an HTTP plugin's addr is an http:// or https:// URL", scheme), "")
	}
	switch scheme {
	case "dns", "passthrough":
		authority, endpoint, ok := strings.Cut(rest, "/")
		if !ok || endpoint == "" {
			return bad("a "+scheme+" target needs three slashes", "write "+scheme+":///host:port")
		}
		if scheme == "passthrough" && authority != "" {
			return bad("a passthrough target has no authority", "write passthrough:///"+endpoint)
		}
		a.Scheme = scheme
		return parseHostPort(a, addr, endpoint)
	case "unix", "unix-abstract":
		a.Scheme, a.Network, a.Host = scheme, "unix", "localhost"
		path := rest
		if hasScheme {
			authority, p, _ := strings.Cut(rest, "/")
			if authority != "" {
				return bad("a "+scheme+" target has no authority (grpc-go refuses it)", "write "+scheme+":///absolute/path or "+scheme+":relative/path")
			}
			path = "/" + p
			if scheme == "unix-abstract" {
				path = p
			}
		}
		if path == "" || path == "/" {
			return bad("no socket path", "write "+scheme+":///absolute/path or "+scheme+":relative/path")
		}
		a.Dial = path
		if scheme == "unix-abstract" {
			a.Dial = "@" + path
		}
		return a, nil
	case "grpc", "grpcs", "tcp", "h2", "h2c":
		hint := "write host:port"
		if hp, _, _ := strings.Cut(rest, "/"); hp != "" {
			hint = "write " + hp
		}
		return bad("gRPC addresses have no scheme: grpc-go would resolve the whole address as a host name (too many colons)", hint)
	}
	return bad(fmt.Sprintf("unknown scheme %q", scheme), "use host:port for a gRPC plugin, or an http:// or https:// URL for an HTTP plugin")
}

// splitScheme finds a URL scheme: "scheme://rest", or "unix:rest" and
// "unix-abstract:rest", which grpc-go also accepts without slashes, or
// "http:rest", a URL missing its slashes. The scheme comes back in lower
// case, as url.Parse and grpc-go treat it.
func splitScheme(addr string) (scheme, rest string, slashes bool) {
	if i := strings.Index(addr, "://"); i > 0 && validScheme(addr[:i]) {
		return strings.ToLower(addr[:i]), addr[i+3:], true
	}
	if s, r, ok := strings.Cut(addr, ":"); ok {
		switch ls := strings.ToLower(s); ls {
		case "unix", "unix-abstract", "http", "https":
			return ls, r, false
		}
	}
	return "", addr, false
}

// validScheme reports whether s is a URL scheme (RFC 3986):
// ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
func validScheme(s string) bool {
	for i, r := range s {
		switch {
		case r < 0x80 && unicode.IsLetter(r):
		case i > 0 && (r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.'):
		default:
			return false
		}
	}
	return s != ""
}

// parseHostPort checks a gRPC host:port, part of addr.
func parseHostPort(a Address, addr, hp string) (Address, error) {
	bad := func(problem, hint string) (Address, error) {
		return a, &AddressError{Addr: addr, Problem: problem, Hint: hint}
	}
	if hostport, path, ok := strings.Cut(hp, "/"); ok {
		return bad("a gRPC address has no path", fmt.Sprintf("write %s (for an HTTP plugin: http://%s/%s)", hostport, hostport, path))
	}
	if inner, ok := strings.CutPrefix(hp, "["); ok && !strings.Contains(inner, "]") {
		return bad(`unclosed "["`, "write ["+strings.TrimSuffix(inner, ":")+"]:PORT, e.g. [::1]:8000")
	}
	if !strings.HasPrefix(hp, "[") && strings.Count(hp, ":") > 1 {
		// "::1:8000" is also a valid IPv6 address; a port after a valid
		// address is by far the likelier meaning.
		i := strings.LastIndex(hp, ":")
		if net.ParseIP(hp[:i]) != nil && checkPort(hp[i+1:]) == nil {
			return bad("an IPv6 address needs brackets", "write ["+hp[:i]+"]:"+hp[i+1:])
		}
		if net.ParseIP(hp) != nil {
			return bad("an IPv6 address needs brackets and a port", "write ["+hp+"]:PORT, e.g. [::1]:8000")
		}
		return bad("too many colons", "write host:port, with an IPv6 address in brackets: [::1]:8000")
	}
	host, port, err := net.SplitHostPort(hp)
	if err != nil {
		if !strings.Contains(hp, ":") {
			if _, nerr := strconv.ParseUint(hp, 10, 64); nerr == nil {
				return bad("no host", "write host:port, e.g. 127.0.0.1:"+hp)
			}
			return bad("no port", "write "+hp+":PORT, e.g. 127.0.0.1:8000")
		}
		var ae *net.AddrError
		if errors.As(err, &ae) {
			return bad("not host:port: "+ae.Err, "write host:port, e.g. 127.0.0.1:8000")
		}
		return bad("not host:port", "write host:port, e.g. 127.0.0.1:8000")
	}
	if err := checkPort(port); err != nil {
		hint := "ports run from 1 to 65535"
		if port == "" {
			hint = "write " + net.JoinHostPort(orLocalhost(host), "PORT")
		}
		return bad(err.Error(), hint)
	}
	a.Network, a.Dial, a.Host = "tcp", hp, orLocalhost(host)
	return a, nil
}

// orLocalhost is grpc-go's reading of an empty host.
func orLocalhost(host string) string {
	if host == "" {
		return "localhost"
	}
	return host
}

// checkPort accepts a decimal port from 1 to 65535.
func checkPort(port string) error {
	if port == "" {
		return errors.New("no port")
	}
	n, err := strconv.ParseUint(port, 10, 64)
	switch {
	case err != nil && strings.Trim(port, "0123456789") == "":
		return fmt.Errorf("port %.20s is out of range (1-65535)", port)
	case err != nil:
		return fmt.Errorf("port %.20q is not a number", port)
	case n < 1 || n > 65535:
		return fmt.Errorf("port %d is out of range (1-65535)", n)
	}
	return nil
}

// parseHTTP checks an HTTP plugin's URL.
func parseHTTP(a Address, raw string) (Address, error) {
	bad := func(problem, hint string) (Address, error) {
		return a, &AddressError{Addr: a.Raw, Problem: problem, Hint: hint}
	}
	_, afterScheme, _ := strings.Cut(raw, "://")
	authority, _, _ := strings.Cut(afterScheme, "/")
	authority, _, _ = strings.Cut(authority, "?")
	if _, hostport, ok := strings.Cut(authority, "@"); ok {
		authority = hostport
	}
	if !strings.HasPrefix(authority, "[") && strings.Count(authority, ":") > 1 {
		scheme, _, _ := strings.Cut(raw, ":")
		_, path, _ := strings.Cut(afterScheme, "/")
		return bad("an IPv6 address needs brackets in a URL", "write e.g. "+strings.ToLower(scheme)+"://[::1]:8000/"+path)
	}
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return bad("not a valid URL: "+err.Error(), "")
	}
	a.Scheme = strings.ToLower(u.Scheme)
	if a.Scheme != "http" && a.Scheme != "https" {
		return bad(fmt.Sprintf("unknown scheme %q: an HTTP plugin's addr is an http:// or https:// URL", a.Scheme), "")
	}
	example := a.Scheme + "://127.0.0.1:8000" + u.EscapedPath()
	host := u.Hostname()
	switch {
	case u.Host == "":
		return bad("the URL has no host", "write e.g. "+example)
	case strings.Contains(host, ":") && !strings.HasPrefix(u.Host, "["):
		return bad("an IPv6 address needs brackets in a URL", "write e.g. "+a.Scheme+"://[::1]:8000"+u.EscapedPath())
	}
	port := u.Port()
	if port == "" {
		port = "80"
		if a.Scheme == "https" {
			port = "443"
		}
	} else if err := checkPort(port); err != nil {
		return bad(err.Error(), "ports run from 1 to 65535")
	}
	a.Network, a.Dial, a.Host, a.URL = "tcp", net.JoinHostPort(host, port), orLocalhost(host), u
	if _, _, err := net.SplitHostPort(a.Dial); err != nil || strings.ContainsAny(host, "[]") {
		// url.Parse lets through hosts like "]" that no dialer accepts.
		return bad(fmt.Sprintf("the URL's host %q is not a host name or IP address", host), "write e.g. "+example)
	}
	return a, nil
}

// grpcRejects reports whether grpc.NewClient, as GOST calls it, fails for
// addr. It does no I/O: NewClient connects only on the first call.
func grpcRejects(addr string) bool {
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return true
	}
	_ = cc.Close()
	return false
}
