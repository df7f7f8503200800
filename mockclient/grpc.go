package mockclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// newGRPCConn dials exactly as x/internal/plugin.NewGRPCConn: lazy
// grpc.NewClient, default backoff, TLS with WithAuthority(serverName) when a
// tls block exists, and the token as per-RPC metadata. GOST's ConnectParams
// leave MinConnectTimeout zero, so each connect attempt gets only the
// current backoff delay (1 s for the first): a plugin slower than that to
// accept and handshake fails the first call, exactly as it does for GOST. Outside Lean mode hs
// times the TLS handshake, and each call is timed by timedConn; neither
// changes what goes on the wire.
func newGRPCConn(cfg Config, hs *handshakeClock) (*grpc.ClientConn, error) {
	opts := []grpc.DialOption{
		grpc.WithConnectParams(grpc.ConnectParams{Backoff: backoff.DefaultConfig}),
	}
	if tc := cfg.TLS.clientTLS(); tc != nil {
		creds := credentials.NewTLS(tc)
		if hs != nil {
			creds = timedCreds{TransportCredentials: creds, clock: hs}
		}
		opts = append(opts,
			grpc.WithAuthority(tc.ServerName),
			grpc.WithTransportCredentials(creds),
		)
	} else {
		opts = append(opts, grpc.WithTransportCredentials(insecure.NewCredentials()))
	}
	if cfg.Token != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(tokenCredentials{token: cfg.Token}))
	}
	return grpc.NewClient(cfg.Addr, opts...)
}

// tokenCredentials is GOST's rpcCredentials: metadata "token" carrying the
// raw token, sent over plaintext too.
type tokenCredentials struct{ token string }

func (t tokenCredentials) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"token": t.token}, nil
}

func (tokenCredentials) RequireTransportSecurity() bool { return false }

// grpcCallState is what one call's options write into. Outside Lean
// mode the call goes through timed, which holds the call's stream; in Lean
// mode the header and trailer options say whether the server answered.
type grpcCallState struct {
	header, trailer metadata.MD
	peer            peer.Peer
	opts            [4]grpc.CallOption
	timed           timedConn // outside Lean mode; here to save an allocation a call
}

// tokenHeader is the Observation.Header of a gRPC call with a token. A Lean
// client shares one map between its calls, which only read it; others get
// their own copy.
func (c *Client) tokenHeader() http.Header {
	if !c.cfg.Lean {
		return http.Header{"Token": {c.cfg.Token}}
	}
	if h := c.leanToken.Load(); h != nil {
		return *h
	}
	h := http.Header{"Token": {c.cfg.Token}}
	c.leanToken.Store(&h)
	return h
}

// protoNames renders requests with proto field names, which grpcurl accepts
// and which match the fixture format.
var protoNames = protojson.MarshalOptions{UseProtoNames: true}

// replyJSON renders replies with every field, so that a report shows
// "ok": false rather than an empty object, as grpcurl -emit-defaults does.
var replyJSON = protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}

// compactProto marshals m and removes the whitespace protojson inserts at
// random, so that reports and reproducer lines are stable.
func compactProto(o protojson.MarshalOptions, m proto.Message) []byte {
	b, err := o.Marshal(m)
	if err != nil {
		return nil
	}
	var buf bytes.Buffer
	if json.Compact(&buf, b) != nil {
		return b
	}
	return buf.Bytes()
}

// callGRPC makes one unary call through a v0.5.0 stub and records it. The
// stub call receives the bounded context, the connection to call on and the
// observation call options.
//
// Outside Lean mode the connection is a timedConn, which makes the call
// as grpc-go's Invoke does and reads the instants of its phases between
// the steps; the header and trailer that tell a status the server sent
// from one the client made up are read from its stream only when the call
// failed. A stats handler or the grpc.Header and grpc.Trailer options
// would do the same on every call, and their copies of the metadata and
// per-event records were a fifth of a module run's client CPU.
func callGRPC[Rep proto.Message](ctx context.Context, c *Client, method string, req proto.Message,
	call func(context.Context, grpc.ClientConnInterface, ...grpc.CallOption) (Rep, error),
) (Rep, Observation) {
	obs := Observation{Transport: GRPC, Method: method, Target: c.cfg.Addr, Sent: true}
	copies := !c.cfg.Lean && keepsCopies(ctx)
	if copies {
		obs.Request = compactProto(protoNames, req)
	}
	if c.cfg.Token != "" {
		obs.Header = c.tokenHeader()
	}

	ctx, done := c.bound(ctx)
	defer done()
	if c.metaToken {
		// NewGRPC's conn has no per-RPC credentials; the metadata is the same.
		ctx = metadata.AppendToOutgoingContext(ctx, "token", c.cfg.Token)
	}
	// One allocation for what the call options write into. The spare room
	// in opts takes a prepared call's StaticMethod.
	st := &grpcCallState{}
	opts := st.opts[:0:len(st.opts)]
	var cc grpc.ClientConnInterface = c.conn
	var timed *timedConn
	if c.cfg.Lean {
		// The header and trailer tell a status the server sent from one
		// the client made up.
		opts = append(opts, grpc.Header(&st.header), grpc.Trailer(&st.trailer))
	} else {
		if c.cfg.TLS != nil || c.owned == nil {
			// The peer gives the TLS state; a connection New dialled without
			// a tls block has none to give, and capturing it costs a copy.
			opts = append(opts, grpc.Peer(&st.peer))
		}
		timed = &st.timed
		timed.cc = c.conn
		timed.ready = c.grpcReady()
		cc = timed
	}
	start := time.Now()
	if timed != nil {
		timed.start = start
	}
	reply, err := call(ctx, cc, opts...)
	obs.Latency = time.Since(start)
	if timed != nil {
		obs.Timing = timed.timing(c.handshakes)
	}
	if info, ok := st.peer.AuthInfo.(credentials.TLSInfo); ok {
		state := info.State
		obs.TLS = &state
	}
	obs.Code = status.Code(err)
	if err != nil {
		obs.Err = err
		switch {
		case timedOut(ctx):
			obs.Failure = FailureTimeout
			obs.Err = fmt.Errorf("%w after %s (GOST sets no deadline and would keep waiting)", ErrCallTimeout, c.callTimeout)
		case obs.Code == codes.Unavailable && !st.answered(timed):
			obs.Failure = FailureTransport
		default:
			obs.Failure = FailureStatus
		}
		obs.facts = unimplementedFacts(err, method)
		// A status message is the plugin's text, and can be megabytes.
		obs.Err = boundErr(obs.Err)
		var zero Rep
		return zero, obs
	}
	if copies {
		obs.Reply = compactProto(replyJSON, reply)
		if len(obs.Reply) > keptReplyBytes {
			// Kept as HTTP replies are: the start, in a copy of its own.
			obs.Reply = bytes.Clone(obs.Reply[:keptReplyBytes])
		}
	}
	return reply, obs
}

// answered reports whether the server sent a header or trailer on the
// failed call: read from the timed call's stream, or else from the
// header and trailer options.
func (st *grpcCallState) answered(timed *timedConn) bool {
	if timed != nil {
		return timed.answered
	}
	return serverAnswered(st.header, st.trailer)
}
