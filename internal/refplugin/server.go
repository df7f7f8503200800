package refplugin

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// ErrNoCertificate is returned by Start when Options.TLS cannot present a
// certificate; without this check the failure would only show up later as
// handshake errors on the client side.
var ErrNoCertificate = errors.New("refplugin: TLS config has no certificate")

const (
	// listenAddr keeps the reference plugins off every non-loopback interface.
	listenAddr = "127.0.0.1:0"
	// maxBody matches gRPC's default 4 MiB receive limit, so both transports
	// accept the same request sizes.
	maxBody = 4 << 20
	// shutdownGrace bounds how long Close waits for in-flight HTTP requests
	// before cutting their connections.
	shutdownGrace = 5 * time.Second
)

// Options configure the reference plugins.
type Options struct {
	// Token, when non-empty, is required on every call: as gRPC metadata
	// "token" (else codes.Unauthenticated) and as the HTTP header
	// "Authorization: Bearer <token>" (else 401), which is how GOST sends it.
	Token string
	// TLS, when non-nil, serves both gRPC and HTTP over TLS with this config.
	// gRPC negotiates ALPN h2; HTTP accepts HTTP/1.1, which is what GOST
	// speaks once a plugin has a tls block.
	TLS *tls.Config
}

// module ties a GOST plugin module to its gRPC service and HTTP handler.
type module struct {
	name     string // plugincheck's module name and the HTTP path
	service  string // full gRPC service name, e.g. "proto.Admission"
	register func(*Server, grpc.ServiceRegistrar)
	handler  func(*Server) http.Handler
}

// modules lists every GOST plugin module in the order of the go-gost/plugin tree.
var modules = []module{
	admissionModule, authModule, bypassModule, hopModule, hostsModule,
	ingressModule, limiterModule, observerModule, recorderModule,
	resolverModule, rewriterModule, routerModule, sdModule,
}

// Server is a running set of reference plugins: one gRPC server with all 13
// services and one HTTP server with one path per module.
type Server struct {
	token  string
	scheme string

	grpcLn  net.Listener
	httpLn  net.Listener
	grpcSrv *grpc.Server
	httpSrv *http.Server

	calls     map[string]*atomic.Int64 // by module; the map itself is read-only after Start
	byService map[string]string        // gRPC service name → module

	// Policy state shared by both transports.
	events  atomic.Int64 // observer events received
	ingress *ingressTable
	sd      *sdRegistry

	stopOnce sync.Once
	stopping chan struct{} // closed when shutdown begins
	wg       sync.WaitGroup

	errMu sync.Mutex
	err   error // first unexpected serve error
}

// Start listens on 127.0.0.1:0 twice, one gRPC server with all 13 services
// registered and one HTTP server, and serves until ctx ends or Close is
// called. Close must be called in either case to wait for the servers.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("refplugin: start: %w", err)
	}
	if opts.TLS != nil && len(opts.TLS.Certificates) == 0 &&
		opts.TLS.GetCertificate == nil && opts.TLS.GetConfigForClient == nil {
		return nil, ErrNoCertificate
	}

	s := &Server{
		token:     opts.Token,
		scheme:    "http",
		calls:     make(map[string]*atomic.Int64, len(modules)),
		byService: make(map[string]string, len(modules)),
		ingress:   newIngressTable(),
		sd:        newSDRegistry(),
		stopping:  make(chan struct{}),
	}

	gopts := []grpc.ServerOption{
		grpc.ChainUnaryInterceptor(s.intercept),
		// Stop then also waits for running handlers, so Close leaves nothing behind.
		grpc.WaitForHandlers(true),
	}
	if opts.TLS != nil {
		// credentials.NewTLS clones the config and adds "h2" to NextProtos,
		// which grpc-go clients require.
		gopts = append(gopts, grpc.Creds(credentials.NewTLS(opts.TLS)))
		s.scheme = "https"
	}
	s.grpcSrv = grpc.NewServer(gopts...)

	mux := http.NewServeMux()
	for _, m := range modules {
		s.calls[m.name] = new(atomic.Int64)
		s.byService[m.service] = m.name
		m.register(s, s.grpcSrv)
		mux.Handle("/"+m.name, s.instrument(m.name, m.handler(s)))
	}
	s.httpSrv = &http.Server{
		Handler: mux,
		// Cloned because net/http adds "h2" to the server's TLSConfig in place.
		TLSConfig:         opts.TLS.Clone(),
		ReadHeaderTimeout: 10 * time.Second,
		// TLS handshake failures and the like would otherwise go to the
		// process's log; a library must stay quiet.
		ErrorLog: log.New(io.Discard, "", 0),
	}

	var lc net.ListenConfig
	var err error
	if s.grpcLn, err = lc.Listen(ctx, "tcp", listenAddr); err != nil {
		return nil, fmt.Errorf("refplugin: listen grpc: %w", err)
	}
	if s.httpLn, err = lc.Listen(ctx, "tcp", listenAddr); err != nil {
		_ = s.grpcLn.Close()
		return nil, fmt.Errorf("refplugin: listen http: %w", err)
	}

	s.wg.Add(3)
	go func() {
		defer s.wg.Done()
		if err := s.grpcSrv.Serve(s.grpcLn); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			s.fail(fmt.Errorf("refplugin: serve grpc: %w", err))
		}
	}()
	go func() {
		defer s.wg.Done()
		var err error
		if opts.TLS != nil {
			// ServeTLS adds "http/1.1" to NextProtos, so HTTP/1.1-only
			// clients such as GOST's can negotiate.
			err = s.httpSrv.ServeTLS(s.httpLn, "", "")
		} else {
			err = s.httpSrv.Serve(s.httpLn)
		}
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.fail(fmt.Errorf("refplugin: serve http: %w", err))
		}
	}()
	go func() {
		defer s.wg.Done()
		select {
		case <-ctx.Done():
			s.shutdown()
		case <-s.stopping:
		}
	}()
	return s, nil
}

