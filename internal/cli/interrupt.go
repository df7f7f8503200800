package cli

import (
	"strings"

	"github.com/spf13/cobra"
)

// interruptedLine is what Ctrl-C prints: "plugincheck: interrupted", not
// the "context canceled" of the error that unwound the run. An error that
// already tells how far the run got ("interrupted during the baseline
// pass, after 1 of 3 cases …") is kept, since it says more.
func interruptedLine(root *cobra.Command, args []string, err error) string {
	if err != nil {
		if line := errorLine(root, args, err); strings.HasPrefix(line, "interrupted") {
			return "plugincheck: " + line
		}
	}
	return "plugincheck: interrupted"
}
