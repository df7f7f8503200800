package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNoCaseRan: a run that executed no case exits 2 and says why in one
// line, instead of printing PASS.
func TestNoCaseRan(t *testing.T) {
	t.Parallel()
	srv := refServer(t, "", nil)
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.yaml")
	require.NoError(t, os.WriteFile(empty, []byte("name: Empty\nmodule: auth\ncases: []\n"), 0o600))
	httpOnly := filepath.Join(dir, "http.yaml")
	require.NoError(t, os.WriteFile(httpOnly, []byte("name: H\nmodule: auth\ntransports: [http]\ncases:\n  - name: c\n    request: {username: u}\n    expect: {ok: true}\n"), 0o600))
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"run matches nothing", []string{"--run", "foo/*"}, `no case ran: --run "foo/*" matched none of`},
		{"skip everything", []string{"--skip", "**"}, `no case ran: --skip "**" left none of`},
		{"skip with run", []string{"--run", "auth-request-shapes/**", "--skip", "**"}, `no case ran: --run "auth-request-shapes/**" with --skip "**" left none of`},
		{"empty fixture", []string{"--builtin=false", "--fixtures", empty}, "empty.yaml:3: cases: want a non-empty list of cases"},
		{"every case skipped", []string{"--builtin=false", "--fixtures", httpOnly}, "no case ran: all 1 cases were skipped (h/grpc/c: case does not apply to grpc)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := convMain(t, append([]string{"auth", "--addr", srv.GRPCAddr()}, tt.args...)...)
			assert.Equal(t, ExitUsage, code, "stdout %s", out)
			assert.Equal(t, 1, strings.Count(errOut, "\n"), errOut)
			assert.Contains(t, errOut, tt.want)
		})
	}
}
