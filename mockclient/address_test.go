package mockclient

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseAddress(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		addr      string
		transport Transport
		module    Module
		// happy rows
		wantTransport Transport
		wantScheme    string
		wantNetwork   string
		wantDial      string
		wantHost      string
		wantURL       string
		// sad rows: the whole message
		wantErr string
	}{
		// happy: gRPC targets grpc.NewClient accepts, as GOST hands them over
		{name: "host:port", addr: "127.0.0.1:8000", wantTransport: GRPC, wantNetwork: "tcp", wantDial: "127.0.0.1:8000", wantHost: "127.0.0.1"},
		{name: "name:port", addr: "plugin.internal:8000", wantTransport: GRPC, wantNetwork: "tcp", wantDial: "plugin.internal:8000", wantHost: "plugin.internal"},
		{name: "ipv6 in brackets", addr: "[::1]:8000", wantTransport: GRPC, wantNetwork: "tcp", wantDial: "[::1]:8000", wantHost: "::1"},
		{name: "no host is localhost, as in grpc-go", addr: ":8000", wantTransport: GRPC, wantNetwork: "tcp", wantDial: ":8000", wantHost: "localhost"},
		{name: "dns resolver", addr: "dns:///plugin.internal:8000", wantTransport: GRPC, wantScheme: "dns", wantNetwork: "tcp", wantDial: "plugin.internal:8000", wantHost: "plugin.internal"},
		{name: "dns resolver with authority", addr: "dns://8.8.8.8/plugin.internal:8000", wantTransport: GRPC, wantScheme: "dns", wantNetwork: "tcp", wantDial: "plugin.internal:8000", wantHost: "plugin.internal"},
		{name: "passthrough", addr: "passthrough:///127.0.0.1:8000", wantTransport: GRPC, wantScheme: "passthrough", wantNetwork: "tcp", wantDial: "127.0.0.1:8000", wantHost: "127.0.0.1"},
		{name: "unix absolute", addr: "unix:///run/plugin.sock", wantTransport: GRPC, wantScheme: "unix", wantNetwork: "unix", wantDial: "/run/plugin.sock", wantHost: "localhost"},
		{name: "unix relative", addr: "unix:plugin.sock", wantTransport: GRPC, wantScheme: "unix", wantNetwork: "unix", wantDial: "plugin.sock", wantHost: "localhost"},
		{name: "unix abstract", addr: "unix-abstract:plugin", wantTransport: GRPC, wantScheme: "unix-abstract", wantNetwork: "unix", wantDial: "@plugin", wantHost: "localhost"},
		// happy: HTTP URLs, used verbatim
		{name: "http url", addr: "http://127.0.0.1:8000/auth", wantTransport: HTTP, wantScheme: "http", wantNetwork: "tcp", wantDial: "127.0.0.1:8000", wantHost: "127.0.0.1", wantURL: "http://127.0.0.1:8000/auth"},
		{name: "https default port", addr: "https://plugin.example/auth", wantTransport: HTTP, wantScheme: "https", wantNetwork: "tcp", wantDial: "plugin.example:443", wantHost: "plugin.example", wantURL: "https://plugin.example/auth"},
		{name: "http default port", addr: "http://plugin.example", wantTransport: HTTP, wantScheme: "http", wantNetwork: "tcp", wantDial: "plugin.example:80", wantHost: "plugin.example", wantURL: "http://plugin.example"},
		{name: "http path and query", addr: "HTTP://127.0.0.1:8000/a/b?x=1&y=2", wantTransport: HTTP, wantScheme: "http", wantNetwork: "tcp", wantDial: "127.0.0.1:8000", wantHost: "127.0.0.1", wantURL: "http://127.0.0.1:8000/a/b?x=1&y=2"},
		{name: "https ipv6", addr: "https://[::1]:8443/sd", wantTransport: HTTP, wantScheme: "https", wantNetwork: "tcp", wantDial: "[::1]:8443", wantHost: "::1", wantURL: "https://[::1]:8443/sd"},
		{name: "observer gets http:// prepended", addr: "127.0.0.1:8000/observer", transport: HTTP, module: Observer, wantTransport: HTTP, wantScheme: "http", wantNetwork: "tcp", wantDial: "127.0.0.1:8000", wantHost: "127.0.0.1", wantURL: "http://127.0.0.1:8000/observer"},
		{name: "observer: GOST prepends nothing to an addr starting with http", addr: "httpbin:8000/observer", transport: HTTP, module: Observer,
			wantErr: `"httpbin:8000/observer": unknown scheme "httpbin": an HTTP plugin's addr is an http:// or https:// URL`},
		{name: "explicit grpc transport", addr: "127.0.0.1:8000", transport: GRPC, wantTransport: GRPC, wantNetwork: "tcp", wantDial: "127.0.0.1:8000", wantHost: "127.0.0.1"},

		// sad: each of issue 9's bad addresses
		{name: "port only", addr: "34853", wantErr: `"34853": no host; write host:port, e.g. 127.0.0.1:34853`},
		{name: "no port", addr: "garbage", wantErr: `"garbage": no port; write garbage:PORT, e.g. 127.0.0.1:8000`},
		{name: "empty port", addr: "127.0.0.1:", wantErr: `"127.0.0.1:": no port; write 127.0.0.1:PORT`},
		{name: "port out of range", addr: "127.0.0.1:99999", wantErr: `"127.0.0.1:99999": port 99999 is out of range (1-65535); ports run from 1 to 65535`},
		{name: "port zero", addr: "127.0.0.1:0", wantErr: `"127.0.0.1:0": port 0 is out of range (1-65535); ports run from 1 to 65535`},
		{name: "port overflows", addr: "127.0.0.1:99999999999999999999999", wantErr: `"127.0.0.1:99999999999999999999999": port 99999999999999999999 is out of range (1-65535); ports run from 1 to 65535`},
		{name: "named port", addr: "127.0.0.1:http", wantErr: `"127.0.0.1:http": port "http" is not a number; ports run from 1 to 65535`},
		{name: "http port out of range", addr: "http://127.0.0.1:70000/auth", wantErr: `"http://127.0.0.1:70000/auth": port 70000 is out of range (1-65535); ports run from 1 to 65535`},
		{name: "unknown scheme", addr: "ftp://127.0.0.1:21/auth", wantErr: `"ftp://127.0.0.1:21/auth": unknown scheme "ftp"; use host:port for a gRPC plugin, or an http:// or https:// URL for an HTTP plugin`},
		{name: "unknown scheme for http", addr: "ftp://127.0.0.1:21/auth", transport: HTTP, wantErr: `"ftp://127.0.0.1:21/auth": unknown scheme "ftp": an HTTP plugin's addr is an http:// or https:// URL`},
		{name: "path on grpc", addr: "127.0.0.1:8000/auth", wantErr: `"127.0.0.1:8000/auth": a gRPC address has no path; write 127.0.0.1:8000 (for an HTTP plugin: http://127.0.0.1:8000/auth)`},
		{name: "grpc scheme", addr: "grpc://127.0.0.1:8000", wantErr: `"grpc://127.0.0.1:8000": gRPC addresses have no scheme: grpc-go would resolve the whole address as a host name (too many colons); write 127.0.0.1:8000`},
		{name: "bare ipv6 with port", addr: "::1:8000", wantErr: `"::1:8000": an IPv6 address needs brackets; write [::1]:8000`},
		{name: "bare ipv6", addr: "2001:db8::1", wantErr: `"2001:db8::1": an IPv6 address needs brackets and a port; write [2001:db8::1]:PORT, e.g. [::1]:8000`},
		{name: "unclosed bracket", addr: "[::1", wantErr: `"[::1": unclosed "["; write [::1]:PORT, e.g. [::1]:8000`},
		{name: "unclosed bracket with port", addr: "[::1:8000", wantErr: `"[::1:8000": unclosed "["; write [::1:8000]:PORT, e.g. [::1]:8000`},
		{name: "too many colons", addr: "a:b:c", wantErr: `"a:b:c": too many colons; write host:port, with an IPv6 address in brackets: [::1]:8000`},
		{name: "url without host", addr: "http:///auth", wantErr: `"http:///auth": the URL has no host; write e.g. http://127.0.0.1:8000/auth`},
		{name: "url without slashes", addr: "http:127.0.0.1:8000/auth", wantErr: `"http:127.0.0.1:8000/auth": a URL needs // after http:; write http://127.0.0.1:8000/auth`},
		{name: "url with bare ipv6", addr: "http://::1:8000/auth", wantErr: `"http://::1:8000/auth": an IPv6 address needs brackets in a URL; write e.g. http://[::1]:8000/auth`},
		{name: "url unclosed bracket", addr: "http://[::1/auth", wantErr: `"http://[::1/auth": not a valid URL: missing ']' in host`},
		{name: "flag swallowed as value", addr: "--tls", wantErr: `"--tls": looks like a flag, not an address; --addr needs a value, e.g. --addr 127.0.0.1:8000`},
		{name: "empty", addr: "", wantErr: `"": empty; give host:port for a gRPC plugin, or its http(s):// URL for an HTTP plugin`},
		{name: "space", addr: "127.0.0.1: 8000", wantErr: `"127.0.0.1: 8000": contains a space or control character`},
		{name: "url for grpc", addr: "http://127.0.0.1:8000/auth", transport: GRPC, wantErr: `"http://127.0.0.1:8000/auth": is a URL but the transport is grpc: GOST's gRPC client would resolve it as a host name and never connect; for a gRPC plugin write host:port`},
		{name: "http without scheme", addr: "127.0.0.1:8000", transport: HTTP, module: Auth, wantErr: `"127.0.0.1:8000": has no http:// or https:// scheme: GOST uses an HTTP plugin's addr verbatim as the URL, so every auth call would fail; write http://127.0.0.1:8000`},
		{name: "dns with two slashes", addr: "dns://127.0.0.1:8000", wantErr: `"dns://127.0.0.1:8000": a dns target needs three slashes; write dns:///host:port`},
		{name: "dns without port", addr: "dns:///plugin.internal", wantErr: `"dns:///plugin.internal": no port; write plugin.internal:PORT, e.g. 127.0.0.1:8000`},
		{name: "unix with authority", addr: "unix://run/plugin.sock", wantErr: `"unix://run/plugin.sock": a unix target has no authority (grpc-go refuses it); write unix:///absolute/path or unix:relative/path`},
		{name: "unix without path", addr: "unix:", wantErr: `"unix:": no socket path; write unix:///absolute/path or unix:relative/path`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseAddress(tt.addr, tt.transport, tt.module)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Equal(t, tt.wantErr, err.Error())
				assert.ErrorIs(t, err, ErrBadAddress)
				var ae *AddressError
				require.ErrorAs(t, err, &ae)
				assert.Equal(t, tt.addr, ae.Addr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.addr, got.Raw)
			assert.Equal(t, tt.wantTransport, got.Transport, "transport")
			assert.Equal(t, tt.wantScheme, got.Scheme, "scheme")
			assert.Equal(t, tt.wantNetwork, got.Network, "network")
			assert.Equal(t, tt.wantDial, got.Dial, "dial")
			assert.Equal(t, tt.wantHost, got.Host, "host")
			if tt.wantURL == "" {
				assert.Nil(t, got.URL)
			} else {
				require.NotNil(t, got.URL)
				assert.Equal(t, tt.wantURL, got.URL.String())
			}
		})
	}
}

// TestParseAddressGOSTRejects tells the addresses GOST refuses at start-up
// (it then runs the plugin with a nil client) from those it accepts and
// fails on at every call.
func TestParseAddressGOSTRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		addr string
		want bool
	}{
		{"control character", "\x00", true},
		{"no port", "garbage", false},
		{"grpc scheme", "grpc://127.0.0.1:8000", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseAddress(tt.addr, "", "")
			var ae *AddressError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, tt.want, ae.GOSTRejects)
		})
	}
}

func TestAddressErrorBoundsLongAddress(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 1<<20)
	_, err := ParseAddress(long, "", "")
	require.Error(t, err)
	assert.Less(t, len(err.Error()), 1000, "the message repeats a bounded part of the address")
	assert.True(t, errors.Is(err, ErrBadAddress))
}

func TestDetectTransport(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr string
		want Transport
	}{
		{"127.0.0.1:8000", GRPC},
		{"http://127.0.0.1:8000/auth", HTTP},
		{"HTTPS://plugin.example/auth", HTTP},
		{"http:127.0.0.1:8000", GRPC},
		{"unix:///run/p.sock", GRPC},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, DetectTransport(tt.addr), "DetectTransport(%q)", tt.addr)
	}
}
