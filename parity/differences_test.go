package parity

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/go-gost/core/auth"
	"github.com/go-gost/x/config"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"

	"github.com/plugincheck/plugincheck/mockclient"
)

// TestDeliberateDifferenceDeadline documents plugincheck's one deliberate
// difference: GOST sets no deadline on gRPC plugin calls and waits on a
// plugin that never answers for as long as its caller's context lives
// (forever, in the accept loop); plugincheck ends the call after
// Config.CallTimeout and reports a timeout, with GOST's failure verdict.
func TestDeliberateDifferenceDeadline(t *testing.T) {
	t.Parallel()
	// A gRPC server whose handler never answers.
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := grpc.NewServer(grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
		<-stream.Context().Done()
		return stream.Context().Err()
	}))
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	plugin := &config.PluginConfig{Type: "grpc", Addr: lis.Addr().String()}

	// GOST: still waiting when its caller's context ends; the call returns
	// only because this test cancels it.
	gost := authAdapter.newGOST(t, plugin).(auth.Authenticator)
	// The caller's deadline is well past plugincheck's call timeout below.
	const callerDeadline = 600 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), callerDeadline)
	defer cancel()
	start := time.Now()
	_, ok := gost.Authenticate(ctx, "u", "p")
	assert.False(t, ok)
	assert.GreaterOrEqual(t, time.Since(start), callerDeadline, "GOST gave up only when the caller's context ended")

	// plugincheck: ends the call itself after its call timeout, with GOST's
	// failure verdict (deny) and no grpc-timeout on the wire.
	cfg := mockConfig(plugin)
	cfg.CallTimeout = 200 * time.Millisecond
	mc, err := mockclient.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = mc.Close() })
	res := mc.Authenticate(context.Background(), mockclient.AuthRequest{Username: "u", Password: "p"})
	assert.Equal(t, mockclient.FailureTimeout, res.Failure, res.Error())
	assert.Equal(t, mockclient.AuthVerdict{}, res.Verdict, "same verdict as GOST: deny")
}
