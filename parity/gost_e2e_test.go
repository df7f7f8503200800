package parity

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-gost/core/logger"
	"github.com/go-gost/core/service"
	admissionpb "github.com/go-gost/plugin/admission/proto"
	"github.com/go-gost/x/config"
	"github.com/go-gost/x/config/loader"
	"github.com/go-gost/x/registry"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"

	// What GOST's main registers and this config uses: the HTTP proxy
	// handler and the TCP listener. Without chains no connector or dialer
	// is looked up; direct dials go through x's default route.
	_ "github.com/go-gost/x/handler/http"
	_ "github.com/go-gost/x/listener/tcp"

	"github.com/plugincheck/plugincheck/internal/refplugin"
	"github.com/plugincheck/plugincheck/internal/testcert"
	"github.com/plugincheck/plugincheck/mockclient"
)

// gostLoadMu serialises every test that loads a GOST config. x's loader is
// not additive: each Load unregisters (and closes) everything in every
// global registry, services included, before registering the new config, so
// two such tests running at once would tear down each other's services.
// Tests that only call x's parsers (the rest of this package) never touch
// the registries and may run alongside.
var gostLoadMu sync.Mutex

// e2eTimeout bounds every client request through GOST and every plugin call.
const e2eTimeout = 10 * time.Second

// e2eToken is the plugin token, so the e2e also exercises GOST's token
// header/metadata against the reference plugins.
const e2eToken = "e2e-token"

// TestGOSTEndToEnd runs a real GOST HTTP proxy, loaded through x's config
// loader, whose auther, admission and bypass are plugins over gRPC and HTTP,
// drives proxy traffic through it, and asserts that what GOST enforces is
// what mockclient concludes for the same plugin and the same request.
func TestGOSTEndToEnd(t *testing.T) {
	t.Parallel()
	gostLoadMu.Lock()
	t.Cleanup(gostLoadMu.Unlock) // registered first, so it runs last

	target := startTarget(t)
	// Background, not t.Context: the plugins must outlive GOST's services,
	// which are closed in cleanups, after t.Context is done.
	ref, err := refplugin.Start(context.Background(), refplugin.Options{Token: e2eToken})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, ref.Close()) })

	names := map[mockclient.Transport]e2eNames{}
	admPlugins := map[mockclient.Transport]*admissionPlugin{}
	cfg := &config.Config{
		// Explicit default certificate files: without them Load generates a
		// CA and persists it under $HOME/.gost.
		TLS: defaultTLSFiles(t),
		Log: e2eLogConfig(),
		Hosts: []*config.HostsConfig{{
			Name: "e2e-hosts",
			Mappings: []*config.HostMappingConfig{
				// Every name used as a target resolves to loopback, so even a
				// request GOST wrongly let through could only reach 127.0.0.1.
				{IP: "127.0.0.1", Hostname: "blocked.example", Aliases: []string{"www.blocked.example"}},
				{IP: "127.0.0.1", Hostname: "open.example"},
			},
		}},
	}
	for _, tr := range mockclient.Transports() {
		n := newE2ENames(tr)
		names[tr] = n
		adm := startAdmissionPlugin(t, n.svcAdmDeny)
		admPlugins[tr] = adm
		cfg.Authers = append(cfg.Authers, &config.AutherConfig{Name: n.auther, Plugin: refPluginConfig(ref, tr, "auth")})
		cfg.Admissions = append(cfg.Admissions,
			&config.AdmissionConfig{Name: n.admRef, Plugin: refPluginConfig(ref, tr, "admission")},
			&config.AdmissionConfig{Name: n.admTest, Plugin: adm.pluginConfig(tr)},
		)
		cfg.Bypasses = append(cfg.Bypasses, &config.BypassConfig{Name: n.bypass, Plugin: refPluginConfig(ref, tr, "bypass")})
		cfg.Services = append(cfg.Services,
			httpProxyService(n.svcAuth, func(s *config.ServiceConfig) { s.Handler.Auther = n.auther }),
			httpProxyService(n.svcAdmRef, func(s *config.ServiceConfig) { s.Admission = n.admRef }),
			httpProxyService(n.svcAdmAllow, func(s *config.ServiceConfig) { s.Admission = n.admTest }),
			httpProxyService(n.svcAdmDeny, func(s *config.ServiceConfig) { s.Admission = n.admTest }),
			httpProxyService(n.svcBypass, func(s *config.ServiceConfig) {
				s.Bypass = n.bypass
				s.Hosts = "e2e-hosts"
			}),
		)
	}
	svcs := loadGOST(t, cfg)

	for _, tr := range mockclient.Transports() {
		n := names[tr]
		t.Run(string(tr), func(t *testing.T) {
			t.Run("auth", func(t *testing.T) {
				e2eAuth(t, ref, target, svcs[n.svcAuth], n.svcAuth, refPluginConfig(ref, tr, "auth"))
			})
			t.Run("admission", func(t *testing.T) {
				t.Run("reference-plugin", func(t *testing.T) {
					e2eAdmissionRef(t, ref, target, svcs[n.svcAdmRef], n.svcAdmRef, refPluginConfig(ref, tr, "admission"))
				})
				adm := admPlugins[tr]
				for _, svc := range []string{n.svcAdmAllow, n.svcAdmDeny} {
					t.Run("test-plugin/"+svc, func(t *testing.T) {
						e2eAdmissionTest(t, adm, target, svcs[svc], svc, adm.pluginConfig(tr))
					})
				}
			})
			t.Run("bypass", func(t *testing.T) {
				e2eBypass(t, ref, target, svcs[n.svcBypass], n.svcBypass, refPluginConfig(ref, tr, "bypass"))
			})
		})
	}
}

