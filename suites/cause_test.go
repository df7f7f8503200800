package suites

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/plugincheck/plugincheck/fixtures"
	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
)

// builtin parses the built-in suite of m, the requests GOST really sends.
func builtin(t *testing.T, m mockclient.Module) []*Suite {
	t.Helper()
	ss, err := Parse(fixtures.FS, path.Join(fixtures.BuiltinDir, string(m)+".yaml"))
	require.NoError(t, err)
	return ss
}

// runAgainst runs the built-in suite of m against cfg and returns the run,
// finished as the command line finishes it.
func runAgainst(t *testing.T, cfg mockclient.Config, m mockclient.Module) *report.Run {
	t.Helper()
	if cfg.CallTimeout == 0 {
		cfg.CallTimeout = 10 * time.Second
	}
	c, err := mockclient.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	run, err := Run(ctx, c, m, builtin(t, m), RunOptions{LatencyBudget: time.Minute})
	require.NoError(t, err)
	(&report.Report{Runs: []*report.Run{run}}).Finish()
	return run
}

// rendered returns the run's text report and its JSON causes.
func rendered(t *testing.T, run *report.Run) (string, []report.Cause) {
	t.Helper()
	rep := &report.Report{Runs: []*report.Run{run}}
	var text, js bytes.Buffer
	require.NoError(t, report.NewText(report.TextOptions{})(&text, rep))
	require.NoError(t, report.JSON(&js, rep))
	var doc struct {
		Runs []struct {
			Causes []report.Cause `json:"causes"`
		} `json:"runs"`
	}
	require.NoError(t, json.Unmarshal(js.Bytes(), &doc))
	require.Len(t, doc.Runs, 1)
	return text.String(), doc.Runs[0].Causes
}

// causeLine is how the text report heads a cause.
func causeLine(c report.Cause) string {
	label := "CAUSE:"
	switch c.Status {
	case report.Warn:
		label = "WARNING:"
	case report.Pass:
		label = "NOTE:"
	}
	return label + " " + c.Code + ": " + c.Text
}

// wantCause asserts that the run's headline cause has code and status,
// that text and JSON both carry it, that text prints it once, and returns
// it for further checks.
func wantCause(t *testing.T, run *report.Run, code string, st report.Status) report.Cause {
	t.Helper()
	require.NotEmpty(t, run.Causes, "no cause; cases: %s", caseSummary(run))
	got := run.Causes[0]
	assert.Equal(t, code, got.Code, "headline cause: %+v", run.Causes)
	assert.Equal(t, st, got.Status)
	assert.NotEmpty(t, got.Cases)
	text, js := rendered(t, run)
	assert.Equal(t, 1, strings.Count(text, causeLine(got)), "text prints the cause once:\n%s", text)
	require.NotEmpty(t, js)
	assert.Equal(t, got, js[0])
	return got
}

func caseSummary(run *report.Run) string {
	var b strings.Builder
	for _, c := range run.Cases {
		b.WriteString(c.ID + "=" + string(c.Status) + " ")
	}
	return b.String()
}

