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

func init() {
	register(opSpec[AdmissionRequest, AdmissionVerdict]{
		module: Admission, name: "admit", grpcMethod: methodAdmit, httpMethod: "POST",
		call:            (*Client).Admit,
		nilClient:       AdmissionVerdict{Admit: true},
		nilClientEffect: "GOST admits every connection (fail-open)",
	})
}

// Admit asks the plugin whether a client may connect. Every failure denies,
// over both transports; GOST admits only on a decoded ok:true.
func (c *Client) Admit(ctx context.Context, req AdmissionRequest) Result[AdmissionVerdict] {
	var res Result[AdmissionVerdict]
	if c.transport == GRPC {
		msg := &proto.AdmissionRequest{
			Service: req.Service,
			Network: req.Network,
			Addr:    req.Addr,
		}
		stub := proto.NewAdmissionClient(c.conn)
		reply, obs := callGRPC(ctx, c, methodAdmit, msg,
			func(ctx context.Context, opts ...grpc.CallOption) (*proto.AdmissionReply, error) {
				return stub.Admit(ctx, msg, opts...)
			})
		res.observe(obs)
		if obs.OK() {
			res.Verdict = AdmissionVerdict{Admit: reply.Ok}
		}
		return res
	}

	var reply httpAdmissionReply
	res.observe(c.callHTTP(ctx, httpCall{
		method: "POST",
		url:    c.cfg.Addr,
		body: httpAdmissionRequest{
			Service: req.Service,
			Network: req.Network,
			Addr:    req.Addr,
		},
		reply: &reply,
	}))
	if res.OK() {
		res.Verdict = AdmissionVerdict{Admit: reply.OK}
	}
	return res
}