// e2eNames are the registry names of one transport's components; unique
// per transport so both share one Load.
type e2eNames struct {
	auther, admRef, admTest, bypass                        string
	svcAuth, svcAdmRef, svcAdmAllow, svcAdmDeny, svcBypass string
}

func newE2ENames(tr mockclient.Transport) e2eNames {
	p := "e2e-" + string(tr) + "-"
	return e2eNames{
		auther: p + "auther", admRef: p + "admission-ref", admTest: p + "admission-test", bypass: p + "bypass",
		svcAuth: p + "svc-auth", svcAdmRef: p + "svc-admission-ref", svcAdmAllow: p + "svc-admission-allow",
		svcAdmDeny: p + "svc-admission-deny", svcBypass: p + "svc-bypass",
	}
}

// httpProxyService is an HTTP proxy on a free loopback port: the tcp
// listener binds 127.0.0.1:0 during Load and the service reports the bound
// address through Addr.
func httpProxyService(name string, set func(*config.ServiceConfig)) *config.ServiceConfig {
	s := &config.ServiceConfig{
		Name:     name,
		Addr:     "127.0.0.1:0",
		Listener: &config.ListenerConfig{Type: "tcp"},
		Handler:  &config.HandlerConfig{Type: "http"},
		// Bounds GOST's dial to the target.
		Metadata: map[string]any{"dialTimeout": "5s"},
	}
	set(s)
	return s
}

func refPluginConfig(ref *refplugin.Server, tr mockclient.Transport, module string) *config.PluginConfig {
	addr := ref.GRPCAddr()
	if tr == mockclient.HTTP {
		addr = ref.HTTPURL(module)
	}
	return &config.PluginConfig{Type: string(tr), Addr: addr, Token: e2eToken}
}

func e2eLogConfig() *config.LogConfig {
	if os.Getenv("PARITY_GOST_LOG") != "" {
		return &config.LogConfig{Output: "stderr", Level: "debug"}
	}
	return &config.LogConfig{Output: "none"}
}

// defaultTLSFiles writes a throwaway certificate for GOST's global default
// TLS config, which no service here uses.
func defaultTLSFiles(t *testing.T) *config.TLSConfig {
	t.Helper()
	var ca *testcert.CA // nil: self-signed
	cert, err := ca.Issue(testcert.Loopback())
	require.NoError(t, err)
	key, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	require.NoError(t, err)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}), 0o600))
	return &config.TLSConfig{CertFile: certFile, KeyFile: keyFile}
}