// httpPlugin serves h on 127.0.0.1 and returns its base URL.
func httpPlugin(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func reply(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// grpcPlugin serves a gRPC server with the given services on 127.0.0.1:0;
// every other method goes to unknown (nil: grpc-go's Unimplemented).
func grpcPlugin(t *testing.T, unknown grpc.StreamHandler, services ...*grpc.ServiceDesc) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var opts []grpc.ServerOption
	if unknown != nil {
		opts = append(opts, grpc.UnknownServiceHandler(unknown))
	}
	s := grpc.NewServer(opts...)
	for _, sd := range services {
		s.RegisterService(sd, struct{}{})
	}
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	return lis.Addr().String()
}

// oldIngress is the ingress service of an older go-gost/plugin: Get and
// Set, where v0.5.0 has GetRule and SetRule.
var oldIngress = &grpc.ServiceDesc{
	ServiceName: "proto.Ingress",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{
		{MethodName: "Get", Handler: func(any, context.Context, func(any) error, grpc.UnaryServerInterceptor) (any, error) {
			return nil, status.Error(codes.Internal, "not reached")
		}},
		{MethodName: "Set", Handler: func(any, context.Context, func(any) error, grpc.UnaryServerInterceptor) (any, error) {
			return nil, status.Error(codes.Internal, "not reached")
		}},
	},
}

// answer is a gRPC handler for every method that answers with code and msg.
func answer(code codes.Code, msg string) grpc.StreamHandler {
	return func(any, grpc.ServerStream) error { return status.Error(code, msg) }
}

func TestCauseHTTPPath(t *testing.T) {
	t.Parallel()
	// The plugin serves exactly /auth, as the upstream example does.
	mux := http.NewServeMux()
	mux.HandleFunc("POST /auth", reply(200, `{"ok":true}`))
	base := httpPlugin(t, mux)

	tests := []struct {
		name     string
		addr     string
		status   report.Status
		wantText string
		wantFix  string
	}{
		{"trailing slash", base + "/auth/", report.Fail,
			"every call got HTTP 404 from " + base + "/auth/: check the path in --addr",
			`--addr ends in "/" and GOST does not trim it: if the plugin serves /auth, drop the trailing slash`},
		{"no path", base, report.Fail,
			"every call got HTTP 404 from " + base + ": check the path in --addr",
			"--addr has no path, so GOST calls " + base + "; add the path the plugin serves, for example " + base + "/auth"},
		{"wrong path", base + "/authenticate", report.Fail,
			"every call got HTTP 404 from " + base + "/authenticate: check the path in --addr",
			"the plugin has no handler at /authenticate: give --addr the path it serves (GOST adds nothing to it)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			run := runAgainst(t, mockclient.Config{Addr: tt.addr, Transport: mockclient.HTTP}, mockclient.Auth)
			got := wantCause(t, run, CauseHTTPPath, tt.status)
			assert.Equal(t, tt.wantText, got.Text)
			assert.Equal(t, tt.wantFix, got.Fix)
			assert.Contains(t, got.Sent, "POST "+tt.addr)
			assert.Contains(t, got.GOST, "verbatim")
			assert.Len(t, run.Causes, 1, "one cause for every failed case")
			assert.Equal(t, report.Fail, run.Status)
		})
	}
}

func TestCauseHTTPMethod(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /auth", reply(200, `{"ok":true}`)) // POST gets 405
	run := runAgainst(t, mockclient.Config{Addr: httpPlugin(t, mux) + "/auth", Transport: mockclient.HTTP}, mockclient.Auth)
	got := wantCause(t, run, CauseHTTPPath, report.Fail)
	assert.Contains(t, got.Text, "every call got HTTP 405")
	assert.Contains(t, got.Text, "not POST")
	assert.Equal(t, "accept POST at /auth, the method GOST uses for the auth module", got.Fix)
}

func TestCauseNotDelivered(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		module    mockclient.Module
		body      string
		wantText  string
		wantGOST  string
		transport mockclient.Transport
	}{
		{"observer success key", mockclient.Observer, `{"success":true,"msg":"stored"}`,
			`observer replies are not ok:true, so GOST counts them as not delivered: the reply has no "ok" key (it has msg, success)`,
			"resends the same failed stats batch on every tick", mockclient.HTTP},
		{"recorder ok false", mockclient.Recorder, `{"ok":false}`,
			"recorder replies are not ok:true, so GOST counts them as not delivered: its ok is false",
			"drops the record", mockclient.HTTP},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr := httpPlugin(t, reply(200, tt.body)) + "/" + string(tt.module)
			run := runAgainst(t, mockclient.Config{Addr: addr, Transport: tt.transport}, tt.module)
			got := wantCause(t, run, CauseNotDelivered, report.Fail)
			assert.Contains(t, got.Text, tt.wantText)
			assert.Contains(t, got.GOST, tt.wantGOST)
			assert.Equal(t, `answer HTTP 200 with {"ok":true} once the data is stored`, got.Fix)
			assert.Contains(t, got.Got, "HTTP 200 "+tt.body)
		})
	}
}

func TestCauseUnimplemented(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		addr     string
		code     string
		wantText string
		wantFix  string
	}{
		{"older go-gost/plugin", grpcPlugin(t, nil, oldIngress), CauseUnimplementedMethod,
			"the plugin serves the ingress service but not /proto.Ingress/GetRule, /proto.Ingress/SetRule: it was built from an older go-gost/plugin",
			"regenerate the server stubs from github.com/go-gost/plugin v0.5.0 and implement /proto.Ingress/GetRule, /proto.Ingress/SetRule"},
		{"no such service", grpcPlugin(t, nil), CauseUnimplementedService,
			"has no ingress service: is --addr the ingress plugin?",
			"point --addr at the ingress plugin, registered under the proto package of go-gost/plugin v0.5.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			run := runAgainst(t, mockclient.Config{Addr: tt.addr, Transport: mockclient.GRPC}, mockclient.Ingress)
			got := wantCause(t, run, tt.code, report.Fail)
			assert.Contains(t, got.Text, tt.wantText)
			assert.Equal(t, tt.wantFix, got.Fix)
			assert.Contains(t, got.Got, "gRPC Unimplemented: unknown ")
			reply := checkByName(t, run.Cases[0].Steps[0], CheckReply)
			if tt.code == CauseUnimplementedMethod {
				assert.Contains(t, reply.Message, "the server serves proto.Ingress but not GetRule")
			} else {
				assert.Contains(t, reply.Message, "the server does not serve proto.Ingress at all")
			}
		})
	}
}

