package h1

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"strconv"
	"strings"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// server answers each request on 127.0.0.1:0 with reply(n, w), n counting
// requests across connections; reply returns false to close the
// connection.
type server struct {
	ln    net.Listener
	reply func(n int, w io.Writer) bool
	wg    sync.WaitGroup
	mu    sync.Mutex
	n     int
	conns int
	open  []net.Conn
}

func newServer(t *testing.T, reply func(n int, w io.Writer) bool) *server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &server{ln: ln, reply: reply}
	s.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns++
			s.open = append(s.open, c)
			s.mu.Unlock()
			s.wg.Go(func() { s.serve(c) })
		}
	})
	t.Cleanup(func() {
		_ = ln.Close()
		s.mu.Lock()
		for _, c := range s.open {
			_ = c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

func (s *server) serve(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		if _, err := io.Copy(io.Discard, req.Body); err != nil {
			return
		}
		s.mu.Lock()
		n := s.n
		s.n++
		s.mu.Unlock()
		if !s.reply(n, c) {
			return
		}
	}
}

func (s *server) connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

func (s *server) pool(size int) *Pool {
	var d net.Dialer
	addr := s.ln.Addr().String()
	return NewPool(size, func(ctx context.Context) (net.Conn, error) { return d.DialContext(ctx, "tcp", addr) })
}

const request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n"

// paths are the two ways a pool sends a request: writing it and waiting
// for the reply through the descriptor (send), and net.Conn's plain Write
// and Read, which TLS connections and other systems take.
var paths = []struct {
	name   string
	noWait bool
}{{name: "wait", noWait: false}, {name: "plain", noWait: true}}

// call makes one round trip and reads the whole body.
func call(ctx context.Context, p *Pool, d time.Duration) (int, string, error) {
	resp, err := p.RoundTrip(ctx, time.Now().Add(d), []byte(request))
	if err != nil {
		return 0, "", err
	}
	defer resp.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func always(reply string) func(int, io.Writer) bool {
	return func(_ int, w io.Writer) bool {
		_, err := io.WriteString(w, reply)
		return err == nil
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		reply     func(int, io.Writer) bool
		calls     int
		wantCode  int
		wantBody  string
		wantErr   error
		wantConns int
	}{
		// happy
		{name: "content-length kept alive", reply: always("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
			calls: 3, wantCode: 200, wantBody: "ok", wantConns: 1},
		{name: "chunked with trailer kept alive", reply: always("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-T: 1\r\n\r\n"),
			calls: 3, wantCode: 200, wantBody: "ok", wantConns: 1},
		{name: "connection close", reply: func(_ int, w io.Writer) bool {
			_, _ = io.WriteString(w, "HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 2\r\n\r\nok")
			return false
		}, calls: 2, wantCode: 200, wantBody: "ok", wantConns: 2},
		{name: "no framing reads to the end", reply: func(_ int, w io.Writer) bool {
			_, _ = io.WriteString(w, "HTTP/1.1 200 OK\r\n\r\nok")
			return false
		}, calls: 2, wantCode: 200, wantBody: "ok", wantConns: 2},
		{name: "204 has no body", reply: always("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n"),
			calls: 2, wantCode: 204, wantConns: 1},
		{name: "server closes an idle connection: one fresh dial", reply: func(_ int, w io.Writer) bool {
			_, _ = io.WriteString(w, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
			return false // without saying Connection: close
		}, calls: 3, wantCode: 200, wantBody: "ok", wantConns: 3},
		{name: "bytes after the reply drop the connection", reply: always("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nno"),
			calls: 2, wantCode: 200, wantBody: "ok", wantConns: 2},
		// sad
		{name: "truncated body", reply: func(_ int, w io.Writer) bool {
			_, _ = io.WriteString(w, "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nok")
			return false
		}, calls: 1, wantCode: 200, wantBody: "ok", wantErr: io.ErrUnexpectedEOF, wantConns: 1},
		{name: "HTTP/1.0 is left to net/http", reply: always("HTTP/1.0 200 OK\r\n\r\n"), calls: 1, wantErr: ErrUnsupported},
		{name: "1xx is left to net/http", reply: always("HTTP/1.1 100 Continue\r\n\r\n"), calls: 1, wantErr: ErrUnsupported},
		{name: "gzip transfer coding is left to net/http", reply: always("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n"),
			calls: 1, wantErr: ErrUnsupported},
		{name: "two content lengths are left to net/http", reply: always("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok"),
			calls: 1, wantErr: ErrUnsupported},
		{name: "continued header line is left to net/http", reply: always("HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n"),
			calls: 1, wantErr: ErrUnsupported},
		{name: "malformed status is left to net/http", reply: always("HTTP/1.1 2000 OK\r\n\r\n"), calls: 1, wantErr: ErrUnsupported},
		{name: "huge header is left to net/http", reply: func(_ int, w io.Writer) bool {
			_, _ = io.WriteString(w, "HTTP/1.1 200 OK\r\n")
			for range 100 {
				if _, err := io.WriteString(w, "X-Pad: "+string(make([]byte, 1000))+"\r\n"); err != nil {
					return false
				}
			}
			return false
		}, calls: 1, wantErr: ErrUnsupported},
	}
	for _, tt := range tests {
		for _, path := range paths {
			t.Run(tt.name+"/"+path.name, func(t *testing.T) {
				t.Parallel()
				s := newServer(t, tt.reply)
				p := s.pool(4)
				p.noWait = path.noWait
				defer p.Close()
				ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
				defer cancel()
				for i := range tt.calls {
					code, body, err := call(ctx, p, time.Minute)
					if tt.wantErr != nil {
						require.ErrorIs(t, err, tt.wantErr, "call %d", i)
					} else {
						require.NoError(t, err, "call %d", i)
					}
					assert.Equal(t, tt.wantCode, code, "call %d", i)
					assert.Equal(t, tt.wantBody, body, "call %d", i)
				}
				if tt.wantConns > 0 {
					assert.Equal(t, tt.wantConns, s.connections())
				}
			})
		}
	}
}

func TestDeadlineAndCancel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cancel  bool
		wantErr error
	}{
		{name: "deadline", wantErr: errDeadline},
		{name: "context end", cancel: true, wantErr: context.Canceled},
	}
	for _, tt := range tests {
		for _, path := range paths {
			t.Run(tt.name+"/"+path.name, func(t *testing.T) {
				t.Parallel()
				got := make(chan struct{})
				s := newServer(t, func(_ int, w io.Writer) bool {
					close(got)
					// Wait for the client to give up: its close ends this read.
					_, _ = io.Copy(io.Discard, w.(io.Reader))
					return false
				})
				p := s.pool(1)
				p.noWait = path.noWait
				defer p.Close()
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				d := time.Minute
				if !tt.cancel {
					d = 100 * time.Millisecond
				} else {
					go func() {
						<-got
						cancel()
					}()
				}
				_, _, err := call(ctx, p, d)
				require.Error(t, err)
				if errors.Is(tt.wantErr, errDeadline) {
					var ne net.Error
					require.ErrorAs(t, err, &ne)
					assert.True(t, ne.Timeout())
				} else {
					assert.ErrorIs(t, err, tt.wantErr)
				}
				assert.Empty(t, p.sem, "the call gave its slot back")
			})
		}
	}
}

var errDeadline = errors.New("deadline")

func TestPoolBound(t *testing.T) {
	t.Parallel()
	s := newServer(t, always("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
	p := s.pool(2)
	defer p.Close()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				_, body, err := call(ctx, p, time.Minute)
				assert.NoError(t, err)
				assert.Equal(t, "ok", body)
			}
		})
	}
	wg.Wait()
	assert.LessOrEqual(t, s.connections(), 2, "at most the pool's size is opened")

	// Both slots held: a third caller waits, and gives up at its deadline.
	r1, err := p.RoundTrip(ctx, time.Now().Add(time.Minute), []byte(request))
	require.NoError(t, err)
	r2, err := p.RoundTrip(ctx, time.Now().Add(time.Minute), []byte(request))
	require.NoError(t, err)
	_, err = p.RoundTrip(ctx, time.Now().Add(10*time.Millisecond), []byte(request))
	assert.Error(t, err)
	require.NoError(t, r1.Close())
	require.NoError(t, r2.Close())

	require.NoError(t, p.Close())
	_, err = p.RoundTrip(ctx, time.Now().Add(time.Minute), []byte(request))
	assert.ErrorIs(t, err, ErrClosed)
}

// TestSendLargeRequest: a request larger than the socket takes at once
// (the nonblocking write in send stops at EAGAIN) is finished by
// net.Conn's Write, and the reply is read as usual, on both paths.
func TestSendLargeRequest(t *testing.T) {
	t.Parallel()
	body := strings.Repeat("x", 16<<20)
	req := []byte("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body)
	for _, path := range paths {
		t.Run(path.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, always("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
			p := s.pool(1)
			p.noWait = path.noWait
			defer p.Close()
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			for i := range 2 {
				resp, err := p.RoundTrip(ctx, time.Now().Add(time.Minute), req)
				require.NoError(t, err, "call %d", i)
				b, err := io.ReadAll(resp.Body)
				require.NoError(t, err)
				assert.Equal(t, "ok", string(b))
				require.NoError(t, resp.Close())
			}
			assert.Equal(t, 1, s.connections())
		})
	}
}

// TestSendReplyInParts: a reply that arrives in several writes is read
// whole after send's wait, which ends at the first of them.
func TestSendReplyInParts(t *testing.T) {
	t.Parallel()
	parts := []string{"HTTP/1.1 200 OK\r\n", "Content-Length: 5\r\n\r\n", "he", "llo"}
	for _, path := range paths {
		t.Run(path.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, func(_ int, w io.Writer) bool {
				for _, part := range parts {
					if _, err := io.WriteString(w, part); err != nil {
						return false
					}
				}
				return true
			})
			p := s.pool(1)
			p.noWait = path.noWait
			defer p.Close()
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			for i := range 20 {
				code, body, err := call(ctx, p, time.Minute)
				require.NoError(t, err, "call %d", i)
				assert.Equal(t, 200, code)
				assert.Equal(t, "hello", body)
			}
			assert.Equal(t, 1, s.connections())
		})
	}
}