// loadGOST loads cfg through x's loader, serves every service in a
// goroutine of its own, and on cleanup closes the services, waits for their
// Serve to return, and unregisters (closing) every component it registered.
// It returns the services' bound addresses by name.
func loadGOST(t *testing.T, cfg *config.Config) map[string]string {
	t.Helper()
	prevLogger := logger.Default()
	t.Cleanup(func() { logger.SetDefault(prevLogger) })
	// Cleanups run last-in first-out: services are closed and drained
	// before the plugin clients they call are closed.
	t.Cleanup(func() { unregisterComponents(cfg) })
	running := map[string]*serving{}
	t.Cleanup(func() { closeServices(t, cfg, running) })
	// Load binds every service's listener (127.0.0.1:0) before returning.
	require.NoError(t, loader.Load(cfg))

	addrs := make(map[string]string, len(cfg.Services))
	for _, sc := range cfg.Services {
		svc := registry.ServiceRegistry().Get(sc.Name)
		require.NotNil(t, svc, "service %s not registered", sc.Name)
		addrs[sc.Name] = svc.Addr().String()
		// The listener is bound, so connections made from now on queue in
		// the kernel until Serve accepts them: no need to wait for Serve.
		running[sc.Name] = serve(svc)
	}
	return addrs
}

// serving is one Serve goroutine: done is closed when it returns, after
// which err holds what Serve returned.
type serving struct {
	done chan struct{}
	err  error
}

func serve(svc service.Service) *serving {
	s := &serving{done: make(chan struct{})}
	go func() {
		defer close(s.done)
		s.err = svc.Serve()
	}()
	return s
}

// closeServices unregisters every service of cfg that is registered, which
// closes it (handler, routers, listener), and waits for its Serve, which
// returns once the accept loop has ended and every handler goroutine has
// finished.
func closeServices(t *testing.T, cfg *config.Config, running map[string]*serving) {
	for _, sc := range cfg.Services {
		registry.ServiceRegistry().Unregister(sc.Name)
		s, ok := running[sc.Name]
		if !ok {
			continue
		}
		select {
		case <-s.done:
			if s.err != nil && !errors.Is(s.err, net.ErrClosed) {
				t.Errorf("service %s: serve: %v", sc.Name, s.err)
			}
		case <-time.After(e2eTimeout):
			t.Errorf("service %s: Serve did not return within %v of Close", sc.Name, e2eTimeout)
		}
	}
}

// unregisterComponents closes GOST's plugin clients (their gRPC
// connections) by unregistering exactly the names this config registered.
func unregisterComponents(cfg *config.Config) {
	for _, c := range cfg.Authers {
		registry.AutherRegistry().Unregister(c.Name)
	}
	for _, c := range cfg.Admissions {
		registry.AdmissionRegistry().Unregister(c.Name)
	}
	for _, c := range cfg.Bypasses {
		registry.BypassRegistry().Unregister(c.Name)
	}
	for _, c := range cfg.Hosts {
		registry.HostsRegistry().Unregister(c.Name)
	}
}

// target is the origin server behind the proxy, on 127.0.0.1 only.
type target struct {
	url  *url.URL
	hits atomic.Int64
}

const targetBody = "served by the e2e target"

func startTarget(t *testing.T) *target {
	t.Helper()
	tg := &target{}
	h := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		tg.hits.Add(1)
		_, _ = io.WriteString(w, targetBody)
	}))
	h.Config.ErrorLog = log.New(io.Discard, "", 0)
	h.Start()
	t.Cleanup(h.Close)
	u, err := url.Parse(h.URL)
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1", u.Hostname(), "the target must listen on loopback")
	tg.url = u
	return tg
}

// urlFor is the target URL with another host name (mapped to 127.0.0.1 by
// GOST's hosts) and the target's port, or no port when port is "".
func (tg *target) urlFor(host, port string) string {
	if port == "" {
		return "http://" + host + "/e2e"
	}
	return "http://" + net.JoinHostPort(host, port) + "/e2e"
}

// proxyResult is what a real HTTP proxy client saw.
type proxyResult struct {
	status int
	body   string
	err    error
	// client is the client's "ip:port" as GOST sees it.
	client string
}

