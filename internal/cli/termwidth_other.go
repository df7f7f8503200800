//go:build !unix

package cli

import "io"

// termWidth is defaultTermWidth where plugincheck does not query the
// terminal.
func termWidth(io.Writer) int { return defaultTermWidth }
