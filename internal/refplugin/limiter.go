package refplugin

import (
	"context"
	"net/http"

	limiterpb "github.com/go-gost/plugin/limiter/traffic/proto"
	"google.golang.org/grpc"
)

// Rates in bytes/s. All are positive because GOST reads ≤ 0 as "unlimited",
// which a suite could not tell apart from a plugin failure.
const (
	serviceRate  = 10 << 20 // 10 MiB/s for the whole service
	connRate     = 1 << 20  // 1 MiB/s per connection
	aliceInRate  = 2 << 20  // alice gets an asymmetric pair, so In and Out can be told apart
	aliceOutRate = 1 << 20
	clientRate   = 512 << 10 // every other client
)

// limit returns the in and out rates for a request. GOST sends scope
// "service" and "conn" from service limiters and "client" from handler
// limiters, where client is the auth ID ("" without auth).
func limit(scope, client string) (in, out int64) {
	switch scope {
	case "service":
		return serviceRate, serviceRate
	case "conn":
		return connRate, connRate
	}
	if client == "alice" {
		return aliceInRate, aliceOutRate
	}
	return clientRate, clientRate
}

var limiterModule = module{
	name:    "limiter",
	service: limiterpb.Limiter_ServiceDesc.ServiceName,
	register: func(_ *Server, g grpc.ServiceRegistrar) {
		limiterpb.RegisterLimiterServer(g, limiterGRPC{})
	},
	handler: func(*Server) http.Handler {
		return post(func(req limitRequest) any {
			in, out := limit(req.Scope, req.Client)
			return limitReply{In: in, Out: out}
		})
	},
}

type limiterGRPC struct {
	limiterpb.UnimplementedLimiterServer
}

func (limiterGRPC) Limit(_ context.Context, req *limiterpb.LimitRequest) (*limiterpb.LimitReply, error) {
	in, out := limit(req.GetScope(), req.GetClient())
	return &limiterpb.LimitReply{In: in, Out: out}, nil
}

// limitRequest is the body GOST POSTs (x: limiter/traffic/plugin/http.go).
type limitRequest struct {
	Service string `json:"service"`
	Scope   string `json:"scope"`
	Network string `json:"network"`
	Addr    string `json:"addr"`
	Client  string `json:"client"`
	Src     string `json:"src"`
}

// limitReply must encode In and Out as JSON numbers: GOST decodes them into int64.
type limitReply struct {
	In  int64 `json:"in"`
	Out int64 `json:"out"`
}
