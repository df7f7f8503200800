package report_test

import (
	"bytes"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/report"
)

func renderJUnit(t *testing.T, opts report.JUnitOptions, r *report.Report) parsedSuites {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, report.NewJUnit(opts)(&buf, r))
	var doc parsedSuites
	require.NoError(t, xml.Unmarshal(buf.Bytes(), &doc))
	return doc
}

// TestJUnitWarnings pins how a warning shows in CI: named [WARN] and
// passing without --strict, a failure of type "warning" under --strict,
// for cases and for config findings alike.
func TestJUnitWarnings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		strict       bool
		wantFailures int // failures of the fixture report's auth run
	}{
		{name: "default", strict: false, wantFailures: 2},
		{name: "strict", strict: true, wantFailures: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc := renderJUnit(t, report.JUnitOptions{Strict: tt.strict}, fixtureReport())
			auth := doc.Suites[0]
			assert.Equal(t, tt.wantFailures, auth.Failures)
			var warned int
			for _, c := range auth.Cases {
				if c.Status != string(report.Warn) {
					continue
				}
				warned++
				assert.True(t, strings.HasPrefix(c.Name, "[WARN] "), c.Name)
				if tt.strict {
					require.NotNil(t, c.Failure, c.Name)
					assert.Equal(t, "warning", c.Failure.Type)
					assert.Contains(t, c.Failure.Message, "allow-all")
					assert.Empty(t, c.SystemOut)
				} else {
					assert.Nil(t, c.Failure, "a warning does not fail a run without --strict")
					assert.NotEmpty(t, c.SystemOut)
				}
			}
			assert.Equal(t, 1, warned)

			dep := renderJUnit(t, report.JUnitOptions{Strict: tt.strict}, deploymentReport())
			cfg := dep.Suites[len(dep.Suites)-1]
			require.Equal(t, "config", cfg.Name)
			for _, c := range cfg.Cases {
				if c.Status == string(report.Warn) {
					assert.True(t, strings.HasPrefix(c.Name, "[WARN] "), c.Name)
					assert.Equal(t, tt.strict, c.Failure != nil, c.Name)
					assert.NotEmpty(t, c.File, "a finding names its config file")
				}
			}
		})
	}
}

// TestJUnitFilePaths checks that an absolute fixture path below the
// working directory becomes repository-relative, as annotators expect,
// and that other paths are kept.
func TestJUnitFilePaths(t *testing.T) {
	t.Parallel()
	wd, err := os.Getwd()
	require.NoError(t, err)
	outside := filepath.Join(filepath.Dir(wd), "elsewhere", "x.yaml")
	tests := []struct {
		file, want string
	}{
		{file: filepath.Join(wd, "testdata", "auth.yaml"), want: "testdata/auth.yaml"},
		{file: "fixtures/auth.yaml", want: "fixtures/auth.yaml"},
		{file: "builtin/auth.yaml", want: "builtin/auth.yaml"},
		{file: outside, want: filepath.ToSlash(outside)},
	}
	for _, tt := range tests {
		r := fixtureReport()
		c := r.Runs[0].Cases[1]
		c.File, c.Line = tt.file, 7
		doc := renderJUnit(t, report.JUnitOptions{}, r)
		got := doc.Suites[0].Cases[1]
		assert.Equal(t, tt.want, got.File, tt.file)
		assert.Equal(t, 7, got.Line, tt.file)
	}
}
