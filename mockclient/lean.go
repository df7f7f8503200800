package mockclient

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/plugincheck/plugincheck/mockclient/internal/h1"
)

// defaultLeanPool is the lean pool's size when Config.HTTPPool is zero.
// net/http's GOST transport has no cap on connections; the lean pool has
// one so that its memory is bounded.
const defaultLeanPool = 100

// newLeanPool returns the lean HTTP/1.1 pool for a Lean client built by
// New, and its key (scheme and host:port) that a prepared request's URL
// must match to use it; nil when the address is not a URL net/http would
// dial. Only Prepared calls use the pool: Operation.Do, the conformance
// path, keeps net/http's client, as GOST does.
func newLeanPool(cfg Config, t Target) (*h1.Pool, string) {
	if !cfg.Lean || t.Transport != HTTP || t.URL == nil || t.Network != "tcp" {
		return nil, ""
	}
	scheme := strings.ToLower(t.URL.Scheme)
	if scheme != "http" && scheme != "https" {
		return nil, ""
	}
	var tc *tls.Config
	if scheme == "https" {
		// net/http's: the tls block's config, or, without one, Go's
		// defaults with HTTP/2 offered, since GOST's transport then
		// negotiates HTTP/2 (see the dialer). ServerName is the host when
		// the block leaves it empty.
		tc = cfg.TLS.clientTLS()
		if tc == nil {
			tc = &tls.Config{NextProtos: []string{"h2", "http/1.1"}}
		}
		if tc.ServerName == "" {
			tc.ServerName = t.URL.Hostname()
		}
	}
	network, addr := t.Network, t.Dial
	var d net.Dialer
	dial := func(ctx context.Context) (net.Conn, error) {
		nc, err := d.DialContext(ctx, network, addr)
		if err != nil || tc == nil {
			return nc, err
		}
		tlsConn := tls.Client(nc, tc)
		if err := tlsConn.HandshakeContext(ctx); err != nil {
			_ = nc.Close()
			return nil, err
		}
		if p := tlsConn.ConnectionState().NegotiatedProtocol; p != "" && p != "http/1.1" {
			// HTTP/2: net/http speaks it, the lean pool does not.
			_ = tlsConn.Close()
			return nil, h1.ErrUnsupported
		}
		return tlsConn, nil
	}
	size := cfg.HTTPPool
	if size <= 0 {
		size = defaultLeanPool
	}
	return h1.NewPool(size, dial), scheme + "://" + hostPort(t.URL)
}

// wireCall is an HTTP call rendered once: the bytes GOST's client writes
// and what its Observation records of the request.
type wireCall struct {
	raw    []byte // the request as net/http wrote it
	method string
	target string      // the URL with its query
	body   []byte      // Observation.Request
	header http.Header // Observation.Header; shared by every call, read-only
	keys   keysMemos
}

// render runs call through GOST's own client stack (token RoundTripper,
// header recording, a fresh http.Transport) once, over an in-memory
// connection that captures what net/http writes and answers 204, so that
// request line, Host, User-Agent, Content-Length, Authorization,
// Content-Type, Accept-Encoding and body are exactly GOST's. It fails when
// the request cannot go over the lean pool.
func (c *Client) render(call httpCall) (*wireCall, error) {
	u, err := url.Parse(call.url)
	if err != nil || strings.ToLower(u.Scheme)+"://"+hostPort(u) != c.leanKey {
		return nil, errors.New("render: not the lean pool's address")
	}
	var (
		wg       sync.WaitGroup
		raw      []byte
		capErr   error
		dialled  bool
		dialLock sync.Mutex
	)
	dial := func(context.Context, string, string) (net.Conn, error) {
		dialLock.Lock()
		defer dialLock.Unlock()
		if dialled {
			return nil, errors.New("render: second connection")
		}
		dialled = true
		cli, srv := net.Pipe()
		wg.Go(func() {
			defer srv.Close()
			var seen bytes.Buffer
			br := bufio.NewReader(io.TeeReader(srv, &seen))
			req, err := http.ReadRequest(br)
			if err == nil {
				_, err = io.Copy(io.Discard, req.Body)
			}
			if err != nil {
				capErr = fmt.Errorf("render: %w", err)
				return
			}
			raw = bytes.Clone(seen.Bytes()[:seen.Len()-br.Buffered()])
			_, _ = srv.Write([]byte("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"))
		})
		return cli, nil
	}
	tr := &http.Transport{DialContext: dial, DialTLSContext: dial}
	defer tr.CloseIdleConnections()
	rc := newClient(c.cfg, HTTP, c.target)
	rc.hc = newHTTPClient(c.cfg, &http.Client{Transport: tr})
	rc.cfg.Timeout = 0
	rc.hc.Timeout = 0
	obs := rc.callHTTP(context.Background(), call)
	wg.Wait()
	if capErr != nil {
		return nil, capErr
	}
	if raw == nil || obs.HTTPStatus != http.StatusNoContent {
		return nil, fmt.Errorf("render: no request captured: %w", obs.Err)
	}
	return &wireCall{raw: raw, method: call.method, target: obs.Target, body: obs.Request, header: obs.Header}, nil
}

