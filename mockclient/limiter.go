package mockclient

import (
	"context"
	"fmt"
	"time"

	"github.com/go-gost/plugin/limiter/traffic/proto"
	"google.golang.org/grpc"
)

// LimiterRequest is what GOST's traffic limiter plugin client sends
// (x/limiter/traffic/plugin). Scope is "service", "conn" or "client"; the
// limiter key GOST caches by is never sent.
type LimiterRequest struct {
	Network string `json:"network"`
	Addr    string `json:"addr"`
	Client  string `json:"client"`
	Src     string `json:"src"`
	Service string `json:"service"`
	Scope   string `json:"scope"`
}

// LimiterVerdict is the pair of rates GOST applies, in bytes per second; 0
// means unlimited.
type LimiterVerdict struct {
	// In limits reads from the connection (GOST's In()).
	In int64 `json:"in"`
	// Out limits writes to the connection (GOST's Out()).
	Out int64 `json:"out"`
	// Cached is true when GOST caches the result for the key (30 s by
	// default): only successful calls are cached.
	Cached bool `json:"cached"`
}

// httpLimiterRequest is x's body: service, scope, network, addr, client, src.
type httpLimiterRequest struct {
	Service string `json:"service"`
	Scope   string `json:"scope"`
	Network string `json:"network"`
	Addr    string `json:"addr"`
	Client  string `json:"client"`
	Src     string `json:"src"`
}

type httpLimiterReply struct {
	In  int64 `json:"in"`
	Out int64 `json:"out"`
}

const methodLimiterLimit = "/proto.Limiter/Limit"

var limiterOps = moduleOps{Limiter, []Operation{limitOp.operation()}}

// limiterReply is the reply's pair of rates.
type limiterReply struct{ in, out int64 }

// limitOp: a rate ≤ 0 means unlimited; a failure also means unlimited, and
// is not cached.
var limitOp = &op[LimiterRequest, LimiterVerdict, limiterReply]{
	module: Limiter, name: "limit", grpcMethod: methodLimiterLimit, httpMethod: "POST",
	grpc: func(req LimiterRequest) (grpcSpec[limiterReply], error) {
		msg := &proto.LimitRequest{
			Service: req.Service,
			Scope:   req.Scope,
			Network: req.Network,
			Addr:    req.Addr,
			Client:  req.Client,
			Src:     req.Src,
		}
		return unary(msg, func(ctx context.Context, cc grpc.ClientConnInterface, opts ...grpc.CallOption) (*proto.LimitReply, error) {
			return proto.NewLimiterClient(cc).Limit(ctx, msg, opts...)
		}, func(r *proto.LimitReply) limiterReply { return limiterReply{in: r.In, out: r.Out} }), nil
	},
	http: func(req LimiterRequest) (httpSpec[limiterReply], error) {
		return jsonReply(httpLimiterRequest{
			Service: req.Service,
			Scope:   req.Scope,
			Network: req.Network,
			Addr:    req.Addr,
			Client:  req.Client,
			Src:     req.Src,
		}, func(r *httpLimiterReply) limiterReply { return limiterReply{in: r.In, out: r.Out} }), nil
	},
	verdict: func(_ *Client, res *Result[LimiterVerdict], r limiterReply) {
		res.Verdict = LimiterVerdict{
			In:     appliedRate(res, "in", r.in),
			Out:    appliedRate(res, "out", r.out),
			Cached: true,
		}
		floorNote(res, "in", res.Verdict.In, "reads from")
		floorNote(res, "out", res.Verdict.Out, "writes to")
	},
	failed: func(_ *Client, res *Result[LimiterVerdict]) {
		res.note(NoteUnlimited, "no limiter: GOST applies no limit")
		res.note(NoteNotCached, "the failure is not cached: GOST calls the plugin again on every Read and Write "+
			"(a rate cached from an earlier successful call stays in force instead)")
		res.note(NoteFailOpen, "a failed limiter call lets traffic through unlimited")
	},
	nilClientEffect: "GOST applies no traffic limit",
}

// Limit asks the plugin for a connection's rates. GOST makes two identical
// calls, In() keeping the reply's in and Out() its out; Limit makes one call
// and reports both. A rate ≤ 0 means unlimited. A failure also means
// unlimited, and is not cached, so GOST calls the plugin again on every Read
// and Write.
func (c *Client) Limit(ctx context.Context, req LimiterRequest) Result[LimiterVerdict] {
	return limitOp.call(ctx, c, req)
}

// LimiterFloor is the rate, in bytes per second, below which plugincheck
// warns: at less than 1 KiB/s a 4 KiB exchange, about one TLS handshake,
// already takes seconds, so no real connection survives.
const LimiterFloor = 1024

// floorNote warns about an applied rate below LimiterFloor. x's limitConn
// waits on a token bucket (golang.org/x/time/rate) of the plugin's rate in
// bytes per second with a burst of the same size, with no deadline.
func floorNote(res *Result[LimiterVerdict], name string, rate int64, dir string) {
	if rate <= 0 || rate >= LimiterFloor {
		return
	}
	res.note(NoteLimiterFloor, fmt.Sprintf("%s=%d is below 1 KiB/s: GOST %s the connection at most %d bytes per second "+
		"(burst %d bytes, no deadline), so a 4 KiB exchange takes %s; no real connection survives it, clients and "+
		"servers time out while GOST keeps throttling", name, rate, dir, rate, rate, time.Duration(4096/rate)*time.Second))
}

// appliedRate is the rate GOST's limiter enforces for value v, or 0 for
// unlimited. x's NewLimiter(int(v)) stores rate.Limit (a float64) and the
// connection wrapper reads it back as int(Limit()), skipping the limit when
// that is ≤ 0; the same conversions are made here, so a value too large for
// them turns out as GOST sees it on this platform.
func appliedRate(res *Result[LimiterVerdict], name string, v int64) int64 {
	limit := float64(int(v)) // rate.Limit(r) in x's NewLimiter
	applied := int64(int(limit))
	switch {
	case v <= 0:
		res.note(NoteUnlimited, fmt.Sprintf("%s=%d ≤ 0: GOST applies no limit", name, v))
		return 0
	case applied <= 0:
		res.note(NoteUnlimited, fmt.Sprintf("%s=%d becomes %d in GOST's float64 conversion: GOST applies no limit", name, v, applied))
		return 0
	}
	return applied
}
