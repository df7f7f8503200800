// Package h1 is a lean HTTP/1.1 client for load generation: a pool of
// keep-alive connections, each used by one caller at a time, that writes
// request bytes rendered elsewhere in one write and reads the reply on the
// caller's goroutine through a bufio.Reader.
//
// net/http's Transport runs a read and a write goroutine per connection and
// hands every request and reply over channels; at load rates that costs
// 35–43 µs of client CPU per call, against wrk's 7–10 µs. fasthttp
// (v1.78.0) has the goroutine-free design we want, but it writes requests
// with its own header order and casing and its own User-Agent, and reads
// whole bodies with its own limits; plugincheck must send the bytes GOST's
// net/http client sends, so the request is rendered by net/http itself (by
// the caller) and only the wire loop lives here, in a few hundred lines
// with no dependency.
//
// The reader is deliberately strict. Anything it cannot read exactly as
// net/http's client would (a 1xx, HTTP/1.0, an unknown transfer coding,
// duplicate or malformed framing headers, header lines continued or too
// long) is reported as ErrUnsupported, so that the caller can make that call
// with net/http instead, whose behaviour is the one GOST has.
package h1

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http/httputil"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/plugincheck/plugincheck/clip"
)

// ErrUnsupported is returned for a reply the lean client does not read
// exactly as net/http's client does. The connection is closed; the reply
// was received, so the server did see the request.
var ErrUnsupported = errors.New("h1: reply needs net/http")

// ErrClosed is returned by RoundTrip after Close.
var ErrClosed = errors.New("h1: pool closed")

// maxHeaderBytes bounds the status line and headers of one reply. net/http
// allows 1 MiB by default (Transport.MaxResponseHeaderBytes is 10 MiB);
// a larger header is ErrUnsupported, and net/http reads it.
const maxHeaderBytes = 64 << 10

// maxStatusText bounds the status text kept from a reply.
const maxStatusText = clip.Size

// Dialer opens one connection to the server, TLS included.
type Dialer func(ctx context.Context) (net.Conn, error)

// Pool is a bounded pool of keep-alive connections to one server. It opens
// connections lazily, at most size of them, and reuses them LIFO.
type Pool struct {
	dial Dialer
	sem  chan struct{} // one token per open or opening connection in use
	// noWait turns send's wait for the reply off, for tests of the
	// plain path.
	noWait bool

	mu     sync.Mutex
	idle   []*conn
	closed bool
}

// NewPool returns a pool of at most size connections (at least one), opened
// with dial when needed.
func NewPool(size int, dial Dialer) *Pool {
	return &Pool{dial: dial, sem: make(chan struct{}, max(size, 1))}
}

// Close closes the idle connections; connections in use are closed when
// their reply is closed.
func (p *Pool) Close() error {
	p.mu.Lock()
	idle := p.idle
	p.idle, p.closed = nil, true
	p.mu.Unlock()
	for _, c := range idle {
		c.closeConn()
	}
	return nil
}

// conn is one connection and the reply being read from it. A conn holds
// one Response, reused for every call, so that a call allocates nothing.
type conn struct {
	nc   net.Conn
	br   *bufio.Reader
	used bool // has carried a reply: a failure before any byte may be a stale keep-alive
	resp Response

	// raw is a plain TCP connection's descriptor, through which send
	// writes the request and waits for the reply (see send); nil for TLS.
	raw  syscall.RawConn
	rawF func(fd uintptr) bool // c.sendThenWait, bound once
	req  []byte                // the request send is writing
	sent int                   // how much of req the socket took
	werr error                 // the write's failure
	step bool                  // the write was tried: a wake-up means readable

	// The end of the watched context moves the deadline to the past. A
	// load makes every call with the same context, so the watch is set up
	// once per connection, not per call (context.AfterFunc locks the
	// parent context, which all callers share).
	mu      sync.Mutex
	watched <-chan struct{} // Done of the context watched
	stop    func() bool
}

// Response is a reply being read. It is valid until Close, which every
// caller of RoundTrip must call.
type Response struct {
	// StatusCode is the reply's status code.
	StatusCode int
	// Status is the status code and reason as net/http's Response.Status
	// has them ("200 OK"), cut to clip.Size.
	Status string
	// Location reports a non-empty Location header, which makes net/http's
	// client follow a 301, 302, 303, 307 or 308.
	Location bool
	// ContentEncoding is the Content-Encoding header, cut to 64 bytes.
	ContentEncoding string
	// Body is the reply body, framed by Content-Length, chunked coding or
	// the end of the connection. It returns io.EOF with its last bytes, as
	// net/http's body does.
	Body io.Reader

	c     *conn
	p     *Pool
	done  <-chan struct{} // Done of the call's context, which c watches
	close bool            // Connection: close, or a body framed by the connection's end
	body  body
}

