package report_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/report"
)

// TestRegistry checks that a registry knows its formats, refuses others
// with ErrUnknownFormat and a list of what it knows, and hands each format
// the options of its output.
func TestRegistry(t *testing.T) {
	t.Parallel()
	assert.Equal(t, []string{"text", "json", "junit", "html", "jsonl"}, report.Reports.Names())
	assert.Equal(t, report.Formats, report.Reports.Names())

	// A registry of another kind of result, as the CLI keeps for load
	// results.
	words := report.NewRegistry(
		report.Format[string]{Name: "text", New: func(opts report.TextOptions) func(io.Writer, string) error {
			return func(w io.Writer, s string) error {
				if opts.Verbose {
					s += " (verbose)"
				}
				_, err := io.WriteString(w, s)
				return err
			}
		}},
		report.Plain("json", func(w io.Writer, s string) error { _, err := io.WriteString(w, `"`+s+`"`); return err }),
	)
	tests := []struct {
		name    string
		format  func(format string) error
		spec    string
		wantErr string
	}{
		// happy
		{name: "report text", format: reportFormat, spec: "text"},
		{name: "report junit", format: reportFormat, spec: "junit"},
		{name: "words json", format: formatOf(words), spec: "json"},
		// sad
		{name: "report yaml", format: reportFormat, spec: "yaml", wantErr: `report: unknown format "yaml" (want text, json, junit, html or jsonl)`},
		{name: "words junit", format: formatOf(words), spec: "junit", wantErr: `report: unknown format "junit" (want text or json)`},
		{name: "words empty", format: formatOf(words), spec: "", wantErr: `report: unknown format "" (want text or json)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.format(tt.spec)
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, report.ErrUnknownFormat)
			assert.EqualError(t, err, tt.wantErr)
		})
	}

	for _, tt := range []struct {
		format string
		opts   report.TextOptions
		want   string
	}{
		{format: "text", want: "hi"},
		{format: "text", opts: report.TextOptions{Verbose: true}, want: "hi (verbose)"},
		{format: "json", opts: report.TextOptions{Verbose: true}, want: `"hi"`},
	} {
		fn, err := words.For(tt.format, tt.opts)
		require.NoError(t, err)
		var b bytes.Buffer
		require.NoError(t, fn(&b, "hi"))
		assert.Equal(t, tt.want, b.String())
	}
}

func reportFormat(format string) error {
	_, err := report.Reports.For(format, report.TextOptions{})
	return err
}

func formatOf[T any](r *report.Registry[T]) func(string) error {
	return func(format string) error {
		_, err := r.For(format, report.TextOptions{})
		return err
	}
}
