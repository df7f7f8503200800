package mockclient_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/suites"
)

// reply200 is a complete 200 reply with a Content-Length body.
func reply200(body string) string {
	return fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
}

// gzipped is body compressed as a server would for Accept-Encoding: gzip.
func gzipped(t *testing.T, body string) string {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, err := zw.Write([]byte(body))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return b.String()
}

// endless writes a reply head and then body bytes until the client goes.
func endless(head string, fill byte) func(int, *http.Request, io.Writer) bool {
	return func(_ int, _ *http.Request, w io.Writer) bool {
		if _, err := io.WriteString(w, head); err != nil {
			return false
		}
		chunk := bytes.Repeat([]byte{fill}, 32<<10)
		for {
			if _, err := w.Write(chunk); err != nil {
				return false
			}
		}
	}
}

// TestLeanOutcomes checks that a Prepared call over the lean pool gives
// the Outcome Operation.Do gives for the same server reply, and that the
// pool keeps, reuses and drops connections as net/http does.
func TestLeanOutcomes(t *testing.T) {
	t.Parallel()
	auth := &mockclient.AuthRequest{Service: "svc", Username: "alice", Password: "pw", Client: "192.0.2.1:1"}
	bypass := &mockclient.BypassRequest{Addr: "example.com:443", Service: "svc", Client: "c"}
	tests := []struct {
		name   string
		module mockclient.Module
		req    any
		cfg    mockclient.Config
		reply  func(t *testing.T) func(int, *http.Request, io.Writer) bool
		calls  int
		// leanConns is how many connections the lean client opens for
		// the calls; 0 skips the check.
		leanConns int
		// fallback: the reply needs net/http, which then makes the calls.
		fallback bool
		failure  mockclient.Failure
		// failures, when set, is the failure of each call in turn.
		failures []mockclient.Failure
	}{
		// happy
		{name: "200 keep-alive reused", module: mockclient.Auth, req: auth, calls: 5, leanConns: 1,
			reply: func(*testing.T) func(int, *http.Request, io.Writer) bool {
				return replyRaw(reply200(`{"ok":true,"id":"alice"}`))
			}},
		{name: "chunked reply", module: mockclient.Auth, req: auth, calls: 3, leanConns: 1,
			reply: func(*testing.T) func(int, *http.Request, io.Writer) bool {
				return replyRaw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7\r\n{\"ok\":t\r\nd\r\nrue,\"id\":\"u\"}\r\n0\r\n\r\n")
			}},
		{name: "connection close", module: mockclient.Auth, req: auth, calls: 3, leanConns: 3,
			reply: func(*testing.T) func(int, *http.Request, io.Writer) bool {
				return func(_ int, _ *http.Request, w io.Writer) bool {
					_, _ = io.WriteString(w, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 11\r\n\r\n{\"ok\":true}")
					return false
				}
			}},
		{name: "body until close", module: mockclient.Auth, req: auth, calls: 2, leanConns: 2,
			reply: func(*testing.T) func(int, *http.Request, io.Writer) bool {
				return func(_ int, _ *http.Request, w io.Writer) bool {
					_, _ = io.WriteString(w, "HTTP/1.1 200 OK\r\n\r\n{\"ok\":true}")
					return false
				}
			}},
		{name: "token echoed in a reply key stays redacted", module: mockclient.Auth, req: auth, calls: 1,
			cfg: mockclient.Config{Token: "s3cret-token"},
			reply: func(*testing.T) func(int, *http.Request, io.Writer) bool {
				return replyRaw(reply200(`{"ok":true,"id":"a","s3cret-token":1}`))
			}},
		{name: "reply that changes between calls", module: mockclient.Auth, req: auth, calls: 8, leanConns: 1,
			reply: func(*testing.T) func(int, *http.Request, io.Writer) bool {
				bodies := []string{`{"ok":true,"id":"a"}`, `{"ok":true,"id":"a"}`, `{"ok":false,"id":"b"}`, `{"ok":true,"id":"a"}`,
					`{"ok":true,"id":"a","extra":1}`, `{"ok":true,"id":"a"} trailing`, `{"ok":true,"id":"a"}`, `{"ok":true,"id":"a"} trailing`}
				return func(n int, _ *http.Request, w io.Writer) bool {
					_, err := io.WriteString(w, reply200(bodies[n%len(bodies)]))
					return err == nil
				}
			}},
		{name: "remembered reply then one that does not decode", module: mockclient.Auth, req: auth, calls: 4,
			failures: []mockclient.Failure{mockclient.FailureNone, mockclient.FailureDecode, mockclient.FailureNone, mockclient.FailureDecode},
			reply: func(*testing.T) func(int, *http.Request, io.Writer) bool {
				bodies := []string{`{"ok":true,"id":"a"}`, `{"ok":"yes","id":"a"}`, `{"ok":true,"id":"a"}`, `{"ok":true,"id":"a"`}
				return func(n int, _ *http.Request, w io.Writer) bool {
					_, err := io.WriteString(w, reply200(bodies[n%len(bodies)]))
					return err == nil
				}
			}},
		{name: "reply written in two parts", module: mockclient.Auth, req: auth, calls: 3, leanConns: 1,
			reply: func(*testing.T) func(int, *http.Request, io.Writer) bool {
				return func(_ int, _ *http.Request, w io.Writer) bool {
					r := reply200(`{"ok":true,"id":"split"}`)
					if _, err := io.WriteString(w, r[:len(r)-5]); err != nil {
						return false
					}
					_, err := io.WriteString(w, r[len(r)-5:])
					return err == nil
				}
			}},
		// sad
		{name: "500 drained as the auth client does", module: mockclient.Auth, req: auth, calls: 2, leanConns: 1,
			failure: mockclient.FailureStatus,
			reply: func(*testing.T) func(int, *http.Request, io.Writer) bool {
				return replyRaw("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\noops")
			}},
		{name: "404 with a large body not drained", module: mockclient.Bypass, req: bypass, calls: 2, leanConns: 2,
			failure: mockclient.FailureStatus,
			reply: func(*testing.T) func(int, *http.Request, io.Writer) bool {
				body := strings.Repeat("x", 100<<10)
				return replyRaw(fmt.Sprintf("HTTP/1.1 404 Not Found Here\r\nContent-Length: %d\r\n\r\n%s", len(body), body))
			}},
		{name: "reply that does not decode", module: mockclient.Auth, req: auth, calls: 2,
			failure: mockclient.FailureDecode,
			reply: func(*testing.T) func(int, *http.Request, io.Writer) bool {
				return replyRaw(reply200(`{"ok":"yes"}`))
			}},
		{name: "endless body is bounded", module: mockclient.Auth, req: auth, calls: 1,
			failure: mockclient.FailureDecode,
			reply: func(*testing.T) func(int, *http.Request, io.Writer) bool {
				return endless("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 'a')
			}},
		{name: "hang ends at the call deadline", module: mockclient.Auth, req: auth, calls: 1,
			cfg: mockclient.Config{CallTimeout: 300 * time.Millisecond}, failure: mockclient.FailureTimeout,
			reply: func(*testing.T) func(int, *http.Request, io.Writer) bool {
				return func(_ int, _ *http.Request, w io.Writer) bool { return hang(w) }
			}},
		{name: "hang in the body ends at the call deadline", module: mockclient.Auth, req: auth, calls: 1,
			cfg: mockclient.Config{CallTimeout: 300 * time.Millisecond}, failure: mockclient.FailureTimeout,
			reply: func(*testing.T) func(int, *http.Request, io.Writer) bool {
				return func(_ int, _ *http.Request, w io.Writer) bool {
					_, _ = io.WriteString(w, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"ok\":")
					return hang(w)
				}
			}},
		{name: "hang ends at GOST's timeout", module: mockclient.Auth, req: auth, calls: 1,
			cfg: mockclient.Config{Timeout: 200 * time.Millisecond}, failure: mockclient.FailureTransport,
			reply: func(*testing.T) func(int, *http.Request, io.Writer) bool {
				return func(_ int, _ *http.Request, w io.Writer) bool { return hang(w) }
			}},
		// replies the lean path leaves to net/http
		{name: "redirect followed by net/http", module: mockclient.Auth, req: auth, calls: 2, fallback: true,
			reply: func(*testing.T) func(int, *http.Request, io.Writer) bool {
				return func(_ int, r *http.Request, w io.Writer) bool {
					if r.URL.Path == "/plugin" {
						_, err := io.WriteString(w, "HTTP/1.1 302 Found\r\nLocation: /other\r\nContent-Length: 0\r\n\r\n")
						return err == nil
					}
					_, err := io.WriteString(w, reply200(`{"ok":true,"id":"moved"}`))
					return err == nil
				}
			}},
		{name: "gzip body inflated by net/http", module: mockclient.Auth, req: auth, calls: 2, fallback: true,
			reply: func(t *testing.T) func(int, *http.Request, io.Writer) bool {
				z := gzipped(t, `{"ok":true,"id":"zipped"}`)
				return replyRaw(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%s", len(z), z))
			}},
		{name: "HTTP/1.0 reply read by net/http", module: mockclient.Auth, req: auth, calls: 2, fallback: true,
			reply: func(*testing.T) func(int, *http.Request, io.Writer) bool {
				return func(_ int, _ *http.Request, w io.Writer) bool {
					_, _ = io.WriteString(w, "HTTP/1.0 200 OK\r\nContent-Length: 11\r\n\r\n{\"ok\":true}")
					return false
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			op, err := mockclient.LookupOperation(tt.module, "")
			require.NoError(t, err)
			srvPlain := newRawServer(t, false, tt.reply(t))
			srvLean := newRawServer(t, false, tt.reply(t))
			cfg := tt.cfg
			cfg.Transport = mockclient.HTTP
			if cfg.CallTimeout == 0 {
				cfg.CallTimeout = time.Minute
			}
			cfg.Addr = srvPlain.URL + "/plugin"
			plain, err := mockclient.New(cfg)
			require.NoError(t, err)
			defer plain.Close()
			cfg.Addr, cfg.Lean, cfg.HTTPPool = srvLean.URL+"/plugin", true, 4
			lean, err := mockclient.New(cfg)
			require.NoError(t, err)
			defer lean.Close()
			p, err := op.Prepare(lean, tt.req)
			require.NoError(t, err)

			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			for i := range tt.calls {
				want := op.Do(ctx, plain, tt.req)
				got := p.Do(ctx)
				failure := tt.failure
				if tt.failures != nil {
					failure = tt.failures[i]
				}
				assert.Equal(t, failure, got.Failure, "call %d: %v", i, got.Err)
				sameOutcome(t, op, want, got, strings.NewReplacer(srvLean.URL, srvPlain.URL))
				if tt.cfg.Token != "" {
					for _, n := range got.Notes {
						assert.NotContains(t, n.Text, tt.cfg.Token)
					}
				}
			}
			assert.Equal(t, !tt.fallback, mockclient.LeanActive(lean), "lean pool still in use")
			if tt.leanConns > 0 {
				assert.Equal(t, tt.leanConns, srvLean.connections(), "connections the lean pool opened")
			}
		})
	}
}

// sameOutcome asserts that got, from a Prepared call, is what Operation.Do
// gave: verdict, failure, status, reply, notes and GOST's failure reading.
// got's URLs are rewritten with host, since each client has a server.
func sameOutcome(t *testing.T, op mockclient.Operation, want, got mockclient.Outcome, host *strings.Replacer) {
	t.Helper()
	got.Notes = append([]mockclient.Note(nil), got.Notes...)
	for i := range got.Notes {
		got.Notes[i].Text = host.Replace(got.Notes[i].Text)
	}
	got.Redirects = append([]mockclient.Redirect(nil), got.Redirects...)
	for i := range got.Redirects {
		got.Redirects[i].URL = host.Replace(got.Redirects[i].URL)
	}
	if got.Header != nil {
		got.Header = got.Header.Clone()
		for k, vs := range got.Header {
			for i := range vs {
				got.Header[k][i] = host.Replace(vs[i])
			}
		}
	}
	assert.Equal(t, want.Verdict, got.Verdict, "verdict")
	assert.Equal(t, want.Failure, got.Failure, "failure; want's error: %v; got's: %v", want.Err, got.Err)
	assert.Equal(t, want.Code, got.Code, "code")
	assert.Equal(t, want.HTTPStatus, got.HTTPStatus, "HTTP status")
	assert.Equal(t, want.Sent, got.Sent, "sent")
	assert.Equal(t, want.Notes, got.Notes, "notes")
	assert.Equal(t, want.Request, got.Request, "request")
	assert.Equal(t, want.Header, got.Header, "header")
	assert.Equal(t, len(want.Reply), len(got.Reply), "kept reply length")
	assert.Equal(t, want.Redirects, got.Redirects, "redirects")
	assert.Equal(t, errors.Is(want.Err, mockclient.ErrCallTimeout), errors.Is(got.Err, mockclient.ErrCallTimeout), "call timeout")
	switch want.Failure {
	case mockclient.FailureStatus, mockclient.FailureDecode, mockclient.FailureTimeout:
		assert.Equal(t, want.Error(), got.Error(), "error text")
	}
	wk, we, wf := suites.GOSTFailure(op, mockclient.HTTP, &want)
	gk, ge, gf := suites.GOSTFailure(op, mockclient.HTTP, &got)
	assert.Equal(t, []any{wk, we, wf}, []any{gk, ge, gf}, "GOSTFailure")
}
