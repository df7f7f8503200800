//go:build unix

package cli

import (
	"io"

	"golang.org/x/sys/unix"
)

// termWidth is the column count of the terminal w writes to, asked on each
// redraw so that a resized window is followed; defaultTermWidth when w is
// no terminal or does not say. x/sys is already a dependency.
func termWidth(w io.Writer) int {
	f, ok := w.(interface{ Fd() uintptr })
	if !ok {
		return defaultTermWidth
	}
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	if err != nil || ws.Col == 0 {
		return defaultTermWidth
	}
	return int(ws.Col)
}
