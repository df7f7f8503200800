package loadmix

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/plugincheck/plugincheck/mockclient"
)

// Clients builds the clients a load spreads its calls over: for a gRPC
// plugin, conns clients with one connection each, since one HTTP/2
// connection serialises frames and would cap the rate; for an HTTP plugin,
// one client whose keep-alive pool holds conns connections, over hc when
// it is given (tests). The transport comes from mockclient.ParseTarget,
// the one reading of an address. Every client is lean: a load keeps no
// per-call detail.
func Clients(cfg mockclient.Config, conns int, hc *http.Client) ([]*mockclient.Client, error) {
	cfg.Lean = true
	if t, err := mockclient.ParseTarget(cfg); err == nil {
		cfg.Transport = t.Transport
	} else if cfg.Transport == "" {
		cfg.Transport = mockclient.DetectTransport(cfg.Addr)
	}
	if cfg.Transport == mockclient.HTTP {
		cfg.HTTPPool = conns
		c, err := newHTTP(cfg, hc)
		if err != nil {
			return nil, fmt.Errorf("load client: %w", err)
		}
		return []*mockclient.Client{c}, nil
	}
	out := make([]*mockclient.Client, 0, conns)
	for range conns {
		c, err := mockclient.New(cfg)
		if err != nil {
			for _, c := range out {
				_ = c.Close()
			}
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func newHTTP(cfg mockclient.Config, hc *http.Client) (*mockclient.Client, error) {
	if hc != nil {
		return mockclient.NewHTTP(hc, cfg)
	}
	return mockclient.New(cfg)
}

// Connect brings every client's gRPC connection up before the load's
// first call, each within wait, at once (see mockclient.Client.Connect):
// on a busy machine a connect can miss the 1 s grpc-go gives GOST's first
// attempt, and the baseline would then fail for no fault of the plugin's.
// It reports whether any connect missed that first attempt, which GOST's
// own first calls would feel.
func Connect(ctx context.Context, clients []*mockclient.Client, wait time.Duration) (missedFirstAttempt bool) {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	var missed atomic.Bool
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Go(func() {
			if c.Connect(ctx).MissedFirstDeadline {
				missed.Store(true)
			}
		})
	}
	wg.Wait()
	return missed.Load()
}
