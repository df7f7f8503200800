package check

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	authpb "github.com/go-gost/plugin/auth/proto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"

	"github.com/plugincheck/plugincheck/mockclient"
)

// recorder is a tester that records what a check reported instead of
// failing the test that watches it.
type recorder struct {
	ctx     context.Context
	name    string
	errors  []string
	logs    []string
	skipped string
	subs    []*recorder
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recorder) Logf(format string, args ...any) {
	r.logs = append(r.logs, fmt.Sprintf(format, args...))
}

func (r *recorder) Skipf(format string, args ...any) { r.skipped = fmt.Sprintf(format, args...) }

func (r *recorder) Run(name string, f func(tester)) bool {
	sub := &recorder{ctx: r.ctx, name: name}
	r.subs = append(r.subs, sub)
	f(sub)
	return len(sub.errors) == 0
}

func (r *recorder) Context() context.Context { return r.ctx }

func (r *recorder) sub(name string) *recorder {
	for _, s := range r.subs {
		if s.name == name {
			return s
		}
	}
	return nil
}

var _ tester = (*recorder)(nil)

// brokenSuite expects an auth plugin to refuse a wrong password; line 7
// holds the case that the broken plugin fails.
const brokenSuite = `name: Broken
module: auth
cases:
  - name: accepts-gost
    request: {username: gost, password: gost}
    expect: {ok: true, id: gost}
  - name: rejects-wrong-password
    doc: a wrong password is refused
    request: {username: alice, password: nope}
    expect: {ok: false}
  - name: random-credentials
    request: {username: nobody, password: x}
    warn_if: {ok: true}
    warning: accepted random credentials (allow-all auth)
  - name: http-only
    transports: [http]
    request: {username: gost, password: gost}
`

// acceptAll is a broken auth plugin: it lets everyone in as gost.
type acceptAll struct {
	authpb.UnimplementedAuthenticatorServer
}

func (acceptAll) Authenticate(context.Context, *authpb.AuthenticateRequest) (*authpb.AuthenticateReply, error) {
	return &authpb.AuthenticateReply{Ok: true, Id: "gost"}, nil
}

func acceptAllHTTP(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"ok":true,"id":"gost"}`))
}

// TestTestReportsFailures runs Test's body against a broken plugin on
// both transports and checks what each case's subtest reported.
func TestTestReportsFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		transport mockclient.Transport
		skipped   string
	}{
		{name: "bufconn", transport: mockclient.GRPC, skipped: "broken/grpc/http-only"},
		{name: "httptest", transport: mockclient.HTTP},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := mockclient.Config{Addr: "bufnet"}
			var c *mockclient.Client
			if tt.transport == mockclient.GRPC {
				srv := grpc.NewServer()
				authpb.RegisterAuthenticatorServer(srv, acceptAll{})
				c = bufconnClient(t, srv, cfg)
			} else {
				c, cfg = httptestClient(t, http.HandlerFunc(acceptAllHTTP), "/auth", cfg)
			}
			rec := &recorder{ctx: t.Context(), name: t.Name()}
			run := test(rec, cfg, mockclient.Auth, Options{Suites: parseSuite(t, "broken.yaml", brokenSuite), Client: c, Now: clock})
			require.NotNil(t, run)
			tr := string(tt.transport)

			var names []string
			for _, s := range rec.subs {
				names = append(names, s.name)
			}
			assert.Equal(t, []string{"broken/" + tr + "/accepts-gost", "broken/" + tr + "/rejects-wrong-password",
				"broken/" + tr + "/random-credentials", "broken/" + tr + "/http-only"}, names, "one subtest per case, named by its ID")

			pass := rec.sub("broken/" + tr + "/accepts-gost")
			assert.Empty(t, pass.errors)
			assert.Empty(t, pass.logs)

			fail := rec.sub("broken/" + tr + "/rejects-wrong-password")
			require.Len(t, fail.errors, 1)
			msg := fail.errors[0]
			for _, want := range []string{
				"FAIL broken/" + tr + "/rejects-wrong-password (broken.yaml:7)",
				`expected: {"ok":false}`,
				`actual:   {"id":"gost","ok":true}`,
				"fail expect: ok: got true, want false",
			} {
				assert.Contains(t, msg, want)
			}
			// A gRPC reproducer reads a protoset file, and says how to
			// make it; an HTTP one needs none.
			assert.Equal(t, tt.transport == mockclient.GRPC, strings.Contains(msg, "plugincheck protoset > plugins.protoset"), msg)

			warn := rec.sub("broken/" + tr + "/random-credentials")
			assert.Empty(t, warn.errors, "a warning does not fail its subtest")
			require.Len(t, warn.logs, 1)
			assert.Contains(t, warn.logs[0], "warn policy: accepted random credentials (allow-all auth)")

			if tt.skipped != "" {
				assert.Equal(t, "case does not apply to grpc", rec.sub(tt.skipped).skipped)
			}
			assert.Empty(t, rec.errors, "no run-level failure: the plugin answers")
			assert.Contains(t, strings.Join(rec.logs, "\n"), "note: "+noAuditNote)
		})
	}
}

// TestTestReportsUnreachable: a plugin nothing reaches fails the parent
// test once with the diagnosis, and each case with its cause.
func TestTestReportsUnreachable(t *testing.T) {
	t.Parallel()
	cfg := mockclient.Config{Addr: "http://127.0.0.1:9/auth"}
	c, err := mockclient.NewHTTP(&http.Client{Transport: failingTransport{}}, cfg)
	require.NoError(t, err)
	rec := &recorder{ctx: t.Context()}
	run := test(rec, cfg, mockclient.Auth, Options{Suites: parseSuite(t, "broken.yaml", brokenSuite), Client: c})
	require.NotNil(t, run)
	require.Len(t, rec.errors, 1)
	assert.Contains(t, rec.errors[0], "auth over http: GOST cannot use the plugin: ")
	assert.Contains(t, rec.errors[0], "connection refused")
	fail := rec.sub("broken/http/accepts-gost")
	require.Len(t, fail.errors, 1)
	assert.Contains(t, fail.errors[0], "cause unreachable (fail): ")
}

// TestTestCannotRun: a check that cannot run fails the test, with no
// subtest.
func TestTestCannotRun(t *testing.T) {
	t.Parallel()
	rec := &recorder{ctx: t.Context()}
	assert.Nil(t, test(rec, mockclient.Config{}, "no-such-module", Options{}))
	require.Len(t, rec.errors, 1)
	assert.Contains(t, rec.errors[0], "check no-such-module: check: no suite for module no-such-module")
	assert.Empty(t, rec.subs)
}
