package suites

// These causes come from mockclient notes and failure classes that the
// wt-facts branch adds (reply-keys-ignored, redirected, token-cross-host,
// limiter-floor, and gRPC Unavailable from a live server as a status
// failure). The fixture servers already behave that way; each test skips
// until that branch is merged, and the lead removes the skips then.

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"google.golang.org/grpc/codes"

	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
)

func TestCauseReplyKeysIgnored(t *testing.T) {
	t.Parallel()
	addr := httpPlugin(t, reply(200, `{"ok":false,"secret":"hunter2","success":true}`)) + "/auth"
	run := runAgainst(t, mockclient.Config{Addr: addr, Transport: mockclient.HTTP}, mockclient.Auth)
	got := wantCause(t, run, CauseReplyKeysIgnored, report.Warn)
	assert.True(t, strings.HasPrefix(got.Text, "replies carry keys GOST ignores: "), got.Text)
	assert.Contains(t, got.Text, "secret")
	assert.Contains(t, got.Text, "success")
	assert.Equal(t, report.Warn, run.Status)
}

func TestCauseRedirects(t *testing.T) {
	t.Parallel()
	final := httptest.NewServer(reply(200, `{"ok":true}`))
	t.Cleanup(final.Close)
	sameHost := http.NewServeMux()
	sameHost.HandleFunc("/old", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
		http.Redirect(w, r, "/auth", http.StatusTemporaryRedirect)
	})
	sameHost.HandleFunc("/auth", reply(200, `{"ok":true}`))
	sameHostURL := httpPlugin(t, sameHost)
	otherHostURL := httpPlugin(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
		http.Redirect(w, r, final.URL+"/auth", http.StatusTemporaryRedirect)
	}))

	tests := []struct {
		name   string
		addr   string
		code   string
		status report.Status
		final  string
	}{
		{"same host", sameHostURL + "/old", CauseRedirected, report.Pass, sameHostURL + "/auth"},
		{"token to another port", otherHostURL + "/auth", CauseTokenCrossHost, report.Warn, final.URL + "/auth"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			run := runAgainst(t, mockclient.Config{Addr: tt.addr, Transport: mockclient.HTTP, Token: "tok"}, mockclient.Auth)
			got := wantCause(t, run, tt.code, tt.status)
			assert.Contains(t, got.Text+" "+got.Got, tt.final, "names the final URL")
			assert.Contains(t, got.Text+" "+got.Got, "307", "names each hop's status")
			o := run.Cases[0].Steps[0].Observation
			assert.Equal(t, tt.addr, o.Target, "target stays the configured addr")
			assert.Equal(t, tt.final, o.FinalURL, "the report shows the URL whose reply GOST used")
			if assert.Len(t, o.Redirects, 1) {
				assert.Equal(t, report.Redirect{Method: "POST", URL: tt.addr, Status: 307}, o.Redirects[0])
			}
		})
	}
}

func TestCauseLimiterFloor(t *testing.T) {
	t.Parallel()
	addr := httpPlugin(t, reply(200, `{"in":1,"out":1}`)) + "/limiter"
	run := runAgainst(t, mockclient.Config{Addr: addr, Transport: mockclient.HTTP}, mockclient.Limiter)
	got := wantCause(t, run, CauseLimiterFloor, report.Warn)
	assert.True(t, strings.HasPrefix(got.Text, "a limit below what any real connection survives: "), got.Text)
}

func TestCauseUnavailableFromLivePlugin(t *testing.T) {
	t.Parallel()
	addr := grpcPlugin(t, answer(codes.Unavailable, "overloaded"))
	run := runAgainst(t, mockclient.Config{Addr: addr, Transport: mockclient.GRPC}, mockclient.Auth)
	got := wantCause(t, run, CauseStatus, report.Fail)
	assert.Equal(t, `the plugin answers, but every call got gRPC Unavailable: "overloaded"`, got.Text)
}
