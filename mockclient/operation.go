package mockclient

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"google.golang.org/grpc"
	protov2 "google.golang.org/protobuf/proto"
)

// Operation is one call GOST can make to a module, in a form that fixture
// runners can drive without knowing the module's Go types.
type Operation struct {
	// Module is the module the call belongs to.
	Module Module
	// Name is the operation's fixture name ("authenticate", "get_rule", …).
	Name string
	// GRPCMethod is the full gRPC method name.
	GRPCMethod string
	// HTTPMethod is the HTTP method GOST uses.
	HTTPMethod string
	// NewRequest returns a pointer to a zero request value of the
	// operation's request type, for decoding fixtures into.
	NewRequest func() any
	// VerdictType is the type of the operation's verdict (for example
	// AuthVerdict), for validating expectations.
	VerdictType reflect.Type
	// Do makes the call with a request from NewRequest.
	Do func(ctx context.Context, c *Client, req any) Outcome
	// NilClientVerdict is the verdict GOST returns without calling when its
	// gRPC client could not be built (a malformed target).
	NilClientVerdict any
	// NilClientEffect says, in GOST's terms, what that verdict means.
	NilClientEffect string

	// prepare renders a request once for many calls; see Prepare.
	prepare func(c *Client, req any) (*Prepared, error)
}

// Outcome is a Result with its verdict type erased.
type Outcome struct {
	Observation
	// Verdict is the module's verdict value (for example AuthVerdict).
	Verdict any
	Notes   []Note
}

// ErrUnknownOperation is returned for an operation a module does not have.
var ErrUnknownOperation = errors.New("unknown operation")

// op declares one operation of a module as a single value: how GOST builds
// the request for each transport, and the rule by which it turns the reply,
// or a failure, into a verdict. Req is the request, V the verdict, and R the
// reply as the verdict rule reads it, the same type for both transports, so
// that one rule serves both. op.call is the one path every call takes.
type op[Req, V, R any] struct {
	module     Module
	name       string
	grpcMethod string
	httpMethod string

	// skip, when set, reports that GOST makes no call for req over t, with
	// the verdict GOST returns instead and a note saying why.
	skip func(t Transport, req Req) (verdict V, why string, skipped bool)
	// start, when set, gives the verdict before the call (for verdicts whose
	// zero value is not GOST's) and notes about the request itself.
	start func(req Req, res *Result[V])
	// grpc builds the v0.5.0 request and the stub call; http the body or
	// query and the reply type. An error means GOST could not encode the
	// request, and the failure rule applies without a call.
	grpc func(req Req) (grpcSpec[R], error)
	http func(req Req) (httpSpec[R], error)
	// verdict is GOST's rule for a reply that arrived and decoded; it may
	// still turn the call into a failure (a hop node that does not decode).
	verdict func(c *Client, res *Result[V], reply R)
	// failed is GOST's rule for a failed call; nil leaves the start verdict.
	failed func(c *Client, res *Result[V])

	// nilClient and nilClientEffect: GOST's answer when its gRPC client is nil.
	nilClient       V
	nilClientEffect string
}

// grpcSpec is the gRPC half of an operation, built by unary: the v0.5.0
// request, the stub call, and the map from the stub's reply to what the
// verdict rule reads.
type grpcSpec[R any] struct {
	msg protov2.Message
	// newReply returns an empty reply message of the stub's type, for
	// the prepared path, which invokes the method itself.
	newReply func() protov2.Message
	invoke   func(ctx context.Context, cc grpc.ClientConnInterface, opts ...grpc.CallOption) (protov2.Message, error)
	reply    func(protov2.Message) R
}

// unary builds a grpcSpec from a v0.5.0 stub: msg is the request, stub calls
// the generated client on cc, and reply maps the decoded reply.
func unary[G protov2.Message, R any](msg protov2.Message,
	stub func(ctx context.Context, cc grpc.ClientConnInterface, opts ...grpc.CallOption) (G, error),
	reply func(G) R,
) grpcSpec[R] {
	return grpcSpec[R]{
		msg: msg,
		newReply: func() protov2.Message {
			var g G
			return g.ProtoReflect().Type().New().Interface()
		},
		invoke: func(ctx context.Context, cc grpc.ClientConnInterface, opts ...grpc.CallOption) (protov2.Message, error) {
			g, err := stub(ctx, cc, opts...)
			if err != nil {
				return nil, err
			}
			return g, nil
		},
		reply: func(m protov2.Message) R { return reply(m.(G)) },
	}
}

// do makes the call on c's connection with the bounded context.
func (s grpcSpec[R]) do(ctx context.Context, c *Client, method string) (R, Observation) {
	g, obs := callGRPC(ctx, c, method, s.msg, func(ctx context.Context, cc grpc.ClientConnInterface, opts ...grpc.CallOption) (protov2.Message, error) {
		return s.invoke(ctx, cc, opts...)
	})
	var r R
	if obs.OK() {
		r = s.reply(g)
	}
	return r, obs
}

// httpSpec is the HTTP half of an operation. The method is the operation's
// and the URL the plugin's addr as GOST uses it (Target.RequestURL).
type httpSpec[R any] struct {
	// query parameters, for GET calls; see httpCall.
	query [][2]string
	// body is marshalled with encoding/json; nil sends no body.
	body any
	// reply is a pointer the body decodes into; nil means GOST never reads
	// the body.
	reply any
	// drain reads non-200 bodies to the end, as the auth and rewriter
	// clients do.
	drain bool
	// read returns the decoded reply as the verdict rule reads it.
	read func() R
	// fresh returns a new reply pointer and its read, so that a prepared
	// call decodes each reply into its own value; nil when reply is nil.
	fresh func() (reply any, read func() R)
}

