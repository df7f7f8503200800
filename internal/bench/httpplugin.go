package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
)

// httpPlugin is a minimal HTTP/1.1 auth plugin: keep-alive, one goroutine
// per connection, the request read with one bufio.Reader and the reply
// written with one bufio.Writer. The HTTP section compares clients, and on
// two cores every microsecond the plugin spends is one the client does not
// get: net/http's server (refplugin's HTTP endpoint) costs more per call,
// and brings fast clients down towards its pace, hiding the differences
// the section exists to show. It answers what GOST's HTTP auth
// plugin answers; it is not a general HTTP server (Content-Length bodies
// only, no chunked encoding, no Expect: 100-continue).
type httpPlugin struct {
	stall *staller

	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

const (
	// maxHTTPBody bounds a request body; GOST's auth request is < 1 KiB.
	maxHTTPBody = 64 << 10
	// maxHTTPHeaders bounds the header lines of one request.
	maxHTTPHeaders = 100
)

var (
	replyOK     = httpReply(`{"ok":true,"id":"gost"}`)
	replyDenied = httpReply(`{"ok":false,"id":""}`)
	replyBad    = []byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
)

func httpReply(body string) []byte {
	return []byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
		strconv.Itoa(len(body)) + "\r\n\r\n" + body)
}

func newHTTPPlugin(s *staller) *httpPlugin {
	return &httpPlugin{stall: s, conns: map[net.Conn]struct{}{}}
}

// serve accepts connections on ln until ctx ends, then closes ln and every
// connection and returns once their goroutines have.
func (p *httpPlugin) serve(ctx context.Context, ln net.Listener) {
	var wg sync.WaitGroup
	stop := context.AfterFunc(ctx, func() {
		_ = ln.Close()
		p.mu.Lock()
		for c := range p.conns {
			_ = c.Close()
		}
		p.mu.Unlock()
	})
	defer stop()
	for {
		c, err := ln.Accept()
		if err != nil {
			break
		}
		p.mu.Lock()
		if ctx.Err() != nil {
			p.mu.Unlock()
			_ = c.Close()
			break
		}
		p.conns[c] = struct{}{}
		p.mu.Unlock()
		wg.Go(func() {
			p.conn(ctx, c)
			p.mu.Lock()
			delete(p.conns, c)
			p.mu.Unlock()
			_ = c.Close()
		})
	}
	wg.Wait()
}

// conn answers the requests of one connection in order.
func (p *httpPlugin) conn(ctx context.Context, c net.Conn) {
	br := bufio.NewReaderSize(c, 4096)
	bw := bufio.NewWriterSize(c, 4096)
	body := make([]byte, 0, 1024)
	for {
		req, closeAfter, err := readRequest(br, body)
		if err != nil {
			if errors.Is(err, errBadRequest) {
				_, _ = bw.Write(replyBad)
				_ = bw.Flush()
			}
			return
		}
		body = req[:0]
		p.stall.wait(ctx)
		_, _ = bw.Write(authReply(req))
		// Flush once no further request is already buffered, so that a
		// pipelining client gets its replies in one write.
		if br.Buffered() == 0 || closeAfter {
			if bw.Flush() != nil {
				return
			}
		}
		if closeAfter {
			return
		}
	}
}

var errBadRequest = errors.New("bad request")

// readRequest reads one request's head and its Content-Length body into
// buf, and says whether the client asked to close the connection.
func readRequest(br *bufio.Reader, buf []byte) (body []byte, closeAfter bool, err error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		if len(line) > 0 || errors.Is(err, bufio.ErrBufferFull) {
			return nil, false, errBadRequest
		}
		return nil, false, err
	}
	if !bytes.HasPrefix(line, []byte("POST ")) {
		return nil, false, errBadRequest
	}
	length := -1
	for i := 0; ; i++ {
		h, err := br.ReadSlice('\n')
		if err != nil || i == maxHTTPHeaders {
			return nil, false, errBadRequest
		}
		h = bytes.TrimRight(h, "\r\n")
		if len(h) == 0 {
			break
		}
		name, value, ok := bytes.Cut(h, []byte(":"))
		if !ok {
			return nil, false, errBadRequest
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			n, err := strconv.Atoi(string(value))
			if err != nil || n < 0 || n > maxHTTPBody {
				return nil, false, errBadRequest
			}
			length = n
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			return nil, false, errBadRequest
		case bytes.EqualFold(name, []byte("Connection")):
			closeAfter = bytes.EqualFold(value, []byte("close"))
		}
	}
	if length < 0 {
		return nil, false, errBadRequest
	}
	if cap(buf) < length {
		buf = make([]byte, length)
	}
	buf = buf[:length]
	if _, err := io.ReadFull(br, buf); err != nil {
		return nil, false, err
	}
	return buf, closeAfter, nil
}

// authReply is GOST's auth verdict for a request body: ok for gost/gost.
func authReply(body []byte) []byte {
	var req struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if json.Unmarshal(body, &req) == nil && req.Username == "gost" && req.Password == "gost" {
		return replyOK
	}
	return replyDenied
}