func TestCauseStatus(t *testing.T) {
	t.Parallel()
	const token = "s3cr3t-token-value"
	hostile := "db down; token " + token + " " + strings.Repeat("x", 10000)
	tests := []struct {
		name      string
		cfg       mockclient.Config
		wantText  string
		wantMsg   string
		transport mockclient.Transport
	}{
		{"grpc Internal", mockclient.Config{Addr: grpcPlugin(t, answer(codes.Internal, "db down")), Transport: mockclient.GRPC},
			`the plugin answers, but every call got gRPC Internal: "db down"`, "db down", mockclient.GRPC},
		{"grpc hostile message", mockclient.Config{Addr: grpcPlugin(t, answer(codes.DataLoss, hostile)), Transport: mockclient.GRPC, Token: token},
			`the plugin answers, but every call got gRPC DataLoss: "db down; token <redacted> xxx`, "<redacted>", mockclient.GRPC},
		{"http 500", mockclient.Config{Addr: httpPlugin(t, reply(500, "boom")) + "/auth", Transport: mockclient.HTTP},
			`the plugin answers, but every call got HTTP 500: "boom"`, "boom", mockclient.HTTP},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			run := runAgainst(t, tt.cfg, mockclient.Auth)
			got := wantCause(t, run, CauseStatus, report.Fail)
			assert.Contains(t, got.Text, tt.wantText)
			assert.NotContains(t, got.Text, "unreachable")
			assert.Contains(t, got.Got, tt.wantMsg)
			assert.Equal(t, "GOST treats every such call as failed: GOST denies the client", got.GOST)
			for _, f := range []string{got.Text, got.Sent, got.Got, got.GOST, got.Fix} {
				assert.LessOrEqual(t, len([]rune(f)), maxCauseField+len("… (1000000000 bytes more)"), "bounded")
			}
			text, _ := rendered(t, run)
			var js bytes.Buffer
			require.NoError(t, report.JSON(&js, &report.Report{Runs: []*report.Run{run}}))
			// Not NotContains: a failure would print the 10 KB message.
			assert.False(t, strings.Contains(text, token), "text report leaks the token")
			assert.False(t, strings.Contains(js.String(), token), "JSON report leaks the token the plugin echoed")
		})
	}
}

func TestCauseAdmissionDeniesAll(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		policy http.HandlerFunc
		want   bool
	}{
		{"denies everything", reply(200, `{"ok":false}`), true},
		{"denies ip:port only", func(w http.ResponseWriter, r *http.Request) {
			// The classic bug: matching the address against bare IPs.
			var req struct{ Addr string }
			_ = json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req)
			ok := net.ParseIP(req.Addr) != nil
			_, _ = io.WriteString(w, `{"ok":`+map[bool]string{true: "true", false: "false"}[ok]+`}`)
		}, true},
		{"admits", reply(200, `{"ok":true}`), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			run := runAgainst(t, mockclient.Config{Addr: httpPlugin(t, tt.policy) + "/admission", Transport: mockclient.HTTP}, mockclient.Admission)
			if !tt.want {
				assert.Empty(t, run.Causes)
				assert.Equal(t, report.Pass, run.Status)
				return
			}
			got := wantCause(t, run, CauseDeniesAll, report.Warn)
			assert.Contains(t, got.Text, "the plugin denied all")
			assert.Contains(t, got.Text, "in the form GOST sends (an ip:port client address)")
			assert.Contains(t, got.GOST, "it will refuse every client connection")
			assert.Equal(t, report.Warn, run.Status, "the warning counts: the run warns")
		})
	}
}

func TestAuthAllowAllStillWarns(t *testing.T) {
	t.Parallel()
	run := runAgainst(t, mockclient.Config{Addr: httpPlugin(t, reply(200, `{"ok":true}`)) + "/auth", Transport: mockclient.HTTP}, mockclient.Auth)
	assert.Equal(t, report.Warn, run.Status)
	assert.Positive(t, run.Totals.Warn, "allow-all auth: %s", caseSummary(run))
}

