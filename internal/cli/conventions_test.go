package cli

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/internal/iostreams"
)

// convMain runs Main with args and returns its exit code, stdout and stderr.
func convMain(t *testing.T, args ...string) (ExitCode, string, string) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	code := Main(context.Background(), args, ios)
	return code, out.String(), errOut.String()
}

func TestCompletionValues(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    []string
		notWant []string
	}{
		{"modules and commands", []string{"__complete", ""}, []string{"auth", "admission", "load", "completion", "version"}, nil},
		{"transport", []string{"__complete", "auth", "--transport", ""}, []string{"grpc", "http"}, nil},
		{"module output", []string{"__complete", "auth", "-o", ""}, []string{"text", "json", "json=", "junit="}, nil},
		{"load output", []string{"__complete", "load", "auth", "--output", ""}, []string{"text", "json="}, []string{"junit"}},
		{"run case patterns", []string{"__complete", "auth", "--run", ""}, []string{"auth-request-shapes/**", "auth-request-shapes/*/http-proxy-basic"}, nil},
		{"load skip case patterns", []string{"__complete", "load", "auth", "--skip", ""}, []string{"auth-request-shapes/**"}, nil},
		{"load module arg", []string{"__complete", "load", "ro"}, []string{"router", "rewriter"}, nil},
		{"demo modules", []string{"__complete", "demo", "--modules", ""}, []string{"sd", "hosts"}, nil},
		{"fixtures extensions", []string{"__complete", "auth", "--fixtures", ""}, []string{"yaml", "yml", "json"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, _ := convMain(t, tt.args...)
			require.Equal(t, ExitOK, code)
			var values []string
			for _, line := range strings.Split(out, "\n") {
				if line == "" || strings.HasPrefix(line, ":") {
					continue
				}
				v, _, _ := strings.Cut(line, "\t")
				values = append(values, v)
			}
			for _, w := range tt.want {
				assert.Contains(t, values, w)
			}
			for _, w := range tt.notWant {
				assert.NotContains(t, values, w)
			}
		})
	}
}

func TestCompletionScripts(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		t.Run(shell, func(t *testing.T) {
			code, out, errOut := convMain(t, "completion", shell)
			require.Equal(t, ExitOK, code, errOut)
			assert.Contains(t, out, "plugincheck")
			if shell != "bash" {
				return
			}
			bash, err := exec.LookPath("bash")
			if err != nil {
				t.Skip("no bash")
			}
			script := filepath.Join(t.TempDir(), "plugincheck.bash")
			require.NoError(t, os.WriteFile(script, []byte(out), 0o600))
			b, err := exec.CommandContext(t.Context(), bash, "-n", script).CombinedOutput()
			require.NoError(t, err, "%s", b)
			// Sourcing defines the completion function and registers it.
			b, err = exec.CommandContext(t.Context(), bash, "-c", "source "+script+" && complete -p plugincheck").CombinedOutput()
			require.NoError(t, err, "%s", b)
			assert.Contains(t, string(b), "plugincheck")
		})
	}
}

// TestHelpText reads every command's help: no boolean flag shows a value
// name (pflag takes a back-quoted word of the usage as one), and no "a"
// stands before a vowel.
func TestHelpText(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	root := NewCmdRoot(&Factory{IO: ios})
	article := regexp.MustCompile(`\b[Aa] [aeiou]\w*`)
	n := 0
	walk(root, func(cmd *cobra.Command) {
		n++
		cmd.Flags().VisitAll(func(f *pflag.Flag) {
			if f.Value.Type() != "bool" {
				return
			}
			name, _ := pflag.UnquoteUsage(f)
			assert.Empty(t, name, "%s --%s shows a value name", cmd.CommandPath(), f.Name)
		})
		for _, text := range []string{cmd.Short, cmd.Long} {
			for _, m := range article.FindAllString(text, -1) {
				if strings.HasPrefix(strings.ToLower(m), "a u") || strings.HasPrefix(strings.ToLower(m), "a one") {
					continue // "a user", "a one-off": the sound is not a vowel
				}
				t.Errorf("%s: article error %q", cmd.CommandPath(), m)
			}
		}
	})
	assert.Greater(t, n, 20)
	_, out, _ := convMain(t, "auth", "--help")
	assert.Contains(t, out, "Check an auth plugin")
	assert.Regexp(t, `--tls +the plugin block`, out)
}

func TestDidYouMeanModule(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"root", []string{"autth", "--addr", "127.0.0.1:1"}},
		{"load", []string{"load", "autth", "--addr", "127.0.0.1:1"}},
		{"suites", []string{"suites", "autth"}},
		{"demo --modules", []string{"demo", "--modules", "autth"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := convMain(t, tt.args...)
			assert.Equal(t, ExitUsage, code)
			assert.Equal(t, 1, strings.Count(errOut, "\n"), errOut)
			assert.Contains(t, errOut, "did you mean")
			assert.Contains(t, errOut, "auth")
		})
	}
}

func TestDidYouMeanFixtureField(t *testing.T) {
	fx := filepath.Join(t.TempDir(), "f.yaml")
	require.NoError(t, os.WriteFile(fx, []byte("name: A\nmodule: auth\ncases:\n  - name: c\n    request: {username: x}\n    expected: {ok: true}\n"), 0o600))
	code, _, errOut := convMain(t, "auth", "--addr", "127.0.0.1:1", "--fixtures", fx)
	assert.Equal(t, ExitUsage, code)
	assert.Equal(t, 1, strings.Count(errOut, "\n"), errOut)
	assert.Contains(t, errOut, `f.yaml:6: cases[0].expected: unknown field (did you mean "expect"?)`)
}
