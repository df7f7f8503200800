package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/internal/iostreams"
	"github.com/plugincheck/plugincheck/report"
)

// jsonlLines parses -o jsonl output: every line is one JSON object, case
// lines first, the summary last.
func jsonlLines(t *testing.T, data []byte) ([]report.CaseLine, report.SummaryLine) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	require.GreaterOrEqual(t, len(lines), 1)
	var cases []report.CaseLine
	for i, l := range lines[:len(lines)-1] {
		var cl report.CaseLine
		require.NoError(t, json.Unmarshal([]byte(l), &cl), "line %d: %s", i+1, l)
		require.Equal(t, report.CaseLineSchema, cl.Schema, "line %d", i+1)
		require.NotNil(t, cl.Case, "line %d", i+1)
		cases = append(cases, cl)
	}
	var sum report.SummaryLine
	require.NoError(t, json.Unmarshal([]byte(lines[len(lines)-1]), &sum))
	require.Equal(t, report.SummaryLineSchema, sum.Schema)
	return cases, sum
}

func TestModuleJSONL(t *testing.T) {
	t.Parallel()
	const token = "s3cr3t-jsonl-token"
	srv := refServer(t, token, nil)
	tests := []struct {
		name   string
		addr   string
		toFile bool
	}{
		{name: "grpc to a file", addr: srv.GRPCAddr(), toFile: true},
		{name: "http to standard output", addr: srv.HTTPURL("auth")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			jsonFile, jsonlFile := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.jsonl")
			spec := "jsonl"
			if tt.toFile {
				spec = "jsonl=" + jsonlFile
			}
			ios, _, out, errOut := iostreams.Test()
			code := Main(t.Context(), []string{"auth", "--addr", tt.addr, "--token", token, "-o", spec, "-o", "json=" + jsonFile}, ios)
			require.Equal(t, ExitOK, code, errOut.String())
			data := out.Bytes()
			if tt.toFile {
				var err error
				data, err = os.ReadFile(jsonlFile)
				require.NoError(t, err)
			}
			assert.NotContains(t, string(data), token, "the token is redacted")
			cases, sum := jsonlLines(t, data)

			raw, err := os.ReadFile(jsonFile)
			require.NoError(t, err)
			var rep report.Report
			require.NoError(t, json.Unmarshal(raw, &rep))
			require.Len(t, rep.Runs, 1)
			assert.Len(t, cases, rep.Totals.Cases, "a line per case of the report")
			assert.Equal(t, rep.Totals, sum.Totals)
			assert.Equal(t, report.Pass, sum.Status)
			ids := map[string]bool{}
			for _, c := range rep.Runs[0].Cases {
				ids[c.ID] = true
			}
			for _, cl := range cases {
				assert.Equal(t, "auth", cl.Run.Module)
				assert.Equal(t, rep.Runs[0].Transport, cl.Run.Transport)
				assert.Equal(t, rep.Runs[0].Target.Addr, cl.Run.Addr)
				assert.True(t, ids[cl.Case.ID], "%s is a case of the report", cl.Case.ID)
				delete(ids, cl.Case.ID)
			}
			assert.Empty(t, ids, "every case has its line")
		})
	}
}

