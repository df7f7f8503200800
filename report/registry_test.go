package report_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/internal/load"
	"github.com/plugincheck/plugincheck/report"
)

// TestRegistries checks that the report and load-result registries know
// their formats, refuse others with ErrUnknownFormat and a list of what
// they know, and hand back renderers that write what the format's own
// function writes.
func TestRegistries(t *testing.T) {
	t.Parallel()
	assert.Equal(t, []string{"text", "json", "junit"}, report.Reports.Names())
	assert.Equal(t, report.Formats, report.Reports.Names())
	assert.Equal(t, []string{"text", "json"}, report.LoadResults.Names())

	tests := []struct {
		name    string
		names   func(format string) error
		format  string
		wantErr string
	}{
		// happy
		{name: "report text", names: reportFormat, format: "text"},
		{name: "report junit", names: reportFormat, format: "junit"},
		{name: "load json", names: loadFormat, format: "json"},
		// sad
		{name: "report yaml", names: reportFormat, format: "yaml", wantErr: `report: unknown format "yaml" (want text, json or junit)`},
		{name: "load junit", names: loadFormat, format: "junit", wantErr: `report: unknown format "junit" (want text or json)`},
		{name: "load empty", names: loadFormat, format: "", wantErr: `report: unknown format "" (want text or json)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.names(tt.format)
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, report.ErrUnknownFormat)
			assert.EqualError(t, err, tt.wantErr)
		})
	}
}

func reportFormat(format string) error {
	_, err := report.Reports.For(format, report.TextOptions{})
	return err
}

func loadFormat(format string) error {
	_, err := report.LoadResults.For(format, report.TextOptions{})
	return err
}

// TestLoadResultsRender checks that the registry's load renderers are the
// load package's own: the bytes are the same, so -o json output still
// merges.
func TestLoadResultsRender(t *testing.T) {
	t.Parallel()
	m := load.NewMetrics()
	m.Requests = 1
	res, err := load.NewResult(load.Info{Mode: "open", Module: "auth", Target: "127.0.0.1:1"}, m)
	require.NoError(t, err)
	for format, own := range map[string]func(*bytes.Buffer) error{
		"text": func(b *bytes.Buffer) error { return load.WriteText(b, res) },
		"json": func(b *bytes.Buffer) error { return load.WriteJSON(b, res) },
	} {
		fn, err := report.LoadResults.For(format, report.TextOptions{Color: true, Verbose: true})
		require.NoError(t, err)
		var got, want bytes.Buffer
		require.NoError(t, fn(&got, res))
		require.NoError(t, own(&want))
		assert.Equal(t, want.String(), got.String(), format)
		assert.True(t, strings.Contains(got.String(), "127.0.0.1:1"), format)
	}
}
