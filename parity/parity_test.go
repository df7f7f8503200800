package parity

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/go-gost/x/config"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/plugincheck/plugincheck/fixtures"
	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/suites"
)

// callTimeout bounds both sides' calls. GOST itself sets no deadline on gRPC
// calls, so the harness passes a context that ends after it (GOST's callers
// do the same when dialTimeout is set), and mockclient uses it as its own
// call deadline.
const callTimeout = 10 * time.Second

// adapter drives one operation of one module on both sides.
type adapter struct {
	module mockclient.Module
	op     string
	// newGOST builds GOST's client through x's config parsing from the
	// plugin block, exactly as a GOST config would.
	newGOST func(t *testing.T, plugin *config.PluginConfig) any
	// callGOST calls GOST's client with a mockclient request (a pointer to
	// the operation's request type) and returns GOST's result in the form
	// of compare: the same type callMock's verdict is projected to.
	callGOST func(ctx context.Context, client any, req any) any
	// project reduces mockclient's verdict to what GOST's API exposes.
	project func(verdict any) any
	// ok is the reply of a plugin that accepts the request, per transport.
	ok func(mockclient.Transport) reply
	// faults are the module's own replies besides the generic ones.
	faults func(mockclient.Transport) []reply
	// extra are request shapes besides those of the shipped fixtures.
	extra []any
	// gostCalls is how many requests GOST sends per call (2 for the
	// limiter's In and Out); 0 means 1.
	gostCalls int
}

// pluginConfig is GOST's plugin block for a server.
func pluginConfig(s *server, m mockclient.Module, token string, tls *config.TLSConfig) *config.PluginConfig {
	return &config.PluginConfig{Type: string(s.transport), Addr: s.addrFor(m), Token: token, TLS: tls}
}

// mockConfig is the same plugin block for mockclient.
func mockConfig(p *config.PluginConfig) mockclient.Config {
	cfg := mockclient.Config{Addr: p.Addr, Transport: mockclient.Transport(p.Type), Token: p.Token, Timeout: p.Timeout, CallTimeout: callTimeout}
	if p.TLS != nil {
		cfg.TLS = &mockclient.TLSConfig{Secure: p.TLS.Secure, ServerName: p.TLS.ServerName}
	}
	return cfg
}

// shippedSuites parses the shipped fixtures once for every test: built-in,
// reference and example suites.
var shippedSuites = sync.OnceValues(func() ([]*suites.Suite, error) {
	return suites.Parse(fixtures.FS, fixtures.BuiltinDir, fixtures.ReferenceDir, fixtures.ExamplesDir)
})

// fixtureRequests returns the requests of every shipped fixture case of the
// operation. The suites are shared, so callers only read the requests.
func fixtureRequests(t *testing.T, m mockclient.Module, op string) []any {
	t.Helper()
	ss, err := shippedSuites()
	require.NoError(t, err)
	var out []any
	for _, s := range ss {
		if s.Module != m {
			continue
		}
		for _, c := range s.Cases {
			for _, st := range c.Steps {
				if st.Op.Name == op {
					out = append(out, st.Request)
				}
			}
		}
	}
	return out
}

// genericFaults are failure replies every module gets, on top of its own.
func genericFaults(t mockclient.Transport) []reply {
	if t == mockclient.GRPC {
		return []reply{
			{Name: "grpc-internal", GRPCErr: statusErr(13, "boom")},
			{Name: "grpc-unauthenticated", GRPCErr: statusErr(16, "token")},
			{Name: "grpc-unavailable", GRPCErr: statusErr(14, "down")},
			{Name: "grpc-unimplemented", GRPCErr: statusErr(12, "no such method")},
			{Name: "grpc-permission-denied", GRPCErr: statusErr(7, "no")},
		}
	}
	return []reply{
		{Name: "http-201", Status: 201, Body: `{"ok":true}`},
		{Name: "http-204", Status: 204},
		{Name: "http-403", Status: 403, Body: `{"ok":true}`},
		{Name: "http-500", Status: 500, Body: "internal error"},
		{Name: "empty-body", Status: 200, Body: ""},
		{Name: "null", Status: 200, Body: "null"},
		{Name: "garbage", Status: 200, Body: "<html>not json</html>"},
		{Name: "empty-object", Status: 200, Body: "{}"},
		{Name: "array", Status: 200, Body: "[]"},
		// Far over every buffer and per-read chunk of both clients, far
		// under plugincheck's 32 MiB cap: both read and decode it. More
		// would only cost seconds of JSON decoding per call.
		{Name: "oversized", Status: 200, Body: `{"padding":"` + string(bytes.Repeat([]byte("x"), 1<<20)) + `"}`},
	}
}

// outcome is one side of one differential case.
type outcome struct {
	Verdict any    `json:"verdict"`
	Wire    []wire `json:"wire"`
}

// record is both sides of one case, written to $PARITY_RECORD when set.
type record struct {
	Module    string  `json:"module"`
	Op        string  `json:"op"`
	Transport string  `json:"transport"`
	Request   any     `json:"request"`
	Reply     string  `json:"reply"`
	GOST      outcome `json:"gost"`
	Mock      outcome `json:"plugincheck"`
}