// TestSendUsesTheDescriptor: a pool's plain TCP connections take send's
// wait on Linux, and a pool with noWait's do not.
func TestSendUsesTheDescriptor(t *testing.T) {
	t.Parallel()
	s := newServer(t, always("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
	for _, path := range paths {
		p := s.pool(1)
		p.noWait = path.noWait
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		_, _, err := call(ctx, p, time.Minute)
		cancel()
		require.NoError(t, err)
		p.mu.Lock()
		require.Len(t, p.idle, 1)
		assert.Equal(t, rawSend && !path.noWait, p.idle[0].raw != nil, path.name)
		p.mu.Unlock()
		require.NoError(t, p.Close())
	}
}

// TestSendToAResetConnection: a keep-alive connection the server reset
// while idle fails on the write, which is a stale connection's failure:
// the call is made again on a fresh one.
func TestSendToAResetConnection(t *testing.T) {
	t.Parallel()
	for _, path := range paths {
		t.Run(path.name, func(t *testing.T) {
			t.Parallel()
			reset := make(chan struct{}, 1)
			s := newServer(t, func(n int, w io.Writer) bool {
				if _, err := io.WriteString(w, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"); err != nil || n > 0 {
					return err == nil
				}
				tc := w.(*net.TCPConn)
				_ = tc.SetLinger(0) // close sends a reset
				_ = tc.Close()
				reset <- struct{}{}
				return false
			})
			p := s.pool(1)
			p.noWait = path.noWait
			defer p.Close()
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			_, body, err := call(ctx, p, time.Minute)
			require.NoError(t, err)
			assert.Equal(t, "ok", body)
			select {
			case <-reset:
			case <-ctx.Done():
				t.Fatal("the server did not reset the connection")
			}
			_, body, err = call(ctx, p, time.Minute)
			require.NoError(t, err)
			assert.Equal(t, "ok", body)
			assert.Equal(t, 2, s.connections())
		})
	}
}
