package mockclient_test

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/mockclient"
)

// quietServer is a keep-alive HTTP/1.1 server on 127.0.0.1:0 that answers
// every request with the same bytes and allocates nothing per request, so
// that testing.AllocsPerRun, which counts every allocation of the process,
// counts the client's alone.
type quietServer struct {
	URL string

	ln    net.Listener
	reply []byte
	wg    sync.WaitGroup
	mu    sync.Mutex
	open  []net.Conn
}

func newQuietServer(t testing.TB, reply string) *quietServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &quietServer{URL: "http://" + ln.Addr().String(), ln: ln, reply: []byte(reply)}
	s.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
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

// serve reads requests framed by Content-Length and answers each.
func (s *quietServer) serve(c net.Conn) {
	defer c.Close()
	br := bufio.NewReaderSize(c, 4096)
	for {
		length := 0
		for lines := 0; ; lines++ {
			line, err := br.ReadSlice('\n')
			if err != nil || lines > 100 {
				return
			}
			line = bytes.TrimRight(line, "\r\n")
			if len(line) == 0 {
				break
			}
			if k, v, ok := bytes.Cut(line, []byte(":")); ok && bytes.EqualFold(k, []byte("Content-Length")) {
				length = 0
				for _, d := range bytes.TrimSpace(v) {
					if d < '0' || d > '9' || length > 1<<20 {
						return
					}
					length = length*10 + int(d-'0')
				}
			}
		}
		if _, err := br.Discard(length); err != nil {
			return
		}
		if _, err := c.Write(s.reply); err != nil {
			return
		}
	}
}

// newLeanAuth returns a lean HTTP client of srv and its prepared auth call.
func newLeanAuth(t testing.TB, srv *quietServer) *mockclient.Prepared {
	t.Helper()
	op, err := mockclient.LookupOperation(mockclient.Auth, "")
	require.NoError(t, err)
	c, err := mockclient.New(mockclient.Config{Transport: mockclient.HTTP, Addr: srv.URL + "/auth", Lean: true, CallTimeout: time.Minute})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	p, err := op.Prepare(c, &mockclient.AuthRequest{Username: "gost", Password: "gost"})
	require.NoError(t, err)
	return p
}

// maxLeanAllocs is what one lean prepared HTTP call may allocate, on
// average, once it has seen its reply: nothing. The reply is recalled, not
// decoded; the verdict's box, the readers and the Result are reused.
// AllocsPerRun truncates its average, so the odd allocation of a pool
// emptied by a collection does not count.
const maxLeanAllocs = 0

// TestLeanPreparedAllocs pins what a lean prepared HTTP call allocates
// once its reply is known: a load makes millions of them, and each
// allocation costs CPU twice, to make and to collect.
func TestLeanPreparedAllocs(t *testing.T) {
	srv := newQuietServer(t, reply200(`{"ok":true,"id":"gost"}`))
	p := newLeanAuth(t, srv)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	for range 3 {
		require.NoError(t, p.Do(ctx).Err)
	}
	var failed error
	allocs := testing.AllocsPerRun(200, func() {
		if out := p.Do(ctx); out.Err != nil {
			failed = out.Err
		}
	})
	require.NoError(t, failed)
	assert.LessOrEqual(t, allocs, float64(maxLeanAllocs), "allocations per lean prepared call")
	t.Logf("%.1f allocations per call", allocs)
}

func BenchmarkLeanPrepared(b *testing.B) {
	srv := newQuietServer(b, reply200(`{"ok":true,"id":"gost"}`))
	p := newLeanAuth(b, srv)
	ctx := b.Context()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if out := p.Do(ctx); out.Err != nil {
				b.Error(out.Err)
				return
			}
		}
	})
}
