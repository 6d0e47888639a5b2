package main

import (
	"errors"
	"flag"
	"fmt"
)

// parseFlags sets a subcommand's usage text (usage, which ends with an
// empty line, then its flags) and parses args. When parsing ends the run,
// ok is false and code is the exit status: 0 after -h, 2 after a usage
// error (which the flag package has printed).
func parseFlags(fs *flag.FlagSet, args []string, usage string) (code int, ok bool) {
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprint(w, usage)
		fmt.Fprintln(w, "Flags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, false
		}
		return 2, false
	}
	return 0, true
}
