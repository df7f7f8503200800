package mockclient

import (
	"context"
	"sync"

	"google.golang.org/grpc"
	protov2 "google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/runtime/protoiface"
)

// Prepared is one request of an operation, rendered once for a client and
// made any number of times, concurrently: a load makes the same fixture
// case thousands of times a second, and building, marshalling and, over
// HTTP, writing the request through net/http each time costs more CPU than
// the plugin's answer. Every call still applies GOST's skip, verdict and
// failure rules exactly as Operation.Do does, so a Prepared call and
// Operation.Do give the same Outcome for the same reply. The Outcomes of
// one Prepared share their Request and Header, may share the boxed Verdict
// with earlier Outcomes that had the same verdict, and over HTTP may share
// their Reply with earlier Outcomes that had the same reply: callers only
// read them.
type Prepared struct {
	do func(ctx context.Context) Outcome
}

// Do makes the call once.
func (p *Prepared) Do(ctx context.Context) Outcome { return p.do(ctx) }

// Prepare renders req, a pointer from NewRequest, for calls on c: over
// gRPC the v0.5.0 request marshalled once; over HTTP, when c is a lean
// client of its own (Config.Lean, built by New), the request bytes exactly
// as GOST's net/http client writes them, sent over c's lean HTTP/1.1 pool.
// A request GOST would not send, or could not encode, is prepared as a
// call that does what Operation.Do does. req must not change afterwards.
func (o Operation) Prepare(c *Client, req any) (*Prepared, error) {
	if o.prepare == nil {
		// An Operation built outside the registry has only Do.
		do := o.Do
		return &Prepared{do: func(ctx context.Context) Outcome { return do(ctx, c, req) }}, nil
	}
	return o.prepare(c, req)
}

// outcome erases a Result's verdict type.
func outcome[V any](r Result[V]) Outcome {
	return Outcome{Observation: r.Observation, Verdict: r.Verdict, Notes: r.Notes}
}

// prepared is Prepare for a typed request.
func (o *op[Req, V, R]) prepared(c *Client, req Req) *Prepared {
	perCall := &Prepared{do: func(ctx context.Context) Outcome { return outcome(o.call(ctx, c, req)) }}
	if o.skip != nil {
		if _, _, skipped := o.skip(c.transport, req); skipped {
			return perCall
		}
	}
	switch c.transport {
	case GRPC:
		spec, err := o.grpc(req)
		if err != nil {
			return perCall
		}
		raw, err := premarshal(spec.msg)
		if err != nil {
			// Marshalling fails the same way on every call.
			return perCall
		}
		vb := newVerdictBox[V]()
		// The Result each call decides into, as on the lean HTTP path
		// below: the rules keep no pointer to it.
		results := &sync.Pool{New: func() any { return new(Result[V]) }}
		return &Prepared{do: func(ctx context.Context) Outcome {
			reply, obs := spec.doRaw(ctx, c, o.grpcMethod, raw)
			res := results.Get().(*Result[V])
			o.decideInto(res, c, req, obs, reply)
			out := Outcome{Observation: res.Observation, Verdict: vb.box(res.Verdict), Notes: res.Notes}
			*res = Result[V]{}
			results.Put(res)
			return out
		}}
	case HTTP:
		if c.lean == nil {
			return perCall
		}
		spec, err := o.http(req)
		if err != nil {
			return perCall
		}
		w, err := c.render(httpCall{
			method: o.httpMethod, url: c.httpURL(o.module),
			query: spec.query, body: spec.body, reply: spec.reply, drain: spec.drain,
		})
		if err != nil {
			return perCall
		}
		rd, vb := newLeanReply(spec.fresh, spec.reply), newVerdictBox[V]()
		// The Result each call decides into; the rules keep no pointer
		// to it.
		results := &sync.Pool{New: func() any { return new(Result[V]) }}
		return &Prepared{do: func(ctx context.Context) Outcome {
			rd := rd
			if spec.fresh == nil && spec.reply != nil {
				// A reply without fresh: a new spec holds a new reply.
				s, err := o.http(req)
				if err != nil {
					return perCall.do(ctx)
				}
				rd = &leanReply[R]{fresh: func() (any, func() R) { return s.reply, s.read }, typ: rd.typ}
			}
			obs, r, done := callLean(ctx, c, w, rd, spec.drain)
			if !done {
				// The lean path cannot read this reply as GOST's net/http
				// client does (see callLean): net/http makes the call.
				return perCall.do(ctx)
			}
			if !obs.OK() {
				var zero R
				r = zero
			}
			res := results.Get().(*Result[V])
			o.decideInto(res, c, req, obs, r)
			out := Outcome{Observation: res.Observation, Verdict: vb.box(res.Verdict), Notes: res.Notes}
			*res = Result[V]{}
			results.Put(res)
			return out
		}}
	}
	return perCall
}

