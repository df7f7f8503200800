package mockclient

import (
	"context"
	"fmt"

	"github.com/go-gost/plugin/ingress/proto"
	"github.com/google/uuid"
	"google.golang.org/grpc"
)

// IngressGetRuleRequest is what GOST's ingress plugin client sends on
// GetRule (x/ingress/plugin). Host is "host:port" from the tunnel
// entrypoint, a bare host from tunnel connect and router associate.
type IngressGetRuleRequest struct {
	Host    string `json:"host"`
	Service string `json:"service"`
}

// IngressRuleVerdict is GetRule's rule: GOST has a rule only when the
// endpoint is non-empty, and routes only when the endpoint parses as a
// tunnel ID.
type IngressRuleVerdict struct {
	Rule     bool   `json:"rule"`
	Endpoint string `json:"endpoint"`
}

// IngressSetRuleRequest is what GOST's tunnel handler sends on SetRule for
// each tunnel bind: Host is the tunnel's 16-hex-digit endpoint name or the
// host the client asked for, Endpoint the tunnel ID.
type IngressSetRuleRequest struct {
	Host     string `json:"host"`
	Endpoint string `json:"endpoint"`
	Service  string `json:"service"`
}

// IngressSetVerdict is SetRule's ok. GOST's tunnel handler, SetRule's only
// caller, ignores it.
type IngressSetVerdict struct {
	OK bool `json:"ok"`
}

// httpIngressGetRuleReply is x's GetRule reply.
type httpIngressGetRuleReply struct {
	Endpoint string `json:"endpoint"`
}

// httpIngressSetRuleRequest is x's SetRule body: service, host, endpoint.
type httpIngressSetRuleRequest struct {
	Service  string `json:"service"`
	Host     string `json:"host"`
	Endpoint string `json:"endpoint"`
}

type httpIngressSetRuleReply struct {
	OK bool `json:"ok"`
}

const (
	methodIngressGetRule = "/proto.Ingress/GetRule"
	methodIngressSetRule = "/proto.Ingress/SetRule"
)

var ingressOps = moduleOps{Ingress, []Operation{getRuleOp.operation(), setRuleOp.operation()}}

// getRuleOp: over HTTP a GET with host (always) and service (only when
// non-empty) in the query. Every failure, and an empty endpoint, means no
// rule.
var getRuleOp = &op[IngressGetRuleRequest, IngressRuleVerdict, string]{
	module: Ingress, name: "get_rule", grpcMethod: methodIngressGetRule, httpMethod: "GET",
	grpc: func(req IngressGetRuleRequest) (grpcSpec[string], error) {
		msg := &proto.GetRuleRequest{
			Service: req.Service,
			Host:    req.Host,
		}
		return unary(msg, func(ctx context.Context, cc grpc.ClientConnInterface, opts ...grpc.CallOption) (*proto.GetRuleReply, error) {
			return proto.NewIngressClient(cc).GetRule(ctx, msg, opts...)
		}, (*proto.GetRuleReply).GetEndpoint), nil
	},
	http: func(req IngressGetRuleRequest) (httpSpec[string], error) {
		query := [][2]string{{"host", req.Host}}
		if req.Service != "" {
			query = append(query, [2]string{"service", req.Service})
		}
		spec := jsonReply(nil, func(r *httpIngressGetRuleReply) string { return r.Endpoint })
		spec.query = query
		return spec, nil
	},
	verdict: func(_ *Client, res *Result[IngressRuleVerdict], endpoint string) {
		if endpoint == "" {
			return
		}
		res.Verdict = IngressRuleVerdict{Rule: true, Endpoint: endpoint}
		if text := checkTunnelEndpoint(endpoint); text != "" {
			res.note(NoteBadEndpoint, text)
		}
	},
	nilClientEffect: "GOST finds no ingress rule: the tunnel has no route to the host",
}

// setRuleOp: HTTP PUT. Every failure gives false; GOST's tunnel handler
// ignores the result either way.
var setRuleOp = &op[IngressSetRuleRequest, IngressSetVerdict, bool]{
	module: Ingress, name: "set_rule", grpcMethod: methodIngressSetRule, httpMethod: "PUT",
	grpc: func(req IngressSetRuleRequest) (grpcSpec[bool], error) {
		msg := &proto.SetRuleRequest{
			Service:  req.Service,
			Host:     req.Host,
			Endpoint: req.Endpoint,
		}
		return unary(msg, func(ctx context.Context, cc grpc.ClientConnInterface, opts ...grpc.CallOption) (*proto.SetRuleReply, error) {
			return proto.NewIngressClient(cc).SetRule(ctx, msg, opts...)
		}, (*proto.SetRuleReply).GetOk), nil
	},
	http: func(req IngressSetRuleRequest) (httpSpec[bool], error) {
		return jsonReply(httpIngressSetRuleRequest{
			Service:  req.Service,
			Host:     req.Host,
			Endpoint: req.Endpoint,
		}, func(r *httpIngressSetRuleReply) bool { return r.OK }), nil
	},
	verdict:         func(_ *Client, res *Result[IngressSetVerdict], ok bool) { res.Verdict = IngressSetVerdict{OK: ok} },
	nilClientEffect: "GOST stores no rule (and ignores the result anyway)",
}

// GetRule asks the plugin which tunnel serves a host. Over HTTP it is a GET
// with host (always) and service (only when non-empty) in the query. Every
// failure, and an empty endpoint, means no rule.
func (c *Client) GetRule(ctx context.Context, req IngressGetRuleRequest) Result[IngressRuleVerdict] {
	return getRuleOp.call(ctx, c, req)
}

// SetRule asks the plugin to store a host → tunnel rule (HTTP: PUT). Every
// failure gives false; GOST's tunnel handler ignores the result either way.
func (c *Client) SetRule(ctx context.Context, req IngressSetRuleRequest) Result[IngressSetVerdict] {
	return setRuleOp.call(ctx, c, req)
}

// checkTunnelEndpoint mirrors x's handler/tunnel ParseTunnelID: an optional
// leading '$' (private), then uuid.Parse; an error, or the all-zero UUID,
// gives the zero tunnel ID, which GOST treats as "no route". It also flags
// the forms uuid.Parse accepts but the tunnel entrypoint's own stricter copy
// of the parser (x: handler/tunnel/entrypoint) rejects.
func checkTunnelEndpoint(endpoint string) string {
	s := endpoint
	if s[0] == '$' {
		s = s[1:]
	}
	u, err := uuid.Parse(s)
	switch {
	case err != nil:
		return fmt.Sprintf("endpoint %q is not a tunnel ID ('$'-prefixed or plain UUID): GOST parses it as the zero ID, so the host has no route (%v)", endpoint, err)
	case u == uuid.Nil:
		return fmt.Sprintf("endpoint %q is the zero tunnel ID, which GOST treats as no route", endpoint)
	case !isCanonicalUUID(s):
		return fmt.Sprintf("endpoint %q is a UUID the tunnel handler accepts, but the tunnel entrypoint only parses the 36-character form: traffic through the entrypoint has no route", endpoint)
	}
	return ""
}

// isCanonicalUUID reports whether s is the 8-4-4-4-12 hex form, the only
// one the tunnel entrypoint's parseUUID accepts.
func isCanonicalUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
		default:
			return false
		}
	}
	return true
}
