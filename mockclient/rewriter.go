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

func init() {
	register(opSpec[RewriterRequest, RewriterVerdict]{
		module: Rewriter, name: "rewrite", grpcMethod: methodRewrite, httpMethod: "POST",
		call: (*Client).Rewrite,
		nilClientEffect: "no rewriter: GOST's constructor returns a nil Rewriter and the registry wrapper " +
			"forwards every body unchanged, without a call",
	})
}

// Rewrite asks the plugin to rewrite a body. An RPC error, an HTTP transport
// error or an undecodable reply aborts the exchange; an HTTP status other
// than 200, ok=false or a reply without data keeps the original body.
func (c *Client) Rewrite(ctx context.Context, req RewriterRequest) Result[RewriterVerdict] {
	var res Result[RewriterVerdict]
	original := RewriterVerdict{Body: string(req.Data)}
	md, err := json.Marshal(req.Metadata)
	if err != nil {
		method := methodRewrite
		if c.transport == HTTP {
			method = "POST"
		}
		res.Observation = c.unsent(method, c.cfg.Addr)
		res.Failure, res.Err = FailureRequest, fmt.Errorf("encode metadata: %w", err)
		res.Verdict = RewriterVerdict{Body: original.Body, Aborted: true}
		return res
	}

	if c.transport == GRPC {
		msg := &proto.RewriteRequest{Data: req.Data, Metadata: md}
		stub := proto.NewRewriterClient(c.conn)
		reply, obs := callGRPC(ctx, c, methodRewrite, msg,
			func(ctx context.Context, opts ...grpc.CallOption) (*proto.RewriteReply, error) {
				return stub.Rewrite(ctx, msg, opts...)
			})
		res.observe(obs)
		switch {
		case !obs.OK():
			res.Verdict = RewriterVerdict{Body: original.Body, Aborted: true}
		case reply == nil || !reply.Ok:
			res.Verdict = original
		case reply.Data != nil:
			res.Verdict = RewriterVerdict{Body: string(reply.Data), Replaced: true}
		default:
			res.Verdict = original
			res.note(NoteEmptyReply, "ok:true without data (proto3 cannot carry empty bytes, so empty data is absent data); GOST keeps the original body")
		}
		return res
	}

	var reply httpRewriterReply
	res.observe(c.callHTTP(ctx, httpCall{
		method: "POST",
		url:    c.cfg.Addr,
		body:   &httpRewriterRequest{Data: req.Data, Metadata: md},
		reply:  &reply,
		drain:  true,
	}))
	switch {
	case res.HTTPStatus != 0 && res.HTTPStatus != http.StatusOK:
		// x returns the original body and no error for any status but 200
		// (its drain of the body is deferred, after the result is fixed).
		res.Verdict = original
	case !res.OK():
		res.Verdict = RewriterVerdict{Body: original.Body, Aborted: true}
	case !reply.OK:
		res.Verdict = original
	case reply.Data != nil:
		res.Verdict = RewriterVerdict{Body: string(reply.Data), Replaced: true}
	default:
		res.Verdict = original
		res.note(NoteEmptyReply, "ok:true without data (absent or null); GOST keeps the original body")
	}
	return res
}