func TestObservationRequestIsTheWire(t *testing.T) {
	t.Parallel()
	const token = "tok-in-body"
	bodies := make(chan []byte, 64)
	srv := httpPlugin(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		select {
		case bodies <- b:
		default:
		}
		_, _ = io.WriteString(w, `{"ok":false}`)
	}))
	suite := mustParse(t, `
name: Wire
module: auth
cases:
  - name: no-service
    request: {username: u, password: `+token+`}
`)
	c, err := mockclient.New(mockclient.Config{Addr: srv + "/auth", Transport: mockclient.HTTP, Token: token, CallTimeout: 10 * time.Second})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	run, err := Run(t.Context(), c, mockclient.Auth, suite, RunOptions{LatencyBudget: time.Minute})
	require.NoError(t, err)
	st := run.Cases[0].Steps[0]
	wire := <-bodies
	// GOST's body has every key without omitempty, in its struct order.
	assert.JSONEq(t, strings.ReplaceAll(string(wire), token, "<redacted>"), string(st.Observation.Request))
	assert.Contains(t, string(st.Observation.Request), `"service":""`)
	assert.NotContains(t, string(st.Observation.Request), token)
	assert.NotEqual(t, string(st.Request), string(st.Observation.Request))

	var text bytes.Buffer
	require.NoError(t, report.NewText(report.TextOptions{Verbose: true})(&text, &report.Report{Runs: []*report.Run{run}}))
	assert.Contains(t, text.String(), `sent: {"service":"","username":"u","password":"<redacted>","client":""}`)
}

// TestExplainNotes pins how notes become causes, on runs built by hand:
// the loopback tests of cause_notes_test.go need the notes mockclient
// gains on wt-facts.
func TestExplainNotes(t *testing.T) {
	t.Parallel()
	step := func(notes ...report.Note) *report.Step {
		return &report.Step{Op: "authenticate", Notes: notes, Observation: report.Observation{
			Method: "POST", Target: "http://127.0.0.1:1/auth", Sent: true, HTTPStatus: 200, Reply: `{"ok":true}`,
		}}
	}
	tests := []struct {
		name     string
		notes    []report.Note
		codes    []string
		statuses []report.Status
		text     string
	}{
		{"keys ignored", []report.Note{{Code: "reply-keys-ignored", Text: "GOST ignores secret, success"}},
			[]string{CauseReplyKeysIgnored}, []report.Status{report.Warn}, "replies carry keys GOST ignores: GOST ignores secret, success"},
		{"redirect", []report.Note{{Code: "redirected", Text: "307 → http://127.0.0.1:1/v2/auth"}},
			[]string{CauseRedirected}, []report.Status{report.Pass}, "GOST follows a redirect on these calls: 307 → http://127.0.0.1:1/v2/auth"},
		{"token to another host", []report.Note{
			{Code: "redirected", Text: "307 → http://127.0.0.1:2/auth"},
			{Code: "token-cross-host", Text: "the token went to 127.0.0.1:2 s3cr3t"},
		}, []string{CauseTokenCrossHost}, []report.Status{report.Warn}, "a redirect sends the token to another host or port: the token went to 127.0.0.1:2 <redacted>"},
		{"limiter floor", []report.Note{{Code: "limiter-floor", Text: "in 1 B/s"}},
			[]string{CauseLimiterFloor}, []report.Status{report.Warn}, "a limit below what any real connection survives: in 1 B/s"},
		{"no note", nil, nil, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			run := &report.Run{Module: "auth", Transport: "http", Cases: []*report.Case{
				{ID: "a/http/one", Steps: []*report.Step{step(tt.notes...)}},
				{ID: "a/http/two", Steps: []*report.Step{step(tt.notes...)}},
			}}
			got := Explain(run, mockclient.Config{Addr: "http://127.0.0.1:1/auth", Transport: mockclient.HTTP, Token: "s3cr3t"}, ExplainOptions{})
			var codes []string
			var statuses []report.Status
			for _, c := range got {
				codes = append(codes, c.Code)
				statuses = append(statuses, c.Status)
			}
			assert.Equal(t, tt.codes, codes)
			assert.Equal(t, tt.statuses, statuses)
			if len(got) > 0 {
				assert.Equal(t, tt.text, got[0].Text)
				assert.Equal(t, []string{"a/http/one", "a/http/two"}, got[0].Cases)
			}
		})
	}
}
