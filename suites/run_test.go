package suites

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
)

// authPlugin serves GOST's HTTP auth protocol with decide as its policy.
func authPlugin(t *testing.T, cfg mockclient.Config, decide func(call int64, user, pass string) (int, string)) *mockclient.Client {
	t.Helper()
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Username, Password string }
		_ = json.NewDecoder(r.Body).Decode(&req)
		status, body := decide(calls.Add(1), req.Username, req.Password)
		if status == 0 {
			<-r.Context().Done() // hang until the client gives up
			return
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	cfg.Addr = srv.URL + "/auth"
	if cfg.CallTimeout == 0 {
		cfg.CallTimeout = 10 * time.Second
	}
	c, err := mockclient.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func gostPolicy(_ int64, user, pass string) (int, string) {
	if user == "gost" && pass == "gost" {
		return 200, `{"ok":true,"id":"gost"}`
	}
	return 200, `{"ok":false}`
}

func mustParse(t *testing.T, yaml string) []*Suite {
	t.Helper()
	s, err := ParseBytes("test.yaml", []byte(yaml))
	require.NoError(t, err)
	return []*Suite{s}
}

const policySuite = `
name: Policy
module: auth
cases:
  - name: accepts
    request: {username: gost, password: gost}
    expect: {ok: true, id: gost}
  - name: wrong-expectation
    request: {username: gost, password: bad}
    expect: {ok: true}
  - name: warns
    request: {username: x, password: y}
    warn_if: {ok: false}
    warning: denied x
  - name: grpc-only
    transports: [grpc]
    request: {username: gost, password: gost}
`

func caseByName(t *testing.T, run *report.Run, name string) *report.Case {
	t.Helper()
	for _, c := range run.Cases {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no case %q in run", name)
	return nil
}

func checkByName(t *testing.T, st *report.Step, name string) report.Check {
	t.Helper()
	for _, ch := range st.Checks {
		if ch.Name == name {
			return ch
		}
	}
	t.Fatalf("no check %q in step; have %+v", name, st.Checks)
	return report.Check{}
}

func TestRunPolicy(t *testing.T) {
	t.Parallel()
	c := authPlugin(t, mockclient.Config{Token: "tok"}, gostPolicy)
	run, err := Run(t.Context(), c, mockclient.Auth, mustParse(t, policySuite), RunOptions{})
	require.NoError(t, err)

	assert.Equal(t, "auth", run.Module)
	assert.Equal(t, "http", run.Transport)
	assert.Equal(t, "<redacted>", run.Target.Token)

	ok := caseByName(t, run, "accepts")
	assert.Equal(t, report.Pass, ok.Status)
	assert.Equal(t, "policy/http/accepts", ok.ID)
	for _, name := range []string{CheckReply, CheckExpect, CheckStable, CheckConcurrent, CheckLatency} {
		assert.Equal(t, report.Pass, checkByName(t, ok.Steps[0], name).Status, name)
	}
	assert.Contains(t, ok.Steps[0].Reproducer, `curl -sS -i -X POST -H 'Content-Type: application/json' -H "Authorization: Bearer $PLUGIN_TOKEN"`)
	assert.NotContains(t, ok.Steps[0].Reproducer, "tok'")

	bad := caseByName(t, run, "wrong-expectation")
	assert.Equal(t, report.Fail, bad.Status)
	assert.Equal(t, "ok: got false, want true", checkByName(t, bad.Steps[0], CheckExpect).Message)

	warn := caseByName(t, run, "warns")
	assert.Equal(t, report.Warn, warn.Status)
	assert.Equal(t, "denied x", checkByName(t, warn.Steps[0], CheckPolicy).Message)

	skip := caseByName(t, run, "grpc-only")
	assert.Equal(t, report.Skip, skip.Status)
	assert.Equal(t, "case does not apply to http", skip.SkipReason)

	// 4 cases; each non-skipped case with stable+concurrent makes 1+1+8 calls.
	assert.Equal(t, 30, run.Latency.Count)
	assert.Empty(t, run.TLS, "suites leaves the TLS section to package check")
}

func TestRunDetectsInconsistency(t *testing.T) {
	t.Parallel()
	suite := "name: S\nmodule: auth\ncases: [{name: c, request: {username: gost, password: gost}}]\n"
	tests := []struct {
		name   string
		decide func(call int64, user, pass string) (int, string)
		check  string
		msg    string
	}{
		{
			name: "flips on second call",
			decide: func(call int64, u, p string) (int, string) {
				if call == 2 {
					return 200, `{"ok":false}`
				}
				return gostPolicy(call, u, p)
			},
			check: CheckStable, msg: "call 1 of 1 gave a different verdict: id: got \"\", want \"gost\"; ok: got false, want true",
		},
		{
			name: "flips under concurrency",
			decide: func(call int64, u, p string) (int, string) {
				if call > 2 {
					return 500, ""
				}
				return gostPolicy(call, u, p)
			},
			check: CheckConcurrent, msg: "failure: HTTP status 500 Internal Server Error",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := authPlugin(t, mockclient.Config{}, tt.decide)
			run, err := Run(t.Context(), c, mockclient.Auth, mustParse(t, suite), RunOptions{})
			require.NoError(t, err)
			st := run.Cases[0].Steps[0]
			assert.Equal(t, report.Fail, st.Status)
			ch := checkByName(t, st, tt.check)
			assert.Equal(t, report.Fail, ch.Status)
			assert.Contains(t, ch.Message, tt.msg)
		})
	}
}

func TestRunReplyFailures(t *testing.T) {
	t.Parallel()
	suite := "name: S\nmodule: auth\ncases: [{name: c, request: {username: gost, password: gost}}]\n"
	tests := []struct {
		name    string
		cfg     mockclient.Config
		status  int
		body    string
		failure string
		msg     string
	}{
		{name: "garbage", status: 200, body: "<html>", failure: "decode", msg: "decode failure: decode reply: invalid character '<'"},
		{name: "needs a token", status: 401, failure: "status", msg: "does it need --token?"},
		{name: "rejects the token", cfg: mockclient.Config{Token: "wrong"}, status: 401, failure: "status", msg: "the plugin rejected the token"},
		{name: "hangs", cfg: mockclient.Config{CallTimeout: 50 * time.Millisecond}, failure: "timeout", msg: "plugincheck call deadline exceeded after 50ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := authPlugin(t, tt.cfg, func(int64, string, string) (int, string) { return tt.status, tt.body })
			run, err := Run(t.Context(), c, mockclient.Auth, mustParse(t, suite), RunOptions{})
			require.NoError(t, err)
			st := run.Cases[0].Steps[0]
			assert.Equal(t, report.Fail, st.Status)
			assert.Equal(t, tt.failure, st.Observation.Failure)
			reply := checkByName(t, st, CheckReply)
			assert.Contains(t, reply.Message, tt.msg)
			assert.Contains(t, reply.Message, `GOST's verdict: {"ok":false,"id":""}`)
			for _, ch := range st.Checks {
				assert.NotEqual(t, CheckStable, ch.Name, "a failed call is not repeated")
			}
		})
	}
}

