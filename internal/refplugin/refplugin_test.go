package refplugin

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"io"
	"math/big"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	admissionpb "github.com/go-gost/plugin/admission/proto"
	authpb "github.com/go-gost/plugin/auth/proto"
	bypasspb "github.com/go-gost/plugin/bypass/proto"
	hoppb "github.com/go-gost/plugin/hop/proto"
	hostspb "github.com/go-gost/plugin/hosts/proto"
	ingresspb "github.com/go-gost/plugin/ingress/proto"
	limiterpb "github.com/go-gost/plugin/limiter/traffic/proto"
	observerpb "github.com/go-gost/plugin/observer/proto"
	recorderpb "github.com/go-gost/plugin/recorder/proto"
	resolverpb "github.com/go-gost/plugin/resolver/proto"
	rewriterpb "github.com/go-gost/plugin/rewriter/proto"
	routerpb "github.com/go-gost/plugin/router/proto"
	sdpb "github.com/go-gost/plugin/sd/proto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// callTimeout bounds every call a test makes, so a hung server fails the
// test instead of the whole run.
const callTimeout = 10 * time.Second

const (
	grpcT = "grpc"
	httpT = "http"
)

var transports = []string{grpcT, httpT}

// The request and reply shapes below are copies of GOST's own structs
// (x v0.15.2 <module>/plugin/http.go), so the HTTP calls send exactly the
// bytes GOST sends and decode replies the way GOST does.
type (
	gostAdmissionRequest struct {
		Service string `json:"service"`
		Network string `json:"network"`
		Addr    string `json:"addr"`
	}
	gostAuthRequest struct {
		Service               string   `json:"service"`
		Username              string   `json:"username"`
		Password              string   `json:"password"`
		Client                string   `json:"client"`
		ClientCn              string   `json:"clientCn,omitempty"`
		ClientSan             []string `json:"clientSan,omitempty"`
		ClientCertFingerprint string   `json:"clientCertFingerprint,omitempty"`
	}
	gostAuthReply struct {
		OK bool   `json:"ok"`
		ID string `json:"id"`
	}
	gostBypassRequest struct {
		Service string `json:"service"`
		Network string `json:"network"`
		Addr    string `json:"addr"`
		Client  string `json:"client"`
		Host    string `json:"host"`
		Path    string `json:"path"`
	}
	gostOKReply struct {
		OK bool `json:"ok"`
	}
	gostHopRequest struct {
		Network string `json:"network"`
		Addr    string `json:"addr"`
		Host    string `json:"host"`
		Path    string `json:"path"`
		Client  string `json:"client"`
		Src     string `json:"src"`
	}
	gostLookupRequest struct {
		Network string `json:"network"`
		Host    string `json:"host"`
		Client  string `json:"client"`
	}
	gostIPsReply struct {
		IPs []string `json:"ips"`
		OK  bool     `json:"ok"`
	}
	gostSetRuleRequest struct {
		Service  string `json:"service"`
		Host     string `json:"host"`
		Endpoint string `json:"endpoint"`
	}
	gostGetRuleReply struct {
		Endpoint string `json:"endpoint"`
	}
	gostLimitRequest struct {
		Service string `json:"service"`
		Scope   string `json:"scope"`
		Network string `json:"network"`
		Addr    string `json:"addr"`
		Client  string `json:"client"`
		Src     string `json:"src"`
	}
	gostLimitReply struct {
		In  int64 `json:"in"`
		Out int64 `json:"out"`
	}
	gostObserveRequest struct {
		Events []gostEvent `json:"events"`
	}
	gostEvent struct {
		Kind    string      `json:"kind"`
		Service string      `json:"service"`
		Client  string      `json:"client,omitempty"`
		Type    string      `json:"type"`
		Stats   *gostStats  `json:"stats,omitempty"`
		Status  *gostStatus `json:"status,omitempty"`
	}
	gostStats struct {
		TotalConns   uint64 `json:"totalConns"`
		CurrentConns uint64 `json:"currentConns"`
		InputBytes   uint64 `json:"inputBytes"`
		OutputBytes  uint64 `json:"outputBytes"`
		TotalErrs    uint64 `json:"totalErrs"`
	}
	gostStatus struct {
		State string `json:"state"`
		Msg   string `json:"msg"`
	}
	gostDataRequest struct { // recorder and rewriter
		Data     []byte `json:"data"`
		Metadata []byte `json:"metadata"`
	}
	gostRewriteReply struct {
		OK   bool   `json:"ok"`
		Data []byte `json:"data"`
	}
	gostRouteReply struct {
		Net     string `json:"net"`
		Dst     string `json:"dst"`
		Gateway string `json:"gateway"`
	}
	gostSDService struct {
		ID      string `json:"id"`
		Name    string `json:"name"`
		Node    string `json:"node"`
		Network string `json:"network"`
		Address string `json:"address"`
	}
	gostSDGetReply struct {
		Services []*gostSDService `json:"services"`
	}
)

// env is one reference server with a gRPC and an HTTP client that behave like GOST's.
type env struct {
	s  *Server
	cc *grpc.ClientConn
	hc *http.Client
}

func newEnv(t *testing.T, opts Options) *env {
	t.Helper()
	s := startServer(t, opts)
	return &env{s: s, cc: dialGRPC(t, s.GRPCAddr(), insecure.NewCredentials(), opts.Token), hc: newHTTPClient(t, nil)}
}

func startServer(t *testing.T, opts Options) *Server {
	t.Helper()
	s, err := Start(t.Context(), opts)
	require.NoError(t, err)
	t.Cleanup(func() { closeWithin(t, s) })
	return s
}

// closeWithin closes s and fails the test if Close errors or hangs.
func closeWithin(t *testing.T, s *Server) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- s.Close() }()
	select {
	case err := <-done:
		assert.NoError(t, err, "Close")
	case <-time.After(callTimeout):
		t.Errorf("Close did not return within %v", callTimeout)
	}
}

// tokenCreds sends the token the way GOST does: raw, in metadata "token",
// also over plaintext.
type tokenCreds string

func (c tokenCreds) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"token": string(c)}, nil
}

func (tokenCreds) RequireTransportSecurity() bool { return false }

func dialGRPC(t *testing.T, target string, creds credentials.TransportCredentials, token string) *grpc.ClientConn {
	t.Helper()
	opts := []grpc.DialOption{grpc.WithTransportCredentials(creds)}
	if token != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(tokenCreds(token)))
	}
	cc, err := grpc.NewClient(target, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = cc.Close() })
	return cc
}

// newHTTPClient builds a client like GOST's: a fresh transport, and with a
// TLS config, HTTP/1.1 only.
func newHTTPClient(t *testing.T, tlsCfg *tls.Config) *http.Client {
	t.Helper()
	tr := &http.Transport{TLSClientConfig: tlsCfg}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: callTimeout}
}

func callCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), callTimeout)
	t.Cleanup(cancel)
	return ctx
}

// do sends one request with GOST's headers: Content-Type: application/json
// on every request, even bodiless GETs, and a Bearer token when set. body
// is nil (no body), []byte (sent as is) or a value to encode.
func do(t *testing.T, hc *http.Client, method, url, auth string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		v, err := json.Marshal(b)
		require.NoError(t, err)
		rd = bytes.NewReader(v)
	}
	req, err := http.NewRequestWithContext(callCtx(t), method, url, rd)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := hc.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, b
}

// call sends a request to module (optionally "module?query") over HTTP, requires 200 and decodes the
// reply with json.Decoder, as GOST does. It returns the raw body.
func (e *env) call(t *testing.T, method, module string, body, reply any) []byte {
	t.Helper()
	module, query, _ := strings.Cut(module, "?")
	url := e.s.HTTPURL(module)
	if query != "" {
		url += "?" + query
	}
	code, b := do(t, e.hc, method, url, "", body)
	require.Equalf(t, http.StatusOK, code, "%s %s: body %s", method, module, b)
	if reply != nil {
		require.NoError(t, json.NewDecoder(bytes.NewReader(b)).Decode(reply), "body %s", b)
	}
	return b
}

func nonNil(ips []string) []string {
	if ips == nil {
		return []string{}
	}
	return ips
}

func TestAdmission(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	tests := []struct {
		name string
		addr string
		want bool
	}{
		// happy: anything outside the denied ranges
		{"ipv4 client", "192.0.2.10:40000", true},
		{"bare ipv4 from routing rule", "10.1.2.3", true},
		{"ipv6 client", "[2001:db8::1]:443", true},
		{"loopback", "127.0.0.1:5000", true},
		// sad: denied ranges, in every form GOST sends
		{"denied ipv4", "203.0.113.9:5000", false},
		{"denied bare ipv4", "203.0.113.200", false},
		{"denied ipv6", "[2001:db8:bad::1]:443", false},
		{"denied bare ipv6", "2001:db8:bad:ffff::2", false},
		{"denied ipv4-mapped ipv6", "[::ffff:203.0.113.5]:80", false},
		{"hostname is not an ip", "example.com:80", false},
		{"empty addr", "", false},
	}
	for _, tr := range transports {
		for _, tt := range tests {
			t.Run(tr+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				var got bool
				if tr == grpcT {
					r, err := admissionpb.NewAdmissionClient(e.cc).Admit(callCtx(t),
						&admissionpb.AdmissionRequest{Addr: tt.addr, Service: "svc", Network: "tcp"})
					require.NoError(t, err)
					got = r.GetOk()
				} else {
					var r gostOKReply
					e.call(t, http.MethodPost, "admission", gostAdmissionRequest{Service: "svc", Network: "tcp", Addr: tt.addr}, &r)
					got = r.OK
				}
				assert.Equalf(t, tt.want, got, "Admit(%q)", tt.addr)
			})
		}
	}
}

func TestAuth(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	tests := []struct {
		name     string
		user     string
		password string
		mtls     bool
		wantID   string
		wantOK   bool
	}{
		// happy
		{name: "gost", user: "gost", password: "gost", wantID: "gost", wantOK: true},
		{name: "alice", user: "alice", password: "wonderland", wantID: "alice", wantOK: true},
		{name: "utf-8 pair", user: "用户", password: "密码", wantID: "user-cjk", wantOK: true},
		{name: "mtls fields are ignored", user: "alice", password: "wonderland", mtls: true, wantID: "alice", wantOK: true},
		// sad
		{name: "wrong password", user: "alice", password: "gost"},
		{name: "unknown user", user: "bob", password: "bob"},
		{name: "empty pair without proxy-authorization", user: "", password: ""},
		{name: "username only", user: "gost", password: ""},
		{name: "case matters", user: "Gost", password: "gost"},
	}
	for _, tr := range transports {
		for _, tt := range tests {
			t.Run(tr+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				var cn, fp string
				var san []string
				if tt.mtls {
					cn, san, fp = "test-client", []string{"client@example.com"}, strings.Repeat("ab", 32)
				}
				var gotID string
				var gotOK bool
				if tr == grpcT {
					r, err := authpb.NewAuthenticatorClient(e.cc).Authenticate(callCtx(t), &authpb.AuthenticateRequest{
						Username: tt.user, Password: tt.password, Client: "127.0.0.1:40000", Service: "svc",
						ClientCn: cn, ClientSan: san, ClientCertFingerprint: fp,
					})
					require.NoError(t, err)
					gotID, gotOK = r.GetId(), r.GetOk()
				} else {
					var r gostAuthReply
					e.call(t, http.MethodPost, "auth", gostAuthRequest{
						Service: "svc", Username: tt.user, Password: tt.password, Client: "127.0.0.1:40000",
						ClientCn: cn, ClientSan: san, ClientCertFingerprint: fp,
					}, &r)
					gotID, gotOK = r.ID, r.OK
				}
				assert.Equal(t, tt.wantOK, gotOK, "ok")
				assert.Equal(t, tt.wantID, gotID, "id")
			})
		}
	}
}

func TestBypass(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	tests := []struct {
		name string
		addr string
		host string
		want bool
	}{
		// matched
		{"blocked domain as addr", "blocked.example:80", "", true},
		{"subdomain as addr", "www.blocked.example:443", "", true},
		{"bare name from dns handler", "blocked.example", "", true},
		{"names are case-insensitive", "BLOCKED.Example:80", "", true},
		{"hop bypass uses host", "127.0.0.1:443", "api.blocked.example:443", true},
		{"blocked ip", "198.51.100.7:80", "", true},
		{"blocked ip with unblocked host", "198.51.100.7:443", "example.com:443", true},
		// not matched
		{"other domain", "example.com:80", "", false},
		{"suffix without dot", "notblocked.example:80", "", false},
		{"blocked name as a label", "blocked.example.com:80", "", false},
		{"host wins over addr name", "blocked.example:80", "example.com:80", false},
		{"other ip", "192.0.2.1:80", "", false},
		{"empty", "", "", false},
	}
	for _, tr := range transports {
		for _, tt := range tests {
			t.Run(tr+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				var got bool
				if tr == grpcT {
					r, err := bypasspb.NewBypassClient(e.cc).Bypass(callCtx(t),
						&bypasspb.BypassRequest{Addr: tt.addr, Host: tt.host, Network: "tcp", Service: "svc"})
					require.NoError(t, err)
					got = r.GetOk()
				} else {
					var r gostOKReply
					e.call(t, http.MethodPost, "bypass", gostBypassRequest{Service: "svc", Network: "tcp", Addr: tt.addr, Host: tt.host}, &r)
					got = r.OK
				}
				assert.Equalf(t, tt.want, got, "Bypass(addr %q, host %q)", tt.addr, tt.host)
			})
		}
	}
}

