package mockclient

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// reproCases are reproducer lines pinned word for word; the tests below
// also run each through sh.
var reproCases = []struct {
	name      string
	cfg       Config
	obs       Observation
	showToken bool
	want      string
	// argv is what grpcurl or curl receives when sh runs want with
	// PLUGIN_TOKEN=tok and no PLUGINCHECK_PROTOSET.
	argv []string
}{
	{
		name: "grpc plaintext",
		cfg:  Config{Addr: "127.0.0.1:8000", Transport: GRPC},
		obs:  Observation{Transport: GRPC, Method: "/proto.Authenticator/Authenticate", Sent: true, Request: []byte(`{"username":"u","password":"p"}`)},
		want: `grpcurl -plaintext -emit-defaults -protoset "${PLUGINCHECK_PROTOSET:-plugins.protoset}" -d '{"username":"u","password":"p"}' 127.0.0.1:8000 proto.Authenticator/Authenticate`,
		argv: []string{"-plaintext", "-emit-defaults", "-protoset", "plugins.protoset", "-d", `{"username":"u","password":"p"}`, "127.0.0.1:8000", "proto.Authenticator/Authenticate"},
	},
	{
		name: "grpc token and tls server name",
		cfg:  Config{Addr: "dns:///127.0.0.1:8443", Transport: GRPC, Token: "s3cr3t", TLS: &TLSConfig{ServerName: "plugin.example"}},
		obs:  Observation{Transport: GRPC, Method: "/proto.Bypass/Bypass", Sent: true, Request: []byte(`{"addr":"o'brien s3cr3t"}`)},
		want: `grpcurl -insecure -servername plugin.example -authority plugin.example -H "token: $PLUGIN_TOKEN" -emit-defaults -protoset "${PLUGINCHECK_PROTOSET:-plugins.protoset}" -d '{"addr":"o'\''brien <redacted>"}' 127.0.0.1:8443 proto.Bypass/Bypass`,
		argv: []string{"-insecure", "-servername", "plugin.example", "-authority", "plugin.example", "-H", "token: tok", "-emit-defaults", "-protoset", "plugins.protoset", "-d", `{"addr":"o'brien <redacted>"}`, "127.0.0.1:8443", "proto.Bypass/Bypass"},
	},
	{
		name: "grpc unix socket",
		cfg:  Config{Addr: "unix:///tmp/my plugin.sock", Transport: GRPC},
		obs:  Observation{Transport: GRPC, Method: "/proto.Limiter/Limit", Sent: true, Request: []byte(`{}`)},
		want: `grpcurl -plaintext -emit-defaults -protoset "${PLUGINCHECK_PROTOSET:-plugins.protoset}" -d '{}' -unix '/tmp/my plugin.sock' proto.Limiter/Limit`,
		argv: []string{"-plaintext", "-emit-defaults", "-protoset", "plugins.protoset", "-d", "{}", "-unix", "/tmp/my plugin.sock", "proto.Limiter/Limit"},
	},
	{
		name:      "grpc shown token with a quote and a dollar",
		cfg:       Config{Addr: "127.0.0.1:8000", Transport: GRPC, Token: `it's $HOME`},
		obs:       Observation{Transport: GRPC, Method: "/proto.Authenticator/Authenticate", Sent: true, Request: []byte(`{}`)},
		showToken: true,
		want:      `grpcurl -plaintext -H 'token: it'\''s $HOME' -emit-defaults -protoset "${PLUGINCHECK_PROTOSET:-plugins.protoset}" -d '{}' 127.0.0.1:8000 proto.Authenticator/Authenticate`,
		argv:      []string{"-plaintext", "-H", "token: it's $HOME", "-emit-defaults", "-protoset", "plugins.protoset", "-d", "{}", "127.0.0.1:8000", "proto.Authenticator/Authenticate"},
	},
	{
		name: "grpc token that quoting would have hidden from redaction",
		cfg:  Config{Addr: "127.0.0.1:8000", Transport: GRPC, Token: `a'b`},
		obs:  Observation{Transport: GRPC, Method: "/proto.Authenticator/Authenticate", Sent: true, Request: []byte(`{"password":"a'b"}`)},
		want: `grpcurl -plaintext -H "token: $PLUGIN_TOKEN" -emit-defaults -protoset "${PLUGINCHECK_PROTOSET:-plugins.protoset}" -d '{"password":"<redacted>"}' 127.0.0.1:8000 proto.Authenticator/Authenticate`,
		argv: []string{"-plaintext", "-H", "token: tok", "-emit-defaults", "-protoset", "plugins.protoset", "-d", `{"password":"<redacted>"}`, "127.0.0.1:8000", "proto.Authenticator/Authenticate"},
	},
	{
		name: "http token and body",
		cfg:  Config{Addr: "http://127.0.0.1:8000/auth", Transport: HTTP, Token: "s3cr3t"},
		obs:  Observation{Transport: HTTP, Method: "POST", Target: "http://127.0.0.1:8000/auth", Sent: true, Request: []byte(`{"username":"a b","password":"$(id)` + "`x`" + `"}`)},
		want: `curl -sS -i -X POST -H 'Content-Type: application/json' -H "Authorization: Bearer $PLUGIN_TOKEN" --data-binary '{"username":"a b","password":"$(id)` + "`x`" + `"}' http://127.0.0.1:8000/auth`,
		argv: []string{"-sS", "-i", "-X", "POST", "-H", "Content-Type: application/json", "-H", "Authorization: Bearer tok", "--data-binary", `{"username":"a b","password":"$(id)` + "`x`" + `"}`, "http://127.0.0.1:8000/auth"},
	},
	{
		name: "http query with a redacted token",
		cfg:  Config{Addr: "http://127.0.0.1:8000/auth?k=s3cr3t&x=1", Transport: HTTP, Token: "s3cr3t"},
		obs:  Observation{Transport: HTTP, Method: "POST", Target: "http://127.0.0.1:8000/auth?k=s3cr3t&x=1", Sent: true, Request: []byte(`{}`)},
		want: `curl -sS -i -X POST -H 'Content-Type: application/json' -H "Authorization: Bearer $PLUGIN_TOKEN" --data-binary '{}' 'http://127.0.0.1:8000/auth?k=<redacted>&x=1'`,
		argv: []string{"-sS", "-i", "-X", "POST", "-H", "Content-Type: application/json", "-H", "Authorization: Bearer tok", "--data-binary", "{}", "http://127.0.0.1:8000/auth?k=<redacted>&x=1"},
	},
}

