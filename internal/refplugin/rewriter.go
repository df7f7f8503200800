package refplugin

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"

	rewriterpb "github.com/go-gost/plugin/rewriter/proto"
	"google.golang.org/grpc"
)

var (
	secret   = []byte("secret")
	redacted = []byte("[redacted]")
)

// rewrite redacts "secret" in response bodies. metadata is the JSON object
// GOST builds ({"sid","direction","uri",...}). Anything it does not rewrite,
// including bad metadata, gets ok false, which GOST reads as "keep the
// original body".
func rewrite(data, metadata []byte) ([]byte, bool) {
	var md map[string]any
	if err := json.Unmarshal(metadata, &md); err != nil {
		return nil, false
	}
	if md["direction"] != "response" || !bytes.Contains(data, secret) {
		return nil, false
	}
	return bytes.ReplaceAll(data, secret, redacted), true
}

var rewriterModule = module{
	name:    "rewriter",
	service: rewriterpb.Rewriter_ServiceDesc.ServiceName,
	register: func(_ *Server, g grpc.ServiceRegistrar) {
		rewriterpb.RegisterRewriterServer(g, rewriterGRPC{})
	},
	handler: func(*Server) http.Handler {
		return post(func(req rewriteRequest) any {
			data, ok := rewrite(req.Data, req.Metadata)
			return rewriteReply{OK: ok, Data: data}
		})
	},
}

type rewriterGRPC struct {
	rewriterpb.UnimplementedRewriterServer
}

func (rewriterGRPC) Rewrite(_ context.Context, req *rewriterpb.RewriteRequest) (*rewriterpb.RewriteReply, error) {
	data, ok := rewrite(req.GetData(), req.GetMetadata())
	return &rewriterpb.RewriteReply{Ok: ok, Data: data}, nil
}

// rewriteRequest is the body GOST POSTs (x: rewriter/plugin/http.go); data
// is null for the final SSE call.
type rewriteRequest struct {
	Data     []byte `json:"data"`
	Metadata []byte `json:"metadata"`
}

// rewriteReply omits data when not rewriting: GOST would turn "data":"" into
// an empty body.
type rewriteReply struct {
	OK   bool   `json:"ok"`
	Data []byte `json:"data,omitempty"`
}
