package suites_test

import (
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/fixtures"
	"github.com/plugincheck/plugincheck/suites"
)

// grow repeats the cases of a fixture, renamed, until it is large enough
// to be parsed in chunks.
func grow(t *testing.T, yaml string) string {
	t.Helper()
	head, cases, ok := strings.Cut(yaml, "\ncases:\n")
	require.True(t, ok, "a fixture with a block list of cases")
	var body, tail string
	body = cases
	// Top-level keys after the list stay after it.
	if i := strings.Index(cases, "\nchecks:"); i >= 0 {
		body, tail = cases[:i+1], cases[i+1:]
	}
	var b strings.Builder
	b.WriteString(head + "\ncases:\n")
	for n := 0; b.Len() < suites.ApartMin+len(body); n++ {
		b.WriteString(strings.ReplaceAll(body, "name: ", fmt.Sprintf("name: r%d-", n)))
		if !strings.HasSuffix(body, "\n") {
			b.WriteString("\n")
		}
	}
	b.WriteString(tail)
	return b.String()
}

// TestParseApartSameAsWhole parses large fixtures in chunks and whole: the
// suites are the same, lines included, for every built-in fixture grown
// past the size that is parsed in chunks and for layouts around the list.
func TestParseApartSameAsWhole(t *testing.T) {
	t.Parallel()
	inputs := map[string]string{}
	err := fs.WalkDir(fixtures.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".yaml") {
			return err
		}
		b, err := fs.ReadFile(fixtures.FS, path)
		require.NoError(t, err)
		if strings.ContainsAny(string(b), "&*") {
			return nil // parsed whole whatever its size
		}
		inputs[path] = grow(t, string(b))
		return nil
	})
	require.NoError(t, err)
	require.NotEmpty(t, inputs)
	inputs["list at column 0, comments, a key after it"] = grow(t, "# top\n---\nname: Zero\nmodule: auth\ncases:\n# first\n- name: a\n  request: {username: u, password: p}\n  # inside\n- name: b\n  steps:\n    - request: {username: v, password: p}\n      checks: [reply]\n\nchecks: [reply, latency]\n")
	for name, yaml := range inputs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			apart, ok := suites.ParseApart("f.yaml", []byte(yaml))
			require.True(t, ok, "parsed in chunks")
			whole, err := suites.ParseWhole("f.yaml", []byte(yaml))
			require.NoError(t, err)
			assert.Equal(t, shapeOf(whole), shapeOf(apart))
		})
	}
}

// TestParseApartGivesUp checks layouts the chunked parse does not vouch
// for: it gives up, and ParseBytes's whole parse decides, errors included.
func TestParseApartGivesUp(t *testing.T) {
	t.Parallel()
	big := grow(t, "name: Big\nmodule: auth\ncases:\n  - name: a\n    request: {username: u, password: p}\n")
	tests := []struct {
		name, yaml string
	}{
		{name: "small file", yaml: "name: S\nmodule: auth\ncases:\n  - name: a\n    request: {username: u}\n"},
		{name: "anchor", yaml: big + "  - name: x\n    request: &r {username: u}\n"},
		{name: "flow list", yaml: strings.Replace(big, "cases:\n", "cases: [\n", 1)},
		{name: "tab", yaml: big + "  - name: t\n\trequest: {username: u}\n"},
		{name: "a quoted key at the top", yaml: `"name": Q` + "\n" + strings.TrimPrefix(big, "name: Big\n")},
		{name: "an item less indented", yaml: big + " - name: y\n   request: {username: u}\n"},
		{name: "a syntax error in a case", yaml: big + "  - name: z\n    request: {username: [u}\n"},
		{name: "a duplicate case", yaml: big + "  - name: r0-a\n    request: {username: u}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, ok := suites.ParseApart("f.yaml", []byte(tt.yaml))
			assert.False(t, ok)
			_, wantErr := suites.ParseWhole("f.yaml", []byte(tt.yaml))
			_, gotErr := suites.ParseBytes("f.yaml", []byte(tt.yaml))
			assert.Equal(t, fmt.Sprint(wantErr), fmt.Sprint(gotErr))
		})
	}
}
