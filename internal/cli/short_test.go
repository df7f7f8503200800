package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/clip"
	"github.com/plugincheck/plugincheck/report"
)

// maxDemoLines is issue 13's bound on the default demo report when every
// run passes: 26 runs, about a line each, and a short summary.
const maxDemoLines = 60

// demoReport runs the whole demo through Main with the text report on
// stdout and the JSON report in a file, so the text can be held against
// every case the run had.
func demoReport(t *testing.T, extra ...string) (stdout string, rep report.Report) {
	t.Helper()
	jsonFile := filepath.Join(t.TempDir(), "demo.json")
	args := append([]string{"demo", "-o", "text", "-o", "json=" + jsonFile}, extra...)
	// The bound is for a hang, not for speed.
	code, stdout, stderr := runMainWithin(t, 10*time.Minute, args...)
	b, err := os.ReadFile(jsonFile)
	require.NoError(t, err, "stderr: %s", stderr)
	require.NoError(t, json.Unmarshal(b, &rep))
	require.Equal(t, ExitOK, code, "stderr: %s\n%s", stderr, failures(rep))
	return stdout, rep
}

// TestDemoShort: the default demo report is a screenful, names every run,
// and keeps reproducers out.
func TestDemoShort(t *testing.T) {
	t.Parallel()
	// The latency budget is the one setting a starved machine moves: at a
	// load average of 11 a few demo calls took over the default 500 ms
	// and warned, each warning a few lines more. The bound is for the
	// report's shape, so the budget is taken out of it.
	stdout, rep := demoReport(t, "--latency-budget", "1m")
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	assert.LessOrEqual(t, len(lines), maxDemoLines, "%s", clip.Text(stdout, 8000))
	require.Len(t, rep.Runs, 26)
	for _, run := range rep.Runs {
		assert.Contains(t, stdout, run.Module+"/"+run.Transport+" ", "a line for %s/%s", run.Module, run.Transport)
		for _, c := range run.Cases {
			if c.Status == report.Fail || c.Status == report.Warn {
				assert.Contains(t, stdout, c.ID, "a failed or warned case is named")
			}
		}
	}
	for _, verboseOnly := range []string{"repro:", "grpcurl", "curl ", "GOST would connect with", "Correctness"} {
		assert.NotContains(t, stdout, verboseOnly)
	}
	assert.Contains(t, lines[len(lines)-1], " cases: ", "the totals line is last")
}

// TestDemoVerbose: -v names every case the run had.
func TestDemoVerbose(t *testing.T) {
	t.Parallel()
	stdout, rep := demoReport(t, "-v")
	n := 0
	for _, run := range rep.Runs {
		for _, c := range run.Cases {
			n++
			assert.Contains(t, stdout, c.ID)
		}
	}
	assert.Positive(t, n)
	assert.Greater(t, strings.Count(stdout, "\n"), n, "every case has its line")
	assert.Contains(t, stdout, "GOST would connect with", "-v has the TLS matrix")
}
