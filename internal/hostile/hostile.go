// Package hostile serves GOST plugins that misbehave on purpose, over HTTP
// and gRPC on loopback. Tests run plugincheck against them to check that
// whatever a plugin sends, plugincheck neither crashes nor hangs, keeps its
// memory and reports bounded, and never prints the token.
package hostile

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	authpb "github.com/go-gost/plugin/auth/proto"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Mode is what a Server does wrong. One Server has one mode, on both
// transports.
type Mode string

// The modes. Every mode but Healthy is one way a plugin can hurt its caller.
const (
	// Healthy answers every call {"ok":true,"id":"hostile"}: the control.
	Healthy Mode = "healthy"
	// EndlessBody answers HTTP 200 with a JSON string that goes on for
	// Size bytes (DefaultBodySize), or for ever when Size is negative.
	// Over gRPC the reply's id is OversizeGRPCReply bytes, past grpc-go's
	// default 4 MiB receive limit.
	EndlessBody Mode = "endless-body"
	// HugeNumber answers HTTP 200 with {"ok":111…1} of Size digits
	// (DefaultNumberDigits): encoding/json quotes the literal in its error.
	// Over gRPC it answers as EndlessBody.
	HugeNumber Mode = "huge-number"
	// HugeReason answers HTTP 500 with a reason phrase of Size bytes
	// (DefaultReasonSize), written on the raw connection since net/http
	// cannot set one. Over gRPC the status message is that long.
	HugeReason Mode = "huge-reason"
	// EchoToken sends the token it received back. A request whose
	// username is empty is refused with "token <tok> rejected" (HTTP 403
	// reason phrase, gRPC Unauthenticated status message); any other gets
	// ok:true with the token as its id, over HTTP in its Bearer form (the
	// whole Authorization header).
	EchoToken Mode = "echo-token"
	// Redirect answers HTTP calls 307 to the same path on a second
	// listener, which records the Authorization header it receives and
	// answers as Healthy. gRPC calls are answered as Healthy.
	Redirect Mode = "redirect"
	// HangAfter answers the first N calls as Healthy and never answers a
	// later one: it waits until the caller gives up or the Server closes.
	HangAfter Mode = "hang-after"
	// FlipAfter answers the first N calls ok:true and every later one
	// ok:false.
	FlipAfter Mode = "flip-after"
)

// Sizes used when Options.Size is 0. They are the sizes issue 9 measured
// plugincheck against.
const (
	DefaultBodySize     = 1 << 30
	DefaultNumberDigits = 30_000_000
	DefaultReasonSize   = 9 << 20
	// OversizeGRPCReply is the id length of an oversize gRPC reply: just
	// past the 4 MiB grpc-go (and so GOST) accepts by default, so the
	// server does not spend memory on larger ones.
	OversizeGRPCReply = 4<<20 + 1
)

// maxKept bounds what a Server records of the calls its redirect target
// received, so that a long load run cannot grow the test process.
const (
	maxKept     = 64
	maxKeptText = 256
)

// Options choose a Server's mode.
type Options struct {
	Mode Mode
	// N is how many calls HangAfter and FlipAfter answer normally.
	N int64
	// Size is the body length, digit count or reason length of the modes
	// that send too much; 0 takes the mode's default.
	Size int64
}

// Server is a hostile plugin: an HTTP server for any path, a gRPC server
// with GOST's auth service, and for Redirect a second HTTP listener.
type Server struct {
	opts Options

	httpLn, redirLn, grpcLn net.Listener
	httpSrv, redirSrv       *http.Server
	grpcSrv                 *grpc.Server

	calls atomic.Int64
	done  chan struct{}
	once  sync.Once
	wg    sync.WaitGroup

	mu    sync.Mutex
	auths []string // Authorization headers the redirect target received

	oversize string // built once, the id of an oversize gRPC reply
}

