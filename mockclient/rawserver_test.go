package mockclient_test

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/internal/testcert"
)

// rawServer is an HTTP/1.1 server on 127.0.0.1:0 that records the raw
// bytes of every request and answers each with bytes a test chooses, so
// that a test controls framing (chunked, Connection: close, endless
// bodies, hangs) exactly.
type rawServer struct {
	URL string

	ln    net.Listener
	reply func(n int, req *http.Request, w io.Writer) (keep bool)
	wg    sync.WaitGroup

	mu    sync.Mutex
	reqs  [][]byte
	conns int
	open  []net.Conn
	done  bool
}

// newRawServer starts a server; with tlsOn it speaks TLS with a leaf
// issued at test time. reply writes the reply to request n (0-based) and
// says whether to keep the connection.
func newRawServer(t *testing.T, tlsOn bool, reply func(n int, req *http.Request, w io.Writer) bool) *rawServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &rawServer{ln: ln, reply: reply, URL: "http://" + ln.Addr().String()}
	if tlsOn {
		ca, err := testcert.NewCA("lean test CA")
		require.NoError(t, err)
		leaf, err := ca.Issue(testcert.Loopback())
		require.NoError(t, err)
		s.ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{leaf}, MinVersion: tls.VersionTLS12})
		s.URL = "https://" + ln.Addr().String()
	}
	s.wg.Go(s.accept)
	t.Cleanup(s.close)
	return s
}

func (s *rawServer) accept() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.done {
			s.mu.Unlock()
			_ = c.Close()
			return
		}
		s.conns++
		s.open = append(s.open, c)
		s.mu.Unlock()
		s.wg.Go(func() { s.serve(c) })
	}
}

func (s *rawServer) serve(c net.Conn) {
	defer c.Close()
	var seen bytes.Buffer
	br := bufio.NewReader(io.TeeReader(c, &seen))
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		if _, err := io.Copy(io.Discard, req.Body); err != nil {
			return
		}
		raw := bytes.Clone(seen.Bytes()[:seen.Len()-br.Buffered()])
		rest := bytes.Clone(seen.Bytes()[seen.Len()-br.Buffered():])
		seen.Reset()
		seen.Write(rest)
		s.mu.Lock()
		n := len(s.reqs)
		s.reqs = append(s.reqs, raw)
		s.mu.Unlock()
		if !s.reply(n, req, c) {
			return
		}
	}
}

func (s *rawServer) close() {
	s.mu.Lock()
	s.done = true
	open := s.open
	s.mu.Unlock()
	_ = s.ln.Close()
	for _, c := range open {
		_ = c.Close()
	}
	s.wg.Wait()
}

// requests returns the raw requests received so far.
func (s *rawServer) requests() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.reqs...)
}

// connections returns how many connections were accepted.
func (s *rawServer) connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

// hang reads until the client closes the connection, answering nothing.
func hang(c io.Writer) bool {
	if r, ok := c.(io.Reader); ok {
		_, _ = io.Copy(io.Discard, r)
	}
	return false
}

// replyRaw answers every request with the same bytes.
func replyRaw(reply string) func(int, *http.Request, io.Writer) bool {
	return func(_ int, _ *http.Request, w io.Writer) bool {
		_, err := io.WriteString(w, reply)
		return err == nil
	}
}
