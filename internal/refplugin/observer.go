package refplugin

import (
	"context"
	"net/http"

	observerpb "github.com/go-gost/plugin/observer/proto"
	"google.golang.org/grpc"
)

// observe accepts every batch, so GOST never resends it, and counts its
// events (empty batches included: GOST never sends them, a fuzzer may).
func (s *Server) observe(events int) bool {
	s.events.Add(int64(events))
	return true
}

var observerModule = module{
	name:    "observer",
	service: observerpb.Observer_ServiceDesc.ServiceName,
	register: func(s *Server, g grpc.ServiceRegistrar) {
		observerpb.RegisterObserverServer(g, observerGRPC{s: s})
	},
	handler: func(s *Server) http.Handler {
		return post(func(req observeRequest) any { return okReply{OK: s.observe(len(req.Events))} })
	},
}

type observerGRPC struct {
	observerpb.UnimplementedObserverServer
	s *Server
}

func (g observerGRPC) Observe(_ context.Context, req *observerpb.ObserveRequest) (*observerpb.ObserveReply, error) {
	return &observerpb.ObserveReply{Ok: g.s.observe(len(req.GetEvents()))}, nil
}

// observeRequest is the body GOST POSTs (x: observer/plugin/http.go).
type observeRequest struct {
	Events []observeEvent `json:"events"`
}

type observeEvent struct {
	Kind    string       `json:"kind"`
	Service string       `json:"service"`
	Client  string       `json:"client,omitempty"`
	Type    string       `json:"type"`
	Stats   *statsEvent  `json:"stats,omitempty"`
	Status  *statusEvent `json:"status,omitempty"`
}

type statsEvent struct {
	TotalConns   uint64 `json:"totalConns"`
	CurrentConns uint64 `json:"currentConns"`
	InputBytes   uint64 `json:"inputBytes"`
	OutputBytes  uint64 `json:"outputBytes"`
	TotalErrs    uint64 `json:"totalErrs"`
}

type statusEvent struct {
	State string `json:"state"`
	Msg   string `json:"msg"`
}
