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

func init() {
	register(opSpec[HopRequest, HopVerdict]{
		module: Hop, name: "select", grpcMethod: methodHopSelect, httpMethod: "POST",
		call:            (*Client).Select,
		nilClientEffect: "GOST selects no node: a single-hop chain dials directly",
	})
}

// Select asks the plugin for the next node. The gRPC reply's node is JSON of
// GOST's NodeConfig; the HTTP reply body is that JSON itself, so an HTTP body
// of `null` gives a node with no name and no address, while an empty gRPC
// node gives none. GOST then parses the node as it parses a configured one:
// a node it cannot decode or parse is dropped. Every failure selects no node.
func (c *Client) Select(ctx context.Context, req HopRequest) Result[HopVerdict] {
	var res Result[HopVerdict]
	var cfg hopNodeConfig
	if c.transport == GRPC {
		msg := &proto.SelectRequest{
			Network: req.Network,
			Addr:    req.Addr,
			Host:    req.Host,
			Path:    req.Path,
			Client:  req.Client,
			Src:     req.Src,
		}
		stub := proto.NewHopClient(c.conn)
		reply, obs := callGRPC(ctx, c, methodHopSelect, msg,
			func(ctx context.Context, opts ...grpc.CallOption) (*proto.SelectReply, error) {
				return stub.Select(ctx, msg, opts...)
			})
		res.observe(obs)
		switch {
		case !obs.OK():
		case reply.Node == nil:
			res.note(NoteHopDirect, hopDirectText)
			return res
		default:
			if err := json.NewDecoder(bytes.NewReader(reply.Node)).Decode(&cfg); err != nil {
				res.Failure = FailureDecode
				res.Err = fmt.Errorf("decode node: %w", boundErr(err))
			}
		}
	} else {
		res.observe(c.callHTTP(ctx, httpCall{
			method: "POST",
			url:    c.cfg.Addr,
			body: httpHopRequest{
				Network: req.Network,
				Addr:    req.Addr,
				Host:    req.Host,
				Path:    req.Path,
				Client:  req.Client,
				Src:     req.Src,
			},
			reply: &cfg,
		}))
	}

	if !res.OK() {
		res.note(NoteHopDirect, hopDirectText)
		if res.Failure == FailureDecode {
			res.note(NoteHopUnusable, fmt.Sprintf("the node does not decode as GOST's NodeConfig: %v", res.Err))
		}
		return res
	}
	p := parseHopNode(&cfg)
	for _, f := range p.fileRefs {
		res.note(NoteHopFileRef, fmt.Sprintf("GOST loads %s on its own host; if missing, the node is dropped", f))
	}
	if p.node == nil {
		res.note(NoteHopDirect, hopDirectText)
		res.note(NoteHopUnusable, "GOST's node parser rejects the node: "+p.unusable)
		return res
	}
	res.Verdict = HopVerdict{Selected: true, Node: p.node}
	if p.node.Addr == "" {
		res.note(NoteHopEmptyNode, `the node has no addr: GOST selects it anyway and dials ""`)
	}
	return res
}

const hopDirectText = "no node: a single-hop chain dials the target directly, bypassing the proxy; a multi-hop chain is truncated here"