func TestRunLatencyBudget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		explicit bool
		want     report.Status
		msg      string
	}{
		{name: "default budget warns", want: report.Warn, msg: "over plugincheck's 1µs budget"},
		{name: "explicit budget fails", explicit: true, want: report.Fail, msg: "over the 1µs budget given with --latency-budget"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := authPlugin(t, mockclient.Config{}, gostPolicy)
			suite := "name: S\nmodule: auth\ncases: [{name: c, checks: [latency], request: {username: gost, password: gost}}]\n"
			run, err := Run(t.Context(), c, mockclient.Auth, mustParse(t, suite), RunOptions{LatencyBudget: time.Microsecond, LatencyBudgetExplicit: tt.explicit})
			require.NoError(t, err)
			st := run.Cases[0].Steps[0]
			ch := checkByName(t, st, CheckLatency)
			assert.Equal(t, tt.want, ch.Status, ch.Message)
			assert.Contains(t, ch.Message, tt.msg)
			assert.Equal(t, tt.want, st.Status)
			assert.Equal(t, tt.want, run.Cases[0].Status)
			assert.Equal(t, tt.explicit, run.Latency.Enforced)
			require.NotNil(t, st.Observation.Timing, "an HTTP call records its phases")
			assert.Positive(t, st.Observation.Timing.FirstByte)
		})
	}
}

func TestRunFilter(t *testing.T) {
	t.Parallel()
	c := authPlugin(t, mockclient.Config{}, gostPolicy)
	run, err := Run(t.Context(), c, mockclient.Auth, mustParse(t, policySuite), RunOptions{Filter: Filter{Run: []string{"accepts"}}})
	require.NoError(t, err)
	require.Len(t, run.Cases, 1)
	assert.Equal(t, "accepts", run.Cases[0].Name)

	_, err = Run(t.Context(), c, mockclient.Auth, mustParse(t, policySuite), RunOptions{Filter: Filter{Run: []string{"nothing-*"}}})
	assert.ErrorIs(t, err, ErrNoMatch)
	_, err = Run(t.Context(), c, mockclient.Bypass, mustParse(t, policySuite), RunOptions{})
	assert.ErrorIs(t, err, ErrNoMatch, "suites of other modules are not run")
}

func TestRunHopNoNodeOverHTTP(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status int
		want   report.Status
	}{
		{status: http.StatusNotFound, want: report.Warn},
		{status: http.StatusNoContent, want: report.Warn},
		{status: http.StatusInternalServerError, want: report.Fail},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(tt.status) }))
			t.Cleanup(srv.Close)
			c, err := mockclient.New(mockclient.Config{Addr: srv.URL + "/hop"})
			require.NoError(t, err)
			t.Cleanup(func() { _ = c.Close() })
			suite := "name: S\nmodule: hop\ncases: [{name: c, request: {network: tcp, addr: \"192.0.2.1:80\"}}]\n"
			run, err := Run(t.Context(), c, mockclient.Hop, mustParse(t, suite), RunOptions{})
			require.NoError(t, err)
			st := run.Cases[0].Steps[0]
			assert.Equal(t, tt.want, st.Status)
			assert.Equal(t, map[string]any{"selected": false, "node": nil}, st.Actual)
		})
	}
}
