//go:build !linux && !darwin

package main

import "os"

// terminalColumns reports that f is not a terminal: on this system the
// width comes from $COLUMNS and the output is plain.
func terminalColumns(*os.File) (int, bool) { return 0, false }
