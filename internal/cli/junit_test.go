package cli

import (
	"context"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// junitFixture has a passing, a failing, a warned and a --skip'd case, at
// known lines.
const junitFixture = `name: JUnit Lines
module: auth
cases:
  - name: accepts-gost
    request: {username: gost, password: gost}
    expect: {ok: true, id: gost}
  - name: wrong-expectation
    request: {username: gost, password: gost}
    expect: {ok: false}
  - name: warns-on-deny
    request: {username: alice, password: nope}
    warn_if: {ok: false}
    warning: alice was denied
  - name: left-out
    request: {username: gost, password: gost}
`

// TestModuleJUnitFileLine runs a real module run against the reference
// plugin with -o junit=FILE and checks that every testcase carries the
// fixture's file and the line of its case, that the warned case is named
// so, that --skip lists its case as skipped with the pattern, and that the
// file validates against junit-10.xsd.
func TestModuleJUnitFileLine(t *testing.T) {
	t.Parallel()
	srv := refServer(t, "", nil)
	dir := t.TempDir()
	fx := filepath.Join(dir, "auth.yaml")
	require.NoError(t, os.WriteFile(fx, []byte(junitFixture), 0o600))
	out := filepath.Join(dir, "junit.xml")

	code, stdout, stderr := runMain(t, "auth", "--addr", srv.GRPCAddr(), "--fixtures", fx, "--builtin=false",
		"--skip", "left-*", "-o", "junit="+out)
	assert.Equal(t, ExitFailed, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)

	data, err := os.ReadFile(out)
	require.NoError(t, err)
	var doc struct {
		Suites []struct {
			Skipped int `xml:"skipped,attr"`
			Cases   []struct {
				Name    string    `xml:"name,attr"`
				Status  string    `xml:"status,attr"`
				File    string    `xml:"file,attr"`
				Line    int       `xml:"line,attr"`
				Failure *struct{} `xml:"failure"`
				Skipped *struct {
					Message string `xml:"message,attr"`
				} `xml:"skipped"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	require.NoError(t, xml.Unmarshal(data, &doc), "%s", data)
	require.Len(t, doc.Suites, 1)
	s := doc.Suites[0]
	assert.Equal(t, 1, s.Skipped)
	want := []struct {
		name, status string
		line         int
	}{
		{"junit-lines/grpc/accepts-gost", "pass", 4},
		{"junit-lines/grpc/wrong-expectation", "fail", 7},
		{"[WARN] junit-lines/grpc/warns-on-deny", "warn", 10},
		{"junit-lines/grpc/left-out", "skip", 14},
	}
	require.Len(t, s.Cases, len(want), "%s", data)
	for i, w := range want {
		c := s.Cases[i]
		assert.Equal(t, w.name, c.Name)
		assert.Equal(t, w.status, c.Status, w.name)
		assert.Equal(t, filepath.ToSlash(fx), c.File, w.name)
		assert.Equal(t, w.line, c.Line, w.name)
		assert.Equal(t, w.status == "fail", c.Failure != nil, w.name)
	}
	require.NotNil(t, s.Cases[3].Skipped)
	assert.Equal(t, "--skip left-*", s.Cases[3].Skipped.Message)

	lint, err := exec.LookPath("xmllint")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("xmllint is required in CI: %v", err)
		}
		t.Skip("xmllint not installed; CI runs the schema check")
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	res, err := exec.CommandContext(ctx, lint, "--noout", "--schema", filepath.Join("..", "..", "report", "testdata", "junit10.xsd"), out).CombinedOutput()
	assert.NoError(t, err, "%s", res)
}
