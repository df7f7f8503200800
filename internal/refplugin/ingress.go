package refplugin

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync"

	ingresspb "github.com/go-gost/plugin/ingress/proto"
	"google.golang.org/grpc"
)

// ingressTable is the reference ingress: host → tunnel endpoint, shared by
// both transports so a rule set over one is visible over the other.
type ingressTable struct {
	mu    sync.Mutex
	rules map[string]string // lowercased host → endpoint
}

// newIngressTable returns a table seeded with one rule so GetRule suites
// have a hit without calling SetRule first.
func newIngressTable() *ingressTable {
	return &ingressTable{rules: map[string]string{
		"app.example": "6ba7b810-9dad-11d1-80b4-00c04fd430c8",
	}}
}

// getRule returns the endpoint for host, or "" for no rule. GOST's tunnel
// entrypoint asks with "host:port" and its connect path with a bare host,
// so a miss on the full host is retried without the port.
func (t *ingressTable) getRule(host string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if ep, ok := t.rules[strings.ToLower(host)]; ok {
		return ep
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		return t.rules[strings.ToLower(h)]
	}
	return ""
}

// setRule stores a rule; both host and endpoint are required.
func (t *ingressTable) setRule(host, endpoint string) bool {
	if host == "" || endpoint == "" {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.rules[strings.ToLower(host)] = endpoint
	return true
}

var ingressModule = module{
	name:    "ingress",
	service: ingresspb.Ingress_ServiceDesc.ServiceName,
	register: func(s *Server, g grpc.ServiceRegistrar) {
		ingresspb.RegisterIngressServer(g, ingressGRPC{t: s.ingress})
	},
	handler: func(s *Server) http.Handler {
		return methods{
			// GetRule: GET ?host=<h>[&service=<s>], no body.
			http.MethodGet: func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, endpointReply{Endpoint: s.ingress.getRule(r.URL.Query().Get("host"))})
			},
			// SetRule: PUT with a JSON body.
			http.MethodPut: func(w http.ResponseWriter, r *http.Request) {
				var req setRuleRequest
				if decodeJSON(w, r, &req) {
					writeJSON(w, okReply{OK: s.ingress.setRule(req.Host, req.Endpoint)})
				}
			},
		}
	},
}

type ingressGRPC struct {
	ingresspb.UnimplementedIngressServer
	t *ingressTable
}

func (g ingressGRPC) GetRule(_ context.Context, req *ingresspb.GetRuleRequest) (*ingresspb.GetRuleReply, error) {
	return &ingresspb.GetRuleReply{Endpoint: g.t.getRule(req.GetHost())}, nil
}

func (g ingressGRPC) SetRule(_ context.Context, req *ingresspb.SetRuleRequest) (*ingresspb.SetRuleReply, error) {
	return &ingresspb.SetRuleReply{Ok: g.t.setRule(req.GetHost(), req.GetEndpoint())}, nil
}

// setRuleRequest is the body GOST PUTs (x: ingress/plugin/http.go).
type setRuleRequest struct {
	Service  string `json:"service"`
	Host     string `json:"host"`
	Endpoint string `json:"endpoint"`
}

type endpointReply struct {
	Endpoint string `json:"endpoint"`
}
