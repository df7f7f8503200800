package probe

import (
	"fmt"
	"math"
	"strings"
	"time"

	"google.golang.org/grpc/backoff"

	"github.com/plugincheck/plugincheck/internal/tlsprobe"
	"github.com/plugincheck/plugincheck/mockclient"
)

// Finding codes for connections that GOST's deadlines make fail, or slow.
const (
	// kindGRPCSlowConnect: a gRPC connect (TCP, TLS, SETTINGS) took longer
	// than the 1 s grpc-go gives GOST's first attempt.
	kindGRPCSlowConnect tlsprobe.Kind = "grpc-slow-connect"
	// kindSlowHandshake: an HTTP plugin's TLS handshake took a second or
	// more, which every new connection of GOST's costs a call.
	kindSlowHandshake tlsprobe.Kind = "slow-tls-handshake"
)

// grpcBackoff is the backoff x v0.15.2 gives grpc-go for plugins
// (internal/plugin NewGRPCConn: WithConnectParams{Backoff: DefaultConfig},
// MinConnectTimeout 0). grpc-go v1.82.1 (clientconn.go,
// resetTransportAndUnlock) then gives connect attempt n the deadline
// max(MinConnectTimeout, Backoff(n)): BaseDelay (1 s) for the first, then
// BaseDelay·Multiplier^n ±Jitter up to MaxDelay, and waits as long again
// after a failure. The deadline covers TCP, TLS and the server's SETTINGS
// (transport.NewHTTP2Client). The attempt count starts again at 0 once a
// connect succeeds, and with each new sub-channel (after 30 min idle).
var grpcBackoff = backoff.DefaultConfig

// slowHandshake is the TLS handshake time from which an HTTP plugin gets a
// warning: GOST sets no deadline, but each new connection's call waits.
const slowHandshake = time.Second

// grpcAttempts says how GOST's gRPC client fares with a plugin whose
// connect takes took: the first attempt (from 0) whose nominal deadline is
// longer, and the nominal time from the first attempt's start to that
// attempt's. ok is false when no attempt is surely long enough: took is
// over MaxDelay less its jitter.
func grpcAttempts(took time.Duration) (attempt int, after time.Duration, ok bool) {
	b := grpcBackoff
	if took >= time.Duration(float64(b.MaxDelay)*(1-b.Jitter)) {
		return 0, 0, false
	}
	for n := 0; n < 64; n++ {
		d := time.Duration(math.Min(float64(b.BaseDelay)*math.Pow(b.Multiplier, float64(n)), float64(b.MaxDelay)))
		if d > took {
			return n, after, true
		}
		after += 2 * d // the failed attempt, then as long in backoff
	}
	return 0, 0, false
}

// grpcDeadlines lists the nominal deadlines of GOST's first connect
// attempts, for messages: "1s, 1.6s, 2.56s, 4.096s …".
func grpcDeadlines() string {
	b := grpcBackoff
	var ds []string
	for n := range 4 {
		d := time.Duration(float64(b.BaseDelay) * math.Pow(b.Multiplier, float64(n)))
		ds = append(ds, d.Round(10*time.Millisecond).String())
	}
	return strings.Join(ds, ", ") + fmt.Sprintf(" … (±%d %%, at most %s)", int(b.Jitter*100), b.MaxDelay)
}

// judge holds outcome o of connecting to ep as GOST configured by cfg
// against GOST's own deadlines, given that the probe's handshake had
// bound: a TLS handshake that did not finish, or a connect slower than GOST
// allows, gets its consequence in GOST's terms.
func judge(o outcome, ep endpoint, cfg mockclient.Config, bound time.Duration) outcome {
	switch {
	case o.kind == tlsprobe.KindTimeout:
		o.reason = noHandshake(ep, cfg, bound)
	case o.kind != "" || o.reason != "":
	case ep.transport == mockclient.GRPC && o.took >= grpcBackoff.BaseDelay:
		o.reason, o.caveat = grpcSlow(ep, o.took), kindGRPCSlowConnect
	case ep.transport == mockclient.HTTP && ep.tls && o.took >= slowHandshake:
		o.reason = fmt.Sprintf("GOST connects, but TCP and TLS with %s took %s: GOST's HTTP client sets no handshake deadline, so every call that opens a new connection waits that long",
			ep.address, round(o.took))
		o.caveat = kindSlowHandshake
		if cfg.Timeout > 0 {
			o.reason += fmt.Sprintf(", and fails once that passes GOST's timeout (%s)", cfg.Timeout)
		}
	}
	return o
}

// noHandshake says what GOST does with a plugin whose TLS handshake did
// not finish within bound.
func noHandshake(ep endpoint, cfg mockclient.Config, bound time.Duration) string {
	if ep.transport == mockclient.HTTP {
		if cfg.Timeout > 0 && bound >= cfg.Timeout {
			return fmt.Sprintf("no TLS handshake from %s within GOST's timeout (%s): GOST's call fails, as its timeout covers connect and TLS", ep.address, cfg.Timeout)
		}
		return fmt.Sprintf("no TLS handshake from %s within %s (plugincheck's bound): GOST's HTTP client sets no handshake deadline, so each of its calls waits at least that long, without end if the server never answers; GOST's timeout would bound it", ep.address, bound)
	}
	return fmt.Sprintf("no TLS handshake from %s within %s: grpc-go gives GOST's connect attempts %s, so GOST's calls fail with Unavailable at least until an attempt gets longer than %s, and for good if the server never answers",
		ep.address, bound, grpcDeadlines(), bound)
}

// grpcSlow is the caveat for a gRPC plugin whose connect took took.
func grpcSlow(ep endpoint, took time.Duration) string {
	steps := "TCP and the server's SETTINGS"
	if ep.tls {
		steps = "TCP, TLS and the server's SETTINGS"
	}
	head := fmt.Sprintf("GOST's first calls fail: connecting to %s took %s (%s), but grpc-go gives GOST's connect attempts %s",
		ep.address, round(took), steps, grpcDeadlines())
	n, after, ok := grpcAttempts(took)
	if !ok {
		return head + ", so GOST may never connect"
	}
	return head + fmt.Sprintf(": calls fail with Unavailable until about attempt %d, some %s after the first, and again after every reconnect", n+1, round(after))
}

func round(d time.Duration) time.Duration { return d.Round(10 * time.Millisecond) }
