package check

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"

	"github.com/plugincheck/plugincheck/internal/refplugin"
	"github.com/plugincheck/plugincheck/mockclient"
)

// testToken is the token the tests' plugins require, so that GOST's token
// path is exercised on both transports.
const testToken = "check-test-token"

// bufconnClient serves srv on an in-memory listener and returns GOST's
// client over it, as a plugin author would in the plugin's own tests.
// Cleanup closes the client and the connection and stops srv.
func bufconnClient(t *testing.T, srv *grpc.Server, cfg mockclient.Config) *mockclient.Client {
	t.Helper()
	cc, stop, err := refplugin.ServeBufconn(srv)
	require.NoError(t, err)
	t.Cleanup(stop)
	c, err := mockclient.NewGRPC(cc, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// httptestClient serves h on an httptest server and returns GOST's client
// for the plugin at path, with cfg's Addr set to the server's URL.
func httptestClient(t *testing.T, h http.Handler, path string, cfg mockclient.Config) (*mockclient.Client, mockclient.Config) {
	t.Helper()
	srv := httptest.NewServer(h)
	cfg.Addr = srv.URL + path
	c, err := mockclient.NewHTTP(srv.Client(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = c.Close()
		srv.Close()
	})
	return c, cfg
}
