package mockclient

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// redirectServer is an httptest server that records the method, path and
// Authorization header of every request and answers with handler.
type redirectServer struct {
	*httptest.Server
	mu   sync.Mutex
	seen []string // "METHOD /path?query auth=<Authorization>"
}

func newRedirectServer(t *testing.T, handler http.HandlerFunc) *redirectServer {
	t.Helper()
	s := &redirectServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.seen = append(s.seen, fmt.Sprintf("%s %s auth=%s", r.Method, r.URL.RequestURI(), r.Header.Get("Authorization")))
		s.mu.Unlock()
		handler(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *redirectServer) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.seen...)
}

// redirectTo answers every request with status and a Location of to.
func redirectTo(status int, to string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Location", to)
		w.WriteHeader(status)
	}
}

func newHTTPClientFor(t *testing.T, cfg Config) *Client {
	t.Helper()
	cfg.Transport = HTTP
	cfg.CallTimeout = testTimeout
	c, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestRedirectSameHost(t *testing.T) {
	t.Parallel()
	srv := newRedirectServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/auth" {
			redirectTo(http.StatusTemporaryRedirect, "/v2/auth")(w, r)
			return
		}
		_, _ = w.Write([]byte(`{"ok":true,"id":"u"}`))
	})
	c := newHTTPClientFor(t, Config{Addr: srv.URL + "/auth", Token: "s3cret"})

	res := c.Authenticate(t.Context(), AuthRequest{Username: "u", Password: "p"})
	require.True(t, res.OK(), res.Error())
	assert.Equal(t, AuthVerdict{OK: true, ID: "u"}, res.Verdict)
	assert.Equal(t, []Redirect{{Method: "POST", URL: srv.URL + "/auth", Status: 307}}, res.Redirects)
	assert.Equal(t, srv.URL+"/v2/auth", res.FinalURL)
	assert.Equal(t, srv.URL+"/auth", res.Target, "Target stays the addr GOST was given")
	assert.Equal(t, []string{"POST /auth auth=Bearer s3cret", "POST /v2/auth auth=Bearer s3cret"}, srv.requests(),
		"GOST resends the POST with its body and token after a 307")
	assert.Equal(t, []Note{{Code: NoteRedirected, Text: "the plugin redirected and GOST followed (Go's http.Client, " +
		"at most 10 requests), using the last reply: POST " + srv.URL + "/auth → 307 ⇒ POST " + srv.URL + "/v2/auth → 200"}}, res.Notes)

	repro := c.Reproducer(&res.Observation, false)
	assert.True(t, strings.HasPrefix(repro, "curl -sS -i -L --max-redirs 9 -H "), repro)
	assert.NotContains(t, repro, "-X POST", "with -X curl would keep POST after a 301-303, where Go switches to GET")
	assert.NotContains(t, repro, "--location-trusted")
	assert.NotContains(t, repro, "s3cret")
}

func TestRedirectTokenCrossHost(t *testing.T) {
	t.Parallel()
	other := newRedirectServer(t, replyWith(200, `{"ok":true}`).ServeHTTP)
	first := newRedirectServer(t, redirectTo(http.StatusTemporaryRedirect, other.URL+"/collect?t=s3cret"))
	c := newHTTPClientFor(t, Config{Addr: first.URL + "/admit", Token: "s3cret"})

	res := c.Admit(t.Context(), AdmissionRequest{Addr: "10.0.0.1:1234"})
	require.True(t, res.OK(), res.Error())
	assert.Equal(t, []string{"POST /collect?t=s3cret auth=Bearer s3cret"}, other.requests(),
		"GOST's token RoundTripper sends the token to the other host")

	otherHost := strings.TrimPrefix(other.URL, "http://")
	firstHost := strings.TrimPrefix(first.URL, "http://")
	assert.Equal(t, other.URL+"/collect?t=<redacted>", res.FinalURL, "an echoed token is redacted")
	assert.Equal(t, []string{NoteRedirected, NoteTokenCrossHost}, noteCodes(res.Notes))
	assert.Equal(t, "GOST sends its token (Authorization: Bearer) to "+otherHost+", not only to "+firstHost+
		": its token RoundTripper adds the header on every redirect hop, so Go's rule of dropping Authorization "+
		"across hosts never applies; redirect within the plugin's own host and port, or not at all", res.Notes[1].Text)
	for _, n := range res.Notes {
		assert.NotContains(t, n.Text, "s3cret")
	}

	repro := c.Reproducer(&res.Observation, false)
	assert.Contains(t, repro, " --location-trusted --max-redirs 9 ", "curl sends a custom Authorization header to other hosts only when trusted")
	assert.Contains(t, repro, `-H "Authorization: Bearer $PLUGIN_TOKEN"`)
	assert.NotContains(t, repro, "s3cret")
	assert.Contains(t, c.Reproducer(&res.Observation, true), "'Authorization: Bearer s3cret'")
}

func TestRedirectWithoutTokenIsNoCrossHostNote(t *testing.T) {
	t.Parallel()
	other := newRedirectServer(t, replyWith(200, `{"ok":true}`).ServeHTTP)
	first := newRedirectServer(t, redirectTo(http.StatusTemporaryRedirect, other.URL+"/b"))
	c := newHTTPClientFor(t, Config{Addr: first.URL + "/a"})

	res := c.Admit(t.Context(), AdmissionRequest{Addr: "10.0.0.1:1234"})
	require.True(t, res.OK(), res.Error())
	assert.Equal(t, []string{NoteRedirected}, noteCodes(res.Notes))
	assert.Contains(t, c.Reproducer(&res.Observation, false), " -L --max-redirs 9 ")
}

