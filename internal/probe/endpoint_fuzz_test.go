package probe

import (
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/mockclient"
)

// FuzzEndpointOf checks how the TLS probe turns a plugin address into the
// endpoint it dials: never a panic; an HTTP endpoint is a TCP host:port with
// a port, and its URL points at that address; a gRPC endpoint is a unix
// socket or a TCP host:port; TLS follows https:// or the tls block. The
// seeds are plain addresses, like FuzzAddress's in mockclient, so both can
// move to the address parser issue 9 asks for.
func FuzzEndpointOf(f *testing.F) {
	for _, addr := range []string{
		"127.0.0.1:8000", "http://127.0.0.1:8000/auth", "https://h/observer", "dns:///h:1", "passthrough:///h:1",
		"unix:///tmp/p.sock", "unix:p.sock", "[::1]:8000", "::1:8000", "http://[::1]/x", "http:///auth", "",
	} {
		f.Add(addr, false)
	}
	f.Fuzz(func(t *testing.T, addr string, withTLS bool) {
		cfg := mockclient.Config{Addr: addr}
		if withTLS {
			cfg.TLS = &mockclient.TLSConfig{ServerName: "plugin.example"}
		}
		ep, err := endpointOf(cfg)
		if err != nil {
			// A refused address ("http:host") may be read as either
			// transport for its hint; only accepted ones must agree.
			assert.NotEmpty(t, err.Error())
			return
		}
		assert.Equal(t, mockclient.DetectTransport(addr), ep.transport)
		switch {
		case ep.transport == mockclient.HTTP:
			require.Equal(t, "tcp", ep.network)
			host, port, err := net.SplitHostPort(ep.address)
			require.NoError(t, err, "HTTP endpoint address %q", ep.address)
			assert.NotEmpty(t, port)
			assert.Equal(t, nameOf(host), ep.host)
			require.NotNil(t, ep.url)
			assert.Equal(t, ep.address, ep.url.Host)
			assert.Equal(t, strings.HasPrefix(strings.ToLower(addr), "https://"), ep.https)
			assert.Equal(t, ep.https, ep.tls, "GOST speaks TLS to an HTTP plugin exactly when its addr is https://")
		case ep.network == "unix":
			assert.Equal(t, "localhost", ep.host)
			assert.Equal(t, withTLS, ep.tls)
		default:
			require.Equal(t, "tcp", ep.network)
			host, _, err := net.SplitHostPort(ep.address)
			require.NoError(t, err, "gRPC endpoint address %q", ep.address)
			assert.Equal(t, nameOf(host), ep.host)
			assert.Equal(t, withTLS, ep.tls, "GOST speaks TLS to a gRPC plugin exactly when a tls block is set")
		}
	})
}

// nameOf is the name a dialled host goes by in messages and SNI: an empty
// host (":8000") dials the local machine, as grpc-go and net do.
func nameOf(host string) string {
	if host == "" {
		return "localhost"
	}
	return host
}