// Start listens on 127.0.0.1:0 for HTTP, gRPC and the redirect target, and
// serves until Close.
func Start(opts Options) (*Server, error) {
	switch opts.Mode {
	case Healthy, EndlessBody, HugeNumber, HugeReason, EchoToken, Redirect, HangAfter, FlipAfter:
	default:
		return nil, fmt.Errorf("hostile: unknown mode %q", opts.Mode)
	}
	if opts.Size == 0 {
		switch opts.Mode {
		case EndlessBody:
			opts.Size = DefaultBodySize
		case HugeNumber:
			opts.Size = DefaultNumberDigits
		case HugeReason:
			opts.Size = DefaultReasonSize
		}
	}
	s := &Server{opts: opts, done: make(chan struct{})}
	if opts.Mode == EndlessBody || opts.Mode == HugeNumber {
		s.oversize = strings.Repeat("a", OversizeGRPCReply)
	}
	quiet := log.New(io.Discard, "", 0)
	s.httpSrv = &http.Server{Handler: http.HandlerFunc(s.serveHTTP), ReadHeaderTimeout: 10 * time.Second, ErrorLog: quiet}
	s.redirSrv = &http.Server{Handler: http.HandlerFunc(s.serveRedirected), ReadHeaderTimeout: 10 * time.Second, ErrorLog: quiet}
	s.grpcSrv = grpc.NewServer()
	authpb.RegisterAuthenticatorServer(s.grpcSrv, authServer{s: s})

	for _, ln := range []*net.Listener{&s.httpLn, &s.redirLn, &s.grpcLn} {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			s.closeListeners()
			return nil, fmt.Errorf("hostile: listen: %w", err)
		}
		*ln = l
	}
	s.wg.Add(3)
	go func() { defer s.wg.Done(); _ = s.httpSrv.Serve(s.httpLn) }()
	go func() { defer s.wg.Done(); _ = s.redirSrv.Serve(s.redirLn) }()
	go func() { defer s.wg.Done(); _ = s.grpcSrv.Serve(s.grpcLn) }()
	return s, nil
}

func (s *Server) closeListeners() {
	for _, ln := range []net.Listener{s.httpLn, s.redirLn, s.grpcLn} {
		if ln != nil {
			_ = ln.Close()
		}
	}
}

// Close stops every listener, ends the calls left hanging and waits for
// the servers.
func (s *Server) Close() error {
	s.once.Do(func() {
		close(s.done)
		_ = s.httpSrv.Close()
		_ = s.redirSrv.Close()
		s.grpcSrv.Stop()
	})
	s.wg.Wait()
	return nil
}

// HTTPURL is the URL of path on the HTTP server: every path is served.
func (s *Server) HTTPURL(path string) string {
	return "http://" + s.httpLn.Addr().String() + "/" + strings.TrimPrefix(path, "/")
}

// GRPCAddr is the gRPC server's host:port.
func (s *Server) GRPCAddr() string { return s.grpcLn.Addr().String() }

// RedirectAddr is the host:port of the listener Redirect sends calls to.
func (s *Server) RedirectAddr() string { return s.redirLn.Addr().String() }

// Calls is how many calls the Server received on HTTP and gRPC; the
// redirect target's are not counted.
func (s *Server) Calls() int64 { return s.calls.Load() }

// RedirectedAuth returns the Authorization headers the redirect target
// received, the first 64, each cut to 256 bytes.
func (s *Server) RedirectedAuth() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.auths...)
}

// healthy is the reply of a plugin that works.
const healthy = `{"ok":true,"id":"hostile"}`

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	n := s.calls.Add(1)
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	switch s.opts.Mode {
	case EndlessBody:
		w.Header().Set("Content-Type", "application/json")
		writeEndless(w, s.opts.Size, s.done)
	case HugeNumber:
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.FormatInt(s.opts.Size+len64(`{"ok":}`), 10))
		_, _ = io.WriteString(w, `{"ok":`)
		if writeRepeated(w, '1', s.opts.Size, s.done) {
			_, _ = io.WriteString(w, `}`)
		}
	case HugeReason:
		writeRawStatus(w, 500, strings.Repeat("x", int(s.opts.Size)))
	case EchoToken:
		auth := r.Header.Get("Authorization")
		if username(body) == "" {
			writeRawStatus(w, 403, "token "+strings.TrimPrefix(auth, "Bearer ")+" rejected")
			return
		}
		reply, _ := json.Marshal(map[string]any{"ok": true, "id": auth})
		writeJSON(w, string(reply))
	case Redirect:
		http.Redirect(w, r, "http://"+s.RedirectAddr()+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	case HangAfter:
		if n > s.opts.N {
			select {
			case <-r.Context().Done():
			case <-s.done:
			}
			return
		}
		writeJSON(w, healthy)
	case FlipAfter:
		writeJSON(w, fmt.Sprintf(`{"ok":%t,"id":"hostile"}`, n <= s.opts.N))
	default:
		writeJSON(w, healthy)
	}
}

