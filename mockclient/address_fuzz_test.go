package mockclient

import (
	"errors"
	"strconv"
	"testing"
)

// FuzzParseAddress feeds arbitrary addresses to the parser: it must not
// panic, must refuse with a bounded *AddressError, and whatever it accepts
// must be dialable: a network, an address and, over TCP, a port in range.
func FuzzParseAddress(f *testing.F) {
	for _, seed := range []string{
		"127.0.0.1:8000", "[::1]:8000", ":8000", "dns:///plugin:8000", "dns://8.8.8.8/plugin:8000",
		"passthrough:///127.0.0.1:8000", "unix:///run/p.sock", "unix:p.sock", "unix-abstract:p",
		"http://127.0.0.1:8000/auth?x=1", "https://[::1]/sd", "HTTP://h", "http:///auth", "http://::1:80/a",
		"34853", "garbage", "127.0.0.1:99999", "ftp://x/y", "127.0.0.1:1/auth", "grpc://127.0.0.1:1",
		"::1:8000", "[::1", "--tls", "", "\x00", "unix://host/p", "dns://h:1",
	} {
		f.Add(seed, "", "")
		f.Add(seed, "http", "observer")
	}
	f.Fuzz(func(t *testing.T, addr, transport, module string) {
		tr, err := ParseTransport(transport)
		if err != nil {
			return
		}
		a, err := ParseAddress(addr, tr, Module(module))
		if err != nil {
			var ae *AddressError
			if !errors.As(err, &ae) || !errors.Is(err, ErrBadAddress) {
				t.Fatalf("ParseAddress(%q) error %T %v; want *AddressError", addr, err, err)
			}
			if n := len(err.Error()); n > 4*maxQuotedAddr+100 {
				t.Fatalf("ParseAddress(%q) message is %d bytes; want it bounded", addr, n)
			}
			return
		}
		switch a.Network {
		case "unix":
			if a.Dial == "" || a.Transport != GRPC {
				t.Fatalf("ParseAddress(%q) = %+v; want a socket path for gRPC", addr, a)
			}
		case "tcp":
			p, perr := strconv.Atoi(a.Port())
			if perr != nil || p < 1 || p > 65535 {
				t.Fatalf("ParseAddress(%q) dials %q; want a port in 1-65535", addr, a.Dial)
			}
		default:
			t.Fatalf("ParseAddress(%q) network %q; want tcp or unix", addr, a.Network)
		}
		if (a.Transport == HTTP) != (a.URL != nil) {
			t.Fatalf("ParseAddress(%q) = %+v; want a URL exactly for HTTP", addr, a)
		}
		if a.Host == "" {
			t.Fatalf("ParseAddress(%q) has no host for SNI and messages", addr)
		}
	})
}