// proxyGet sends one GET through the GOST HTTP proxy at proxyAddr on a fresh
// connection (GOST authenticates only a connection's first request), with
// Proxy-Authorization when user is non-nil.
func proxyGet(t *testing.T, proxyAddr string, user *url.Userinfo, targetURL string) proxyResult {
	t.Helper()
	var mu sync.Mutex
	var local string
	dialer := &net.Dialer{Timeout: e2eTimeout}
	tr := &http.Transport{
		Proxy: http.ProxyURL(&url.URL{Scheme: "http", Host: proxyAddr, User: user}),
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dialer.DialContext(ctx, network, addr)
			if err == nil {
				mu.Lock()
				local = c.LocalAddr().String()
				mu.Unlock()
			}
			return c, err
		},
		DisableKeepAlives: true,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: e2eTimeout}

	ctx, cancel := context.WithTimeout(t.Context(), e2eTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, targetURL, nil)
	require.NoError(t, err)
	var res proxyResult
	resp, err := client.Do(req)
	if err == nil {
		b, rerr := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		res.status, res.body, res.err = resp.StatusCode, string(b), rerr
	} else {
		res.err = err
	}
	mu.Lock()
	res.client = local
	mu.Unlock()
	require.NotEmpty(t, res.client, "the client never connected to GOST at %s: %v", proxyAddr, res.err)
	return res
}

// assertServed asserts GOST forwarded the request to the target.
func assertServed(t *testing.T, tg *target, hitsBefore int64, res proxyResult, msg string) {
	t.Helper()
	if assert.NoError(t, res.err, msg) {
		assert.Equal(t, http.StatusOK, res.status, msg)
		assert.Equal(t, targetBody, res.body, msg)
	}
	assert.Equal(t, hitsBefore+1, tg.hits.Load(), "%s: the target must be reached once", msg)
}

// assertNotForwarded asserts GOST never reached the target.
func assertNotForwarded(t *testing.T, tg *target, hitsBefore int64, msg string) {
	t.Helper()
	assert.Equal(t, hitsBefore, tg.hits.Load(), "%s: the target must not be reached", msg)
}

// assertClosed asserts GOST closed the connection without an HTTP answer,
// rather than timing out.
func assertClosed(t *testing.T, res proxyResult, msg string) {
	t.Helper()
	if !assert.Error(t, res.err, "%s: expected the connection to be closed, got status %d", msg, res.status) {
		return
	}
	var ne net.Error
	assert.False(t, errors.As(res.err, &ne) && ne.Timeout(), "%s: timed out instead of being closed: %v", msg, res.err)
}

// mockClient is mockclient configured from the same plugin block as GOST.
func mockClient(t *testing.T, p *config.PluginConfig) *mockclient.Client {
	t.Helper()
	cfg := mockConfig(p)
	cfg.CallTimeout = e2eTimeout
	mc, err := mockclient.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = mc.Close() })
	return mc
}

func e2eAuth(t *testing.T, ref *refplugin.Server, tg *target, proxyAddr, svc string, plugin *config.PluginConfig) {
	mc := mockClient(t, plugin)
	cases := []struct {
		name string
		user *url.Userinfo // nil: no Proxy-Authorization
	}{
		{"no-proxy-authorization", nil},
		{"gost-gost", url.UserPassword("gost", "gost")},
		{"alice-wrong-password", url.UserPassword("alice", "wrong")},
		{"alice-wonderland", url.UserPassword("alice", "wonderland")},
		{"unknown-user", url.UserPassword("mallory", "wonderland")},
	}
	var allowed, denied int
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			calls, hits := ref.Calls("auth"), tg.hits.Load()
			res := proxyGet(t, proxyAddr, c.user, tg.url.String())
			gostCalls := ref.Calls("auth") - calls

			// GOST's HTTP handler sends the Basic pair, or ""/"" without the
			// header, with the client address and the service name.
			var user, pass string
			if c.user != nil {
				user = c.user.Username()
				pass, _ = c.user.Password()
			}
			out := mc.Authenticate(t.Context(), mockclient.AuthRequest{Username: user, Password: pass, Client: res.client, Service: svc})
			require.True(t, out.OK(), "mockclient call failed: %s", out.Error())
			v := out.Verdict
			t.Logf("plugincheck: ok=%v id=%q; GOST: status=%d err=%v; plugin calls by GOST: %d", v.OK, v.ID, res.status, res.err, gostCalls)

			assert.Equal(t, int64(1), gostCalls, "GOST must ask the auth plugin once per connection")
			msg := fmt.Sprintf("auth %s: plugincheck ok=%v", c.name, v.OK)
			if v.OK {
				allowed++
				assertServed(t, tg, hits, res, msg)
				return
			}
			denied++
			if res.err == nil {
				assert.Equal(t, http.StatusProxyAuthRequired, res.status, msg)
			} else {
				assertClosed(t, res, msg)
			}
			assertNotForwarded(t, tg, hits, msg)
		})
	}
	assert.Positive(t, allowed, "no allowed auth case")
	assert.Positive(t, denied, "no denied auth case")
}