// doRaw is do with the request already marshalled: it invokes the method
// as the generated stub does (grpc.StaticMethod first) and decodes the
// reply with grpc-go's proto codec as usual.
func (s grpcSpec[R]) doRaw(ctx context.Context, c *Client, method string, raw *premarshalled) (R, Observation) {
	g, obs := callGRPC(ctx, c, method, s.msg, func(ctx context.Context, cc grpc.ClientConnInterface, opts ...grpc.CallOption) (protov2.Message, error) {
		reply := s.newReply()
		if err := cc.Invoke(ctx, method, raw, reply, append(opts, grpc.StaticMethod())...); err != nil {
			return nil, err
		}
		return reply, nil
	})
	var r R
	if obs.OK() {
		r = s.reply(g)
	}
	return r, obs
}

// premarshalled is a request message whose wire bytes were computed once.
// grpc-go's proto codec asks the message for its size and encoding through
// its fast-path methods (protoiface.Methods), and premarshalled answers
// with the stored bytes, so the codec, and with it the content-type
// "application/grpc", stay grpc-go's own. A codec forced per call
// (grpc.ForceCodecV2) would be simpler, but grpc-go then names the codec in
// the content-type ("application/grpc+proto"), which GOST never sends.
// Every other method is the original message's, for logs that look at
// it.
type premarshalled struct {
	protoreflect.Message
	b []byte
}

// premarshal encodes m once, as grpc-go's codec would (proto.Marshal with
// default options; map order is as random as it is per call).
func premarshal(m protov2.Message) (*premarshalled, error) {
	b, err := protov2.Marshal(m)
	if err != nil {
		return nil, err
	}
	return &premarshalled{Message: m.ProtoReflect(), b: b}, nil
}

// ProtoReflect makes premarshalled a proto.Message whose reflection is
// itself, so that ProtoMethods below is the one the codec finds.
func (p *premarshalled) ProtoReflect() protoreflect.Message { return p }

// Interface returns the wrapper, whose encoding is the stored bytes.
func (p *premarshalled) Interface() protoreflect.ProtoMessage { return p }

// ProtoMethods returns the fast paths that serve the stored bytes.
func (p *premarshalled) ProtoMethods() *protoiface.Methods { return &premarshalledMethods }

var premarshalledMethods = protoiface.Methods{
	Flags: protoiface.SupportMarshalDeterministic,
	Size: func(in protoiface.SizeInput) protoiface.SizeOutput {
		return protoiface.SizeOutput{Size: len(in.Message.(*premarshalled).b)}
	},
	Marshal: func(in protoiface.MarshalInput) (protoiface.MarshalOutput, error) {
		return protoiface.MarshalOutput{Buf: append(in.Buf, in.Message.(*premarshalled).b...)}, nil
	},
	CheckInitialized: func(protoiface.CheckInitializedInput) (protoiface.CheckInitializedOutput, error) {
		return protoiface.CheckInitializedOutput{}, nil
	},
}