// RoundTrip writes req on a pooled connection and reads the reply's status
// line and headers; the body is left to the caller. Every read and write
// ends by deadline, and the call ends early when ctx does. A connection
// reused from the pool that fails before any byte of the reply arrives
// (the server closed it while idle, as net/http's read goroutine would
// have noticed) is replaced once by a fresh one.
func (p *Pool) RoundTrip(ctx context.Context, deadline time.Time, req []byte) (*Response, error) {
	if err := p.acquire(ctx, deadline); err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		c, err := p.get(ctx, deadline)
		if err != nil {
			<-p.sem
			return nil, err
		}
		resp, err := p.exchange(ctx, c, deadline, req)
		if err == nil {
			return resp, nil
		}
		c.closeConn()
		if c.used && attempt == 0 && errors.Is(err, errStale) && !errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() == nil {
			continue
		}
		<-p.sem
		if ctx.Err() != nil {
			return nil, fmt.Errorf("h1: %w", context.Cause(ctx))
		}
		return nil, err
	}
}

// errStale marks a failure before the first byte of the reply.
var errStale = errors.New("h1: connection closed before the reply")

// acquire takes a connection slot, waiting until deadline or ctx's end when
// all are in use.
func (p *Pool) acquire(ctx context.Context, deadline time.Time) error {
	select {
	case p.sem <- struct{}{}:
		return nil
	default:
	}
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case p.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("h1: waiting for a connection: %w", context.Cause(ctx))
	case <-t.C:
		return fmt.Errorf("h1: waiting for a connection: %w", os.ErrDeadlineExceeded)
	}
}

// get returns an idle connection or dials a new one.
func (p *Pool) get(ctx context.Context, deadline time.Time) (*conn, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, ErrClosed
	}
	if n := len(p.idle); n > 0 {
		c := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return c, nil
	}
	p.mu.Unlock()
	dctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	nc, err := p.dial(dctx)
	if err != nil {
		return nil, err
	}
	return newConn(nc, rawSend && !p.noWait), nil
}

// newConn wraps nc, with its descriptor when it is a plain TCP connection
// on a system where send waits for the reply (sendThenWait).
func newConn(nc net.Conn, wait bool) *conn {
	c := &conn{nc: nc, br: bufio.NewReaderSize(nc, 4096)}
	if tc, ok := nc.(*net.TCPConn); ok && wait {
		if rc, err := tc.SyscallConn(); err == nil {
			c.raw, c.rawF = rc, c.sendThenWait
		}
	}
	return c
}

// send writes req and, on a plain TCP connection, waits until the
// connection is readable, so that the first read of the reply finds it.
//
// Why: a read issued right after the write nearly always comes before the
// reply and returns EAGAIN; only then does Go's netpoller park the
// goroutine until epoll reports the reply. That was two read syscalls per
// call where wrk makes one. RawConn.Read resets the descriptor's read
// readiness (pollDesc.rg) and then calls sendThenWait, which writes the
// request and asks to wait: the reply can only arrive after the write,
// hence after the reset, and its arrival is an edge that epoll reports and
// the netpoller turns either into a readiness the wait consumes or into a
// wake-up of the parked goroutine, so it cannot be missed. A wake-up from
// an older edge only means the read that follows is Go's ordinary one,
// which resets, reads, and waits on EAGAIN as before. The wait ends at the
// connection's deadline, which the end of ctx moves to the past (watch);
// its error is left to that read, which reports it as it always has.
func (c *conn) send(req []byte) error {
	if c.raw == nil {
		_, err := c.nc.Write(req)
		return err
	}
	c.req, c.sent, c.werr, c.step = req, 0, nil, false
	_ = c.raw.Read(c.rawF)
	sent, werr := c.sent, c.werr
	c.req, c.werr = nil, nil
	if werr != nil {
		return werr
	}
	if sent < len(req) {
		// The socket's buffer is full, or the wait could not start (a
		// deadline already past, a closed connection): net's own write
		// sends the rest, or reports why it cannot, within the deadline.
		_, err := c.nc.Write(req[sent:])
		return err
	}
	return nil
}

