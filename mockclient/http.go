package mockclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
	"time"

	"github.com/plugincheck/plugincheck/clip"
)

// newHTTPClient builds the client of x/internal/plugin.NewHTTPClient: a fresh
// http.Transport whose only setting is the tls.Config (so no proxy, and no
// HTTP/2 when a tls block is present), the plugin timeout as
// http.Client.Timeout, and the bearer token injected by a wrapping
// RoundTripper.
func newHTTPClient(cfg Config, given *http.Client) *http.Client {
	var base http.RoundTripper
	timeout := cfg.Timeout
	if given != nil {
		base = given.Transport
		if base == nil {
			base = http.DefaultTransport
		}
		if timeout == 0 {
			timeout = given.Timeout
		}
	} else {
		tr := &http.Transport{TLSClientConfig: cfg.TLS.clientTLS()}
		if n := cfg.HTTPPool; n > 0 {
			tr.MaxConnsPerHost, tr.MaxIdleConnsPerHost, tr.MaxIdleConns = n, n, n
		}
		base = tr
	}
	var rt http.RoundTripper = headerRecorder{base: hopRecorder{base: base}}
	if cfg.Token != "" {
		rt = &tokenTransport{base: rt, token: cfg.Token}
	}
	hc := &http.Client{Timeout: timeout, Transport: rt}
	if given != nil {
		hc.Jar = given.Jar
	}
	return hc
}

// tokenTransport is GOST's: it adds "Authorization: Bearer <token>" unless
// the request already has an Authorization header.
type tokenTransport struct {
	base  http.RoundTripper
	token string
}

func (t *tokenTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Header.Get("Authorization") != "" {
		return t.base.RoundTrip(req)
	}
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+t.token)
	return t.base.RoundTrip(r)
}

