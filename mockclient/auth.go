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

var authOps = moduleOps{Auth, []Operation{authenticateOp.operation()}}

// authenticateOp: every failure denies with an empty id. Over gRPC the id
// is returned even when ok is false, as GOST does.
var authenticateOp = &op[AuthRequest, AuthVerdict, AuthVerdict]{
	module: Auth, name: "authenticate", grpcMethod: methodAuthenticate, httpMethod: "POST",
	grpc: func(req AuthRequest) (grpcSpec[AuthVerdict], error) {
		msg := &proto.AuthenticateRequest{
			Service:               req.Service,
			Username:              req.Username,
			Password:              req.Password,
			Client:                req.Client,
			ClientCn:              req.ClientCN,
			ClientSan:             req.ClientSAN,
			ClientCertFingerprint: req.ClientCertFingerprint,
		}
		return unary(msg, func(ctx context.Context, cc grpc.ClientConnInterface, opts ...grpc.CallOption) (*proto.AuthenticateReply, error) {
			return proto.NewAuthenticatorClient(cc).Authenticate(ctx, msg, opts...)
		}, authFromGRPC), nil
	},
	http: func(req AuthRequest) (httpSpec[AuthVerdict], error) {
		spec := jsonReply(httpAuthRequest{
			Service:               req.Service,
			Username:              req.Username,
			Password:              req.Password,
			Client:                req.Client,
			ClientCn:              req.ClientCN,
			ClientSan:             req.ClientSAN,
			ClientCertFingerprint: req.ClientCertFingerprint,
		}, authFromHTTP)
		spec.drain = true
		return spec, nil
	},
	verdict:         func(_ *Client, res *Result[AuthVerdict], reply AuthVerdict) { res.Verdict = reply },
	nilClientEffect: "GOST denies every request",
}

func authFromGRPC(r *proto.AuthenticateReply) AuthVerdict { return AuthVerdict{OK: r.Ok, ID: r.Id} }

func authFromHTTP(r *httpAuthReply) AuthVerdict { return AuthVerdict{OK: r.OK, ID: r.ID} }

// Authenticate asks the plugin whether a user/password pair is valid. Every
// failure denies with an empty id. Over gRPC the id is returned even when ok
// is false, as GOST does.
func (c *Client) Authenticate(ctx context.Context, req AuthRequest) Result[AuthVerdict] {
	return authenticateOp.call(ctx, c, req)
}
