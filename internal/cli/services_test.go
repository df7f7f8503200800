package cli

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// openService is the panel's auth plugin of issue 12: it maps the service
// forward-tcp-8080 to a user and ignores the password there, and checks
// passwords on every other service.
func openService(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Service, Username, Password string }
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if req.Service == "forward-tcp-8080" {
			_, _ = io.WriteString(w, `{"ok":true,"id":"user-8080"}`)
			return
		}
		ok := req.Username == "plugincheck-user" && req.Password == "plugincheck-pass"
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": ok, "id": req.Username})
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/auth"
}

func TestServiceFlag(t *testing.T) {
	t.Parallel()
	addr := openService(t)
	tests := []struct {
		name string
		args []string
		code ExitCode
		// warned are the text report's lines that must be there.
		warned []string
	}{
		// --latency-budget 1m: a loaded machine must not warn on latency
		// under --strict.
		{name: "the plain run does not catch it", args: []string{"auth", "--addr", addr, "--strict", "--latency-budget", "1m"}, code: ExitOK},
		{
			name: "the service's name catches it", args: []string{"auth", "--addr", addr, "--service", "forward-tcp-8080", "--strict"}, code: ExitFailed,
			warned: []string{"random-credentials@forward-tcp-8080", `accepted random credentials (allow-all auth), on service "forward-tcp-8080"`},
		},
		{name: "another service is fine", args: []string{"auth", "--addr", addr, "--service", "socks-1080", "--strict", "--latency-budget", "1m"}, code: ExitOK},
		{name: "warns without --strict", args: []string{"auth", "--addr", addr, "--service", "forward-tcp-8080"}, code: ExitOK, warned: []string{"forward-tcp-8080"}},
		{name: "empty name", args: []string{"auth", "--addr", addr, "--service", " "}, code: ExitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runMain(t, tt.args...)
			require.Equal(t, tt.code, code, "stderr: %s\nstdout: %s", stderr, stdout)
			for _, w := range tt.warned {
				assert.Contains(t, stdout, w)
			}
			if code == ExitUsage {
				assert.Equal(t, 1, strings.Count(stderr, "\n"), stderr)
			}
		})
	}
}

func TestNewCmdModuleServices(t *testing.T) {
	t.Parallel()
	got, err := parseWithEnv(t, "--addr a:1 --service forward-tcp-8080 --service 代理", nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"forward-tcp-8080", "代理"}, got.Checks.Services)
	_, err = parseWithEnv(t, "--addr a:1 --service "+strings.Repeat("x", 2000), nil)
	require.ErrorContains(t, err, "longer than 1024 bytes")
	_, err = parseWithEnv(t, "--addr a:1 --service s --builtin=false --fixtures x.yaml", nil)
	require.ErrorContains(t, err, "--builtin=false leaves it out")
}