func TestHop(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	const wantNode = `{"name":"ref-node","addr":"127.0.0.1:1080","connector":{"type":"socks5"},"dialer":{"type":"tcp"}}`
	tests := []struct {
		name     string
		host     string
		wantNode bool
	}{
		{"chain dial", "example.com:443", true},
		{"forward handler sends no host", "", true},
		{"direct host", "direct.example:443", false},
		{"direct bare host", "direct.example", false},
	}
	for _, tr := range transports {
		for _, tt := range tests {
			t.Run(tr+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				if tr == grpcT {
					r, err := hoppb.NewHopClient(e.cc).Select(callCtx(t),
						&hoppb.SelectRequest{Network: "tcp", Addr: "127.0.0.1:443", Host: tt.host, Src: "127.0.0.1:40000"})
					require.NoError(t, err)
					if tt.wantNode {
						assert.Equal(t, wantNode, string(r.GetNode()))
					} else {
						assert.Empty(t, r.GetNode())
					}
					return
				}
				code, body := do(t, e.hc, http.MethodPost, e.s.HTTPURL("hop"), "",
					gostHopRequest{Network: "tcp", Addr: "127.0.0.1:443", Host: tt.host, Src: "127.0.0.1:40000"})
				if !tt.wantNode {
					assert.Equal(t, http.StatusNotFound, code, "status for no node")
					return
				}
				require.Equal(t, http.StatusOK, code)
				assert.JSONEq(t, wantNode, string(body), "the body is the NodeConfig itself")
			})
		}
	}
}

func TestHostsAndResolver(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	type lookupCase struct {
		name    string
		network string
		host    string
		wantIPs []string
		wantOK  bool
	}
	both := []lookupCase{
		// happy: gost.local follows the network GOST asks for
		{"gost.local ip4", "ip4", "gost.local", []string{"127.0.0.1"}, true},
		{"gost.local ip6", "ip6", "gost.local", []string{"::1"}, true},
		{"gost.local ip", "ip", "gost.local", []string{"127.0.0.1", "::1"}, true},
		{"gost.local tcp", "tcp", "gost.local", []string{"127.0.0.1", "::1"}, true},
		{"names are case-insensitive", "ip4", "GOST.local", []string{"127.0.0.1"}, true},
		{"localhost ip", "ip", "localhost", []string{"127.0.0.1"}, true},
		{"localhost ip4", "ip4", "localhost", []string{"127.0.0.1"}, true},
		// sad
		{"unknown", "ip", "nowhere.example", []string{}, false},
		{"empty host", "ip", "", []string{}, false},
	}
	only := map[string][]lookupCase{
		"hosts":    {{"localhost ip6", "ip6", "localhost", []string{"127.0.0.1"}, true}},
		"resolver": {{"localhost ip6", "ip6", "localhost", []string{"::1"}, true}},
	}
	for _, module := range []string{"hosts", "resolver"} {
		for _, tr := range transports {
			for _, tt := range append(append([]lookupCase{}, both...), only[module]...) {
				t.Run(module+"/"+tr+"/"+tt.name, func(t *testing.T) {
					t.Parallel()
					var gotIPs []string
					var gotOK bool
					switch {
					case tr == httpT:
						var r gostIPsReply
						body := e.call(t, http.MethodPost, module, gostLookupRequest{Network: tt.network, Host: tt.host, Client: "alice"}, &r)
						assert.NotContains(t, string(body), `"ips":null`, "an empty list is encoded as []")
						gotIPs, gotOK = r.IPs, r.OK
					case module == "hosts":
						r, err := hostspb.NewHostMapperClient(e.cc).Lookup(callCtx(t),
							&hostspb.LookupRequest{Network: tt.network, Host: tt.host, Client: "alice"})
						require.NoError(t, err)
						gotIPs, gotOK = r.GetIps(), r.GetOk()
					default:
						r, err := resolverpb.NewResolverClient(e.cc).Resolve(callCtx(t),
							&resolverpb.ResolveRequest{Network: tt.network, Host: tt.host, Client: "alice"})
						require.NoError(t, err)
						gotIPs, gotOK = r.GetIps(), r.GetOk()
					}
					assert.Equal(t, tt.wantIPs, nonNil(gotIPs), "ips")
					assert.Equal(t, tt.wantOK, gotOK, "ok")
				})
			}
		}
	}
}

func TestIngress(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	const seeded = "6ba7b810-9dad-11d1-80b4-00c04fd430c8"

	getRule := func(t *testing.T, tr, host string) string {
		t.Helper()
		if tr == grpcT {
			r, err := ingresspb.NewIngressClient(e.cc).GetRule(callCtx(t), &ingresspb.GetRuleRequest{Host: host, Service: "svc"})
			require.NoError(t, err)
			return r.GetEndpoint()
		}
		// GOST's GetRule: GET ?host=<h>&service=<s> (sorted query), no body.
		var r gostGetRuleReply
		code, body := do(t, e.hc, http.MethodGet, e.s.HTTPURL("ingress")+"?host="+host+"&service=svc", "", nil)
		require.Equal(t, http.StatusOK, code)
		require.NoError(t, json.Unmarshal(body, &r))
		return r.Endpoint
	}
	setRule := func(t *testing.T, tr, host, endpoint string) bool {
		t.Helper()
		if tr == grpcT {
			r, err := ingresspb.NewIngressClient(e.cc).SetRule(callCtx(t), &ingresspb.SetRuleRequest{Host: host, Endpoint: endpoint, Service: "svc"})
			require.NoError(t, err)
			return r.GetOk()
		}
		var r gostOKReply
		e.call(t, http.MethodPut, "ingress", gostSetRuleRequest{Service: "svc", Host: host, Endpoint: endpoint}, &r)
		return r.OK
	}

	gets := []struct {
		name string
		host string
		want string
	}{
		{"seeded host", "app.example", seeded},
		{"entrypoint sends host:port", "app.example:443", seeded},
		{"names are case-insensitive", "APP.example", seeded},
		{"unknown host", "nothing.example", ""},
		{"unknown host with port", "nothing.example:80", ""},
	}
	for _, tr := range transports {
		for _, tt := range gets {
			t.Run(tr+"/get/"+tt.name, func(t *testing.T) {
				t.Parallel()
				assert.Equal(t, tt.want, getRule(t, tr, tt.host))
			})
		}
	}

	sets := []struct {
		name     string
		host     string
		endpoint string
		wantOK   bool
	}{
		{"new rule", "new.example", "3f2504e0-4f89-11d3-9a0c-0305e82c3301", true},
		{"private endpoint", "private.example", "$3f2504e0-4f89-11d3-9a0c-0305e82c3302", true},
		{"empty endpoint", "empty-endpoint.example", "", false},
		{"empty host", "", "3f2504e0-4f89-11d3-9a0c-0305e82c3303", false},
	}
	for _, tr := range transports {
		for _, tt := range sets {
			t.Run(tr+"/set/"+tt.name, func(t *testing.T) {
				t.Parallel()
				// A per-transport host keeps parallel rows apart; the rule
				// is read back over the other transport, as state is shared.
				host := tt.host
				if host != "" {
					host = tr + "." + host
				}
				other := map[string]string{grpcT: httpT, httpT: grpcT}[tr]
				assert.Equal(t, tt.wantOK, setRule(t, tr, host, tt.endpoint), "SetRule ok")
				want := ""
				if tt.wantOK {
					want = tt.endpoint
				}
				assert.Equal(t, want, getRule(t, other, host), "GetRule over %s after SetRule over %s", other, tr)
			})
		}
	}
}

