package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/internal/iostreams"
	"github.com/plugincheck/plugincheck/internal/load"
	"github.com/plugincheck/plugincheck/report"
)

// TestParseOutputs checks the one -o parser against both registries: the
// same spec syntax and the same errors for reports and load results.
func TestParseOutputs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		load    bool
		specs   []string
		want    []output
		wantErr string
	}{
		// happy
		{name: "report default", specs: []string{"text"}, want: []output{{format: "text"}}},
		{name: "report to files", specs: []string{"text", "json=r.json", "junit=r.xml"}, want: []output{{format: "text"}, {format: "json", file: "r.json"}, {format: "junit", file: "r.xml"}}},
		{name: "dash is stdout", specs: []string{"json=-"}, want: []output{{format: "json"}}},
		{name: "load json to a file", load: true, specs: []string{"text", "json=res.json"}, want: []output{{format: "text"}, {format: "json", file: "res.json"}}},
		// sad
		{name: "report unknown", specs: []string{"yaml"}, wantErr: `--output "yaml": report: unknown format "yaml" (want text, json, junit, html or jsonl)`},
		{name: "load has no junit", load: true, specs: []string{"junit=x.xml"}, wantErr: `--output "junit=x.xml": report: unknown format "junit" (want text, json or html)`},
		{name: "report two on stdout", specs: []string{"text", "json"}, wantErr: "only one format can go to standard output; give the others a file (json=report.json)"},
		{name: "load two on stdout", load: true, specs: []string{"text", "json=-"}, wantErr: "only one format can go to standard output; give the others a file (json=result.json)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []output
			var err error
			if tt.load {
				got, err = (&LoadOutputs{Outputs: tt.specs}).parse()
			} else {
				got, err = (&CheckOptions{Outputs: tt.specs}).outputs()
			}
			if tt.wantErr != "" {
				var fe *FlagError
				require.ErrorAs(t, err, &fe, "a bad -o is a usage error (exit 2)")
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestWriteOutputs writes a load result and a report through the one
// output path: standard output and files get the bytes of the format's
// own renderer, and the text options reach only the output they were made
// for.
func TestWriteOutputs(t *testing.T) {
	t.Parallel()
	assert.Equal(t, []string{"text", "json", "html"}, loadResults.Names())
	dir := t.TempDir()
	m := load.NewMetrics()
	m.Requests = 3
	res, err := load.NewResult(load.Info{Mode: "closed", Module: "auth", Target: "127.0.0.1:1"}, m)
	require.NoError(t, err)

	ios, _, out, _ := iostreams.Test()
	file := filepath.Join(dir, "result.json")
	require.NoError(t, writeOutputs(ios, []output{{format: "text"}, {format: "json", file: file}}, loadResults, res, "result", nil))
	var wantText, wantJSON bytes.Buffer
	require.NoError(t, load.WriteText(&wantText, res))
	require.NoError(t, load.WriteJSON(&wantJSON, res))
	assert.Equal(t, wantText.String(), out.String())
	got, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Equal(t, wantJSON.String(), string(got))

	rep := &report.Report{Schema: "test"}
	ios, _, out, _ = iostreams.Test()
	file = filepath.Join(dir, "report.xml")
	var seen []output
	opts := func(o output) report.TextOptions {
		seen = append(seen, o)
		return report.TextOptions{Verbose: o.file == ""}
	}
	require.NoError(t, writeOutputs(ios, []output{{format: "json"}, {format: "junit", file: file}}, report.Reports, rep, "report", opts))
	var wantReport bytes.Buffer
	require.NoError(t, report.JSON(&wantReport, rep))
	assert.Equal(t, wantReport.String(), out.String())
	assert.Len(t, seen, 2, "each output gets its own options")
	_, err = os.Stat(file)
	assert.NoError(t, err)
}

// TestWriteOutputsErrors names the format and what was written when a file
// cannot be created.
func TestWriteOutputsErrors(t *testing.T) {
	t.Parallel()
	ios, _, _, _ := iostreams.Test()
	missing := filepath.Join(t.TempDir(), "no-such-dir", "r.json")
	err := writeOutputs(ios, []output{{format: "json", file: missing}}, loadResults, &load.Result{}, "result", nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "write json result: ")
	assert.ErrorIs(t, err, os.ErrNotExist)
}
