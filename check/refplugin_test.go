package check

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/fixtures"
	"github.com/plugincheck/plugincheck/internal/refplugin"
	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
	"github.com/plugincheck/plugincheck/suites"
)

// TestReferencePlugins runs check.Test, as a plugin author would, against
// plugincheck's reference plugins for all 13 modules, served over bufconn
// (gRPC) and httptest (HTTP): the built-in suite and the reference policy
// of each module, as `plugincheck demo` runs them, pass as Go subtests.
func TestReferencePlugins(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		transport mockclient.Transport
	}{
		{name: "bufconn", transport: mockclient.GRPC},
		{name: "httptest", transport: mockclient.HTTP},
	}
	for _, tt := range tests {
		for _, m := range mockclient.Modules() {
			t.Run(tt.name+"/"+string(m), func(t *testing.T) {
				t.Parallel()
				ss := moduleSuites(t, m)
				plugins := refplugin.NewInProcess(refplugin.Options{Token: testToken})
				cfg := mockclient.Config{Addr: "bufnet", Token: testToken}
				var c *mockclient.Client
				if tt.transport == mockclient.GRPC {
					c = bufconnClient(t, plugins.GRPC, cfg)
				} else {
					c, cfg = httptestClient(t, plugins.HTTP, "/"+string(m), cfg)
				}

				run := Test(t, cfg, m, Options{Suites: ss, Client: c})

				require.NotNil(t, run)
				assert.Equal(t, string(tt.transport), run.Transport)
				assert.Contains(t, []report.Status{report.Pass, report.Warn}, run.Status)
				assert.Positive(t, run.Totals.Pass)
				assert.Zero(t, run.Totals.Fail)
				assert.Empty(t, run.Diagnosis)
				assert.Contains(t, run.Notes, noAuditNote, "the run says that no TLS audit ran")
				assert.Equal(t, "plaintext: the GOST config has no tls block", run.TLS.Note)
				assert.Positive(t, plugins.Calls(string(m)), "the calls reached the plugin")
				assert.NotContains(t, run.Target.Token, testToken, "the token is redacted")
			})
		}
	}
}

// moduleSuites are the built-in and reference suites of m, as the demo
// runs them.
func moduleSuites(t *testing.T, m mockclient.Module) []*suites.Suite {
	t.Helper()
	builtin, err := EmbeddedSuites(fixtures.BuiltinDir, m)
	require.NoError(t, err)
	ref, err := EmbeddedSuites(fixtures.ReferenceDir, m)
	require.NoError(t, err)
	require.NotEmpty(t, builtin, "every module has a built-in suite")
	return append(builtin, ref...)
}
