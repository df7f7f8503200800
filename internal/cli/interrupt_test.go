package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/internal/iostreams"
	"github.com/plugincheck/plugincheck/report"
)

// TestInterruptedModuleRun cancels the context given to Main, as
// signal.NotifyContext does on Ctrl-C: one line "plugincheck: interrupted",
// exit 130, and the report file is still written.
func TestInterruptedModuleRun(t *testing.T) {
	t.Parallel()
	srv := refServer(t, "", nil)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	file := filepath.Join(t.TempDir(), "report.json")
	ios, _, _, errOut := iostreams.Test()
	code := Main(ctx, []string{"auth", "--addr", srv.GRPCAddr(), "-o", "json=" + file}, ios)
	assert.Equal(t, ExitInterrupted, code)
	assert.Equal(t, "plugincheck: interrupted\n", errOut.String())
	b, err := os.ReadFile(file)
	require.NoError(t, err, "an interrupted run still writes its report")
	var rep report.Report
	require.NoError(t, json.Unmarshal(b, &rep))
	assert.Equal(t, report.SchemaVersion, rep.Schema)
}

func TestInterruptedLine(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	root := NewCmdRoot(&Factory{IO: ios})
	assert.Equal(t, "plugincheck: interrupted", interruptedLine(root, nil, context.Canceled))
	assert.Equal(t, "plugincheck: interrupted", interruptedLine(root, nil, nil))
	err := fmt.Errorf("interrupted during the baseline pass (%w)", context.Canceled)
	assert.Equal(t, "plugincheck: interrupted during the baseline pass (context canceled)", interruptedLine(root, nil, err))
}
