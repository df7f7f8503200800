package check_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	authpb "github.com/go-gost/plugin/auth/proto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"github.com/plugincheck/plugincheck/check"
	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
)

// TestAuthorsPlugin is the README's "Use it as a Go library" snippet,
// run: the examples' auth plugin under check.Test, on bufconn and on
// httptest, as a plugin author's own test would be written.
func TestAuthorsPlugin(t *testing.T) {
	t.Parallel()
	t.Run("bufconn", func(t *testing.T) {
		t.Parallel()
		lis := bufconn.Listen(1 << 20)
		srv := grpc.NewServer()
		authpb.RegisterAuthenticatorServer(srv, authServer{})
		go func() { _ = srv.Serve(lis) }()
		t.Cleanup(srv.Stop)
		cc, err := grpc.NewClient("passthrough:///bufnet",
			grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
			grpc.WithTransportCredentials(insecure.NewCredentials()))
		require.NoError(t, err)
		t.Cleanup(func() { _ = cc.Close() })

		cfg := mockclient.Config{Addr: "bufnet", Token: "gost"}
		c, err := mockclient.NewGRPC(cc, cfg)
		require.NoError(t, err)
		run := check.Test(t, cfg, mockclient.Auth, withClient(c))
		require.NotNil(t, run)
		assert.Equal(t, report.Pass, run.Status)
		assert.Positive(t, run.Totals.Pass)
	})
	t.Run("httptest", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.HandlerFunc(authHandler))
		t.Cleanup(srv.Close)
		cfg := mockclient.Config{Addr: srv.URL + "/auth"}
		c, err := mockclient.NewHTTP(srv.Client(), cfg)
		require.NoError(t, err)
		t.Cleanup(func() { _ = c.Close() })
		run := check.Test(t, cfg, mockclient.Auth, withClient(c))
		require.NotNil(t, run)
		assert.Equal(t, report.Pass, run.Status)
		assert.Positive(t, run.Totals.Pass)
	})
}

// withClient is the examples' options with the author's client.
func withClient(c *mockclient.Client) check.Options {
	opts := options
	opts.Client = c
	return opts
}
