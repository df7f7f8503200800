package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/internal/refplugin"
)

// deploymentToken is the token of every plugin block of the test
// deployment; no output may show it.
const deploymentToken = "dep-s3cret-token"

// writeDeployment writes testdata/config/<name> with the reference
// plugins' real addresses and returns its path.
func writeDeployment(t *testing.T, name string, srv *refplugin.Server, extra map[string]string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "config", name))
	require.NoError(t, err)
	http := strings.TrimSuffix(srv.HTTPURL("auth"), "/auth")
	r := []string{"{{GRPC}}", srv.GRPCAddr(), "{{HTTP}}", http, "{{TOKEN}}", deploymentToken}
	for k, v := range extra {
		r = append(r, k, v)
	}
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(strings.NewReplacer(r...).Replace(string(b))), 0o600))
	return p
}