var recordMu sync.Mutex

func writeRecord(t *testing.T, r record) {
	t.Helper()
	path := os.Getenv("PARITY_RECORD")
	if path == "" {
		return
	}
	b, err := json.Marshal(r)
	require.NoError(t, err)
	recordMu.Lock()
	defer recordMu.Unlock()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	require.NoError(t, err)
	defer f.Close()
	_, err = f.Write(append(b, '\n'))
	require.NoError(t, err)
}

// runDifferential feeds both clients every request with the accepting reply,
// then the first requests with every fault, and asserts identical wire
// requests and identical verdicts.
func runDifferential(t *testing.T, a adapter) {
	for _, tr := range mockclient.Transports() {
		t.Run(string(tr), func(t *testing.T) {
			t.Parallel()
			srv := startServer(t, tr, nil)
			plugin := pluginConfig(srv, a.module, "parity-token", nil)
			gost := a.newGOST(t, plugin)
			mc, err := mockclient.New(mockConfig(plugin))
			require.NoError(t, err)
			t.Cleanup(func() { _ = mc.Close() })
			op, err := mockclient.LookupOperation(a.module, a.op)
			require.NoError(t, err)

			requests := append(fixtureRequests(t, a.module, a.op), a.extra...)
			require.NotEmpty(t, requests, "no request shapes for %s/%s", a.module, a.op)
			for i, req := range requests {
				compareOne(t, srv, a, op, gost, mc, fmt.Sprintf("request-%d", i), req, a.ok(tr))
			}
			faults := append(genericFaults(tr), a.faults(tr)...)
			for _, f := range faults {
				for i, req := range requests[:min(2, len(requests))] {
					compareOne(t, srv, a, op, gost, mc, fmt.Sprintf("%s/request-%d", f.Name, i), req, f)
				}
			}
		})
	}
}

// compareOne runs one request on both sides and returns what the server
// received from each.
func compareOne(t *testing.T, srv *server, a adapter, op mockclient.Operation, gost any, mc *mockclient.Client, name string, req any, rep reply) (gostWire, mockWire []wire) {
	t.Helper()
	srv.reply(rep)
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	gostVerdict := a.callGOST(ctx, gost, req)
	gostWire = srv.take()
	out := op.Do(context.Background(), mc, req)
	mockWire = srv.take()
	mockVerdict := a.project(out.Verdict)

	writeRecord(t, record{Module: string(a.module), Op: a.op, Transport: string(srv.transport), Request: req, Reply: rep.Name,
		GOST: outcome{Verdict: gostVerdict, Wire: gostWire}, Mock: outcome{Verdict: mockVerdict, Wire: mockWire}})

	calls := max(a.gostCalls, 1)
	if assert.Len(t, gostWire, calls*len(mockWire), "%s: GOST sent %d requests, plugincheck %d", name, len(gostWire), len(mockWire)) {
		for i, g := range gostWire {
			assertSameWire(t, name, g, mockWire[i/calls])
		}
	}
	assert.Equal(t, gostVerdict, mockVerdict, "%s (reply %s): verdicts differ for %+v", name, rep.Name, req)
	return gostWire, mockWire
}

// assertSameWire compares two requests field by field. Both sides run the
// same grpc-go and net/http, so even the user agent must match.
func assertSameWire(t *testing.T, name string, gost, mock wire) {
	t.Helper()
	assert.Equal(t, gost.Method, mock.Method, "%s: gRPC method", name)
	assert.Equal(t, gost.Token, mock.Token, "%s: metadata token", name)
	assert.Equal(t, gost.Authority, mock.Authority, "%s: :authority", name)
	assert.Equal(t, gost.UserAgent, mock.UserAgent, "%s: user-agent", name)
	assert.Empty(t, mock.Timeout, "%s: plugincheck must not send grpc-timeout when GOST's caller has no deadline", name)
	assert.Equal(t, gost.SNI, mock.SNI, "%s: SNI", name)
	assert.Equal(t, gost.HTTPMethod, mock.HTTPMethod, "%s: HTTP method", name)
	assert.Equal(t, gost.URI, mock.URI, "%s: URL", name)
	assert.Equal(t, gost.Header, mock.Header, "%s: HTTP headers", name)
	assert.Equal(t, gost.Proto, mock.Proto, "%s: HTTP version", name)
	assert.Equal(t, gost.Body, mock.Body, "%s: HTTP body", name)
	if !bytes.Equal(gost.Message, mock.Message) {
		assert.Equal(t, gost.Message, mock.Message, "%s: gRPC message bytes", name)
	}
}

// strAddr is a net.Addr whose String is exactly a request's client field,
// which is how GOST's handlers fill it from the connection.
type strAddr string

func (a strAddr) Network() string { return "tcp" }
func (a strAddr) String() string  { return string(a) }

var _ net.Addr = strAddr("")

// repoRoot is the main module's directory.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..")
}

var _ = proto.Marshal

func statusErr(code uint32, msg string) error { return status.Error(codes.Code(code), msg) }
