package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/plugincheck/plugincheck/internal/iostreams"
)

func TestFixturesStdin(t *testing.T) {
	t.Parallel()
	srv := refServer(t, "", nil)
	good := "name: Piped\nmodule: auth\ncases:\n  - name: gost-is-allowed\n    request: {username: gost, password: gost}\n    expect: {ok: true}\n"
	tests := []struct {
		name    string
		stdin   string
		args    []string
		code    ExitCode
		wantOut string
		wantErr string
		oneLine bool
	}{
		{name: "runs the piped fixture", stdin: good, args: []string{"--builtin=false", "--fixtures", "-", "-o", "json"}, code: ExitOK, wantOut: `"file": "<stdin>"`},
		{name: "error names <stdin> and the line", stdin: "name: Piped\nmodule: auth\ncases:\n  - name: c\n    request: {usernam: x}\n", args: []string{"--fixtures", "-"}, code: ExitUsage, wantErr: `<stdin>:5: cases[0].request.usernam: unknown field (did you mean "username"?)`, oneLine: true},
		{name: "only one -", stdin: good, args: []string{"--fixtures", "-", "--fixtures", "-"}, code: ExitUsage, wantErr: "--fixtures -: standard input can be given only once", oneLine: true},
		{name: "empty stdin", stdin: "", args: []string{"--fixtures", "-"}, code: ExitUsage, wantErr: "<stdin>", oneLine: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ios, in, out, errOut := iostreams.Test()
			in.WriteString(tt.stdin)
			code := Main(context.Background(), append([]string{"auth", "--addr", srv.GRPCAddr()}, tt.args...), ios)
			assert.Equal(t, tt.code, code, "stderr %s", errOut)
			assert.Contains(t, out.String(), tt.wantOut)
			assert.Contains(t, errOut.String(), tt.wantErr)
			if tt.oneLine {
				assert.Equal(t, 1, strings.Count(errOut.String(), "\n"), errOut.String())
			}
		})
	}
}

func TestSuitesFixturesStdin(t *testing.T) {
	ios, in, out, errOut := iostreams.Test()
	in.WriteString("name: Piped\nmodule: auth\ncases:\n  - name: from-stdin\n    request: {username: u}\n    expect: {ok: true}\n")
	code := Main(context.Background(), []string{"suites", "--fixtures", "-"}, ios)
	assert.Equal(t, ExitOK, code, errOut.String())
	assert.Contains(t, out.String(), "from-stdin")
}
