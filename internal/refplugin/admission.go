package refplugin

import (
	"context"
	"net/http"
	"net/netip"

	admissionpb "github.com/go-gost/plugin/admission/proto"
	"google.golang.org/grpc"
)

// deniedPrefixes are documentation ranges, so the policy never blocks a real client.
var deniedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("2001:db8:bad::/48"),
}

// admit admits a client unless its IP is in deniedPrefixes. addr is
// "ip:port" (stream and datagram call sites) or a bare IP (routing rules);
// a host that is not an IP is denied, since GOST always sends an IP.
func admit(addr string) bool {
	ip, ok := hostIP(addr)
	if !ok {
		return false
	}
	for _, p := range deniedPrefixes {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

var admissionModule = module{
	name:    "admission",
	service: admissionpb.Admission_ServiceDesc.ServiceName,
	register: func(_ *Server, g grpc.ServiceRegistrar) {
		admissionpb.RegisterAdmissionServer(g, admissionGRPC{})
	},
	handler: func(*Server) http.Handler {
		return post(func(req admissionRequest) any { return okReply{OK: admit(req.Addr)} })
	},
}

type admissionGRPC struct {
	admissionpb.UnimplementedAdmissionServer
}

func (admissionGRPC) Admit(_ context.Context, req *admissionpb.AdmissionRequest) (*admissionpb.AdmissionReply, error) {
	return &admissionpb.AdmissionReply{Ok: admit(req.GetAddr())}, nil
}

// admissionRequest is the body GOST POSTs (x: admission/plugin/http.go).
type admissionRequest struct {
	Service string `json:"service"`
	Network string `json:"network"`
	Addr    string `json:"addr"`
}

// okReply is the reply of every module that only says yes or no.
type okReply struct {
	OK bool `json:"ok"`
}
