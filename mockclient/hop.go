package mockclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/go-gost/plugin/hop/proto"
	"google.golang.org/grpc"
)

// HopRequest is what GOST's hop plugin client sends on Select (x/hop/plugin).
// In a chain, Addr is the target after hosts/resolver and Host the target
// as requested; forward handlers leave both empty.
type HopRequest struct {
	Network string `json:"network"`
	Addr    string `json:"addr"`
	Host    string `json:"host"`
	// Client is the ClientID the auther returned ("" without auth).
	Client string `json:"client"`
	// Path is the HTTP path when a sniffing handler selects the node.
	Path string `json:"path"`
	// Src is the client's source address ("ip:port").
	Src string `json:"src"`
}

// HopVerdict is what GOST makes of the plugin's node. A nil node is not an
// error to GOST: a single-hop chain then dials the target directly.
type HopVerdict struct {
	// Selected is true when GOST builds a node from the reply.
	Selected bool `json:"selected"`
	// Node is the node GOST builds; nil when none is selected.
	Node *HopNode `json:"node"`
}

// HopNode is the part of the node GOST builds that decides where and how it
// connects.
type HopNode struct {
	Name    string `json:"name"`
	Addr    string `json:"addr"`
	Network string `json:"network,omitempty"`
	// Connector and Dialer are the types after GOST's defaults ("http" and
	// "tcp" when the node leaves them empty).
	Connector string `json:"connector"`
	Dialer    string `json:"dialer"`
}

// httpHopRequest is x's body: network, addr, host, path, client, src.
type httpHopRequest struct {
	Network string `json:"network"`
	Addr    string `json:"addr"`
	Host    string `json:"host"`
	Path    string `json:"path"`
	Client  string `json:"client"`
	Src     string `json:"src"`
}

const methodHopSelect = "/proto.Hop/Select"

var hopOps = moduleOps{Hop, []Operation{selectOp.operation()}}

// hopReply is the node as GOST reads it from either transport: the gRPC
// reply's node bytes decoded, or the HTTP body itself.
type hopReply struct {
	cfg hopNodeConfig
	// none: the gRPC reply has no node, which GOST takes as "no node"
	// without decoding anything.
	none bool
	// decodeErr: the gRPC node bytes do not decode as GOST's NodeConfig.
	decodeErr error
}

// selectOp: the gRPC reply's node is JSON of GOST's NodeConfig; the HTTP
// reply body is that JSON itself. Every failure selects no node.
var selectOp = &op[HopRequest, HopVerdict, hopReply]{
	module: Hop, name: "select", grpcMethod: methodHopSelect, httpMethod: "POST",
	grpc: func(req HopRequest) (grpcSpec[hopReply], error) {
		msg := &proto.SelectRequest{
			Network: req.Network,
			Addr:    req.Addr,
			Host:    req.Host,
			Path:    req.Path,
			Client:  req.Client,
			Src:     req.Src,
		}
		return unary(msg, func(ctx context.Context, cc grpc.ClientConnInterface, opts ...grpc.CallOption) (*proto.SelectReply, error) {
			return proto.NewHopClient(cc).Select(ctx, msg, opts...)
		}, hopFromGRPC), nil
	},
	http: func(req HopRequest) (httpSpec[hopReply], error) {
		return jsonReply(httpHopRequest{
			Network: req.Network,
			Addr:    req.Addr,
			Host:    req.Host,
			Path:    req.Path,
			Client:  req.Client,
			Src:     req.Src,
		}, func(cfg *hopNodeConfig) hopReply { return hopReply{cfg: *cfg} }), nil
	},
	verdict:         hopVerdict,
	failed:          hopFailed,
	nilClientEffect: "GOST selects no node: a single-hop chain dials directly",
}

// hopFromGRPC decodes the gRPC reply's node as GOST does: a nil node is no
// node, anything else must decode as a NodeConfig.
func hopFromGRPC(r *proto.SelectReply) hopReply {
	if r.Node == nil {
		return hopReply{none: true}
	}
	var h hopReply
	if err := json.NewDecoder(bytes.NewReader(r.Node)).Decode(&h.cfg); err != nil {
		h.decodeErr = fmt.Errorf("decode node: %w", boundErr(err))
	}
	return h
}

// hopVerdict parses the node as GOST parses a configured one: a node it
// cannot decode or parse is dropped.
func hopVerdict(c *Client, res *Result[HopVerdict], r hopReply) {
	switch {
	case r.none:
		res.note(NoteHopDirect, hopDirectText)
		return
	case r.decodeErr != nil:
		res.Failure, res.Err = FailureDecode, r.decodeErr
		hopFailed(c, res)
		return
	}
	p := parseHopNode(&r.cfg)
	for _, f := range p.fileRefs {
		res.note(NoteHopFileRef, fmt.Sprintf("GOST loads %s on its own host; if missing, the node is dropped", f))
	}
	if p.node == nil {
		res.note(NoteHopDirect, hopDirectText)
		res.note(NoteHopUnusable, "GOST's node parser rejects the node: "+p.unusable)
		return
	}
	res.Verdict = HopVerdict{Selected: true, Node: p.node}
	if p.node.Addr == "" {
		res.note(NoteHopEmptyNode, `the node has no addr: GOST selects it anyway and dials ""`)
	}
}

// hopFailed is GOST's failure rule: no node.
func hopFailed(_ *Client, res *Result[HopVerdict]) {
	res.note(NoteHopDirect, hopDirectText)
	if res.Failure == FailureDecode {
		res.note(NoteHopUnusable, fmt.Sprintf("the node does not decode as GOST's NodeConfig: %v", res.Err))
	}
}

// Select asks the plugin for the next node. The gRPC reply's node is JSON of
// GOST's NodeConfig; the HTTP reply body is that JSON itself, so an HTTP body
// of `null` gives a node with no name and no address, while an empty gRPC
// node gives none. GOST then parses the node as it parses a configured one:
// a node it cannot decode or parse is dropped. Every failure selects no node.
func (c *Client) Select(ctx context.Context, req HopRequest) Result[HopVerdict] {
	return selectOp.call(ctx, c, req)
}

const hopDirectText = "no node: a single-hop chain dials the target directly, bypassing the proxy; a multi-hop chain is truncated here"