// e2eAdmissionRef runs one connection through a service whose admission is
// the reference plugin, which admits 127.0.0.1.
func e2eAdmissionRef(t *testing.T, ref *refplugin.Server, tg *target, proxyAddr, svc string, plugin *config.PluginConfig) {
	mc := mockClient(t, plugin)
	calls, hits := ref.Calls("admission"), tg.hits.Load()
	res := proxyGet(t, proxyAddr, nil, tg.url.String())
	gostCalls := ref.Calls("admission") - calls

	out := mc.Admit(t.Context(), mockclient.AdmissionRequest{Addr: res.client, Network: "tcp", Service: svc})
	require.True(t, out.OK(), "mockclient call failed: %s", out.Error())
	t.Logf("%s: plugincheck admit=%v; GOST: status=%d err=%v; plugin calls by GOST: %d", svc, out.Verdict.Admit, res.status, res.err, gostCalls)
	require.True(t, out.Verdict.Admit, "the reference admission must admit %s", res.client)
	// The listener wrapper and the service's accept loop each ask.
	assert.Equal(t, int64(2), gostCalls, "GOST's admission calls for one admitted connection")
	assertServed(t, tg, hits, res, "admission (reference plugin): plugincheck admit=true")
}

// e2eAdmissionTest runs one connection through a service whose admission
// is the test plugin, and checks both verdicts and that GOST's requests on
// the wire are exactly the request mockclient was given.
func e2eAdmissionTest(t *testing.T, adm *admissionPlugin, tg *target, proxyAddr, svc string, plugin *config.PluginConfig) {
	mc := mockClient(t, plugin)
	adm.take()
	hits := tg.hits.Load()
	res := proxyGet(t, proxyAddr, nil, tg.url.String())
	gostSeen := adm.take()

	req := mockclient.AdmissionRequest{Addr: res.client, Network: "tcp", Service: svc}
	out := mc.Admit(t.Context(), req)
	require.True(t, out.OK(), "mockclient call failed: %s", out.Error())
	mockSeen := adm.take()
	v := out.Verdict
	t.Logf("%s: plugincheck admit=%v; GOST: status=%d err=%v; plugin requests by GOST: %+v", svc, v.Admit, res.status, res.err, gostSeen)

	assert.Equal(t, []mockclient.AdmissionRequest{req}, mockSeen, "mockclient's request on the wire")
	for i, got := range gostSeen {
		assert.Equal(t, req, got, "GOST's admission request %d differs from the one plugincheck was asked", i)
	}
	msg := fmt.Sprintf("admission %s: plugincheck admit=%v", svc, v.Admit)
	if v.Admit {
		// The listener wrapper and the service's accept loop each ask.
		assert.Len(t, gostSeen, 2, "GOST's admission calls for one admitted connection")
		assertServed(t, tg, hits, res, msg)
		return
	}
	// The listener wrapper denies and closes; the accept loop never sees it.
	assert.Len(t, gostSeen, 1, "GOST's admission calls for one denied connection")
	assertClosed(t, res, msg)
	assertNotForwarded(t, tg, hits, msg)
}

