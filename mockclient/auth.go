package mockclient

import (
	"context"

	"github.com/go-gost/plugin/auth/proto"
	"google.golang.org/grpc"
)

// AuthRequest is what GOST's auther sends (x/auth/plugin). Field names are
// the proto field names.
type AuthRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
	// Client is the client's source address ("ip:port"), or "" when GOST
	// has none (ssh, file, metrics, @api).
	Client string `json:"client"`
	// Service is the GOST service name ("@api" and "@metrics" included).
	Service string `json:"service"`
	// ClientCN, ClientSAN and ClientCertFingerprint are filled only by the
	// HTTP proxy handler behind a TLS listener that verified the client.
	ClientCN              string   `json:"client_cn"`
	ClientSAN             []string `json:"client_san"`
	ClientCertFingerprint string   `json:"client_cert_fingerprint"`
}

// AuthVerdict is Authenticate's (id, ok). The id becomes the ClientID that
// GOST later sends to bypass, hop, hosts, resolver and limiter.
type AuthVerdict struct {
	OK bool   `json:"ok"`
	ID string `json:"id"`
}

// httpAuthRequest is x's body: camelCase, omitempty mTLS fields.
type httpAuthRequest struct {
	Service               string   `json:"service"`
	Username              string   `json:"username"`
	Password              string   `json:"password"`
	Client                string   `json:"client"`
	ClientCn              string   `json:"clientCn,omitempty"`
	ClientSan             []string `json:"clientSan,omitempty"`
	ClientCertFingerprint string   `json:"clientCertFingerprint,omitempty"`
}

type httpAuthReply struct {
	OK bool   `json:"ok"`
	ID string `json:"id"`
}

const methodAuthenticate = "/proto.Authenticator/Authenticate"

func init() {
	register(opSpec[AuthRequest, AuthVerdict]{
		module: Auth, name: "authenticate", grpcMethod: methodAuthenticate, httpMethod: "POST",
		call:            (*Client).Authenticate,
		nilClientEffect: "GOST denies every request",
	})
}

// Authenticate asks the plugin whether a user/password pair is valid. Every
// failure denies with an empty id. Over gRPC the id is returned even when ok
// is false, as GOST does.
func (c *Client) Authenticate(ctx context.Context, req AuthRequest) Result[AuthVerdict] {
	var res Result[AuthVerdict]
	if c.transport == GRPC {
		msg := &proto.AuthenticateRequest{
			Service:               req.Service,
			Username:              req.Username,
			Password:              req.Password,
			Client:                req.Client,
			ClientCn:              req.ClientCN,
			ClientSan:             req.ClientSAN,
			ClientCertFingerprint: req.ClientCertFingerprint,
		}
		stub := proto.NewAuthenticatorClient(c.conn)
		reply, obs := callGRPC(ctx, c, methodAuthenticate, msg,
			func(ctx context.Context, opts ...grpc.CallOption) (*proto.AuthenticateReply, error) {
				return stub.Authenticate(ctx, msg, opts...)
			})
		res.observe(obs)
		if obs.OK() {
			res.Verdict = AuthVerdict{OK: reply.Ok, ID: reply.Id}
		}
		return res
	}

	var reply httpAuthReply
	res.observe(c.callHTTP(ctx, httpCall{
		method: "POST",
		url:    c.cfg.Addr,
		body: httpAuthRequest{
			Service:               req.Service,
			Username:              req.Username,
			Password:              req.Password,
			Client:                req.Client,
			ClientCn:              req.ClientCN,
			ClientSan:             req.ClientSAN,
			ClientCertFingerprint: req.ClientCertFingerprint,
		},
		reply: &reply,
		drain: true,
	}))
	if res.OK() {
		res.Verdict = AuthVerdict{OK: reply.OK, ID: reply.ID}
	}
	return res
}
