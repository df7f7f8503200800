package refplugin

import (
	"context"
	"encoding/json"
	"net/http"

	hoppb "github.com/go-gost/plugin/hop/proto"
	"google.golang.org/grpc"
)

// directHost is the host for which the hop returns no node, so suites can
// check how a client handles "no node" (GOST then dials direct).
const directHost = "direct.example"

// nodeConfig is the subset of GOST's config.NodeConfig the reference node needs.
type nodeConfig struct {
	Name      string     `json:"name"`
	Addr      string     `json:"addr"`
	Connector typeConfig `json:"connector"`
	Dialer    typeConfig `json:"dialer"`
}

type typeConfig struct {
	Type string `json:"type"`
}

// refNode is the JSON of the one node the hop hands out:
// {"name":"ref-node","addr":"127.0.0.1:1080","connector":{"type":"socks5"},"dialer":{"type":"tcp"}}.
var refNode = mustMarshal(nodeConfig{
	Name:      "ref-node",
	Addr:      "127.0.0.1:1080",
	Connector: typeConfig{Type: "socks5"},
	Dialer:    typeConfig{Type: "tcp"},
})

func mustMarshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// selectNode returns the NodeConfig JSON for a Select, or nil for no node.
// host is the original "host:port" GOST dials in a chain.
func selectNode(host string) []byte {
	if hostname(host) == directHost {
		return nil
	}
	return refNode
}

var hopModule = module{
	name:    "hop",
	service: hoppb.Hop_ServiceDesc.ServiceName,
	register: func(_ *Server, g grpc.ServiceRegistrar) {
		hoppb.RegisterHopServer(g, hopGRPC{})
	},
	handler: func(*Server) http.Handler {
		return methods{http.MethodPost: func(w http.ResponseWriter, r *http.Request) {
			var req hopRequest
			if !decodeJSON(w, r, &req) {
				return
			}
			node := selectNode(req.Host)
			if node == nil {
				// Not "null": GOST decodes a 200 null into an empty, non-nil
				// node, while any non-200 means no node.
				http.Error(w, "no node", http.StatusNotFound)
				return
			}
			// The body is the NodeConfig itself, not a wrapper.
			writeJSON(w, json.RawMessage(node))
		}}
	},
}

type hopGRPC struct {
	hoppb.UnimplementedHopServer
}

// Select returns an empty node for "no node", which GOST treats as nil.
func (hopGRPC) Select(_ context.Context, req *hoppb.SelectRequest) (*hoppb.SelectReply, error) {
	return &hoppb.SelectReply{Node: selectNode(req.GetHost())}, nil
}

// hopRequest is the body GOST POSTs (x: hop/plugin/http.go).
type hopRequest struct {
	Network string `json:"network"`
	Addr    string `json:"addr"`
	Host    string `json:"host"`
	Path    string `json:"path"`
	Client  string `json:"client"`
	Src     string `json:"src"`
}