func TestLimiter(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	tests := []struct {
		name    string
		scope   string
		client  string
		wantIn  int64
		wantOut int64
	}{
		{"service scope", "service", "", 10485760, 10485760},
		{"conn scope", "conn", "", 1048576, 1048576},
		{"service scope ignores client", "service", "alice", 10485760, 10485760},
		{"client alice", "client", "alice", 2097152, 1048576},
		{"client bob", "client", "bob", 524288, 524288},
		{"client without auth", "client", "", 524288, 524288},
		{"empty scope is per client", "", "alice", 2097152, 1048576},
	}
	for _, tr := range transports {
		for _, tt := range tests {
			t.Run(tr+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				var in, out int64
				if tr == grpcT {
					r, err := limiterpb.NewLimiterClient(e.cc).Limit(callCtx(t), &limiterpb.LimitRequest{
						Network: "tcp", Addr: "example.com:443", Client: tt.client, Src: "127.0.0.1:40000", Service: "svc", Scope: tt.scope,
					})
					require.NoError(t, err)
					in, out = r.GetIn(), r.GetOut()
				} else {
					var r gostLimitReply
					body := e.call(t, http.MethodPost, "limiter", gostLimitRequest{
						Service: "svc", Scope: tt.scope, Network: "tcp", Addr: "example.com:443", Client: tt.client, Src: "127.0.0.1:40000",
					}, &r)
					// GOST decodes into int64: numbers, never protojson's strings.
					assert.JSONEq(t, `{"in":`+itoa(tt.wantIn)+`,"out":`+itoa(tt.wantOut)+`}`, string(body))
					in, out = r.In, r.Out
				}
				assert.Equal(t, tt.wantIn, in, "in")
				assert.Equal(t, tt.wantOut, out, "out")
			})
		}
	}
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestObserverAndRecorder(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	statusEvent := gostEvent{Kind: "service", Service: "svc", Type: "status", Status: &gostStatus{State: "ready", Msg: "service svc is ready"}}
	statsEvent := gostEvent{Kind: "handler", Service: "svc", Client: "alice", Type: "stats",
		Stats: &gostStats{TotalConns: 3, CurrentConns: 1, InputBytes: 100, OutputBytes: 200, TotalErrs: 1}}

	// Sequential: the event count is checked at the end.
	var r gostOKReply
	e.call(t, http.MethodPost, "observer", gostObserveRequest{Events: []gostEvent{statusEvent, statsEvent}}, &r)
	assert.True(t, r.OK, "observer over http")
	or, err := observerpb.NewObserverClient(e.cc).Observe(callCtx(t), &observerpb.ObserveRequest{Events: []*observerpb.Event{
		{Kind: "service", Service: "svc", Type: "status", Status: &observerpb.ServiceStatus{State: "running", Msg: "service svc is running"}},
		{Kind: "service", Service: "svc", Type: "stats", Stats: &observerpb.Stats{TotalConns: 1}},
		{Kind: "handler", Service: "svc", Client: "alice", Type: "stats", Stats: &observerpb.Stats{InputBytes: 5}},
	}})
	require.NoError(t, err)
	assert.True(t, or.GetOk(), "observer over grpc")
	assert.Equal(t, int64(5), e.s.events.Load(), "events received")

	records := []struct {
		name     string
		data     []byte
		metadata []byte
	}{
		{"client address", []byte("127.0.0.1"), []byte("null")},
		{"handler record", []byte(`{"service":"svc","network":"tcp"}`), []byte(`{"direction":true}`)},
		{"binary serial chunk", []byte{0, 1, 2, 0xff}, nil},
	}
	for _, tr := range transports {
		for _, tt := range records {
			t.Run("recorder/"+tr+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				if tr == grpcT {
					r, err := recorderpb.NewRecorderClient(e.cc).Record(callCtx(t), &recorderpb.RecordRequest{Data: tt.data, Metadata: tt.metadata})
					require.NoError(t, err)
					assert.True(t, r.GetOk())
					return
				}
				var r gostOKReply
				e.call(t, http.MethodPost, "recorder", gostDataRequest{Data: tt.data, Metadata: tt.metadata}, &r)
				assert.True(t, r.OK)
			})
		}
	}
}

func TestRewriter(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	tests := []struct {
		name     string
		data     []byte
		metadata string
		wantData string
		wantOK   bool
	}{
		// rewritten
		{"response with secret", []byte(`{"token":"secret","note":"a secret"}`), `{"sid":"s1","direction":"response","uri":"/x"}`, `{"token":"[redacted]","note":"a [redacted]"}`, true},
		{"sse event", []byte("data: secret\n\n"), `{"sid":"s1","direction":"response","sse_phase":"event","event_index":0}`, "data: [redacted]\n\n", true},
		// kept
		{"request with secret", []byte("secret"), `{"direction":"request"}`, "", false},
		{"response without secret", []byte("public"), `{"direction":"response"}`, "", false},
		{"sse end has no data", nil, `{"direction":"response","sse_phase":"end"}`, "", false},
		{"metadata null", []byte("secret"), `null`, "", false},
		{"metadata not json", []byte("secret"), `{direction:response`, "", false},
		{"direction not a string", []byte("secret"), `{"direction":1}`, "", false},
	}
	for _, tr := range transports {
		for _, tt := range tests {
			t.Run(tr+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				var data []byte
				var ok bool
				if tr == grpcT {
					r, err := rewriterpb.NewRewriterClient(e.cc).Rewrite(callCtx(t), &rewriterpb.RewriteRequest{Data: tt.data, Metadata: []byte(tt.metadata)})
					require.NoError(t, err)
					data, ok = r.GetData(), r.GetOk()
				} else {
					var r gostRewriteReply
					body := e.call(t, http.MethodPost, "rewriter", gostDataRequest{Data: tt.data, Metadata: []byte(tt.metadata)}, &r)
					if !tt.wantOK {
						assert.JSONEq(t, `{"ok":false}`, string(body), "no data key when not rewriting")
					}
					data, ok = r.Data, r.OK
				}
				assert.Equal(t, tt.wantOK, ok, "ok")
				assert.Equal(t, tt.wantData, string(data), "data")
			})
		}
	}
}

