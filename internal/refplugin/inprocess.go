package refplugin

import (
	"net/http"
	"sync/atomic"

	"google.golang.org/grpc"
)

// InProcess is the reference plugins without listeners of their own, for
// tests that serve them the way a plugin author serves a plugin in its own
// tests: the gRPC server on a bufconn listener, the HTTP handler in an
// httptest server. Policy, token check and call counts are Start's.
type InProcess struct {
	// GRPC has all 13 services registered. The caller serves it on its
	// listener and stops it.
	GRPC *grpc.Server
	// HTTP serves each module at /<module>.
	HTTP http.Handler

	s *Server
}

// NewInProcess builds the reference plugins with opts.Token; opts.TLS is
// not used, since the caller's listener or httptest server decides TLS.
func NewInProcess(opts Options) *InProcess {
	s := &Server{
		token:     opts.Token,
		scheme:    "http",
		calls:     make(map[string]*atomic.Int64, len(modules)),
		byService: make(map[string]string, len(modules)),
		ingress:   newIngressTable(),
		sd:        newSDRegistry(),
		stopping:  make(chan struct{}),
	}
	g := grpc.NewServer(grpc.ChainUnaryInterceptor(s.intercept), grpc.WaitForHandlers(true))
	mux := http.NewServeMux()
	for _, m := range modules {
		s.calls[m.name] = new(atomic.Int64)
		s.byService[m.service] = m.name
		m.register(s, g)
		mux.Handle("/"+m.name, s.instrument(m.name, m.handler(s)))
	}
	return &InProcess{GRPC: g, HTTP: mux, s: s}
}

// Calls returns how many calls module has received over both transports,
// as Server.Calls does.
func (p *InProcess) Calls(module string) int64 { return p.s.Calls(module) }
