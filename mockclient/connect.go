package mockclient

import (
	"context"
	"time"

	"google.golang.org/grpc/connectivity"
)

// ConnectResult says how GOST's gRPC connection came up before a run.
type ConnectResult struct {
	// Took is the time from the start of the first connect attempt until
	// the connection was ready, or until Connect gave up.
	Took time.Duration
	// MissedFirstDeadline is true when the first attempt ran into the 1 s
	// grpc-go gives GOST's first connect attempt (backoff.DefaultConfig's
	// BaseDelay), so that GOST's own first calls would have failed with
	// Unavailable while a later, longer attempt connected.
	MissedFirstDeadline bool
	// Ready is true when the connection is ready for calls: always for
	// HTTP, and false for a NewGRPC connection, which Connect leaves alone.
	Ready bool
}

// firstAttempt is grpc-go's deadline for GOST's first connect attempt;
// an attempt that fails sooner failed for another reason (refused, reset,
// a handshake error), which no waiting cures.
const firstAttempt = time.Second

// Connect brings GOST's gRPC connection up before a run's first call and
// waits, within ctx, through grpc-go's own connect attempts (1 s, then
// 1.6 s, 2.56 s … each) until it is ready. A suite's cases then test the
// plugin's verdicts, not the machine's scheduling: on a busy runner the
// first attempt's TCP, TLS and SETTINGS can take over 1 s, and GOST's
// first calls would fail for reasons that are no fault of the plugin's.
// The result says whether that happened, so that the run can warn about it
// once. GOST itself connects on its first call; Connect changes no call's
// request or verdict. It returns at once for HTTP, for a connection it
// does not own (NewGRPC), and when the first attempt fails fast.
func (c *Client) Connect(ctx context.Context) ConnectResult {
	if c.transport != GRPC || c.owned == nil {
		return ConnectResult{Ready: c.transport == HTTP}
	}
	cc := c.owned
	start := time.Now()
	cc.Connect()
	var res ConnectResult
	for {
		// One reading of the state per turn: waiting for a change from a
		// second reading could miss the turn to Ready and wait for good.
		s := cc.GetState()
		switch s {
		case connectivity.Ready:
			res.Took, res.Ready = time.Since(start), true
			return res
		case connectivity.TransientFailure:
			if !res.MissedFirstDeadline {
				if time.Since(start) < firstAttempt*9/10 {
					// Refused, reset or a handshake error: calls will
					// fail and the run will say why.
					res.Took = time.Since(start)
					return res
				}
				res.MissedFirstDeadline = true
			}
		case connectivity.Shutdown:
			res.Took = time.Since(start)
			return res
		}
		if !cc.WaitForStateChange(ctx, s) {
			res.Took = time.Since(start)
			return res
		}
	}
}