func TestRouter(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	tests := []struct {
		name    string
		dst     string
		id      string
		wantDst string
		wantGW  string
	}{
		{"router handler packet", "10.1.2.3", "6ba7b810-9dad-11d1-80b4-00c04fd430c8", "10.0.0.0/8", "192.168.1.1"},
		{"tun handler sends no id", "10.255.255.255", "", "10.0.0.0/8", "192.168.1.1"},
		{"outside 10/8", "192.168.0.1", "", "", ""},
		{"ipv6", "2001:db8::1", "", "", ""},
		{"not an ip", "not-an-ip", "", "", ""},
		{"cidr is not an ip", "10.0.0.0/8", "", "", ""},
	}
	for _, tr := range transports {
		for _, tt := range tests {
			t.Run(tr+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				var dst, gw string
				if tr == grpcT {
					r, err := routerpb.NewRouterClient(e.cc).GetRoute(callCtx(t), &routerpb.GetRouteRequest{Dst: tt.dst, Id: tt.id})
					require.NoError(t, err)
					dst, gw = r.GetDst(), r.GetGateway()
				} else {
					// GOST: GET ?dst=<ip>[&id=<rid>], sorted query, no body.
					q := "?dst=" + tt.dst
					if tt.id != "" {
						q += "&id=" + tt.id
					}
					var r gostRouteReply
					code, body := do(t, e.hc, http.MethodGet, e.s.HTTPURL("router")+q, "", nil)
					require.Equal(t, http.StatusOK, code)
					require.NoError(t, json.Unmarshal(body, &r))
					dst, gw = r.Dst, r.Gateway
				}
				assert.Equal(t, tt.wantDst, dst, "dst")
				assert.Equal(t, tt.wantGW, gw, "gateway")
			})
		}
	}
}

func TestSD(t *testing.T) {
	t.Parallel()
	type svc = gostSDService
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, Options{}) // each transport gets its own registry
			write := func(op string, s svc) bool {
				t.Helper()
				if tr == httpT {
					method := map[string]string{"register": http.MethodPost, "renew": http.MethodPut, "deregister": http.MethodDelete}[op]
					var r gostOKReply
					e.call(t, method, "sd", s, &r) // the flat object, not {"service":...}
					return r.OK
				}
				c, in := sdpb.NewSDClient(e.cc), &sdpb.Service{Id: s.ID, Name: s.Name, Node: s.Node, Network: s.Network, Address: s.Address}
				var ok bool
				var err error
				switch op {
				case "register":
					var r *sdpb.RegisterReply
					r, err = c.Register(callCtx(t), &sdpb.RegisterRequest{Service: in})
					ok = r.GetOk()
				case "renew":
					var r *sdpb.RenewReply
					r, err = c.Renew(callCtx(t), &sdpb.RenewRequest{Service: in})
					ok = r.GetOk()
				case "deregister":
					var r *sdpb.DeregisterReply
					r, err = c.Deregister(callCtx(t), &sdpb.DeregisterRequest{Service: in})
					ok = r.GetOk()
				}
				require.NoError(t, err)
				return ok
			}
			get := func(name string) []svc {
				t.Helper()
				out := []svc{}
				if tr == httpT {
					var r gostSDGetReply
					e.call(t, http.MethodGet, "sd?name="+name, nil, &r)
					for _, s := range r.Services {
						if s != nil {
							out = append(out, *s)
						}
					}
					return out
				}
				r, err := sdpb.NewSDClient(e.cc).Get(callCtx(t), &sdpb.GetServiceRequest{Name: name})
				require.NoError(t, err)
				for _, s := range r.GetServices() {
					out = append(out, svc{ID: s.GetId(), Name: s.GetName(), Node: s.GetNode(), Network: s.GetNetwork(), Address: s.GetAddress()})
				}
				return out
			}

			b := svc{ID: "conn-b", Name: "tunnel-1", Node: "node-1", Network: "tcp", Address: ":8421"}
			a := svc{ID: "conn-a", Name: "tunnel-1", Node: "node-1", Network: "udp", Address: ":8422"}
			c := svc{ID: "conn-c", Name: "tunnel-2", Node: "node-2", Network: "tcp", Address: ":8423"}
			for _, s := range []svc{b, a, c} {
				require.True(t, write("register", s), "register %s", s.ID)
			}
			assert.False(t, write("register", svc{Name: "tunnel-1", Node: "node-9"}), "register without id")
			assert.Equal(t, []svc{a, b}, get("tunnel-1"), "get sorts by id")
			assert.Equal(t, []svc{c}, get("tunnel-2"))
			assert.Empty(t, get("no-such-tunnel"))

			// GOST's renew carries only id, name and node.
			assert.True(t, write("renew", svc{ID: "conn-a", Name: "tunnel-1", Node: "node-7"}))
			a.Node = "node-7"
			assert.Equal(t, []svc{a, b}, get("tunnel-1"), "renew keeps network and address")
			d := svc{ID: "conn-d", Name: "tunnel-1", Node: "node-1"}
			assert.True(t, write("renew", d), "renew of an unknown id inserts it")
			assert.Equal(t, []svc{a, b, d}, get("tunnel-1"))
			assert.False(t, write("renew", svc{Name: "tunnel-1"}), "renew without id")

			assert.True(t, write("deregister", svc{ID: "conn-a", Name: "tunnel-1", Node: "node-7"}))
			assert.True(t, write("deregister", svc{ID: "conn-a"}), "deregister is idempotent")
			assert.False(t, write("deregister", svc{}), "deregister without id")
			assert.Equal(t, []svc{b, d}, get("tunnel-1"))
		})
	}
}