// TestModuleJSONLStreams shows that case lines are written as cases
// finish, not at the end: the plugin answers the last case only after the
// first case's line has been read from plugincheck's standard output.
func TestModuleJSONLStreams(t *testing.T) {
	t.Parallel()
	lines := make(chan string, 16)
	pr, pw := io.Pipe()
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()

	// Only the first call of the last case waits: the case's stable and
	// concurrent checks call again.
	seenFirst := make(chan string, 1)
	var once sync.Once
	mux := http.NewServeMux()
	mux.HandleFunc("/auth", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Username string `json:"username"`
		}
		_ = json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req)
		if req.Username == "last" {
			once.Do(func() {
				select {
				case l := <-lines:
					seenFirst <- l
				case <-time.After(time.Minute): // generous: a loaded machine
					seenFirst <- ""
				case <-r.Context().Done():
					seenFirst <- ""
				}
			})
		}
		_, _ = w.Write([]byte(`{"ok":true,"id":"` + req.Username + `"}`))
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: time.Minute}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	fx := writeFixture(t, "stream.yaml", `name: Stream
module: auth
cases:
  - {name: first, request: {username: first, password: x}, expect: {ok: true}}
  - {name: last, request: {username: last, password: x}, expect: {ok: true}}
`)
	ios := &iostreams.IOStreams{In: &bytes.Buffer{}, Out: pw, ErrOut: &bytes.Buffer{}}
	code := Main(t.Context(), []string{"auth", "--addr", "http://" + ln.Addr().String() + "/auth", "--fixtures", fx, "--builtin=false",
		"--parallel", "1", "--concurrency", "1", "-o", "jsonl", "--call-timeout", "2m"}, ios)
	require.NoError(t, pw.Close())
	<-readerDone

	first := <-seenFirst
	require.NotEmpty(t, first, "the first case's line was not written before the last case ended")
	var cl report.CaseLine
	require.NoError(t, json.Unmarshal([]byte(first), &cl))
	assert.Equal(t, "stream/http/first", cl.Case.ID)
	var rest []string
	for l := range lines {
		rest = append(rest, l)
	}
	require.Len(t, rest, 2, "the last case's line and the summary follow")
	assert.Contains(t, rest[0], `"stream/http/last"`)
	assert.Contains(t, rest[1], report.SummaryLineSchema)
	assert.NotEqual(t, ExitUsage, code, ios.ErrOut)
}

// TestConfigJSONL streams a deployment's check: every case line names its
// plugin block, and the lines match the report's cases.
func TestConfigJSONL(t *testing.T) {
	t.Parallel()
	srv := refServer(t, deploymentToken, nil)
	path := writeDeployment(t, "deployment.yaml", srv)
	dir := t.TempDir()
	jsonlFile, jsonFile := filepath.Join(dir, "r.jsonl"), filepath.Join(dir, "r.json")
	code, _, stderr := runMainIn(t, "", "config", path, "--only", "authers", "-o", "jsonl="+jsonlFile, "-o", "json="+jsonFile)
	require.Equal(t, ExitOK, code, stderr)
	data, err := os.ReadFile(jsonlFile)
	require.NoError(t, err)
	assert.NotContains(t, string(data), deploymentToken)
	cases, sum := jsonlLines(t, data)

	raw, err := os.ReadFile(jsonFile)
	require.NoError(t, err)
	var rep report.Report
	require.NoError(t, json.Unmarshal(raw, &rep))
	require.Len(t, rep.Runs, 2, "auth-grpc and auth-http")
	assert.Len(t, cases, rep.Totals.Cases)
	assert.Equal(t, rep.Totals, sum.Totals)
	perPlugin := map[string]int{}
	for _, cl := range cases {
		perPlugin[cl.Run.Plugin]++
	}
	for _, run := range rep.Runs {
		assert.Equal(t, len(run.Cases), perPlugin[run.Plugin], "lines of %s", run.Plugin)
	}
}

// TestDemoJSONL streams the demo's runs, two modules over two transports
// checked at once, into one file: a whole line each, every case once.
func TestDemoJSONL(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	jsonlFile, jsonFile := filepath.Join(dir, "d.jsonl"), filepath.Join(dir, "d.json")
	code, _, stderr := runMainWithin(t, 10*time.Minute, "demo", "--modules", "auth", "--modules", "bypass",
		"-o", "jsonl="+jsonlFile, "-o", "json="+jsonFile)
	require.Equal(t, ExitOK, code, stderr)
	data, err := os.ReadFile(jsonlFile)
	require.NoError(t, err)
	cases, sum := jsonlLines(t, data)
	raw, err := os.ReadFile(jsonFile)
	require.NoError(t, err)
	var rep report.Report
	require.NoError(t, json.Unmarshal(raw, &rep))
	assert.Len(t, cases, rep.Totals.Cases)
	assert.Equal(t, rep.Totals, sum.Totals)
	perRun := map[string]int{}
	for _, cl := range cases {
		perRun[cl.Run.Module+"/"+cl.Run.Transport]++
	}
	require.Len(t, rep.Runs, 4)
	for _, run := range rep.Runs {
		assert.Equal(t, len(run.Cases), perRun[run.Module+"/"+run.Transport], "%s over %s", run.Module, run.Transport)
	}
}
