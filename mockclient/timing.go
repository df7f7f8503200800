package mockclient

import (
	"context"
	"crypto/tls"
	"net"
	"net/http/httptrace"
	"sync"
	"time"
	_ "unsafe" // for go:linkname (unaryDesc)

	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials"
)

// Timing splits one call's latency into phases, so that a slow call says
// where its time went. Each field is the length of one phase; a phase that
// did not happen is zero. What is left of the latency is waiting for a
// pooled connection and reading the reply body.
type Timing struct {
	// Reused is true when the call went over a connection already open, so
	// it had no connect and no TLS phase.
	Reused bool `json:"reused,omitempty"`
	// Connect is the TCP connect over HTTP. Over gRPC it is the wait for a
	// ready connection less its TLS handshake: on the first call, name
	// resolution, TCP connect and the HTTP/2 preface.
	Connect time.Duration `json:"connect,omitempty"`
	// TLS is the TLS handshake of a new connection.
	TLS time.Duration `json:"tls,omitempty"`
	// Wrote is from having a connection to the request being written.
	Wrote time.Duration `json:"wrote,omitempty"`
	// FirstByte is from the request written to the first byte of the
	// reply: the plugin's own time plus the network's. Over gRPC it ends
	// when the reply message was read (see timedConn).
	FirstByte time.Duration `json:"firstByte,omitempty"`
	// Retransmits counts TCP segments resent on a new HTTP connection up to
	// the first byte (Linux only). On loopback they mean the plugin dropped
	// the handshake's last ACK: its accept queue was full.
	Retransmits uint32 `json:"retransmits,omitempty"`
}

// phaseClock collects the instants of one call. httptrace hooks can fire on
// the transport's dial goroutine even after the call returned, hence the
// mutex.
type phaseClock struct {
	mu                        sync.Mutex
	start                     time.Time
	connectStart, connectDone time.Time
	tlsStart, tlsDone         time.Time
	gotConn, wrote, firstByte time.Time
	reused                    bool
	conn                      net.Conn // a new connection, for its TCP_INFO
	retrans                   uint32
}

func newPhaseClock() *phaseClock { return &phaseClock{start: time.Now()} }

// mark records now into *at once, keeping the first instant.
func (p *phaseClock) mark(at *time.Time) {
	now := time.Now()
	p.mu.Lock()
	if at.IsZero() {
		*at = now
	}
	p.mu.Unlock()
}

// httpTrace returns hooks that only read timestamps: attached through the
// request context, they leave the request on the wire unchanged.
func (p *phaseClock) httpTrace() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		ConnectStart:      func(string, string) { p.mark(&p.connectStart) },
		ConnectDone:       func(string, string, error) { p.mark(&p.connectDone) },
		TLSHandshakeStart: func() { p.mark(&p.tlsStart) },
		TLSHandshakeDone:  func(tls.ConnectionState, error) { p.mark(&p.tlsDone) },
		GotConn: func(info httptrace.GotConnInfo) {
			p.mark(&p.gotConn)
			p.mu.Lock()
			p.reused = info.Reused
			if !info.Reused {
				p.conn = info.Conn
			}
			p.mu.Unlock()
		},
		WroteRequest: func(httptrace.WroteRequestInfo) { p.mark(&p.wrote) },
		GotFirstResponseByte: func() {
			p.mark(&p.firstByte)
			p.mu.Lock()
			defer p.mu.Unlock()
			if p.conn != nil {
				// Read now: the transport may close the connection as soon
				// as the reply is in.
				p.retrans = retransmits(p.conn)
			}
		},
	}
}

// span is b-a when both instants are known and in order.
func span(a, b time.Time) time.Duration {
	if a.IsZero() || b.IsZero() || b.Before(a) {
		return 0
	}
	return b.Sub(a)
}

// snapshot returns the HTTP phases measured so far; nil for no clock.
func (p *phaseClock) snapshot() *Timing {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	t := &Timing{Reused: p.reused}
	if !p.reused {
		// A request that started a dial but got another connection that
		// freed up first carries the dial's hooks; only a used, new
		// connection's connect and TLS belong to this call.
		t.Connect = span(p.connectStart, p.connectDone)
		t.TLS = span(p.tlsStart, p.tlsDone)
	}
	t.Wrote = span(p.gotConn, p.wrote)
	t.FirstByte = span(p.wrote, p.firstByte)
	t.Retransmits = p.retrans
	return t
}

