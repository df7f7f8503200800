package mockclient

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/go-gost/plugin/rewriter/proto"
	"google.golang.org/grpc"
)

// RewriterRequest is one body GOST's HTTP sniffer asks the rewriter about
// (x/rewriter/plugin). Field names are the proto field names.
type RewriterRequest struct {
	// Data is the body, or one SSE event. Nil is meaningful: GOST sends nil
	// data for the final SSE call (sse_phase "end"), which HTTP encodes as
	// "data":null.
	Data []byte `json:"data"`
	// Metadata is {sid, direction, uri} (plus sse_phase, event_index and
	// stream_error for SSE). GOST sends the bytes of its JSON encoding; a
	// nil map is the 4 bytes `null`.
	Metadata map[string]any `json:"metadata"`
}

// RewriterVerdict is what GOST continues with after Rewrite.
type RewriterVerdict struct {
	// Body is the body GOST forwards: the plugin's data when Replaced, else
	// the original.
	Body string `json:"body"`
	// Replaced means the plugin's data replaced the body.
	Replaced bool `json:"replaced"`
	// Aborted means Rewrite returned an error, so GOST aborts the proxied
	// HTTP exchange (logged "rewrite body").
	Aborted bool `json:"aborted"`
}

// httpRewriterRequest is x's body: []byte fields, so base64 or null.
type httpRewriterRequest struct {
	Data     []byte `json:"data"`
	Metadata []byte `json:"metadata"`
}

type httpRewriterReply struct {
	OK   bool   `json:"ok"`
	Data []byte `json:"data"`
}

const methodRewrite = "/proto.Rewriter/Rewrite"

var rewriterOps = moduleOps{Rewriter, []Operation{rewriteOp.operation()}}

// rewriteReply is a rewriter reply as GOST reads it.
type rewriteReply struct {
	ok   bool
	data []byte
}

// rewriteOp: an RPC error, an HTTP transport error or an undecodable reply
// aborts the exchange; an HTTP status other than 200, ok=false or a reply
// without data keeps the original body.
var rewriteOp = &op[RewriterRequest, RewriterVerdict, rewriteReply]{
	module: Rewriter, name: "rewrite", grpcMethod: methodRewrite, httpMethod: "POST",
	start: func(req RewriterRequest, res *Result[RewriterVerdict]) {
		res.Verdict = RewriterVerdict{Body: string(req.Data)}
	},
	grpc: func(req RewriterRequest) (grpcSpec[rewriteReply], error) {
		md, err := rewriterMetadata(req)
		if err != nil {
			return grpcSpec[rewriteReply]{}, err
		}
		msg := &proto.RewriteRequest{Data: req.Data, Metadata: md}
		return unary(msg, func(ctx context.Context, cc grpc.ClientConnInterface, opts ...grpc.CallOption) (*proto.RewriteReply, error) {
			return proto.NewRewriterClient(cc).Rewrite(ctx, msg, opts...)
		}, func(r *proto.RewriteReply) rewriteReply { return rewriteReply{ok: r.GetOk(), data: r.GetData()} }), nil
	},
	http: func(req RewriterRequest) (httpSpec[rewriteReply], error) {
		md, err := rewriterMetadata(req)
		if err != nil {
			return httpSpec[rewriteReply]{}, err
		}
		spec := jsonReply(&httpRewriterRequest{Data: req.Data, Metadata: md},
			func(r *httpRewriterReply) rewriteReply { return rewriteReply{ok: r.OK, data: r.Data} })
		spec.drain = true
		return spec, nil
	},
	verdict: func(_ *Client, res *Result[RewriterVerdict], r rewriteReply) {
		switch {
		case !r.ok:
		case r.data != nil:
			res.Verdict = RewriterVerdict{Body: string(r.data), Replaced: true}
		case res.Transport == GRPC:
			res.note(NoteEmptyReply, "ok:true without data (proto3 cannot carry empty bytes, so empty data is absent data); GOST keeps the original body")
		default:
			res.note(NoteEmptyReply, "ok:true without data (absent or null); GOST keeps the original body")
		}
	},
	failed: func(_ *Client, res *Result[RewriterVerdict]) {
		if res.HTTPStatus != 0 && res.HTTPStatus != http.StatusOK {
			// x returns the original body and no error for any status but 200
			// (its drain of the body is deferred, after the result is fixed).
			return
		}
		res.Verdict.Aborted = true
	},
	nilClientEffect: "no rewriter: GOST's constructor returns a nil Rewriter and the registry wrapper " +
		"forwards every body unchanged, without a call",
}

// rewriterMetadata is the metadata as GOST sends it: its JSON encoding.
func rewriterMetadata(req RewriterRequest) ([]byte, error) {
	md, err := json.Marshal(req.Metadata)
	if err != nil {
		return nil, fmt.Errorf("encode metadata: %w", err)
	}
	return md, nil
}

// Rewrite asks the plugin to rewrite a body. An RPC error, an HTTP transport
// error or an undecodable reply aborts the exchange; an HTTP status other
// than 200, ok=false or a reply without data keeps the original body.
func (c *Client) Rewrite(ctx context.Context, req RewriterRequest) Result[RewriterVerdict] {
	return rewriteOp.call(ctx, c, req)
}