// TestSDSharedAcrossTransports checks that GOST's Get over one transport
// sees a registration made over the other.
func TestSDSharedAcrossTransports(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	_, err := sdpb.NewSDClient(e.cc).Register(callCtx(t), &sdpb.RegisterRequest{Service: &sdpb.Service{Id: "g", Name: "shared", Node: "n", Network: "tcp", Address: ":1"}})
	require.NoError(t, err)
	var r gostOKReply
	e.call(t, http.MethodPost, "sd", gostSDService{ID: "h", Name: "shared", Node: "n", Network: "udp", Address: ":2"}, &r)
	require.True(t, r.OK)

	body := e.call(t, http.MethodGet, "sd?name=shared", nil, nil)
	assert.JSONEq(t, `{"services":[
		{"id":"g","name":"shared","node":"n","network":"tcp","address":":1"},
		{"id":"h","name":"shared","node":"n","network":"udp","address":":2"}]}`, string(body))
	reply, err := sdpb.NewSDClient(e.cc).Get(callCtx(t), &sdpb.GetServiceRequest{Name: "shared"})
	require.NoError(t, err)
	require.Len(t, reply.GetServices(), 2)
	assert.Equal(t, "h", reply.GetServices()[1].GetId())

	empty := e.call(t, http.MethodGet, "sd?name=none", nil, nil)
	assert.JSONEq(t, `{"services":[]}`, string(empty))
}

// rpc is one gRPC method of the v0.5.0 stubs, called with an empty request.
type rpc struct {
	module string
	method string
	call   func(context.Context, grpc.ClientConnInterface) error
}

// allRPCs lists every gRPC method GOST calls, one or more per module.
var allRPCs = []rpc{
	{"admission", "Admit", func(ctx context.Context, cc grpc.ClientConnInterface) error {
		_, err := admissionpb.NewAdmissionClient(cc).Admit(ctx, &admissionpb.AdmissionRequest{})
		return err
	}},
	{"auth", "Authenticate", func(ctx context.Context, cc grpc.ClientConnInterface) error {
		_, err := authpb.NewAuthenticatorClient(cc).Authenticate(ctx, &authpb.AuthenticateRequest{})
		return err
	}},
	{"bypass", "Bypass", func(ctx context.Context, cc grpc.ClientConnInterface) error {
		_, err := bypasspb.NewBypassClient(cc).Bypass(ctx, &bypasspb.BypassRequest{})
		return err
	}},
	{"hop", "Select", func(ctx context.Context, cc grpc.ClientConnInterface) error {
		_, err := hoppb.NewHopClient(cc).Select(ctx, &hoppb.SelectRequest{})
		return err
	}},
	{"hosts", "Lookup", func(ctx context.Context, cc grpc.ClientConnInterface) error {
		_, err := hostspb.NewHostMapperClient(cc).Lookup(ctx, &hostspb.LookupRequest{})
		return err
	}},
	{"ingress", "GetRule", func(ctx context.Context, cc grpc.ClientConnInterface) error {
		_, err := ingresspb.NewIngressClient(cc).GetRule(ctx, &ingresspb.GetRuleRequest{})
		return err
	}},
	{"ingress", "SetRule", func(ctx context.Context, cc grpc.ClientConnInterface) error {
		_, err := ingresspb.NewIngressClient(cc).SetRule(ctx, &ingresspb.SetRuleRequest{})
		return err
	}},
	{"limiter", "Limit", func(ctx context.Context, cc grpc.ClientConnInterface) error {
		_, err := limiterpb.NewLimiterClient(cc).Limit(ctx, &limiterpb.LimitRequest{})
		return err
	}},
	{"observer", "Observe", func(ctx context.Context, cc grpc.ClientConnInterface) error {
		_, err := observerpb.NewObserverClient(cc).Observe(ctx, &observerpb.ObserveRequest{})
		return err
	}},
	{"recorder", "Record", func(ctx context.Context, cc grpc.ClientConnInterface) error {
		_, err := recorderpb.NewRecorderClient(cc).Record(ctx, &recorderpb.RecordRequest{})
		return err
	}},
	{"resolver", "Resolve", func(ctx context.Context, cc grpc.ClientConnInterface) error {
		_, err := resolverpb.NewResolverClient(cc).Resolve(ctx, &resolverpb.ResolveRequest{})
		return err
	}},
	{"rewriter", "Rewrite", func(ctx context.Context, cc grpc.ClientConnInterface) error {
		_, err := rewriterpb.NewRewriterClient(cc).Rewrite(ctx, &rewriterpb.RewriteRequest{})
		return err
	}},
	{"router", "GetRoute", func(ctx context.Context, cc grpc.ClientConnInterface) error {
		_, err := routerpb.NewRouterClient(cc).GetRoute(ctx, &routerpb.GetRouteRequest{})
		return err
	}},
	{"sd", "Register", func(ctx context.Context, cc grpc.ClientConnInterface) error {
		_, err := sdpb.NewSDClient(cc).Register(ctx, &sdpb.RegisterRequest{})
		return err
	}},
	{"sd", "Renew", func(ctx context.Context, cc grpc.ClientConnInterface) error {
		_, err := sdpb.NewSDClient(cc).Renew(ctx, &sdpb.RenewRequest{})
		return err
	}},
	{"sd", "Deregister", func(ctx context.Context, cc grpc.ClientConnInterface) error {
		_, err := sdpb.NewSDClient(cc).Deregister(ctx, &sdpb.DeregisterRequest{})
		return err
	}},
	{"sd", "Get", func(ctx context.Context, cc grpc.ClientConnInterface) error {
		_, err := sdpb.NewSDClient(cc).Get(ctx, &sdpb.GetServiceRequest{})
		return err
	}},
}

// httpCall is one HTTP request GOST makes, with a minimal valid body.
type httpCall struct {
	module string
	method string
	body   any
}

// allHTTPCalls lists every method GOST uses on every module path.
var allHTTPCalls = []httpCall{
	{"admission", http.MethodPost, []byte(`{}`)},
	{"auth", http.MethodPost, []byte(`{}`)},
	{"bypass", http.MethodPost, []byte(`{}`)},
	{"hop", http.MethodPost, []byte(`{}`)},
	{"hosts", http.MethodPost, []byte(`{}`)},
	{"ingress", http.MethodGet, nil},
	{"ingress", http.MethodPut, []byte(`{}`)},
	{"limiter", http.MethodPost, []byte(`{}`)},
	{"observer", http.MethodPost, []byte(`{"events":[]}`)},
	{"recorder", http.MethodPost, []byte(`{}`)},
	{"resolver", http.MethodPost, []byte(`{}`)},
	{"rewriter", http.MethodPost, []byte(`{}`)},
	{"router", http.MethodGet, nil},
	{"sd", http.MethodPost, []byte(`{}`)},
	{"sd", http.MethodPut, []byte(`{}`)},
	{"sd", http.MethodDelete, []byte(`{}`)},
	{"sd", http.MethodGet, nil},
}