func TestReproducerLines(t *testing.T) {
	t.Parallel()
	for _, tt := range reproCases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := New(tt.cfg)
			require.NoError(t, err)
			t.Cleanup(func() { _ = c.Close() })
			assert.Equal(t, tt.want, c.Reproducer(&tt.obs, tt.showToken))
		})
	}
}

// TestReproducersRunUnderSh runs every pinned line with sh (dash on
// Debian, not bash) against stand-in grpcurl and curl scripts that print
// the words they got, so the line is checked as sh splits it: no bashism,
// the token from the variable, the protoset named relative.
func TestReproducersRunUnderSh(t *testing.T) {
	t.Parallel()
	sh, err := exec.LookPath("sh")
	require.NoError(t, err)
	bin := t.TempDir()
	for _, tool := range []string{"grpcurl", "curl"} {
		// printf is a builtin of every POSIX sh, so PATH needs only bin.
		require.NoError(t, os.WriteFile(filepath.Join(bin, tool), []byte("#!"+sh+"\nprintf '%s\\n' \"$@\"\n"), 0o755))
	}
	for _, tt := range reproCases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			require.NoError(t, exec.CommandContext(ctx, sh, "-n", "-c", tt.want).Run(), "sh -n: %s", tt.want)
			cmd := exec.CommandContext(ctx, sh, "-c", tt.want)
			cmd.Env = []string{"PATH=" + bin, "HOME=/nonexistent", TokenVariable + "=tok"}
			out, err := cmd.Output()
			require.NoError(t, err, tt.want)
			assert.Equal(t, tt.argv, strings.Split(strings.TrimSuffix(string(out), "\n"), "\n"))

			cmd = exec.CommandContext(ctx, sh, "-c", tt.want)
			cmd.Env = []string{"PATH=" + bin, TokenVariable + "=tok", ProtosetVariable + "=/some where/p.protoset"}
			out, err = cmd.Output()
			require.NoError(t, err, tt.want)
			if strings.HasPrefix(tt.want, "grpcurl ") {
				assert.Contains(t, string(out), "\n-protoset\n/some where/p.protoset\n", "PLUGINCHECK_PROTOSET names another file")
			}
		})
	}
}

// FuzzShellQuote checks the quoting against a real sh: the quoted word,
// printed by sh, is the input, byte for byte.
func FuzzShellQuote(f *testing.F) {
	sh, err := exec.LookPath("sh")
	require.NoError(f, err)
	for _, s := range []string{"", "plain", "a b", "it's", "'", "''", `$HOME`, "`id`", `\`, "\"", "a\nb", "!x", "*", "~", "-n", "é ✓", "\xff", "{a,b}", "$(id)", "x;y|z&"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if strings.ContainsRune(s, 0) || len(s) > 1<<12 {
			t.Skip("argv cannot carry NUL; long inputs add nothing")
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, sh, "-c", "printf %s "+shellQuote(s))
		cmd.Env = []string{"PATH=/nonexistent"}
		out, err := cmd.Output()
		require.NoError(t, err, "%q quoted as %s", s, shellQuote(s))
		assert.Equal(t, s, string(out), "quoted as %s", shellQuote(s))
	})
}
