package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/internal/iostreams"
	"github.com/plugincheck/plugincheck/mockclient"
)

// parseWithEnv parses args for a module command whose environment is env.
func parseWithEnv(t *testing.T, args string, env map[string]string) (*ModuleOptions, error) {
	t.Helper()
	ios, _, _, _ := iostreams.Test()
	var got *ModuleOptions
	cmd := newCmdModule(&Factory{IO: ios, Now: time.Now}, mockclient.Auth, func(_ context.Context, o *ModuleOptions) error {
		got = o
		return nil
	})
	bindEnv(cmd, func(k string) string { return env[k] })
	cmd.SetArgs(strings.Fields(args))
	cmd.SetOut(ios.Out)
	cmd.SetErr(ios.ErrOut)
	return got, cmd.Execute()
}

func TestEnvFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    string
		env     map[string]string
		want    ConnOptions
		wantErr string
	}{
		{
			name: "every connection flag from the environment",
			env: map[string]string{
				"PLUGINCHECK_ADDR": "https://p.example/auth", "PLUGINCHECK_TRANSPORT": "http", "PLUGIN_TOKEN": "s3cret",
				"PLUGINCHECK_TLS_SECURE": "true", "PLUGINCHECK_TLS_SERVER_NAME": "p.example", "PLUGINCHECK_TIMEOUT": "2s",
				"PLUGINCHECK_CALL_TIMEOUT": "3s",
			},
			want: ConnOptions{Addr: "https://p.example/auth", Transport: "http", Token: "s3cret", TLSSecure: true, TLSServerName: "p.example", Timeout: 2 * time.Second, CallTimeout: 3 * time.Second},
		},
		{
			name: "the command line wins",
			args: "--addr 127.0.0.1:9000 --token cli",
			env:  map[string]string{"PLUGINCHECK_ADDR": "127.0.0.1:8000", "PLUGIN_TOKEN": "env", "PLUGINCHECK_TLS": "1"},
			want: ConnOptions{Addr: "127.0.0.1:9000", Token: "cli", TLS: true, CallTimeout: mockclient.DefaultCallTimeout},
		},
		{
			name: "PLUGINCHECK_TOKEN before PLUGIN_TOKEN",
			env:  map[string]string{"PLUGINCHECK_ADDR": "a:1", "PLUGIN_TOKEN": "second", "PLUGINCHECK_TOKEN": "first"},
			want: ConnOptions{Addr: "a:1", Token: "first", CallTimeout: mockclient.DefaultCallTimeout},
		},
		{
			name:    "bad duration names the variable",
			env:     map[string]string{"PLUGINCHECK_ADDR": "a:1", "PLUGINCHECK_TIMEOUT": "soon"},
			wantErr: `environment variable PLUGINCHECK_TIMEOUT="soon": not a valid --timeout (duration)`,
		},
		{
			name:    "bad bool names the variable",
			env:     map[string]string{"PLUGINCHECK_ADDR": "a:1", "PLUGINCHECK_TLS": "maybe"},
			wantErr: `environment variable PLUGINCHECK_TLS="maybe": not a valid --tls (bool)`,
		},
		{
			name:    "a bad value is checked like the flag's",
			env:     map[string]string{"PLUGINCHECK_ADDR": "a:1", "PLUGINCHECK_TRANSPORT": "quic"},
			wantErr: `--transport: unknown transport "quic"`,
		},
		{
			name:    "no addr anywhere",
			env:     map[string]string{"PLUGIN_TOKEN": "x"},
			wantErr: "--addr is required",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseWithEnv(t, tt.args, tt.env)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Equal(t, ExitUsage, exitCodeFor(t.Context(), err))
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.NotContains(t, err.Error(), "\n")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got.Conn)
		})
	}
}

// TestEnvMain runs the whole program with the process environment: a bad
// value is one line and exit 2, the token never shows, and help lists the
// variables.
func TestEnvMain(t *testing.T) {
	t.Setenv("PLUGINCHECK_ADDR", "127.0.0.1:1")
	t.Setenv("PLUGINCHECK_CALL_TIMEOUT", "forever")
	code, _, stderr := runMain(t, "auth")
	assert.Equal(t, ExitUsage, code)
	assert.Equal(t, "plugincheck: environment variable PLUGINCHECK_CALL_TIMEOUT=\"forever\": not a valid --call-timeout (duration)\n", stderr)

	t.Setenv("PLUGINCHECK_CALL_TIMEOUT", "")
	t.Setenv("PLUGINCHECK_API_PASSWORD", "")
	code, stdout, _ := runMain(t, "auth", "--help")
	assert.Equal(t, ExitOK, code)
	assert.Contains(t, stdout, "[env PLUGINCHECK_TOKEN, PLUGIN_TOKEN]")
	assert.Contains(t, stdout, "[env PLUGINCHECK_TLS_SERVER_NAME]")
	code, stdout, _ = runMain(t, "--help")
	assert.Equal(t, ExitOK, code)
	assert.Contains(t, stdout, "--tls-server-name  PLUGINCHECK_TLS_SERVER_NAME")
}

func TestEnvFlagsOnEveryCommand(t *testing.T) {
	t.Parallel()
	ios, _, _, _ := iostreams.Test()
	root := NewCmdRoot(&Factory{IO: ios, Now: time.Now})
	var withAddr []string
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		for _, s := range c.Commands() {
			walk(s)
		}
		if f := c.Flags().Lookup("addr"); f != nil {
			withAddr = append(withAddr, c.Name())
			assert.Contains(t, f.Usage, "[env PLUGINCHECK_ADDR]", c.Name())
		}
	}
	walk(root)
	assert.Contains(t, withAddr, "auth")
	assert.Contains(t, withAddr, "load")
	assert.Contains(t, withAddr, "tls")
}
