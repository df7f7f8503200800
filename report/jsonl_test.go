package report_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/report"
)

// TestJSONL renders finished reports as JSON lines: one line per case, in
// report order, each case the same JSON as in the JSON report, then the
// summary with the report's totals.
func TestJSONL(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		r    *report.Report
	}{
		{"module run", fixtureReport()},
		{"deployment", deploymentReport()},
		{"empty", &report.Report{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.r.Finish()
			out := string(render(t, report.JSONL, tt.r))
			require.True(t, strings.HasSuffix(out, "\n"))
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")

			var full struct {
				Runs []struct {
					Module, Transport, Plugin string
					Cases                     []json.RawMessage
				}
			}
			require.NoError(t, json.Unmarshal(render(t, report.JSON, tt.r), &full))
			i := 0
			for _, run := range full.Runs {
				for _, c := range run.Cases {
					require.Less(t, i, len(lines)-1)
					var line struct {
						Schema string
						Run    map[string]string
						Case   json.RawMessage
					}
					require.NoError(t, json.Unmarshal([]byte(lines[i]), &line))
					assert.Equal(t, report.CaseLineSchema, line.Schema)
					assert.Equal(t, run.Module, line.Run["module"])
					assert.Equal(t, run.Plugin, line.Run["plugin"])
					assert.JSONEq(t, string(c), string(line.Case), "line %d is the report's case", i+1)
					i++
				}
			}
			require.Len(t, lines, i+1, "a line per case and the summary")
			var sum report.SummaryLine
			require.NoError(t, json.Unmarshal([]byte(lines[i]), &sum))
			assert.Equal(t, report.SummaryLineSchema, sum.Schema)
			assert.Equal(t, tt.r.Totals, sum.Totals)
			assert.Equal(t, tt.r.Tool, sum.Tool)
			if len(tt.r.Runs) == 0 {
				assert.Equal(t, report.Skip, sum.Status)
			} else {
				assert.NotEqual(t, report.Skip, sum.Status)
			}
		})
	}
}