// put returns c to the idle list, or closes it when the pool is closed.
func (p *Pool) put(c *conn) {
	p.mu.Lock()
	if !p.closed {
		p.idle = append(p.idle, c)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	c.closeConn()
}

// watch makes the end of ctx end the call in flight on c, by moving its
// deadline to the past; it keeps the watch of the previous call when ctx
// ends with the same channel.
func (c *conn) watch(ctx context.Context) {
	done := ctx.Done()
	c.mu.Lock()
	defer c.mu.Unlock()
	if done == c.watched {
		return
	}
	if c.stop != nil {
		c.stop()
		c.stop = nil
	}
	c.watched = done
	if done == nil {
		return
	}
	c.stop = context.AfterFunc(ctx, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.watched == done {
			_ = c.nc.SetDeadline(time.Unix(1, 0))
		}
	})
}

// ended reports whether done, a context's Done, is closed; a nil done
// never is.
func ended(done <-chan struct{}) bool {
	select {
	case <-done:
		return true
	default:
		return false
	}
}

// closeConn closes c for good, ending its watch.
func (c *conn) closeConn() {
	c.mu.Lock()
	if c.stop != nil {
		c.stop()
		c.stop = nil
	}
	c.watched = nil
	c.mu.Unlock()
	_ = c.nc.Close()
}

// exchange writes req on c and reads the reply's head.
func (p *Pool) exchange(ctx context.Context, c *conn, deadline time.Time, req []byte) (*Response, error) {
	// done is the channel c.watch watches from here on: polling it is
	// what c.cancelled does, without the lock.
	done := ctx.Done()
	c.watch(ctx)
	if ended(done) {
		return nil, fmt.Errorf("h1: %w", context.Cause(ctx))
	}
	if err := c.nc.SetDeadline(deadline); err != nil {
		return nil, fmt.Errorf("h1: %w", err)
	}
	if ended(done) {
		// ctx ended between the check and the deadline: the watch may
		// have fired before SetDeadline undid it.
		return nil, fmt.Errorf("h1: %w", context.Cause(ctx))
	}
	if err := c.send(req); err != nil {
		return nil, fmt.Errorf("h1: write request: %w: %w", errStale, err)
	}
	r := &c.resp
	*r = Response{c: c, p: p, done: done}
	if err := r.readHead(c.br); err != nil {
		return nil, err
	}
	c.used = true
	return r, nil
}

// Close ends the reply: the connection goes back to the pool when its body
// was read to the end and the server keeps it alive, and is closed
// otherwise, as net/http closes a connection whose body was not read.
func (r *Response) Close() error {
	c, p := r.c, r.p
	if c == nil {
		return nil
	}
	r.c = nil
	// Bytes after the reply are a reply nobody asked for; net/http's read
	// goroutine drops a connection that sends one, and so does the pool.
	if !r.close && r.body.done() && c.br.Buffered() == 0 && !ended(r.done) {
		p.put(c)
	} else {
		c.closeConn()
	}
	<-p.sem
	return nil
}