// closeIdle forwards CloseIdleConnections to rt when it has one, so that
// Client.Close reaches the http.Transport below GOST's wrappers.
func closeIdle(rt http.RoundTripper) {
	if c, ok := rt.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// CloseIdleConnections closes the idle connections of the transport below.
func (t *tokenTransport) CloseIdleConnections() { closeIdle(t.base) }

// CloseIdleConnections closes the idle connections of the transport below.
func (h headerRecorder) CloseIdleConnections() { closeIdle(h.base) }

// headerRecorder sits below tokenTransport and copies the final request
// headers into the observation carried by the request context.
type headerRecorder struct{ base http.RoundTripper }

type headerSlot struct{}

func (h headerRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if slot, ok := req.Context().Value(headerSlot{}).(*http.Header); ok {
		*slot = req.Header.Clone()
	}
	return h.base.RoundTrip(req)
}

// httpCall describes one HTTP exchange the way a GOST plugin client makes it.
type httpCall struct {
	method string
	url    string
	// query parameters set with URL.Query().Set, then re-encoded (sorted),
	// as GOST's GET calls do; nil for POST/PUT/DELETE.
	query [][2]string
	// body is marshalled with encoding/json; nil sends no body.
	body any
	// reply receives the first JSON value of a 200 reply; nil means GOST
	// does not read the body.
	reply any
	// drain reads non-200 bodies to the end, as the auth and rewriter
	// clients do.
	drain bool
}

// keptReplyBytes bounds the copy of an HTTP reply kept for reports.
const keptReplyBytes = 64 << 10

// callHTTP performs one exchange and records it. The verdict is left to the
// caller, who knows the module's rules.
func (c *Client) callHTTP(ctx context.Context, call httpCall) Observation {
	obs := Observation{Transport: HTTP, Method: call.method, Target: call.url, Sent: true}
	var body io.Reader
	if call.body != nil {
		v, err := json.Marshal(call.body)
		if err != nil {
			obs.Failure, obs.Err = FailureRequest, fmt.Errorf("encode request: %w", err)
			return obs
		}
		obs.Request = v
		body = bytes.NewReader(v)
	}

	ctx, done := c.bound(ctx)
	defer done()
	var sentHeader http.Header
	var hops hopLog
	reqCtx := context.WithValue(ctx, hopSlot{}, &hops)
	if keepsCopies(ctx) {
		// The headers as sent are for the call's reproducer; a repeat
		// (WithoutCopies) has none, and the copy was a twelfth of what a
		// module run over HTTP allocates.
		reqCtx = context.WithValue(reqCtx, headerSlot{}, &sentHeader)
	}
	var clock *phaseClock
	if !c.cfg.Lean {
		clock = newPhaseClock()
		reqCtx = httptrace.WithClientTrace(reqCtx, clock.httpTrace())
	}
	req, err := http.NewRequestWithContext(reqCtx, call.method, call.url, body)
	if err != nil {
		obs.Failure, obs.Err = FailureRequest, fmt.Errorf("build request: %w", err)
		return obs
	}
	req.Header.Set("Content-Type", "application/json")
	if call.query != nil {
		q := req.URL.Query()
		for _, kv := range call.query {
			q.Set(kv[0], kv[1])
		}
		req.URL.RawQuery = q.Encode()
		obs.Target = req.URL.String()
	}

	start := time.Now()
	resp, err := c.hc.Do(req)
	obs.Header = sentHeader
	c.recordRedirects(&obs, &hops, err)
	if err != nil {
		obs.Latency = time.Since(start)
		obs.Timing = clock.snapshot()
		obs.Err = err
		obs.Failure = FailureTransport
		if timedOut(ctx) {
			obs.Failure = FailureTimeout
			obs.Err = fmt.Errorf("%w after %s", ErrCallTimeout, c.callTimeout)
		}
		c.gostTimeoutFact(ctx, &obs, err)
		obs.Err = boundErr(obs.Err)
		return obs
	}
	defer resp.Body.Close()
	obs.HTTPStatus = resp.StatusCode
	obs.TLS = resp.TLS

	kept := &cappedBuffer{limit: keptReplyBytes}
	switch {
	case resp.StatusCode != http.StatusOK:
		// Drained bytes are discarded, not held, so they take nothing of
		// the reply budget; the per-call cap still ends an endless body.
		r := io.TeeReader(io.LimitReader(resp.Body, MaxReplyBytes), kept)
		if call.drain {
			_, _ = io.Copy(io.Discard, r)
		} else {
			// Not GOST's behaviour, which leaves the body unread; a little
			// of it is read so that the report can show what came back.
			_, _ = io.Copy(io.Discard, io.LimitReader(r, 4<<10))
		}
		obs.Failure = FailureStatus
		obs.Err = statusError(resp.StatusCode, resp.Status)
	case call.reply != nil:
		br := &budgetReader{r: resp.Body, b: c.replies, perCall: MaxReplyBytes}
		err := json.NewDecoder(io.TeeReader(br, kept)).Decode(call.reply)
		br.release()
		if err != nil {
			obs.Failure = FailureDecode
			obs.Err = fmt.Errorf("decode reply: %w", boundErr(err))
		}
	}
	obs.Latency = time.Since(start)
	obs.Timing = clock.snapshot()
	obs.Reply = kept.Bytes()
	if obs.Failure == FailureNone && call.reply != nil {
		c.replyKeyFacts(&obs, call.reply)
	}
	if obs.Failure != FailureNone && timedOut(ctx) {
		obs.Failure = FailureTimeout
		obs.Err = fmt.Errorf("%w after %s while reading the reply", ErrCallTimeout, c.callTimeout)
	}
	c.gostTimeoutFact(ctx, &obs, obs.Err)
	obs.Err = boundErr(obs.Err)
	return obs
}

// StatusError is the error of an HTTP reply whose status is not 200. It
// keeps the code and a reason phrase cut to MaxErrorText: a plugin can send
// megabytes of reason phrase.
type StatusError struct {
	// Code is the HTTP status code.
	Code int
	// Reason is the reason phrase as sent, cut to half of MaxErrorText.
	Reason string
}

func (e *StatusError) Error() string {
	if e.Reason == "" {
		return fmt.Sprintf("HTTP status %d (GOST accepts only 200)", e.Code)
	}
	return fmt.Sprintf("HTTP status %d %s (GOST accepts only 200)", e.Code, e.Reason)
}

// statusError builds the StatusError of a reply's code and status line
// ("404 Not Found") without copying its reason phrase whole.
func statusError(code int, status string) error {
	reason := strings.TrimPrefix(status, strconv.Itoa(code))
	return &StatusError{Code: code, Reason: clip.Text(strings.TrimPrefix(reason, " "), MaxErrorText/2)}
}

// gostTimeoutFact notes a call that GOST's own `timeout` ended
// (http.Client.Timeout fires as a net.Error that times out), so that it is
// told apart from a plugin that cannot be reached: the plugin was there,
// but too slow for GOST.
func (c *Client) gostTimeoutFact(ctx context.Context, obs *Observation, err error) {
	var ne net.Error
	if c.cfg.Timeout <= 0 || err == nil || timedOut(ctx) || !errors.As(err, &ne) || !ne.Timeout() {
		return
	}
	obs.facts = append(obs.facts, Note{Code: NoteGOSTTimeout, Text: fmt.Sprintf(
		"no complete reply within GOST's timeout (%s): GOST's http.Client gives up there and applies the module's failure rule", c.cfg.Timeout)})
}

// cappedBuffer keeps the first limit bytes written to it and discards the rest.
type cappedBuffer struct {
	bytes.Buffer
	limit int
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if room := b.limit - b.Len(); room > 0 {
		if len(p) > room {
			b.Buffer.Write(p[:room])
		} else {
			b.Buffer.Write(p)
		}
	}
	return len(p), nil
}