func TestAllServicesRegistered(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	for _, r := range allRPCs {
		t.Run(r.module+"/"+r.method, func(t *testing.T) {
			t.Parallel()
			assert.NoError(t, r.call(callCtx(t), e.cc))
		})
	}
	for _, c := range allHTTPCalls {
		t.Run(c.module+"/"+c.method, func(t *testing.T) {
			t.Parallel()
			code, body := do(t, e.hc, c.method, e.s.HTTPURL(c.module), "", c.body)
			assert.Equal(t, http.StatusOK, code, "body %s", body)
		})
	}
}

func TestToken(t *testing.T) {
	t.Parallel()
	const token = "s3cret"
	s := startServer(t, Options{Token: token})
	hc := newHTTPClient(t, nil)

	grpcCases := []struct {
		name  string
		token string
		want  codes.Code
	}{
		{"right token", token, codes.OK},
		{"no token", "", codes.Unauthenticated},
		{"wrong token", "wrong", codes.Unauthenticated},
		{"bearer prefix is not gost's form", "Bearer " + token, codes.Unauthenticated},
	}
	for _, gc := range grpcCases {
		cc := dialGRPC(t, s.GRPCAddr(), insecure.NewCredentials(), gc.token)
		for _, r := range allRPCs {
			t.Run("grpc/"+gc.name+"/"+r.module+"/"+r.method, func(t *testing.T) {
				t.Parallel()
				err := r.call(callCtx(t), cc)
				assert.Equal(t, gc.want, status.Code(err), "status.Code(%v)", err)
			})
		}
	}

	httpCases := []struct {
		name string
		auth string
		want int
	}{
		{"right token", "Bearer " + token, http.StatusOK},
		{"no header", "", http.StatusUnauthorized},
		{"wrong token", "Bearer wrong", http.StatusUnauthorized},
		{"raw token", token, http.StatusUnauthorized},
		{"lowercase scheme", "bearer " + token, http.StatusUnauthorized},
		{"double space", "Bearer  " + token, http.StatusUnauthorized},
		{"basic", "Basic czNjcmV0", http.StatusUnauthorized},
	}
	for _, hcase := range httpCases {
		for _, c := range allHTTPCalls {
			t.Run("http/"+hcase.name+"/"+c.module+"/"+c.method, func(t *testing.T) {
				t.Parallel()
				code, body := do(t, hc, c.method, s.HTTPURL(c.module), hcase.auth, c.body)
				assert.Equal(t, hcase.want, code, "body %s", body)
			})
		}
	}
}

func TestHTTPErrors(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	hc := newHTTPClient(t, nil)
	tooLarge := append(append([]byte(`{"data":"`), bytes.Repeat([]byte("A"), maxBody)...), `"}`...)
	tests := []struct {
		name      string
		method    string
		path      string
		body      any
		wantCode  int
		wantAllow string
	}{
		// wrong method
		{"get on a post module", http.MethodGet, "/auth", nil, http.StatusMethodNotAllowed, "POST"},
		{"put on a post module", http.MethodPut, "/limiter", []byte(`{}`), http.StatusMethodNotAllowed, "POST"},
		{"post on router", http.MethodPost, "/router", []byte(`{}`), http.StatusMethodNotAllowed, "GET"},
		{"delete on ingress", http.MethodDelete, "/ingress", nil, http.StatusMethodNotAllowed, "GET, PUT"},
		{"patch on sd", http.MethodPatch, "/sd", []byte(`{}`), http.StatusMethodNotAllowed, "GET, POST, PUT, DELETE"},
		// bad body
		{"truncated json", http.MethodPost, "/admission", []byte(`{"addr":`), http.StatusBadRequest, ""},
		{"empty body", http.MethodPost, "/auth", nil, http.StatusBadRequest, ""},
		{"wrong type", http.MethodPost, "/limiter", []byte(`{"scope":1}`), http.StatusBadRequest, ""},
		{"not json on ingress put", http.MethodPut, "/ingress", []byte(`nope`), http.StatusBadRequest, ""},
		{"not json on sd delete", http.MethodDelete, "/sd", []byte(`[`), http.StatusBadRequest, ""},
		{"body over 4 MiB", http.MethodPost, "/recorder", tooLarge, http.StatusRequestEntityTooLarge, ""},
		// wrong path
		{"unknown path", http.MethodPost, "/nope", []byte(`{}`), http.StatusNotFound, ""},
		{"module subpath", http.MethodPost, "/auth/x", []byte(`{}`), http.StatusNotFound, ""},
		{"root", http.MethodGet, "/", nil, http.StatusNotFound, ""},
	}
	base := strings.TrimSuffix(s.HTTPURL("auth"), "/auth")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var rd io.Reader
			if b, ok := tt.body.([]byte); ok {
				rd = bytes.NewReader(b)
			}
			req, err := http.NewRequestWithContext(callCtx(t), tt.method, base+tt.path, rd)
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/json")
			resp, err := hc.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			_, _ = io.Copy(io.Discard, resp.Body)
			assert.Equal(t, tt.wantCode, resp.StatusCode)
			assert.Equal(t, tt.wantAllow, resp.Header.Get("Allow"), "Allow")
		})
	}
}

func TestCalls(t *testing.T) {
	t.Parallel()
	const token = "tok"
	s := startServer(t, Options{Token: token})
	good := dialGRPC(t, s.GRPCAddr(), insecure.NewCredentials(), token)
	bad := dialGRPC(t, s.GRPCAddr(), insecure.NewCredentials(), "")
	hc := newHTTPClient(t, nil)

	want := map[string]int64{}
	for _, r := range allRPCs {
		require.NoError(t, r.call(callCtx(t), good))
		require.Equal(t, codes.Unauthenticated, status.Code(r.call(callCtx(t), bad)))
		want[r.module] += 2
	}
	for _, c := range allHTTPCalls {
		code, _ := do(t, hc, c.method, s.HTTPURL(c.module), "Bearer "+token, c.body)
		require.Equal(t, http.StatusOK, code)
		code, _ = do(t, hc, c.method, s.HTTPURL(c.module), "", c.body)
		require.Equal(t, http.StatusUnauthorized, code)
		want[c.module] += 2
	}
	require.Len(t, want, len(modules))
	for _, m := range modules {
		assert.Equal(t, want[m.name], s.Calls(m.name), "Calls(%q), refused calls included", m.name)
	}
	assert.Zero(t, s.Calls("nope"), "unknown module")
	assert.Empty(t, s.HTTPURL("nope"), "unknown module")
}

// selfSigned returns a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "refplugin test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	leaf, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