// readHead reads the status line and headers, and frames the body.
func (r *Response) readHead(br *bufio.Reader) error {
	budget := maxHeaderBytes
	line, err := readLine(br, &budget)
	if errors.Is(err, ErrUnsupported) {
		return err
	}
	if err != nil && budget == maxHeaderBytes {
		return fmt.Errorf("h1: read status line: %w: %w", errStale, err)
	}
	if err != nil {
		return fmt.Errorf("h1: read status line: %w", err)
	}
	// As http.ReadResponse: "HTTP/1.1 200 OK".
	proto, status, ok := bytes.Cut(line, []byte(" "))
	if !ok || string(proto) != "HTTP/1.1" {
		return ErrUnsupported
	}
	status = bytes.TrimLeft(status, " ")
	code, _, _ := bytes.Cut(status, []byte(" "))
	if len(code) != 3 {
		return ErrUnsupported
	}
	r.StatusCode, err = strconv.Atoi(string(code))
	if err != nil || r.StatusCode < 200 {
		// 1xx replies are skipped by net/http; negative codes are errors.
		return ErrUnsupported
	}
	r.Status = statusText(status)

	cl := int64(-1)
	var chunked, sawTE bool
	for {
		line, err := readLine(br, &budget)
		if err != nil {
			if errors.Is(err, ErrUnsupported) {
				return err
			}
			return fmt.Errorf("h1: read headers: %w", err)
		}
		if len(line) == 0 {
			break
		}
		key, value, ok := bytes.Cut(line, []byte(":"))
		if !ok || len(key) == 0 || bytes.ContainsAny(key, " \t") || line[0] == ' ' || line[0] == '\t' {
			return ErrUnsupported
		}
		value = bytes.Trim(value, " \t")
		switch {
		case asciiEqualFold(key, "Content-Length"):
			n, err := strconv.ParseInt(string(value), 10, 64)
			if cl >= 0 || err != nil || n < 0 || len(value) == 0 || value[0] == '+' {
				return ErrUnsupported
			}
			cl = n
		case asciiEqualFold(key, "Transfer-Encoding"):
			if sawTE || !asciiEqualFold(value, "chunked") {
				return ErrUnsupported
			}
			sawTE, chunked = true, true
		case asciiEqualFold(key, "Connection"):
			for tok := range bytes.SplitSeq(value, []byte(",")) {
				if asciiEqualFold(bytes.Trim(tok, " \t"), "close") {
					r.close = true
				}
			}
		case asciiEqualFold(key, "Content-Encoding"):
			r.ContentEncoding = clip.Text(string(value), 64)
		case asciiEqualFold(key, "Location"):
			r.Location = r.Location || len(value) > 0
		}
	}

	b := &r.body
	*b = body{br: br}
	switch {
	case r.StatusCode == 204 || r.StatusCode == 304:
		b.kind = bodyNone
	case chunked:
		b.kind, b.chunks = bodyChunked, httputil.NewChunkedReader(br)
	case cl >= 0:
		b.kind, b.left = bodyLength, cl
		if cl == 0 {
			b.kind = bodyNone
		}
	default:
		b.kind, r.close = bodyUntilClose, true
	}
	r.Body = b
	return nil
}

// statusText is status as a string, without an allocation for the common
// replies.
func statusText(status []byte) string {
	switch string(status) {
	case "200 OK":
		return "200 OK"
	case "404 Not Found":
		return "404 Not Found"
	case "500 Internal Server Error":
		return "500 Internal Server Error"
	}
	return clip.Text(string(status), maxStatusText)
}

// readLine reads one CRLF- or LF-terminated line, within budget.
func readLine(br *bufio.Reader, budget *int) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	*budget -= len(line)
	if errors.Is(err, bufio.ErrBufferFull) || *budget < 0 {
		return nil, ErrUnsupported
	}
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// asciiEqualFold compares b with the ASCII string s, ignoring case.
func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

type bodyKind uint8

const (
	bodyNone bodyKind = iota
	bodyLength
	bodyChunked
	bodyUntilClose
)

// body reads a reply body as net/http's client body does: io.EOF comes
// with the last bytes of a Content-Length body, and a body cut short is
// io.ErrUnexpectedEOF.
type body struct {
	br     *bufio.Reader
	kind   bodyKind
	left   int64     // bodyLength: bytes still to read
	chunks io.Reader // bodyChunked
	eof    bool      // read to its end (and, if chunked, past its trailer)
	err    error     // sticky read error
}

func (b *body) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	switch b.kind {
	case bodyNone:
		b.eof = true
		return 0, io.EOF
	case bodyLength:
		if b.left == 0 {
			return 0, io.EOF
		}
		if int64(len(p)) > b.left {
			p = p[:b.left]
		}
		n, err := b.br.Read(p)
		b.left -= int64(n)
		if b.left == 0 {
			b.eof = true
			return n, io.EOF
		}
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			b.err = err
		}
		return n, err
	case bodyChunked:
		n, err := b.chunks.Read(p)
		if errors.Is(err, io.EOF) {
			if terr := b.trailer(); terr != nil {
				b.err = terr
				return n, terr
			}
			b.eof = true
		} else if err != nil {
			b.err = err
		}
		return n, err
	default:
		n, err := b.br.Read(p)
		if err != nil && !errors.Is(err, io.EOF) {
			b.err = err
		}
		return n, err
	}
}

// trailer skips the trailer lines after the last chunk, within a bound.
func (b *body) trailer() error {
	budget := maxHeaderBytes
	for {
		line, err := readLine(b.br, &budget)
		if err != nil {
			return fmt.Errorf("h1: read trailer: %w", err)
		}
		if len(line) == 0 {
			return nil
		}
	}
}

// done reports whether the body was read to its end, so that the
// connection holds nothing of this reply.
func (b *body) done() bool {
	switch b.kind {
	case bodyNone:
		return true
	case bodyLength:
		return b.left == 0 && b.err == nil
	case bodyChunked:
		return b.eof && b.err == nil
	}
	return false
}