// timedConn makes one unary call as grpc-go's ClientConn.Invoke does (a
// stream for a unary method, one SendMsg, one RecvMsg, so the frames on the
// wire and the status are Invoke's) and reads the clock between the steps:
// the stream exists once NewStream returns, the request is queued once
// SendMsg returns, and the reply is in once RecvMsg returns. The generated
// v0.5.0 stubs call Invoke on it as on GOST's connection. It keeps the
// stream so that a failed call can still ask whether the server sent a
// header or trailer.
//
// Unlike a stats handler it gives no separate instant for the reply's
// header; the first byte of a gRPC call is taken when its reply was read,
// which for a plugin's small replies is the same frame write.
type timedConn struct {
	cc    grpc.ClientConnInterface
	ready bool // the connection was ready when the call started
	// The call's instants. Invoke marks them on the caller's goroutine,
	// so unlike HTTP's phaseClock they need no lock.
	start, gotConn, wrote, firstByte time.Time
	stream                           grpc.ClientStream
	// answered: the failed call's server sent a header or trailer, read
	// once when RecvMsg failed.
	answered bool
}

// unaryDesc is grpc-go's own description of a unary method, the one its
// invoke passes. grpc-go tells unary calls by this pointer: for any other
// description, even one with the same fields, it starts a goroutine per
// stream to watch the context, which cost a module run about a tenth of
// its client CPU. grpc-go does not export it, hence the linkname; should a
// grpc-go release rename it, the build fails at link time rather than
// quietly, and TestUnaryDesc pins its fields.
//
//go:linkname unaryDesc google.golang.org/grpc.unaryStreamDesc
var unaryDesc *grpc.StreamDesc

var _ grpc.ClientConnInterface = (*timedConn)(nil)

// Invoke mirrors grpc-go's invoke, step for step.
func (t *timedConn) Invoke(ctx context.Context, method string, args, reply any, opts ...grpc.CallOption) error {
	cs, err := t.cc.NewStream(ctx, unaryDesc, method, opts...)
	if err != nil {
		return err
	}
	t.stream = cs
	t.gotConn = time.Now()
	if err := cs.SendMsg(args); err != nil {
		t.answered = t.serverAnswered()
		return err
	}
	t.wrote = time.Now()
	if err := cs.RecvMsg(reply); err != nil {
		if t.answered = t.serverAnswered(); t.answered {
			t.firstByte = time.Now()
		}
		return err
	}
	t.firstByte = time.Now()
	return nil
}

// NewStream is the connection's own: GOST's plugin calls are all unary.
func (t *timedConn) NewStream(ctx context.Context, desc *grpc.StreamDesc, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	return t.cc.NewStream(ctx, desc, method, opts...)
}

// serverAnswered reports whether the server sent a header or a trailer on
// the call's stream. Read only after the call ended: the header then no
// longer waits.
func (t *timedConn) serverAnswered() bool {
	if t.stream == nil {
		return false
	}
	header, _ := t.stream.Header()
	return serverAnswered(header, t.stream.Trailer())
}

// timing is the call's Timing; hs holds the TLS handshakes of the
// connection (nil without TLS).
func (t *timedConn) timing(hs *handshakeClock) *Timing {
	out := &Timing{Reused: t.ready, Wrote: span(t.gotConn, t.wrote), FirstByte: span(t.wrote, t.firstByte)}
	if !t.ready {
		out.Connect = span(t.start, t.gotConn)
		if start, end := hs.last(); !start.Before(t.start) && !end.After(t.gotConn) && !end.IsZero() {
			// The handshake of the connection this call waited for.
			out.TLS = end.Sub(start)
			out.Connect -= out.TLS
		}
	}
	return out
}

// handshakeClock remembers the last TLS handshake of a gRPC connection, so
// that the call that waited for the connection can report it. grpc-go
// shakes hands on its own goroutine, outside any call's context.
type handshakeClock struct {
	mu         sync.Mutex
	start, end time.Time
}

func (h *handshakeClock) last() (start, end time.Time) {
	if h == nil {
		return time.Time{}, time.Time{}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.start, h.end
}

// timedCreds are GOST's TLS credentials with the client handshake timed:
// every method is the delegate's, so the handshake on the wire is GOST's.
// A timing dialer would not do: grpc-go skips its proxy support and its
// keepalive socket options when given a dialer.
type timedCreds struct {
	credentials.TransportCredentials
	clock *handshakeClock
}

func (c timedCreds) ClientHandshake(ctx context.Context, authority string, conn net.Conn) (net.Conn, credentials.AuthInfo, error) {
	start := time.Now()
	out, info, err := c.TransportCredentials.ClientHandshake(ctx, authority, conn)
	if err == nil {
		end := time.Now()
		c.clock.mu.Lock()
		c.clock.start, c.clock.end = start, end
		c.clock.mu.Unlock()
	}
	return out, info, err
}

func (c timedCreds) Clone() credentials.TransportCredentials {
	return timedCreds{TransportCredentials: c.TransportCredentials.Clone(), clock: c.clock}
}

// grpcReady reports whether the gRPC connection is ready now; false for a
// connection that cannot tell (a NewGRPC conn other than a ClientConn).
func (c *Client) grpcReady() bool {
	s, ok := c.conn.(interface{ GetState() connectivity.State })
	return ok && s.GetState() == connectivity.Ready
}