// callLean makes a rendered call over the lean pool and records it as
// callHTTP does: the same failures, timeouts, bounds and facts. It reports
// done false, without a verdict, when the reply needs net/http: a redirect
// GOST's client would follow, a gzip body it would inflate, HTTP/2, or
// framing the lean reader leaves to net/http (h1.ErrUnsupported). The
// plugin has then received the request once already; the client switches
// to net/http for good, so that this happens once per client. A 401 needs
// no such care: net/http's client answers no challenge either.
//
// r is the decoded reply, from rd, when obs is OK; rd.fresh nil means GOST
// never reads the body.
func callLean[R any](ctx context.Context, c *Client, w *wireCall, rd *leanReply[R], drain bool) (obs Observation, r R, done bool) {
	obs = Observation{Transport: HTTP, Method: w.method, Target: w.target, Sent: true, Request: w.body, Header: w.header}
	if c.leanOff.Load() {
		return obs, r, false
	}
	// One deadline for the whole call, the earlier of plugincheck's and
	// GOST's own `timeout` (http.Client.Timeout), set on the connection.
	limit, gost := c.callTimeout, false
	if t := c.cfg.Timeout; t > 0 && t < limit {
		limit, gost = t, true
	}
	start := time.Now()
	deadline := start.Add(limit)
	resp, err := c.lean.RoundTrip(ctx, deadline, w.raw)
	if errors.Is(err, h1.ErrUnsupported) {
		c.leanOff.Store(true)
		return obs, r, false
	}
	if err != nil {
		obs.Latency = time.Since(start)
		// The innermost net.Error, as net/http reports it, so that its
		// Timeout is seen through the url.Error (gostTimeoutFact).
		var ne net.Error
		if errors.As(err, &ne) {
			err = ne
		}
		obs.Failure, obs.Err = FailureTransport, &url.Error{Op: urlOp(w.method), URL: w.target, Err: err}
		if errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() == nil {
			c.leanTimeout(&obs, gost, "")
		}
		obs.Err = boundErr(obs.Err)
		return obs, r, true
	}
	defer resp.Close()
	switch resp.StatusCode {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		if resp.Location {
			c.leanOff.Store(true)
			return obs, r, false
		}
	}
	if strings.EqualFold(resp.ContentEncoding, "gzip") {
		c.leanOff.Store(true)
		return obs, r, false
	}
	obs.HTTPStatus = resp.StatusCode

	// The reply's readers come from a pool; what outlives the call (the
	// kept copy) is allocated apart.
	st := leanReads.Get().(*leanRead)
	defer st.free()
	st.kept = cappedBuffer{limit: keptReplyBytes}
	kept := &st.kept
	memoHit := false
	switch {
	case resp.StatusCode != http.StatusOK:
		r := io.TeeReader(io.LimitReader(resp.Body, MaxReplyBytes), kept)
		if drain {
			_, _ = io.Copy(io.Discard, r)
		} else {
			_, _ = io.Copy(io.Discard, io.LimitReader(r, 4<<10))
		}
		obs.Failure = FailureStatus
		obs.Err = statusError(resp.StatusCode, resp.Status)
	case rd.fresh != nil:
		st.budget = budgetReader{r: resp.Body, b: c.replies, perCall: MaxReplyBytes}
		st.tee = teeReader{r: &st.budget, w: kept}
		// decodeFirst, with its first Read looked at: a reply that came
		// whole in it and equals the one decoded last is not decoded again.
		n, rerr := st.budget.Read(st.first[:])
		first := st.first[:n]
		if m, ok := rd.recall(first, rerr); ok {
			r, obs.Reply, memoHit = m.r, m.body, true
		} else {
			_, _ = kept.Write(first)
			reply, read := rd.fresh()
			if err := decodeRest(&st.tee, first, rerr, reply); err != nil {
				obs.Failure = FailureDecode
				obs.Err = fmt.Errorf("decode reply: %w", boundErr(err))
			} else {
				r = read()
				rd.remember(first, rerr, r)
			}
		}
		st.budget.release()
	}
	obs.Latency = time.Since(start)
	if !memoHit {
		obs.Reply = kept.Bytes()
	}
	if obs.Failure == FailureNone && rd.fresh != nil {
		c.replyKeyFactsMemo(&obs, rd.typ, &w.keys)
	}
	if obs.Failure != FailureNone && !gost && ctx.Err() == nil && !time.Now().Before(deadline) {
		c.leanTimeout(&obs, false, " while reading the reply")
	}
	if gost {
		c.gostTimeoutFact(ctx, &obs, obs.Err)
	}
	obs.Err = boundErr(obs.Err)
	return obs, r, true
}

// leanRead holds what reading one reply needs.
type leanRead struct {
	kept   cappedBuffer
	budget budgetReader
	tee    teeReader
	first  [firstRead]byte
}

// leanReads recycles leanReads: a fresh one per call is 600 bytes to
// allocate and clear.
var leanReads = sync.Pool{New: func() any { return new(leanRead) }}

// free drops what the call read (its kept copy is the Observation's now)
// and returns st to the pool.
func (st *leanRead) free() {
	st.kept, st.budget, st.tee = cappedBuffer{}, budgetReader{}, teeReader{}
	leanReads.Put(st)
}

// teeReader is io.TeeReader's reader as a value, for leanRead.
type teeReader struct {
	r io.Reader
	w *cappedBuffer
}

func (t *teeReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if n > 0 {
		_, _ = t.w.Write(p[:n])
	}
	return n, err
}

// leanTimeout classifies a call the lean pool's deadline ended, as
// callHTTP does: plugincheck's own deadline is FailureTimeout; GOST's
// `timeout` is a transport failure with the gost-timeout fact.
func (c *Client) leanTimeout(obs *Observation, gost bool, while string) {
	if gost {
		c.gostTimeoutFact(context.Background(), obs, obs.Err)
		return
	}
	obs.Failure = FailureTimeout
	obs.Err = fmt.Errorf("%w after %s%s", ErrCallTimeout, c.callTimeout, while)
}

// urlOp is net/http's url.Error Op for method: "Post", "Get", ….
func urlOp(method string) string {
	if method == "" {
		return "Get"
	}
	return method[:1] + strings.ToLower(method[1:])
}