// GRPCAddr returns the gRPC server's "127.0.0.1:port", a target GOST's
// grpc.NewClient accepts as is.
func (s *Server) GRPCAddr() string { return s.grpcLn.Addr().String() }

// HTTPURL returns the URL GOST should be configured with for module, e.g.
// "http://127.0.0.1:port/auth" ("https://" with TLS); GOST uses the address
// verbatim, so the path is part of it. It returns "" for an unknown module.
func (s *Server) HTTPURL(module string) string {
	if _, ok := s.calls[module]; !ok {
		return ""
	}
	return s.scheme + "://" + s.httpLn.Addr().String() + "/" + module
}

// Calls returns how many calls module has received over both transports,
// including calls refused for a bad token, method or body, so tests can
// tell "not called" from "called and refused". Unknown modules report 0.
func (s *Server) Calls(module string) int64 {
	c, ok := s.calls[module]
	if !ok {
		return 0
	}
	return c.Load()
}

// Close stops both servers and waits for their goroutines to return. It is
// safe to call more than once and after ctx has ended; it reports the first
// unexpected serve error, if any.
func (s *Server) Close() error {
	s.shutdown()
	s.wg.Wait()
	s.errMu.Lock()
	defer s.errMu.Unlock()
	return s.err
}

// shutdown stops both servers once; later callers block until it is done.
func (s *Server) shutdown() {
	s.stopOnce.Do(func() {
		close(s.stopping)
		s.grpcSrv.Stop()
		ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		if err := s.httpSrv.Shutdown(ctx); err != nil {
			_ = s.httpSrv.Close()
		}
	})
}

func (s *Server) fail(err error) {
	s.errMu.Lock()
	if s.err == nil {
		s.err = err
	}
	s.errMu.Unlock()
	// One half of the plugin pair dying would leave a confusing half-server.
	// Safe to call from a serve goroutine: that server's Serve has returned.
	s.shutdown()
}

// intercept counts every gRPC call per module and enforces the token.
func (s *Server) intercept(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if name, ok := s.byService[serviceOf(info.FullMethod)]; ok {
		s.calls[name].Add(1)
	}
	if s.token != "" {
		md, _ := metadata.FromIncomingContext(ctx)
		vals := md.Get("token")
		if len(vals) != 1 || !equalSecret(vals[0], s.token) {
			return nil, status.Error(codes.Unauthenticated, "missing or wrong token")
		}
	}
	return handler(ctx, req)
}

// serviceOf returns "proto.Admission" for "/proto.Admission/Admit".
func serviceOf(fullMethod string) string {
	svc, _, _ := strings.Cut(strings.TrimPrefix(fullMethod, "/"), "/")
	return svc
}

// instrument counts every HTTP request to a module and enforces the token
// before the module sees the request.
func (s *Server) instrument(name string, h http.Handler) http.Handler {
	calls := s.calls[name]
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if s.token != "" && !equalSecret(r.Header.Get("Authorization"), "Bearer "+s.token) {
			w.Header().Set("WWW-Authenticate", "Bearer")
			http.Error(w, "missing or wrong bearer token", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func equalSecret(got, want string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// methods routes a module's HTTP requests by method; any other method gets
// 405, as GOST never sends one.
type methods map[string]http.HandlerFunc

func (m methods) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h, ok := m[r.Method]; ok {
		h(w, r)
		return
	}
	allow := make([]string, 0, len(m))
	for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
		if _, ok := m[method]; ok {
			allow = append(allow, method)
		}
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
}

// post is the shape of most modules: GOST POSTs a JSON body and decodes a JSON reply.
func post[Req any](reply func(Req) any) methods {
	return methods{http.MethodPost: func(w http.ResponseWriter, r *http.Request) {
		var req Req
		if decodeJSON(w, r, &req) {
			writeJSON(w, reply(req))
		}
	}}
}

// decodeJSON reads one JSON value from the body, as GOST's own decoders do
// (trailing bytes ignored), and answers 400 (413 when too large) on failure.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(v)
	if err == nil {
		return true
	}
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		return false
	}
	http.Error(w, "bad JSON body: "+err.Error(), http.StatusBadRequest)
	return false
}

// writeJSON answers 200 with v encoded by encoding/json: GOST decodes with
// encoding/json, so int64 limiter values must be JSON numbers (protojson
// would quote them) and []byte must be base64.
func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encode reply: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(append(b, '\n'))
}
