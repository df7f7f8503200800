package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/internal/iostreams"
	"github.com/plugincheck/plugincheck/internal/load"
	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
)

// reproReport is a one-case report over transport whose step has status
// st and a reproducer.
func reproReport(transport string, st report.Status) *report.Report {
	return &report.Report{Schema: report.SchemaVersion, Runs: []*report.Run{{
		Module: "auth", Transport: transport, Status: st,
		Cases: []*report.Case{{ID: "s/" + transport + "/c", Status: st, Steps: []*report.Step{{
			Op: "auth", Status: st, Reproducer: "grpcurl -plaintext -d '{}' 127.0.0.1:1 proto.Authenticator/Authenticate",
		}}}},
	}}}
}

// TestProtosetBesideTheReport: a run that writes a report file writes
// plugins.protoset beside it, once per directory, and says where on the
// text output, first, so the text's totals line stays last, without
// spoiling a JSON report on standard output; a run
// that writes only to standard output writes nothing and hints when the
// text shows a gRPC reproducer.
func TestProtosetBesideTheReport(t *testing.T) {
	t.Parallel()
	set, err := mockclient.ProtoSet()
	require.NoError(t, err)
	tests := []struct {
		name    string
		v       any // a *report.Report or a load result
		outs    func(dir string) []output
		verbose bool
		// files are the directories (relative to dir) that get a protoset.
		files                  []string
		wantStdout, wantStderr string // substrings; "" means none of ours
	}{
		{name: "text on stdout, json file: the notice goes to stderr", v: reproReport("grpc", report.Pass),
			outs: func(d string) []output {
				return []output{{format: "text"}, {format: "json", file: filepath.Join(d, "r.json")}}
			},
			files: []string{"."}, wantStderr: "gRPC reproducers read DIR/plugins.protoset: run them in DIR or set PLUGINCHECK_PROTOSET\n"},
		{name: "json on stdout keeps it JSON", v: reproReport("grpc", report.Fail),
			outs: func(d string) []output {
				return []output{{format: "json"}, {format: "junit", file: filepath.Join(d, "r.xml")}}
			},
			files: []string{"."}, wantStderr: "gRPC reproducers read DIR/plugins.protoset"},
		{name: "two files in one directory, one in another", v: reproReport("grpc", report.Pass),
			outs: func(d string) []output {
				return []output{{format: "json", file: filepath.Join(d, "r.json")}, {format: "junit", file: filepath.Join(d, "r.xml")}, {format: "text", file: filepath.Join(d, "sub", "r.txt")}}
			},
			files: []string{".", "sub"}, wantStderr: "DIR/sub/plugins.protoset"},
		{name: "http only needs none", v: reproReport("http", report.Fail),
			outs: func(d string) []output {
				return []output{{format: "text"}, {format: "json", file: filepath.Join(d, "r.json")}}
			}},
		{name: "load result has no reproducers", v: &load.Result{},
			outs: func(d string) []output {
				return []output{{format: "text"}, {format: "json", file: filepath.Join(d, "r.json")}}
			}},
		{name: "stdout only, short text shows no reproducer: no hint", v: reproReport("grpc", report.Fail),
			outs: func(string) []output { return []output{{format: "text"}} }},
		{name: "stdout only, verbose: hint", v: reproReport("grpc", report.Pass), verbose: true,
			outs: func(string) []output { return []output{{format: "text"}} }, wantStdout: protosetHint + "\n"},
		{name: "stdout only, all passed: no hint", v: reproReport("grpc", report.Pass),
			outs: func(string) []output { return []output{{format: "text"}} }},
		{name: "json on stdout only: no hint", v: reproReport("grpc", report.Fail),
			outs: func(string) []output { return []output{{format: "json"}} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			require.NoError(t, os.Mkdir(filepath.Join(dir, "sub"), 0o755))
			ios, _, stdout, stderr := iostreams.Test()
			outs := tt.outs(dir)
			opts := func(output) report.TextOptions { return report.TextOptions{Verbose: tt.verbose} }
			if rep, ok := tt.v.(*report.Report); ok {
				require.NoError(t, writeOutputs(ios, outs, report.Reports, rep, "report", opts))
			} else {
				require.NoError(t, writeOutputs(ios, outs, loadResults, tt.v.(*load.Result), "result", nil))
			}
			for _, sub := range []string{".", "sub"} {
				got, err := os.ReadFile(filepath.Join(dir, sub, mockclient.ProtosetFile))
				if tt.files != nil && (sub == "." || len(tt.files) > 1) {
					require.NoError(t, err, "protoset in %s", sub)
					assert.Equal(t, set, got)
				} else {
					assert.ErrorIs(t, err, os.ErrNotExist, "no protoset in %s", sub)
				}
			}
			out, errOut := strings.ReplaceAll(stdout.String(), dir, "DIR"), strings.ReplaceAll(stderr.String(), dir, "DIR")
			if tt.wantStdout != "" {
				assert.True(t, strings.HasPrefix(out, tt.wantStdout), "stdout starts with %q:\n%s", tt.wantStdout, out)
			} else {
				assert.NotContains(t, out, mockclient.ProtosetFile)
			}
			if tt.wantStderr != "" {
				assert.Contains(t, errOut, tt.wantStderr)
				assert.Equal(t, 1, strings.Count(errOut, "DIR/plugins.protoset"), "one line per directory")
			} else {
				assert.Empty(t, errOut)
			}
			if len(outs) > 0 && outs[0].format == "json" && outs[0].file == "" {
				assert.True(t, json.Valid(stdout.Bytes()), "stdout stays one JSON document")
			}
		})
	}
}

