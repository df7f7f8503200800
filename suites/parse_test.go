package suites

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/mockclient"
)

func TestParseBytes(t *testing.T) {
	t.Parallel()
	s, err := ParseBytes("auth.yaml", []byte(`
name: My Auth Suite
module: auth
transports: [grpc]
cases:
  - name: one
    doc: a single call
    request: {username: u, password: p, client_san: [a, b]}
    expect: {ok: true, id: u}
  - name: two
    weight: 2.5
    transports: [http]
    checks: [reply]
    request: {username: x}
    warn_if: {ok: true}
    warning: allow-all
`))
	require.NoError(t, err)
	assert.Equal(t, "my-auth-suite", s.Slug())
	assert.Equal(t, mockclient.Auth, s.Module)
	assert.Equal(t, []mockclient.Transport{mockclient.GRPC}, s.Transports)
	require.Len(t, s.Cases, 2)

	one := s.Cases[0]
	assert.Equal(t, 6, one.Line)
	require.Len(t, one.Steps, 1)
	assert.Equal(t, "authenticate", one.Steps[0].Op.Name)
	assert.Equal(t, &mockclient.AuthRequest{Username: "u", Password: "p", ClientSAN: []string{"a", "b"}}, one.Steps[0].Request)
	assert.Equal(t, map[string]any{"ok": true, "id": "u"}, one.Steps[0].Expect)
	assert.Equal(t, selectableChecks, one.Steps[0].Checks)

	assert.Equal(t, 1.0, one.Weight, "default weight")

	two := s.Cases[1]
	assert.Equal(t, []mockclient.Transport{mockclient.HTTP}, two.Transports)
	assert.Equal(t, []string{CheckReply}, two.Steps[0].Checks)
	assert.Equal(t, "allow-all", two.Steps[0].Warning)
	assert.Equal(t, 2.5, two.Weight)
}

func TestParseBytesErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		yaml string
		want string
	}{
		{name: "not yaml", yaml: "name: [", want: "f.yaml: yaml: line 1: did not find expected node content"},
		{name: "empty", yaml: "", want: "f.yaml: empty fixture file"},
		{name: "missing module", yaml: "name: A\ncases: []\n", want: "f.yaml:1: module: required field is missing"},
		{name: "unknown module", yaml: "name: A\nmodule: nope\ncases: [x]\n", want: `f.yaml:2: module: unknown module "nope"`},
		{name: "unknown top field", yaml: "name: A\nmodule: auth\nkases: []\n", want: "f.yaml:3: kases: unknown field (did you mean \"cases\"?) (want one of name, module, description, transports, checks, cases)"},
		{name: "no cases", yaml: "name: A\nmodule: auth\ncases: []\n", want: "f.yaml:3: cases: want a non-empty list of cases"},
		{name: "unknown request field", yaml: "name: A\nmodule: auth\ncases:\n  - name: c\n    request:\n      user: x\n", want: "f.yaml:6: cases[0].request.user: unknown field (did you mean \"username\"?) (want one of client, client_cert_fingerprint, client_cn, client_san, password, service, username)"},
		{name: "wrong request type", yaml: "name: A\nmodule: auth\ncases:\n  - name: c\n    request: {username: [a]}\n", want: "f.yaml:5: cases[0].request.username: want a string, got a list"},
		{name: "wrong expect type", yaml: "name: A\nmodule: auth\ncases:\n  - name: c\n    request: {}\n    expect: {ok: \"yes\"}\n", want: `f.yaml:6: cases[0].expect.ok: want true or false, got the string "yes"`},
		{name: "unknown expect field", yaml: "name: A\nmodule: auth\ncases:\n  - name: c\n    request: {}\n    expect: {allowed: true}\n", want: "f.yaml:6: cases[0].expect.allowed: unknown field (want one of id, ok)"},
		{name: "missing request", yaml: "name: A\nmodule: auth\ncases:\n  - name: c\n", want: "f.yaml:4: cases[0].request: required field is missing"},
		{name: "duplicate case", yaml: "name: A\nmodule: auth\ncases:\n  - {name: c, request: {}}\n  - {name: c, request: {}}\n", want: `f.yaml:5: cases[1].name: case "c" already defined on line 4`},
		{name: "bad case name", yaml: "name: A\nmodule: auth\ncases:\n  - {name: a/b, request: {}}\n", want: `f.yaml:4: cases[0].name: case names are non-empty and contain no '/' or spaces (got "a/b")`},
		{name: "unknown op", yaml: "name: A\nmodule: sd\ncases:\n  - {name: c, op: put, request: {}}\n", want: `f.yaml:4: cases[0].op: unknown operation "put" for sd`},
		{name: "steps and request", yaml: "name: A\nmodule: sd\ncases:\n  - name: c\n    request: {}\n    steps: [{request: {}}]\n", want: "f.yaml:5: cases[0].request: a case has either steps or a single call (request), not both"},
		{name: "bad step field", yaml: "name: A\nmodule: sd\ncases:\n  - name: c\n    steps:\n      - op: get\n        request: {nam: x}\n", want: "f.yaml:7: cases[0].steps[0].request.nam: unknown field (did you mean \"name\"?) (want one of name)"},
		{name: "unknown check", yaml: "name: A\nmodule: auth\nchecks: [fast]\ncases: [{name: c, request: {}}]\n", want: `f.yaml:3: checks[0]: unknown check "fast"`},
		{name: "unknown transport", yaml: "name: A\nmodule: auth\ntransports: [tcp]\ncases: [{name: c, request: {}}]\n", want: `f.yaml:3: transports[0]: unknown transport "tcp" (want grpc or http)`},
		{name: "warn_if without warning", yaml: "name: A\nmodule: auth\ncases: [{name: c, request: {}, warn_if: {ok: true}}]\n", want: "f.yaml:3: cases[0].warning: warn_if needs a warning message"},
		{name: "negative weight", yaml: "name: A\nmodule: auth\ncases:\n  - name: c\n    weight: -2\n    request: {}\n", want: "f.yaml:5: cases[0].weight: weight -2 is negative (want ≥ 0; 0 leaves the case out of load tests)"},
		{name: "weight not a number", yaml: "name: A\nmodule: auth\ncases:\n  - name: c\n    weight: heavy\n    request: {}\n", want: `f.yaml:5: cases[0].weight: want a number ≥ 0, got the string "heavy"`},
		{name: "infinite weight", yaml: "name: A\nmodule: auth\ncases:\n  - name: c\n    weight: .inf\n    request: {}\n", want: "f.yaml:5: cases[0].weight: want a finite number ≥ 0, got .inf"},
		{name: "bad integer", yaml: "name: A\nmodule: observer\ncases:\n  - name: c\n    request: {events: [{stats: {totalConns: -1}}]}\n", want: "f.yaml:5: cases[0].request.events[0].stats.totalConns: want a non-negative integer, got int -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseBytes("f.yaml", []byte(tt.yaml))
			require.Error(t, err)
			var pe *ParseError
			require.True(t, errors.As(err, &pe), "got %T", err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestParseBytesData(t *testing.T) {
	t.Parallel()
	s, err := ParseBytes("r.yaml", []byte(`
name: Recorder Data
module: recorder
cases:
  - {name: text, request: {data: "hello", metadata: {a: 1, b: [x]}}}
  - {name: binary, request: {data: !!binary "AAEC"}}
  - {name: absent, request: {}}
`))
	require.NoError(t, err)
	text := s.Cases[0].Steps[0].Request.(*mockclient.RecorderRequest)
	assert.Equal(t, []byte("hello"), text.Data)
	assert.Equal(t, map[string]any{"a": float64(1), "b": []any{"x"}}, text.Metadata)
	assert.Equal(t, []byte{0, 1, 2}, s.Cases[1].Steps[0].Request.(*mockclient.RecorderRequest).Data)
	assert.Nil(t, s.Cases[2].Steps[0].Request.(*mockclient.RecorderRequest).Data)
}

func TestParseFS(t *testing.T) {
	t.Parallel()
	suite := "name: A\nmodule: auth\ncases: [{name: c, request: {}}]\n"
	fsys := fstest.MapFS{
		"dir/a.yaml":  {Data: []byte(suite)},
		"dir/b.yml":   {Data: []byte(suite)},
		"dir/c.txt":   {Data: []byte("ignored")},
		"empty/x.txt": {Data: []byte("x")},
		"bad.yaml":    {Data: []byte("name: A\n")},
	}
	ss, err := Parse(fsys, "dir")
	require.NoError(t, err)
	require.Len(t, ss, 2)
	assert.Equal(t, "dir/a.yaml", ss[0].File)

	_, err = Parse(fsys, "missing.yaml")
	assert.EqualError(t, err, "missing.yaml: file does not exist")
	_, err = Parse(fsys, "empty")
	assert.ErrorIs(t, err, ErrNoSuites)
	_, err = Parse(fsys, "bad.yaml")
	assert.EqualError(t, err, "bad.yaml:1: module: required field is missing")
}

func TestParseMultipleDocuments(t *testing.T) {
	t.Parallel()
	suite := "name: A\nmodule: auth\ncases: [{name: c, request: {}}]\n"
	tests := []struct {
		name     string
		yaml     string
		wantErr  string
		wantLine int
	}{
		{name: "one document", yaml: suite},
		{name: "leading marker", yaml: "---\n" + suite},
		{name: "document end marker", yaml: suite + "...\n"},
		{name: "trailing empty document", yaml: suite + "---\n"},
		{name: "trailing comment only", yaml: suite + "---\n# nothing more\n"},
		{
			// Used to be ignored silently: its cases never ran.
			name: "second suite", yaml: suite + "---\nname: B\nmodule: auth\ncases: [{name: d, request: {}}]\n",
			wantErr: "f.yaml:4: a second YAML document (after ---): a fixture file holds one suite; put each suite in a file of its own", wantLine: 4,
		},
		{name: "second document is a scalar", yaml: suite + "--- x\n", wantErr: "f.yaml:4: a second YAML document", wantLine: 4},
		{name: "second document does not parse", yaml: suite + "---\nname: [\n", wantErr: "f.yaml: yaml: line 5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := ParseBytes("f.yaml", []byte(tt.yaml))
			if tt.wantErr == "" {
				require.NoError(t, err)
				assert.Equal(t, "A", s.Name)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			var pe *ParseError
			require.ErrorAs(t, err, &pe)
			if tt.wantLine > 0 {
				assert.ErrorIs(t, err, ErrMultipleDocuments)
				assert.Equal(t, tt.wantLine, pe.Line)
			}
		})
	}
}

// endless is a file of unknown size (as a pipe or /dev/zero has) that
// never ends.
type endless struct{}

func (endless) Stat() (fs.FileInfo, error) { return endlessInfo{}, nil }
func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = '#'
	}
	return len(p), nil
}
func (endless) Close() error { return nil }

type endlessInfo struct{}

func (endlessInfo) Name() string       { return "endless.yaml" }
func (endlessInfo) Size() int64        { return 0 }
func (endlessInfo) Mode() fs.FileMode  { return 0 }
func (endlessInfo) ModTime() time.Time { return time.Time{} }
func (endlessInfo) IsDir() bool        { return false }
func (endlessInfo) Sys() any           { return nil }

type endlessFS struct{}

func (endlessFS) Open(string) (fs.File, error) { return endless{}, nil }

func TestParseSizeCap(t *testing.T) {
	t.Parallel()
	// A file of exactly the cap passes it and reaches the YAML parser,
	// which stops at its first byte: parsing megabytes of valid YAML
	// would only cost seconds under the race detector.
	atCap := "\t" + strings.Repeat("#", MaxFixtureSize-2) + "\n"
	require.Len(t, atCap, MaxFixtureSize)
	fsys := fstest.MapFS{
		"at-cap.yaml":   {Data: []byte(atCap)},
		"over-cap.yaml": {Data: []byte(atCap + "#")},
	}
	_, err := Parse(fsys, "at-cap.yaml")
	var pe *ParseError
	require.ErrorAs(t, err, &pe, "a file of exactly the cap is read")
	assert.NotErrorIs(t, err, ErrFixtureTooLarge, "a file of exactly the cap is read")
	assert.EqualError(t, err, "at-cap.yaml: yaml: found character that cannot start any token", "and parsed")

	tests := []struct {
		name string
		fsys fs.FS
		file string
		want string
	}{
		{name: "over the cap", fsys: fsys, file: "over-cap.yaml", want: "over-cap.yaml: fixture file too large: 8388609 bytes, the cap is 8 MiB"},
		// The size is not known before reading: reading stops at the cap.
		{name: "endless", fsys: endlessFS{}, file: "endless.yaml", want: "endless.yaml: fixture file too large: more than that, the cap is 8 MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse(tt.fsys, tt.file)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrFixtureTooLarge)
			assert.EqualError(t, err, tt.want)
		})
	}

	_, err = ParseBytes("big.yaml", []byte(atCap+"#"))
	assert.ErrorIs(t, err, ErrFixtureTooLarge)

	// From the operating system, the error names the path as given.
	big := filepath.Join(t.TempDir(), "big.yaml")
	require.NoError(t, os.WriteFile(big, []byte(atCap+"\n"), 0o600))
	_, err = ParseFiles(big)
	assert.EqualError(t, err, big+": fixture file too large: 8388609 bytes, the cap is 8 MiB")
}

// TestParseAliasBomb feeds the parser "billion laughs" fixtures: aliases
// that would expand exponentially if followed. Each is refused (or parsed)
// quickly, without expanding the aliases.
func TestParseAliasBomb(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	laughs := b.String() // 10^10 strings if expanded
	tests := []struct {
		name string
		yaml string
	}{
		{name: "top level", yaml: laughs},
		{name: "in a request", yaml: "name: A\nmodule: auth\nbomb: &b {" + strings.ReplaceAll(strings.TrimSpace(laughs), "\n", ", ") + "}\ncases: [{name: c, request: {username: *b}}]\n"},
		{name: "in a map field", yaml: "name: A\nmodule: recorder\ncases:\n  - name: c\n    request:\n      metadata:\n        " + strings.ReplaceAll(strings.TrimSpace(laughs), "\n", "\n        ") + "\n"},
		{name: "in an expectation", yaml: "name: A\nmodule: auth\ncases:\n  - name: c\n    request: {}\n    expect:\n      " + strings.ReplaceAll(strings.TrimSpace(laughs), "\n", "\n      ") + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseBytes("bomb.yaml", []byte(tt.yaml))
			require.Error(t, err)
			var pe *ParseError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, "bomb.yaml", pe.File)
		})
	}
}