func TestTLS(t *testing.T) {
	t.Parallel()
	cert, pool := selfSigned(t)
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	s := startServer(t, Options{TLS: cfg})
	assert.Empty(t, cfg.NextProtos, "the caller's TLS config is not modified")
	require.True(t, strings.HasPrefix(s.HTTPURL("auth"), "https://127.0.0.1:"), "HTTPURL = %q", s.HTTPURL("auth"))

	clients := []struct {
		name string
		cfg  *tls.Config
	}{
		{"verified", &tls.Config{RootCAs: pool}},
		// GOST's `tls: {}`: only ServerName and InsecureSkipVerify are set.
		{"gost tls block", &tls.Config{InsecureSkipVerify: true}}, //nolint:gosec // that is what GOST sends
	}
	for _, c := range clients {
		t.Run("grpc/"+c.name, func(t *testing.T) {
			t.Parallel()
			cc := dialGRPC(t, s.GRPCAddr(), credentials.NewTLS(c.cfg), "")
			var p peer.Peer
			r, err := authpb.NewAuthenticatorClient(cc).Authenticate(callCtx(t),
				&authpb.AuthenticateRequest{Username: "gost", Password: "gost"}, grpc.Peer(&p))
			require.NoError(t, err)
			assert.True(t, r.GetOk())
			info, ok := p.AuthInfo.(credentials.TLSInfo)
			require.True(t, ok, "AuthInfo is %T", p.AuthInfo)
			assert.Equal(t, "h2", info.State.NegotiatedProtocol, "ALPN")
		})
		t.Run("http/"+c.name, func(t *testing.T) {
			t.Parallel()
			// A custom TLS config turns off Go's automatic HTTP/2, as in GOST.
			hc := newHTTPClient(t, c.cfg)
			req, err := http.NewRequestWithContext(callCtx(t), http.MethodPost, s.HTTPURL("auth"),
				strings.NewReader(`{"service":"svc","username":"gost","password":"gost","client":""}`))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/json")
			resp, err := hc.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			var r gostAuthReply
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&r))
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, gostAuthReply{OK: true, ID: "gost"}, r)
			assert.Equal(t, "HTTP/1.1", resp.Proto)
			require.NotNil(t, resp.TLS)
		})
	}
	t.Run("grpc/plaintext client", func(t *testing.T) {
		t.Parallel()
		cc := dialGRPC(t, s.GRPCAddr(), insecure.NewCredentials(), "")
		_, err := authpb.NewAuthenticatorClient(cc).Authenticate(callCtx(t), &authpb.AuthenticateRequest{})
		assert.Equal(t, codes.Unavailable, status.Code(err), "status.Code(%v)", err)
	})
}

func TestStartErrors(t *testing.T) {
	t.Parallel()
	_, err := Start(t.Context(), Options{TLS: &tls.Config{}})
	assert.ErrorIs(t, err, ErrNoCertificate)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = Start(ctx, Options{})
	assert.ErrorIs(t, err, context.Canceled)
}

// assertStopped checks that both transports refuse calls.
func assertStopped(t *testing.T, s *Server) {
	t.Helper()
	cc := dialGRPC(t, s.GRPCAddr(), insecure.NewCredentials(), "")
	_, err := authpb.NewAuthenticatorClient(cc).Authenticate(callCtx(t), &authpb.AuthenticateRequest{})
	assert.Equal(t, codes.Unavailable, status.Code(err), "gRPC after stop: %v", err)

	req, err := http.NewRequestWithContext(callCtx(t), http.MethodPost, s.HTTPURL("auth"), strings.NewReader(`{}`))
	require.NoError(t, err)
	resp, err := newHTTPClient(t, nil).Do(req)
	if err == nil {
		resp.Body.Close()
	}
	assert.Error(t, err, "HTTP after stop")
}

func TestClose(t *testing.T) {
	t.Parallel()
	s, err := Start(t.Context(), Options{})
	require.NoError(t, err)
	e := &env{s: s, cc: dialGRPC(t, s.GRPCAddr(), insecure.NewCredentials(), ""), hc: newHTTPClient(t, nil)}
	// Open connections on both transports, so Close has something to tear down.
	require.NoError(t, allRPCs[0].call(callCtx(t), e.cc))
	e.call(t, http.MethodPost, "admission", gostAdmissionRequest{Addr: "127.0.0.1:1"}, nil)

	closeWithin(t, s)
	closeWithin(t, s) // a second Close is a no-op
	assertStopped(t, s)
	err = allRPCs[0].call(callCtx(t), e.cc)
	assert.Equal(t, codes.Unavailable, status.Code(err), "existing gRPC client after Close: %v", err)
}

func TestContextEndStopsServer(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	s, err := Start(ctx, Options{})
	require.NoError(t, err)
	cancel()
	select {
	case <-s.stopping:
	case <-time.After(callTimeout):
		t.Fatal("server did not start shutting down after ctx ended")
	}
	closeWithin(t, s)
	assertStopped(t, s)
}

// goroutines returns the stacks of live goroutines that contain any of frames.
func goroutines(frames ...string) []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []string
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		for _, f := range frames {
			if strings.Contains(g, f) {
				out = append(out, g)
				break
			}
		}
	}
	return out
}

// TestCloseLeavesNoGoroutines is deliberately not parallel: parallel tests
// wait until sequential ones finish, so the goroutine dump sees only this
// test's server.
func TestCloseLeavesNoGoroutines(t *testing.T) {
	own := []string{"refplugin.Start", "refplugin.(*Server)"}
	library := []string{
		"net/http.(*Server).Serve", "net/http.(*conn).serve",
		"grpc.(*Server).Serve", "grpc.(*Server).handleRawConn", "grpc.(*Server).serveStreams",
		"transport.(*http2Server)", "transport.NewServerTransport",
	}
	require.Empty(t, goroutines(append(own, library...)...), "goroutines before Start")

	s, err := Start(t.Context(), Options{})
	require.NoError(t, err)
	cc, err := grpc.NewClient(s.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer cc.Close()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	e := &env{s: s, cc: cc, hc: &http.Client{Transport: tr, Timeout: callTimeout}}
	for _, r := range allRPCs {
		require.NoError(t, r.call(callCtx(t), cc))
	}
	for _, c := range allHTTPCalls {
		e.call(t, c.method, c.module, c.body, nil)
	}
	require.NotEmpty(t, goroutines(own...), "serving goroutines while running")

	closeWithin(t, s)
	// Close waits for the goroutines it started, so there is nothing to wait for.
	assert.Empty(t, goroutines(own...), "refplugin goroutines after Close")
	// Connection goroutines of net/http and grpc-go finish just after their
	// connection is closed; give them a bounded moment, as grpc-go's leakcheck does.
	assert.Eventually(t, func() bool { return len(goroutines(library...)) == 0 }, callTimeout, 5*time.Millisecond,
		"server goroutines after Close")
	if t.Failed() {
		t.Logf("left over:\n%s", strings.Join(goroutines(append(own, library...)...), "\n\n"))
	}
}
