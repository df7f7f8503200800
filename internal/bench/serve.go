package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os/signal"
	"sync"
	"syscall"
	"time"

	authpb "github.com/go-gost/plugin/auth/proto"
	"google.golang.org/grpc"

	"github.com/plugincheck/plugincheck/internal/refplugin"
)

// serveOptions configure `bench serve`.
type serveOptions struct {
	// stallEvery > 0 makes every stallEvery-th call, per transport, wait
	// stall before it answers: the plugin of the stall section.
	stallEvery int64
	stall      time.Duration
}

// serve runs the benchmark's auth plugins on 127.0.0.1 until interrupted and
// prints one line per endpoint: "grpc <addr>", "http <url>" (the minimal
// HTTP plugin) and "refhttp <url>" (the reference plugin's HTTP endpoint).
//
// Without a stall the gRPC endpoint is the reference auth plugin
// (internal/refplugin), the one every earlier figure was measured against.
// With a stall both endpoints are the benchmark's own, since refplugin has
// no way to stall on purpose.
func serve(ctx context.Context, out io.Writer, o serveOptions) error {
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	ref, err := refplugin.Start(ctx, refplugin.Options{})
	if err != nil {
		return err
	}
	defer ref.Close()
	grpcAddr := ref.GRPCAddr()

	var wg sync.WaitGroup
	defer wg.Wait()
	if o.stallEvery > 0 {
		ln, err := listen(ctx)
		if err != nil {
			return err
		}
		gs := grpc.NewServer()
		authpb.RegisterAuthenticatorServer(gs, &stallAuth{stall: newStaller(o.stallEvery, o.stall)})
		wg.Go(func() { _ = gs.Serve(ln) })
		defer gs.Stop()
		grpcAddr = ln.Addr().String()
	}

	ln, err := listen(ctx)
	if err != nil {
		return err
	}
	hp := newHTTPPlugin(newStaller(o.stallEvery, o.stall))
	wg.Go(func() { hp.serve(ctx, ln) })

	fmt.Fprintf(out, "grpc %s\nhttp http://%s/auth\nrefhttp %s\n", grpcAddr, ln.Addr(), ref.HTTPURL("auth"))
	<-ctx.Done()
	return nil
}

func listen(ctx context.Context) (net.Listener, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	return ln, nil
}

// staller makes every n-th call wait d; a nil staller never waits.
type staller struct {
	every int64
	d     time.Duration
	mu    sync.Mutex
	calls int64
}

func newStaller(every int64, d time.Duration) *staller {
	if every <= 0 || d <= 0 {
		return nil
	}
	return &staller{every: every, d: d}
}

// wait stalls this call if it is an every-th one, or until ctx ends.
func (s *staller) wait(ctx context.Context) {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.calls++
	due := s.calls%s.every == 0
	s.mu.Unlock()
	if !due {
		return
	}
	t := time.NewTimer(s.d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// stallAuth is the gRPC auth plugin of the stall section: it knows the user
// gost/gost, as refplugin does, and stalls on schedule.
type stallAuth struct {
	authpb.UnimplementedAuthenticatorServer
	stall *staller
}

func (a *stallAuth) Authenticate(ctx context.Context, req *authpb.AuthenticateRequest) (*authpb.AuthenticateReply, error) {
	a.stall.wait(ctx)
	if req.GetUsername() == "gost" && req.GetPassword() == "gost" {
		return &authpb.AuthenticateReply{Ok: true, Id: "gost"}, nil
	}
	return &authpb.AuthenticateReply{}, nil
}
