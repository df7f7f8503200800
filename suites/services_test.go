package suites_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/fixtures"
	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
	"github.com/plugincheck/plugincheck/suites"
)

func builtin(t *testing.T, m mockclient.Module) []*suites.Suite {
	t.Helper()
	ss, err := suites.Parse(fixtures.FS, fixtures.BuiltinDir+"/"+string(m)+".yaml")
	require.NoError(t, err)
	return ss
}

// added returns the names of the cases ForServices added, in order.
func added(before, after []*suites.Suite) []string {
	var out []string
	for i, s := range after {
		out = append(out, namesOf(s.Cases[len(before[i].Cases):])...)
	}
	return out
}

func namesOf(cs []*suites.Case) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

func TestForServices(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		m    mockclient.Module
		svcs []suites.Service
		want []string
	}{
		{
			name: "auth from socks5 gets socks5 shapes",
			m:    mockclient.Auth,
			svcs: []suites.Service{{Name: "socks-1080", Handler: "socks5", Listener: "tcp"}},
			want: []string{"random-credentials@socks-1080", "socks5-userpass@socks-1080"},
		},
		{
			name: "auth from http gets HTTP proxy shapes",
			m:    mockclient.Auth,
			svcs: []suites.Service{{Name: "forward-tcp-8080", Handler: "http", Listener: "tcp"}},
			want: []string{
				"http-proxy-no-credentials@forward-tcp-8080", "http-proxy-basic@forward-tcp-8080",
				"http-proxy-ipv6-client@forward-tcp-8080", "proxy-protocol-source@forward-tcp-8080",
				"random-credentials@forward-tcp-8080", "non-ascii-credentials@forward-tcp-8080",
				"password-with-colon@forward-tcp-8080", "very-long-password@forward-tcp-8080",
			},
		},
		{
			name: "auth from http over tls adds the client certificate shape",
			m:    mockclient.Auth,
			svcs: []suites.Service{{Name: "https", Handler: "http", Listener: "tls"}},
			want: []string{
				"http-proxy-no-credentials@https", "http-proxy-basic@https", "http-proxy-ipv6-client@https",
				"proxy-protocol-source@https", "random-credentials@https", "mtls-client-certificate@https",
				"non-ascii-credentials@https", "password-with-colon@https", "very-long-password@https",
			},
		},
		{
			name: "a handler that never authenticates gets nothing",
			m:    mockclient.Auth,
			svcs: []suites.Service{{Name: "fwd", Handler: "tcp", Listener: "tcp"}},
		},
		{
			name: "admission follows the listener",
			m:    mockclient.Admission,
			svcs: []suites.Service{{Name: "ws-in", Handler: "socks5", Listener: "ws"}},
			want: []string{"forwarded-for-client-ip@ws-in", "forwarded-for-client-ipv6@ws-in"},
		},
		{
			name: "limiter: listener scopes by listener, client scope by handler",
			m:    mockclient.Limiter,
			svcs: []suites.Service{{Name: "u", Handler: "socks5", Listener: "udp"}},
			want: []string{
				"service-scope-udp-listener@u", "conn-scope-udp@u", "client-scope-socks5-udp@u",
				"client-scope-socks5-bind-tcp4@u", "client-scope-socks5-udp-tun-udp6@u",
			},
		},
		{
			name: "ingress from the tunnel handler",
			m:    mockclient.Ingress,
			svcs: []suites.Service{{Name: "tun-1", Handler: "router"}},
			want: []string{"router-associate-host@tun-1"},
		},
		{
			name: "modules without a service field are unchanged",
			m:    mockclient.Hosts,
			svcs: []suites.Service{{Name: "a"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ss := builtin(t, tt.m)
			got := added(ss, suites.ForServices(ss, tt.svcs))
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestForServicesUnknownHandlerGetsEveryShape(t *testing.T) {
	t.Parallel()
	ss := builtin(t, mockclient.Auth)
	got := added(ss, suites.ForServices(ss, []suites.Service{{Name: "svc"}}))
	// Every case GOST sends with a configured service name, none of the
	// fixed "@api"/"@metrics" ones.
	assert.Contains(t, got, "socks5-userpass@svc")
	assert.Contains(t, got, "http-proxy-basic@svc")
	assert.Contains(t, got, "ssh-password-no-client@svc")
	assert.NotContains(t, got, "api-service@svc")
	assert.NotContains(t, got, "metrics-service@svc")
}

func TestForServicesRequests(t *testing.T) {
	t.Parallel()
	ss := builtin(t, mockclient.Observer)
	orig := ss[0].Cases[0].Steps[0].Request.(*mockclient.ObserverRequest).Events[0]
	out := suites.ForServices(ss, []suites.Service{{Name: "web-1", Handler: "http"}})
	var nc *suites.Case
	for _, c := range out[0].Cases {
		if c.Name == "service-status-running@web-1" {
			nc = c
		}
	}
	require.NotNil(t, nc)
	ev := nc.Steps[0].Request.(*mockclient.ObserverRequest).Events[0]
	assert.Equal(t, "web-1", ev.Service)
	assert.Equal(t, "service web-1 is running", ev.Status.Msg)
	assert.Contains(t, nc.Doc, `sent as service "web-1" (handler http)`)
	// The original suite is untouched.
	assert.Equal(t, orig, ss[0].Cases[0].Steps[0].Request.(*mockclient.ObserverRequest).Events[0])
	assert.Equal(t, "http-proxy", orig.Service)
}

func TestForServicesNames(t *testing.T) {
	t.Parallel()
	ss := builtin(t, mockclient.Auth)
	svcs := []suites.Service{
		{Name: "代理", Handler: "socks5"},
		{Name: "Socks 1080", Handler: "socks5"},
		{Name: "socks-1080", Handler: "socks5"},
		{Name: "socks-1080", Handler: "http"}, // a repeat keeps the first
		{Name: strings.Repeat("x", 300), Handler: "socks5"},
		{Name: ""},
	}
	out := suites.ForServices(ss, svcs)
	got := added(ss, out)
	assert.Equal(t, []string{
		"random-credentials@5e84ea61", "socks5-userpass@5e84ea61",
		"random-credentials@socks-1080-3be835b1", "socks5-userpass@socks-1080-3be835b1",
		"random-credentials@socks-1080", "socks5-userpass@socks-1080",
	}, got[:6])
	require.Len(t, got, 8)
	assert.LessOrEqual(t, len(got[7]), len("socks5-userpass@")+48+9)
	seen := map[string]bool{}
	for _, c := range out[0].Cases {
		assert.False(t, seen[c.Name], "duplicate case %s", c.Name)
		seen[c.Name] = true
	}
	// Deterministic.
	assert.Equal(t, got, added(ss, suites.ForServices(ss, svcs)))
}

// TestForServicesCatchesPerServicePolicy is the point of ForServices: a
// plugin that lets anyone in on one service name passes the built-in
// suite, and warns once that name is sent.
func TestForServicesCatchesPerServicePolicy(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Service, Username, Password string }
		_ = json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req)
		ok := req.Service == "forward-tcp-8080" || (req.Username == "plugincheck-user" && req.Password == "plugincheck-pass")
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": ok, "id": req.Username})
	}))
	t.Cleanup(srv.Close)
	c, err := mockclient.New(mockclient.Config{Addr: srv.URL + "/auth", Module: mockclient.Auth, CallTimeout: time.Minute})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	ss := builtin(t, mockclient.Auth)
	plain, err := suites.Run(t.Context(), c, mockclient.Auth, ss, suites.RunOptions{})
	require.NoError(t, err)
	(&report.Report{Runs: []*report.Run{plain}}).Finish()
	assert.Zero(t, plain.Totals.Warn, "the built-in suite alone does not see it")

	svc := suites.ForServices(ss, []suites.Service{{Name: "forward-tcp-8080", Handler: "http", Listener: "tcp"}})
	run, err := suites.Run(t.Context(), c, mockclient.Auth, svc, suites.RunOptions{})
	require.NoError(t, err)
	var warned []string
	for _, rc := range run.Cases {
		for _, st := range rc.Steps {
			for _, ch := range st.Checks {
				if ch.Status == report.Warn && strings.Contains(ch.Message, `service "forward-tcp-8080"`) {
					warned = append(warned, rc.Name)
				}
			}
		}
	}
	slices.Sort(warned)
	assert.Equal(t, []string{"http-proxy-no-credentials@forward-tcp-8080", "random-credentials@forward-tcp-8080"}, warned)
}

func TestForServicesBound(t *testing.T) {
	t.Parallel()
	ss := builtin(t, mockclient.Auth)
	var svcs []suites.Service
	for i := range suites.MaxServices + 10 {
		svcs = append(svcs, suites.Service{Name: fmt.Sprintf("svc-%d", i), Handler: "socks5"})
	}
	got := added(ss, suites.ForServices(ss, svcs))
	assert.Len(t, got, 2*suites.MaxServices, "two socks5 shapes per service, for the first MaxServices")
	assert.Equal(t, fmt.Sprintf("socks5-userpass@svc-%d", suites.MaxServices-1), got[len(got)-1])
	long := strings.Repeat("n", 100_000)
	out := suites.ForServices(ss, []suites.Service{{Name: long, Handler: "socks5"}})
	nc := out[0].Cases[len(out[0].Cases)-1]
	assert.Less(t, len(nc.Doc), 1000, "the doc quotes a bounded name")
	assert.Less(t, len(nc.Name), 100)
	assert.Equal(t, long, nc.Steps[0].Request.(*mockclient.AuthRequest).Service, "the wire carries the whole name, as GOST sends it")
}