// TestWriteProtoset: an identical file is left as it is, another one is
// replaced whole, and a path that cannot be written is a warning naming
// it, not a failed run.
func TestWriteProtoset(t *testing.T) {
	t.Parallel()
	set, err := mockclient.ProtoSet()
	require.NoError(t, err)
	dir := t.TempDir()
	name := filepath.Join(dir, mockclient.ProtosetFile)

	require.NoError(t, os.WriteFile(name, set, 0o644))
	old := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	require.NoError(t, os.Chtimes(name, old, old))
	require.NoError(t, writeProtoset(name, set))
	st, err := os.Stat(name)
	require.NoError(t, err)
	assert.True(t, st.ModTime().Equal(old), "an identical protoset is not rewritten")

	require.NoError(t, os.WriteFile(name, []byte("stale"), 0o644))
	require.NoError(t, writeProtoset(name, set))
	got, err := os.ReadFile(name)
	require.NoError(t, err)
	assert.Equal(t, set, got)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file left behind")

	blocked := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(blocked, mockclient.ProtosetFile), 0o755))
	ios, _, stdout, stderr := iostreams.Test()
	rep := reproReport("grpc", report.Pass)
	require.NoError(t, writeOutputs(ios, []output{{format: "json", file: filepath.Join(blocked, "r.json")}}, report.Reports, rep, "report", nil))
	assert.Empty(t, stdout.String())
	assert.Contains(t, stderr.String(), "plugincheck: warning: "+filepath.Join(blocked, mockclient.ProtosetFile))
	assert.Contains(t, stderr.String(), "make it with `plugincheck protoset > ")
}

// TestProtosetCommand writes the same bytes the run writes beside its
// report.
func TestProtosetCommand(t *testing.T) {
	t.Parallel()
	ios, _, stdout, _ := iostreams.Test()
	root := NewCmdRoot(&Factory{IO: ios, Now: time.Now})
	root.SetArgs([]string{"protoset"})
	require.NoError(t, root.Execute())
	set, err := mockclient.ProtoSet()
	require.NoError(t, err)
	assert.True(t, bytes.Equal(set, stdout.Bytes()))
}

func TestProtosetNotice(t *testing.T) {
	t.Parallel()
	tests := []struct{ dir, want string }{
		{".", "gRPC reproducers read plugins.protoset: run them here or set PLUGINCHECK_PROTOSET"},
		{"out", "gRPC reproducers read out/plugins.protoset: run them in out or set PLUGINCHECK_PROTOSET"},
		{"/tmp/ci run", "gRPC reproducers read /tmp/ci run/plugins.protoset: run them in /tmp/ci run or set PLUGINCHECK_PROTOSET"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, protosetNotice(tt.dir), tt.dir)
	}
}