// jsonReply is an httpSpec whose reply decodes into an H and reaches the
// verdict rule as from(&h).
func jsonReply[H, R any](body any, from func(*H) R) httpSpec[R] {
	fresh := func() (any, func() R) {
		h := new(H)
		return h, func() R { return from(h) }
	}
	reply, read := fresh()
	return httpSpec[R]{body: body, reply: reply, read: read, fresh: fresh}
}

// call is the single path of every call: GOST's skip rules, the transport
// dispatch, and the verdict or the failure rule.
func (o *op[Req, V, R]) call(ctx context.Context, c *Client, req Req) Result[V] {
	method, target := o.grpcMethod, c.cfg.Addr
	if c.transport == HTTP {
		method, target = o.httpMethod, c.httpURL(o.module)
	}
	if o.skip != nil {
		if v, why, skipped := o.skip(c.transport, req); skipped {
			res := Result[V]{Observation: c.unsent(method, target), Verdict: v}
			res.module = o.module
			res.note(NoteNotSent, why)
			return res
		}
	}
	var (
		reply R
		obs   Observation
		err   error
	)
	if c.transport == GRPC {
		var spec grpcSpec[R]
		if spec, err = o.grpc(req); err == nil {
			reply, obs = spec.do(ctx, c, o.grpcMethod)
		}
	} else {
		var spec httpSpec[R]
		if spec, err = o.http(req); err == nil {
			obs = c.callHTTP(ctx, httpCall{
				method: o.httpMethod, url: target,
				query: spec.query, body: spec.body, reply: spec.reply, drain: spec.drain,
			})
			if obs.OK() && spec.read != nil {
				reply = spec.read()
			}
		}
	}
	if err != nil {
		obs = c.unsent(method, target)
		obs.Failure, obs.Err = FailureRequest, err
	}
	return o.decide(c, req, obs, reply)
}

// decide applies the operation's rules to an observation and its decoded
// reply (used only when obs is OK). It is the verdict half of call, and
// what the verdict tables feed directly.
func (o *op[Req, V, R]) decide(c *Client, req Req, obs Observation, reply R) Result[V] {
	var res Result[V]
	o.decideInto(&res, c, req, obs, reply)
	return res
}

// decideInto is decide into res, which must be zero: the rules are
// function values, so the Result they get escapes, and a prepared call
// recycles its own.
func (o *op[Req, V, R]) decideInto(res *Result[V], c *Client, req Req, obs Observation, reply R) {
	if o.start != nil {
		o.start(req, res)
	}
	obs.module = o.module
	res.observe(obs)
	if res.OK() {
		o.verdict(c, res, reply)
	} else if o.failed != nil {
		o.failed(c, res)
	}
}

// operation erases the operation's types for the registry.
func (o *op[Req, V, R]) operation() Operation {
	return Operation{
		Module:      o.module,
		Name:        o.name,
		GRPCMethod:  o.grpcMethod,
		HTTPMethod:  o.httpMethod,
		NewRequest:  func() any { return new(Req) },
		VerdictType: reflect.TypeFor[V](),
		Do: func(ctx context.Context, c *Client, req any) Outcome {
			r := o.call(ctx, c, *req.(*Req))
			return Outcome{Observation: r.Observation, Verdict: r.Verdict, Notes: r.Notes}
		},
		NilClientVerdict: o.nilClient,
		NilClientEffect:  o.nilClientEffect,
		prepare: func(c *Client, req any) (*Prepared, error) {
			r, ok := req.(*Req)
			if !ok || r == nil {
				return nil, fmt.Errorf("mockclient: %s %s takes a %T, not %T", o.module, o.name, new(Req), req)
			}
			return o.prepared(c, *r), nil
		},
	}
}

// moduleOps is one module's operations, its default first.
type moduleOps struct {
	module Module
	ops    []Operation
}

// modules is the registry: every module's operations, in Modules() order.
// It is an explicit list, so that nothing is registered as a side effect.
var modules = []moduleOps{
	admissionOps, authOps, bypassOps, hopOps, hostsOps, ingressOps, limiterOps,
	observerOps, recorderOps, resolverOps, rewriterOps, routerOps, sdOps,
}

// Operations returns the operations of module m; the first is its default.
func Operations(m Module) []Operation {
	for _, mo := range modules {
		if mo.module == m {
			return mo.ops
		}
	}
	return nil
}

// LookupOperation finds the operation called name in module m. An empty name
// selects the module's default (first) operation.
func LookupOperation(m Module, name string) (Operation, error) {
	ops := Operations(m)
	if len(ops) == 0 {
		return Operation{}, fmt.Errorf("%w %q", ErrUnknownModule, m)
	}
	if name == "" {
		return ops[0], nil
	}
	names := make([]string, 0, len(ops))
	for _, op := range ops {
		if op.Name == name {
			return op, nil
		}
		names = append(names, op.Name)
	}
	return Operation{}, fmt.Errorf("%w %q for %s (want one of %s)", ErrUnknownOperation, name, m, strings.Join(names, ", "))
}