func TestRedirectSeeOtherTurnsPostIntoGet(t *testing.T) {
	t.Parallel()
	srv := newRedirectServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			redirectTo(http.StatusFound, "/result")(w, r)
			return
		}
		_, _ = w.Write([]byte(`{"ok":true}`))
	})
	c := newHTTPClientFor(t, Config{Addr: srv.URL + "/bypass"})

	res := c.Bypass(t.Context(), BypassRequest{Addr: "example.com:443"})
	require.True(t, res.OK(), res.Error())
	assert.Equal(t, []string{"POST /bypass auth=", "GET /result auth="}, srv.requests())
	assert.Equal(t, []Redirect{{Method: "POST", URL: srv.URL + "/bypass", Status: 302}}, res.Redirects)
	require.Equal(t, []string{NoteRedirected}, noteCodes(res.Notes))
	assert.True(t, strings.HasSuffix(res.Notes[0].Text, "POST "+srv.URL+"/bypass → 302 ⇒ GET "+srv.URL+
		"/result → 200; after a 301, 302 or 303 Go resends a POST as a GET without body"), res.Notes[0].Text)
}

func TestRedirectLoopStopsAfterTen(t *testing.T) {
	t.Parallel()
	var n int
	var mu sync.Mutex
	srv := newRedirectServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		to := fmt.Sprintf("/loop/%d", n)
		mu.Unlock()
		redirectTo(http.StatusTemporaryRedirect, to)(w, r)
	})
	c := newHTTPClientFor(t, Config{Addr: srv.URL + "/loop/0"})

	res := c.Record(t.Context(), RecorderRequest{Data: []byte("x")})
	assert.Equal(t, FailureTransport, res.Failure)
	assert.ErrorContains(t, res.Err, "stopped after 10 redirects")
	assert.Len(t, srv.requests(), 10, "Go's default policy stops after 10 consecutive requests")
	assert.Len(t, res.Redirects, MaxRedirects)
	assert.Equal(t, srv.URL+"/loop/9", res.FinalURL)
	require.Equal(t, []string{NoteRedirected, NoteNotDelivered}, noteCodes(res.Notes))
	assert.True(t, strings.HasSuffix(res.Notes[0].Text, "; GOST gives up after 10 requests and the call fails"), res.Notes[0].Text)
}

func TestRedirectToAClosedPort(t *testing.T) {
	t.Parallel()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := "http://" + lis.Addr().String() + "/gone"
	require.NoError(t, lis.Close())
	srv := newRedirectServer(t, redirectTo(http.StatusPermanentRedirect, closed))
	c := newHTTPClientFor(t, Config{Addr: srv.URL + "/auth", Token: "s3cret"})

	res := c.Authenticate(t.Context(), AuthRequest{Username: "u"})
	assert.Equal(t, FailureTransport, res.Failure)
	assert.Equal(t, []Redirect{{Method: "POST", URL: srv.URL + "/auth", Status: 308}}, res.Redirects)
	assert.Equal(t, closed, res.FinalURL)
	require.Equal(t, []string{NoteRedirected, NoteTokenCrossHost}, noteCodes(res.Notes),
		"GOST would send the token there as soon as the port answers")
	assert.True(t, strings.HasSuffix(res.Notes[0].Text, "⇒ POST "+closed+" → no reply"), res.Notes[0].Text)
}

func TestRedirectLongURLIsBounded(t *testing.T) {
	t.Parallel()
	long := "/" + strings.Repeat("a", 5000)
	srv := newRedirectServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/start" {
			redirectTo(http.StatusTemporaryRedirect, long)(w, r)
			return
		}
		_, _ = w.Write([]byte(`{"ok":true}`))
	})
	c := newHTTPClientFor(t, Config{Addr: srv.URL + "/start"})

	res := c.Admit(t.Context(), AdmissionRequest{Addr: "10.0.0.1:1"})
	require.True(t, res.OK(), res.Error())
	assert.Equal(t, maxURLText+len("…"), len(res.FinalURL))
	assert.True(t, strings.HasPrefix(res.FinalURL, srv.URL+"/aaaa"))
	require.Len(t, res.Notes, 1)
	assert.Less(t, len(res.Notes[0].Text), 600, "the note clips each URL")
}

func TestNoRedirectRecordsNothing(t *testing.T) {
	t.Parallel()
	c, _ := newHTTPTestClient(t, Config{Token: "s3cret"}, "/admit", replyWith(200, `{"ok":true}`))
	res := c.Admit(t.Context(), AdmissionRequest{Addr: "10.0.0.1:1"})
	require.True(t, res.OK(), res.Error())
	assert.Nil(t, res.Redirects)
	assert.Empty(t, res.FinalURL)
	assert.Empty(t, res.Notes)
	assert.True(t, strings.HasPrefix(c.Reproducer(&res.Observation, false), "curl -sS -i -X POST -H "))
}

func TestHostPort(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, url, want string
	}{
		{name: "explicit port", url: "http://127.0.0.1:8080/x", want: "127.0.0.1:8080"},
		{name: "http default", url: "http://Example.COM/x", want: "example.com:80"},
		{name: "https default", url: "https://example.com/x", want: "example.com:443"},
		{name: "ipv6", url: "http://[::1]:9/x", want: "[::1]:9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := http.NewRequest(http.MethodGet, tt.url, nil)
			require.NoError(t, err)
			assert.Equal(t, tt.want, hostPort(req.URL))
		})
	}
}
