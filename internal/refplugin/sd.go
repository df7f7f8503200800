package refplugin

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"sync"

	sdpb "github.com/go-gost/plugin/sd/proto"
	"google.golang.org/grpc"
)

// sdService is the flat service object GOST sends over HTTP and returns
// from Get (x: sd/plugin/http.go).
type sdService struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Node    string `json:"node"`
	Network string `json:"network"`
	Address string `json:"address"`
}

// sdRegistry is the reference service registry, keyed by service ID and
// shared by both transports.
type sdRegistry struct {
	mu       sync.Mutex
	services map[string]sdService
}

func newSDRegistry() *sdRegistry {
	return &sdRegistry{services: map[string]sdService{}}
}

// register stores svc; an entry without an ID is refused and not stored.
func (r *sdRegistry) register(svc sdService) bool {
	if svc.ID == "" {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.services[svc.ID] = svc
	return true
}

// renew refreshes an entry. GOST's renew carries only id, name and node, so
// only non-empty fields overwrite; an unknown ID is inserted, as after a
// plugin restart GOST keeps renewing without re-registering.
func (r *sdRegistry) renew(svc sdService) bool {
	if svc.ID == "" {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	cur := r.services[svc.ID]
	cur.ID = svc.ID
	keep(&cur.Name, svc.Name)
	keep(&cur.Node, svc.Node)
	keep(&cur.Network, svc.Network)
	keep(&cur.Address, svc.Address)
	r.services[svc.ID] = cur
	return true
}

// keep overwrites *dst with src unless src is empty.
func keep(dst *string, src string) {
	if src != "" {
		*dst = src
	}
}

// deregister deletes by ID; deleting an unknown ID succeeds, so a repeated
// deregister is harmless.
func (r *sdRegistry) deregister(svc sdService) bool {
	if svc.ID == "" {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.services, svc.ID)
	return true
}

// get returns every service called name, sorted by ID so replies are
// stable; never nil, so HTTP encodes "services":[].
func (r *sdRegistry) get(name string) []sdService {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := []sdService{}
	for _, svc := range r.services {
		if svc.Name == name {
			out = append(out, svc)
		}
	}
	slices.SortFunc(out, func(a, b sdService) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

var sdModule = module{
	name:    "sd",
	service: sdpb.SD_ServiceDesc.ServiceName,
	register: func(s *Server, g grpc.ServiceRegistrar) {
		sdpb.RegisterSDServer(g, sdGRPC{r: s.sd})
	},
	handler: func(s *Server) http.Handler {
		// Register, Renew and Deregister send the flat service object as the body.
		write := func(op func(sdService) bool) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				var svc sdService
				if decodeJSON(w, r, &svc) {
					writeJSON(w, okReply{OK: op(svc)})
				}
			}
		}
		return methods{
			http.MethodPost:   write(s.sd.register),
			http.MethodPut:    write(s.sd.renew),
			http.MethodDelete: write(s.sd.deregister),
			http.MethodGet: func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, sdGetReply{Services: s.sd.get(r.URL.Query().Get("name"))})
			},
		}
	},
}

type sdGetReply struct {
	Services []sdService `json:"services"`
}

type sdGRPC struct {
	sdpb.UnimplementedSDServer
	r *sdRegistry
}

func fromPB(p *sdpb.Service) sdService {
	return sdService{ID: p.GetId(), Name: p.GetName(), Node: p.GetNode(), Network: p.GetNetwork(), Address: p.GetAddress()}
}

func (g sdGRPC) Register(_ context.Context, req *sdpb.RegisterRequest) (*sdpb.RegisterReply, error) {
	return &sdpb.RegisterReply{Ok: g.r.register(fromPB(req.GetService()))}, nil
}

func (g sdGRPC) Renew(_ context.Context, req *sdpb.RenewRequest) (*sdpb.RenewReply, error) {
	return &sdpb.RenewReply{Ok: g.r.renew(fromPB(req.GetService()))}, nil
}

func (g sdGRPC) Deregister(_ context.Context, req *sdpb.DeregisterRequest) (*sdpb.DeregisterReply, error) {
	return &sdpb.DeregisterReply{Ok: g.r.deregister(fromPB(req.GetService()))}, nil
}

func (g sdGRPC) Get(_ context.Context, req *sdpb.GetServiceRequest) (*sdpb.GetServiceReply, error) {
	svcs := g.r.get(req.GetName())
	reply := &sdpb.GetServiceReply{Services: make([]*sdpb.Service, 0, len(svcs))}
	for _, svc := range svcs {
		reply.Services = append(reply.Services, &sdpb.Service{
			Id: svc.ID, Name: svc.Name, Node: svc.Node, Network: svc.Network, Address: svc.Address,
		})
	}
	return reply, nil
}
