package suites

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	authpb "github.com/go-gost/plugin/auth/proto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"

	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
)

// gateAuth is a gRPC auth plugin that holds every call until want calls
// are in flight at once, or a minute passes, and counts the most calls it
// saw in flight: a run that keeps want cases in flight releases the gate
// on any machine; one that keeps fewer waits out the minute and shows it.
type gateAuth struct {
	authpb.UnimplementedAuthenticatorServer
	want     int32
	inflight atomic.Int32
	most     atomic.Int32
	reached  chan struct{}
	once     sync.Once
}

func (g *gateAuth) Authenticate(ctx context.Context, _ *authpb.AuthenticateRequest) (*authpb.AuthenticateReply, error) {
	n := g.inflight.Add(1)
	defer g.inflight.Add(-1)
	raiseMost(&g.most, n)
	if n >= g.want {
		g.once.Do(func() { close(g.reached) })
	}
	select {
	case <-g.reached:
	case <-time.After(time.Minute):
	case <-ctx.Done():
	}
	return &authpb.AuthenticateReply{Ok: true, Id: "u"}, nil
}

// TestRunDefaultWorkersOverGRPC: with Workers left zero a run over gRPC
// keeps DefaultGRPCWorkers cases in flight, no more, on GOST's one
// connection.
func TestRunDefaultWorkersOverGRPC(t *testing.T) {
	t.Parallel()
	g := &gateAuth{want: DefaultGRPCWorkers, reached: make(chan struct{})}
	srv := grpc.NewServer()
	authpb.RegisterAuthenticatorServer(srv, g)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	c, err := mockclient.New(mockclient.Config{Addr: ln.Addr().String(), CallTimeout: 2 * time.Minute})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })

	var b strings.Builder
	b.WriteString("name: Workers\nmodule: auth\ncases:\n")
	for i := range 3 * DefaultGRPCWorkers {
		fmt.Fprintf(&b, "  - name: case-%d\n    request: {username: u%d, password: x}\n    checks: [reply]\n", i, i)
	}
	run, err := Run(t.Context(), c, mockclient.Auth, mustParse(t, b.String()), RunOptions{})
	require.NoError(t, err)
	for _, cs := range run.Cases {
		require.Equal(t, report.Pass, cs.Status, cs.ID)
	}
	assert.EqualValues(t, DefaultGRPCWorkers, g.most.Load(), "cases in flight at once over gRPC")
}

// TestDefaultWorkers: HTTP keeps fewer cases in flight than gRPC, whose
// calls share one connection; both are within --parallel's range.
func TestDefaultWorkers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		transport mockclient.Transport
		want      int
	}{
		{mockclient.GRPC, DefaultGRPCWorkers},
		{mockclient.HTTP, DefaultWorkers},
	}
	for _, tt := range tests {
		t.Run(string(tt.transport), func(t *testing.T) {
			assert.Equal(t, tt.want, defaultWorkers(tt.transport))
		})
	}
	assert.Less(t, DefaultWorkers, DefaultGRPCWorkers)
	assert.Equal(t, DefaultWorkers*(DefaultConcurrency+1), MaxInFlight(RunOptions{}), "the HTTP pool is sized for HTTP's default")
}

// raiseMost raises most to n when n is more: the test plugins' count of
// the most calls in flight at once.
func raiseMost(most *atomic.Int32, n int32) {
	for {
		m := most.Load()
		if n <= m || most.CompareAndSwap(m, n) {
			return
		}
	}
}
