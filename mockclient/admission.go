package mockclient

import (
	"context"

	"github.com/go-gost/plugin/admission/proto"
	"google.golang.org/grpc"
)

// AdmissionRequest is what GOST's admission controller sends
// (x/admission/plugin). Field names are the proto field names.
type AdmissionRequest struct {
	// Addr is the client "ip:port", or a bare IP for ICMP datagrams and
	// for the routing-rule function Admission(name).
	Addr string `json:"addr"`
	// Service is the GOST service name; GOST leaves it empty for
	// per-datagram checks and routing rules.
	Service string `json:"service"`
	// Network is "tcp" for accepted connections, "udp" for datagrams, and
	// "ip" for ICMP and routing rules.
	Network string `json:"network"`
}

// AdmissionVerdict is Admit's bool: whether GOST lets the connection or
// datagram in. A denied connection is closed, a denied datagram dropped.
type AdmissionVerdict struct {
	Admit bool `json:"admit"`
}

// httpAdmissionRequest is x's body: service, network, addr, no omitempty.
type httpAdmissionRequest struct {
	Service string `json:"service"`
	Network string `json:"network"`
	Addr    string `json:"addr"`
}

type httpAdmissionReply struct {
	OK bool `json:"ok"`
}

const methodAdmit = "/proto.Admission/Admit"

var admissionOps = moduleOps{Admission, []Operation{admitOp.operation()}}

// admitOp: every failure denies, over both transports; GOST admits only on
// a decoded ok:true.
var admitOp = &op[AdmissionRequest, AdmissionVerdict, bool]{
	module: Admission, name: "admit", grpcMethod: methodAdmit, httpMethod: "POST",
	grpc: func(req AdmissionRequest) (grpcSpec[bool], error) {
		msg := &proto.AdmissionRequest{
			Service: req.Service,
			Network: req.Network,
			Addr:    req.Addr,
		}
		return unary(msg, func(ctx context.Context, cc grpc.ClientConnInterface, opts ...grpc.CallOption) (*proto.AdmissionReply, error) {
			return proto.NewAdmissionClient(cc).Admit(ctx, msg, opts...)
		}, (*proto.AdmissionReply).GetOk), nil
	},
	http: func(req AdmissionRequest) (httpSpec[bool], error) {
		return jsonReply(httpAdmissionRequest{
			Service: req.Service,
			Network: req.Network,
			Addr:    req.Addr,
		}, func(r *httpAdmissionReply) bool { return r.OK }), nil
	},
	verdict:         func(_ *Client, res *Result[AdmissionVerdict], ok bool) { res.Verdict = AdmissionVerdict{Admit: ok} },
	nilClient:       AdmissionVerdict{Admit: true},
	nilClientEffect: "GOST admits every connection (fail-open)",
}

// Admit asks the plugin whether a client may connect. Every failure denies,
// over both transports; GOST admits only on a decoded ok:true.
func (c *Client) Admit(ctx context.Context, req AdmissionRequest) Result[AdmissionVerdict] {
	return admitOp.call(ctx, c, req)
}