func (s *Server) serveRedirected(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
	s.mu.Lock()
	if len(s.auths) < maxKept {
		a := r.Header.Get("Authorization")
		s.auths = append(s.auths, a[:min(len(a), maxKeptText)])
	}
	s.mu.Unlock()
	writeJSON(w, healthy)
}

func writeJSON(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, body)
}

func len64(s string) int64 { return int64(len(s)) }

// username is the request's "username", or "" when it has none.
func username(body []byte) string {
	var req struct {
		Username string `json:"username"`
	}
	_ = json.Unmarshal(body, &req)
	return req.Username
}

// writeEndless writes an unterminated JSON string of size bytes, for ever
// when size is negative, and stops when the client goes away.
func writeEndless(w io.Writer, size int64, done <-chan struct{}) {
	if _, err := io.WriteString(w, `{"ok":true,"id":"`); err != nil {
		return
	}
	writeRepeated(w, 'a', size, done)
}

// writeRepeated writes size copies of c (for ever when size is negative)
// and reports whether it wrote them all.
func writeRepeated(w io.Writer, c byte, size int64, done <-chan struct{}) bool {
	chunk := make([]byte, 64<<10)
	for i := range chunk {
		chunk[i] = c
	}
	for size != 0 {
		select {
		case <-done:
			return false
		default:
		}
		b := chunk
		if size > 0 && size < int64(len(b)) {
			b = b[:size]
		}
		if _, err := w.Write(b); err != nil {
			return false
		}
		if size > 0 {
			size -= int64(len(b))
		}
	}
	return true
}

// writeRawStatus answers with a status line net/http cannot write: a
// reason phrase of the Server's choosing.
func writeRawStatus(w http.ResponseWriter, code int, reason string) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, reason, code)
		return
	}
	defer conn.Close()
	bw := bufio.NewWriterSize(conn, 64<<10)
	_, _ = fmt.Fprintf(bw, "HTTP/1.1 %d %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", code, reason)
	_ = bw.Flush()
}

// authServer is GOST's auth service, answering in the Server's mode.
type authServer struct {
	authpb.UnimplementedAuthenticatorServer
	s *Server
}

func (a authServer) Authenticate(ctx context.Context, req *authpb.AuthenticateRequest) (*authpb.AuthenticateReply, error) {
	s := a.s
	n := s.calls.Add(1)
	switch s.opts.Mode {
	case EndlessBody, HugeNumber:
		return &authpb.AuthenticateReply{Ok: true, Id: s.oversize}, nil
	case HugeReason:
		return nil, status.Error(codes.Internal, strings.Repeat("x", int(s.opts.Size)))
	case EchoToken:
		var tok string
		if md, ok := metadata.FromIncomingContext(ctx); ok && len(md.Get("token")) > 0 {
			tok = md.Get("token")[0]
		}
		if req.GetUsername() == "" {
			return nil, status.Errorf(codes.Unauthenticated, "token %s rejected", tok)
		}
		return &authpb.AuthenticateReply{Ok: true, Id: tok}, nil
	case HangAfter:
		if n > s.opts.N {
			select {
			case <-ctx.Done():
				return nil, status.FromContextError(ctx.Err()).Err()
			case <-s.done:
				return nil, status.Error(codes.Unavailable, "hostile: closed")
			}
		}
	case FlipAfter:
		return &authpb.AuthenticateReply{Ok: n <= s.opts.N, Id: "hostile"}, nil
	}
	return &authpb.AuthenticateReply{Ok: true, Id: "hostile"}, nil
}
