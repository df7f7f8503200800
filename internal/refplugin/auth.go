package refplugin

import (
	"context"
	"net/http"

	authpb "github.com/go-gost/plugin/auth/proto"
	"google.golang.org/grpc"
)

// account is one known user and the client ID GOST should attach to it.
type account struct {
	password string
	id       string
}

// accounts include a non-ASCII pair so suites exercise UTF-8 on both transports.
var accounts = map[string]account{
	"gost":  {password: "gost", id: "gost"},
	"alice": {password: "wonderland", id: "alice"},
	"用户":    {password: "密码", id: "user-cjk"},
}

// authenticate returns the client ID for a known username and password.
// Anything else, including the empty pair GOST's HTTP handler sends when a
// client has no Proxy-Authorization, fails with an empty ID.
func authenticate(username, password string) (id string, ok bool) {
	a, found := accounts[username]
	if !found || username == "" || password == "" || !equalSecret(password, a.password) {
		return "", false
	}
	return a.id, true
}

var authModule = module{
	name:    "auth",
	service: authpb.Authenticator_ServiceDesc.ServiceName,
	register: func(_ *Server, g grpc.ServiceRegistrar) {
		authpb.RegisterAuthenticatorServer(g, authGRPC{})
	},
	handler: func(*Server) http.Handler {
		return post(func(req authRequest) any {
			id, ok := authenticate(req.Username, req.Password)
			return authReply{OK: ok, ID: id}
		})
	},
}

type authGRPC struct {
	authpb.UnimplementedAuthenticatorServer
}

func (authGRPC) Authenticate(_ context.Context, req *authpb.AuthenticateRequest) (*authpb.AuthenticateReply, error) {
	id, ok := authenticate(req.GetUsername(), req.GetPassword())
	return &authpb.AuthenticateReply{Ok: ok, Id: id}, nil
}

// authRequest is the body GOST POSTs (x: auth/plugin/http.go); the mTLS
// fields are camelCase and omitted when empty.
type authRequest struct {
	Service               string   `json:"service"`
	Username              string   `json:"username"`
	Password              string   `json:"password"`
	Client                string   `json:"client"`
	ClientCN              string   `json:"clientCn,omitempty"`
	ClientSAN             []string `json:"clientSan,omitempty"`
	ClientCertFingerprint string   `json:"clientCertFingerprint,omitempty"`
}

type authReply struct {
	OK bool   `json:"ok"`
	ID string `json:"id"`
}
