package gostconfig

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// gostAPI is a stand-in for GOST's API routes that FetchAPI uses: GET
// <prefix>/config with basic auth. The parity module runs x's real API.
func gostAPI(t *testing.T, prefix, user, password, body string) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+prefix+"/config", func(w http.ResponseWriter, r *http.Request) {
		u, p, _ := r.BasicAuth()
		if user != "" && (u != user || p != password) {
			w.Header().Set("WWW-Authenticate", "Basic")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"code":401,"msg":"Unauthorized"}`))
			return
		}
		if r.URL.Query().Get("format") != "json" {
			http.Error(w, "want format=json", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	})
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

const apiBody = `{"services":[{"name":"svc","handler":{"type":"socks5","auther":"a"}}],"authers":[{"name":"a","plugin":{"type":"grpc","addr":"127.0.0.1:1","token":"tok"}}]}`

func TestFetchAPI(t *testing.T) {
	t.Parallel()
	s := gostAPI(t, "/api", "admin", "pw", apiBody)
	tests := []struct {
		name    string
		opts    APIOptions
		source  string
		wantErr string
	}{
		{"prefix and auth", APIOptions{URL: s.URL + "/api", User: "admin", Password: "pw"}, s.URL + "/api/config?format=json", ""},
		{"trailing slash", APIOptions{URL: s.URL + "/api/", User: "admin", Password: "pw"}, s.URL + "/api/config?format=json", ""},
		{"credentials in the URL never shown", APIOptions{URL: strings.Replace(s.URL, "http://", "http://admin:pw@", 1) + "/api"}, s.URL + "/api/config?format=json", ""},
		{"no credentials", APIOptions{URL: s.URL + "/api"}, "", "set --api-user and --api-password (or PLUGINCHECK_API_USER and PLUGINCHECK_API_PASSWORD)"},
		{"wrong password", APIOptions{URL: s.URL + "/api", User: "admin", Password: "nope"}, "", "check --api-user and --api-password"},
		{"missing prefix", APIOptions{URL: s.URL, User: "admin", Password: "pw"}, "", "404 Not Found; is the URL GOST's API with its pathPrefix"},
		{"not a URL", APIOptions{URL: "127.0.0.1:18080"}, "", "want an http:// or https:// URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			source, data, err := FetchAPI(t.Context(), tt.opts)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.NotContains(t, err.Error(), "pw")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.source, source)
			d, err := Parse(source, data)
			require.NoError(t, err)
			require.Len(t, d.Plugins, 1)
			assert.Equal(t, "tok", d.Plugins[0].Config.Token)
			assert.Equal(t, source, d.Source)
		})
	}
}

func TestFetchAPIUnauthorizedIs(t *testing.T) {
	t.Parallel()
	s := gostAPI(t, "", "admin", "pw", apiBody)
	_, _, err := FetchAPI(t.Context(), APIOptions{URL: s.URL})
	require.ErrorIs(t, err, ErrAPIUnauthorized)
}

// TestFetchAPITLS reads over https with the caller's client.
func TestFetchAPITLS(t *testing.T) {
	t.Parallel()
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(apiBody))
	}))
	s.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake below
	s.StartTLS()
	t.Cleanup(s.Close)
	source, data, err := FetchAPI(t.Context(), APIOptions{URL: s.URL, Client: s.Client()})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(source, "https://"))
	assert.JSONEq(t, apiBody, string(data))
	_, _, err = FetchAPI(t.Context(), APIOptions{URL: s.URL})
	require.ErrorIs(t, err, ErrAPI, "the default client verifies the certificate")
}

// TestFetchAPIBounds: a body over MaxConfigSize is refused, and a server
// that never answers is cut by the deadline.
func TestFetchAPIBounds(t *testing.T) {
	t.Parallel()
	big := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := make([]byte, 1<<20)
		for range MaxConfigSize>>20 + 2 {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	t.Cleanup(big.Close)
	_, _, err := FetchAPI(t.Context(), APIOptions{URL: big.URL})
	require.ErrorIs(t, err, ErrTooLarge)

	release := make(chan struct{})
	stuck := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(stuck.Close)
	t.Cleanup(func() { close(release) })
	_, _, err = FetchAPI(t.Context(), APIOptions{URL: stuck.URL, Timeout: 50 * time.Millisecond})
	require.ErrorIs(t, err, ErrAPI)
	assert.Contains(t, err.Error(), "deadline")

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, _, err = FetchAPI(ctx, APIOptions{URL: stuck.URL})
	require.Error(t, err)
}