func e2eBypass(t *testing.T, ref *refplugin.Server, tg *target, proxyAddr, svc string, plugin *config.PluginConfig) {
	mc := mockClient(t, plugin)
	port := tg.url.Port()
	cases := []struct {
		name, url, addr string // addr: GOST's bypass addr, the target host:port
	}{
		{"loopback-ip", tg.url.String() + "/e2e", net.JoinHostPort("127.0.0.1", port)},
		{"unlisted-name", tg.urlFor("open.example", port), net.JoinHostPort("open.example", port)},
		{"blocked-name", tg.urlFor("blocked.example", port), net.JoinHostPort("blocked.example", port)},
		{"blocked-subdomain", tg.urlFor("www.blocked.example", port), net.JoinHostPort("www.blocked.example", port)},
		// No port in the URL: GOST asks about host:80.
		{"blocked-name-default-port", tg.urlFor("blocked.example", ""), "blocked.example:80"},
	}
	var matched, unmatched int
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			calls, hits := ref.Calls("bypass"), tg.hits.Load()
			// GOST's HTTP handler asks with the target host:port, "tcp",
			// the service name and, without an auther, an empty client.
			out := mc.Bypass(t.Context(), mockclient.BypassRequest{Addr: c.addr, Network: "tcp", Service: svc})
			require.True(t, out.OK(), "mockclient call failed: %s", out.Error())
			mockCalls := ref.Calls("bypass") - calls
			res := proxyGet(t, proxyAddr, nil, c.url)
			gostCalls := ref.Calls("bypass") - calls - mockCalls
			v := out.Verdict
			t.Logf("%s: plugincheck matched=%v; GOST: status=%d err=%v; plugin calls by GOST: %d", c.addr, v.Matched, res.status, res.err, gostCalls)

			msg := fmt.Sprintf("bypass %s: plugincheck matched=%v", c.addr, v.Matched)
			if v.Matched {
				matched++
				assert.Equal(t, int64(1), gostCalls, "GOST refuses on the handler's first bypass check")
				if assert.NoError(t, res.err, msg) {
					assert.Equal(t, http.StatusForbidden, res.status, msg)
				}
				assertNotForwarded(t, tg, hits, msg)
				return
			}
			unmatched++
			// A plain forward-proxy request is checked by the handler and
			// again by the round trip.
			assert.Equal(t, int64(2), gostCalls, "GOST's bypass calls for one forwarded request")
			assertServed(t, tg, hits, res, msg)
		})
	}
	assert.Positive(t, matched, "no matched bypass case")
	assert.Positive(t, unmatched, "no unmatched bypass case")
}

// admissionPlugin is a test admission plugin over gRPC and HTTP that denies
// exactly the services in deny and records every request it receives.
type admissionPlugin struct {
	admissionpb.UnimplementedAdmissionServer
	deny map[string]bool

	grpcAddr string
	httpURL  string

	mu   sync.Mutex
	seen []mockclient.AdmissionRequest
}

func startAdmissionPlugin(t *testing.T, deny ...string) *admissionPlugin {
	t.Helper()
	p := &admissionPlugin{deny: map[string]bool{}}
	for _, s := range deny {
		p.deny[s] = true
	}

	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	g := grpc.NewServer()
	admissionpb.RegisterAdmissionServer(g, p)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = g.Serve(lis)
	}()
	t.Cleanup(func() {
		g.Stop()
		<-done
	})
	p.grpcAddr = lis.Addr().String()

	h := httptest.NewUnstartedServer(http.HandlerFunc(p.serveHTTP))
	h.Config.ErrorLog = log.New(io.Discard, "", 0)
	h.Start()
	t.Cleanup(h.Close)
	p.httpURL = h.URL + "/admission"
	return p
}

func (p *admissionPlugin) pluginConfig(tr mockclient.Transport) *config.PluginConfig {
	addr := p.grpcAddr
	if tr == mockclient.HTTP {
		addr = p.httpURL
	}
	return &config.PluginConfig{Type: string(tr), Addr: addr}
}

func (p *admissionPlugin) decide(r mockclient.AdmissionRequest) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seen = append(p.seen, r)
	return !p.deny[r.Service]
}

// take returns and forgets the requests received so far.
func (p *admissionPlugin) take() []mockclient.AdmissionRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.seen
	p.seen = nil
	return out
}

func (p *admissionPlugin) Admit(_ context.Context, r *admissionpb.AdmissionRequest) (*admissionpb.AdmissionReply, error) {
	ok := p.decide(mockclient.AdmissionRequest{Addr: r.GetAddr(), Network: r.GetNetwork(), Service: r.GetService()})
	return &admissionpb.AdmissionReply{Ok: ok}, nil
}

func (p *admissionPlugin) serveHTTP(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Service string `json:"service"`
		Network string `json:"network"`
		Addr    string `json:"addr"`
	}
	if r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&body) != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	ok := p.decide(mockclient.AdmissionRequest{Addr: body.Addr, Network: body.Network, Service: body.Service})
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]bool{"ok": ok})
}
