package main

import (
	"io"
	"os"
	"strconv"
)

// Widths of the text output when no --width is given.
const (
	defaultTextWidth = 100 // when the width of the terminal is unknown
	maxAutoWidth     = 160 // wider, a ladder's arrows only grow longer
)

// textTarget is how text written to w should look: as wide as the
// terminal w is (TIOCGWINSZ), else $COLUMNS, else defaultTextWidth, kept
// from minWidth to maxAutoWidth; in colour when w is a terminal and
// NO_COLOR is unset or empty (https://no-color.org).
func textTarget(w io.Writer) (width int, color bool) {
	width = defaultTextWidth
	tty := false
	if f, ok := w.(*os.File); ok {
		var cols int
		if cols, tty = terminalColumns(f); tty && cols > 0 {
			return min(max(cols, minWidth), maxAutoWidth), os.Getenv("NO_COLOR") == ""
		}
	}
	if c, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && c > 0 {
		width = c
	}
	return min(max(width, minWidth), maxAutoWidth), tty && os.Getenv("NO_COLOR") == ""
}
