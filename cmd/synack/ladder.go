package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/synack-net/synack/trace"
)

// ladderOptions are the settings of one `synack ladder` run.
type ladderOptions struct {
	input    string
	format   string
	output   string
	hosts    string
	width    int
	absolute bool
}

// runLadder is `synack ladder`: it reads a trace in JSON Lines and renders
// the ladder diagram of one of its connections. The exit status is 0 on
// success, 1 when the trace cannot be read or holds no such connection or
// the output cannot be written, 2 for a usage error.
func runLadder(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ladder", flag.ContinueOnError)
	var o ladderOptions
	fs.StringVar(&o.format, "format", "text", formatUsage)
	fs.StringVar(&o.output, "o", "", "write to this file instead of standard output")
	fs.StringVar(&o.hosts, "hosts", "", "the two hosts to draw, left and right: `A,B` (default: the trace's first connection)")
	fs.IntVar(&o.width, "width", 0, fmt.Sprintf("width of the text in columns, at least %d (default: the terminal's, else $COLUMNS, else %d)",
		minWidth, defaultTextWidth))
	fs.BoolVar(&o.absolute, "absolute", false, "show sequence numbers as on the wire, not relative to the ISN")
	pos, code, ok := parseInterleaved(fs, args, `Usage: synack ladder TRACE.jsonl [flags]

Ladder draws the ladder diagram of a connection recorded in TRACE.jsonl, a
trace in synack's JSON Lines form (as synack demo --trace writes it; "-" reads
standard input): the trace's first connection, or that between the hosts
named by --hosts. The flags may come before or after the file.

`, stderr)
	if !ok {
		return code
	}
	if err := o.check(pos); err != nil {
		fmt.Fprintf(stderr, "synack ladder: %v (see synack help ladder)\n", err)
		return 2
	}
	o.input = pos[0]
	if err := o.run(stdout); err != nil {
		fmt.Fprintf(stderr, "synack ladder: %v\n", err)
		return 1
	}
	return 0
}

// parseInterleaved parses args with fs, letting flags come after the
// positional arguments too, and returns those arguments. A bad flag is
// reported on one line; -h prints usage and the flags.
func parseInterleaved(fs *flag.FlagSet, args []string, usage string, stderr io.Writer) (pos []string, code int, ok bool) {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	for {
		err := fs.Parse(args)
		switch {
		case errors.Is(err, flag.ErrHelp):
			fs.SetOutput(stderr)
			fmt.Fprint(stderr, usage)
			fmt.Fprintln(stderr, "Flags:")
			fs.PrintDefaults()
			return nil, 0, false
		case err != nil:
			fmt.Fprintf(stderr, "synack %s: %v (see synack help %s)\n", fs.Name(), err, fs.Name())
			return nil, 2, false
		case fs.NArg() == 0:
			return pos, 0, true
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// check validates the options and the arguments left after the flags.
func (o ladderOptions) check(pos []string) error {
	switch {
	case len(pos) == 0:
		return errors.New("want the trace file to draw (TRACE.jsonl, or - for standard input)")
	case len(pos) > 1:
		return fmt.Errorf("unexpected argument %q after the trace file", pos[1])
	case o.width != 0 && o.width < minWidth:
		return fmt.Errorf("--width %d: want at least %d columns", o.width, minWidth)
	}
	if o.hosts != "" {
		if _, _, err := splitHosts(o.hosts); err != nil {
			return err
		}
	}
	return checkFormat(o.format)
}

// splitHosts reads --hosts A,B.
func splitHosts(s string) (string, string, error) {
	a, b, ok := strings.Cut(s, ",")
	if !ok || a == "" || b == "" || strings.Contains(b, ",") || a == b {
		return "", "", fmt.Errorf("--hosts %q: want two different host names, A,B", s)
	}
	return a, b, nil
}

// run reads the trace and writes the diagram.
func (o ladderOptions) run(stdout io.Writer) error {
	events, err := o.read()
	if err != nil {
		return err
	}
	left, right, err := o.pickHosts(events)
	if err != nil {
		return err
	}
	l, err := trace.NewLadder(events, left, right)
	if err != nil {
		return fmt.Errorf("%s: no connection between hosts %q and %q (the trace's hosts: %s)",
			o.name(), left, right, strings.Join(traceHosts(events), ", "))
	}
	return toOutput(o.output, stdout, func(w io.Writer) error {
		if o.format != "text" {
			return writeGraphic(w, l, o.format, graphic{title: o.name() + ": " + left + " and " + right, absolute: o.absolute})
		}
		width, color := textTarget(outputWriter(o.output, stdout))
		if o.width != 0 {
			width = o.width
		}
		return l.WriteText(w, trace.LadderOptions{Width: width, Absolute: o.absolute,
			ShowTimers: true, ShowDrops: true, Color: color})
	})
}

// name is how messages call the input.
func (o ladderOptions) name() string {
	if o.input == "-" {
		return "standard input"
	}
	return o.input
}

// read reads the events of the trace.
func (o ladderOptions) read() ([]trace.Event, error) {
	var r io.Reader = os.Stdin
	if o.input != "-" {
		f, err := os.Open(o.input)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	events, err := trace.ReadJSONLines(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.name(), err)
	}
	return events, nil
}

// pickHosts returns the hosts of --hosts or, without it, those of the
// trace's first connection: the host of the first event with a remote end,
// on the left, and the host whose events have the opposite ends, on the
// right; a peer that left no event is called "peer".
func (o ladderOptions) pickHosts(events []trace.Event) (string, string, error) {
	if o.hosts != "" {
		return splitHosts(o.hosts)
	}
	for _, e := range events {
		if !e.Remote.IsValid() {
			continue
		}
		for _, f := range events {
			if f.Host != e.Host && f.Local == e.Remote && f.Remote == e.Local {
				return e.Host, f.Host, nil
			}
		}
		if e.Host == "peer" {
			return e.Host, "remote peer", nil
		}
		return e.Host, "peer", nil
	}
	return "", "", fmt.Errorf("%s: no connection in the trace (%d events)", o.name(), len(events))
}

// traceHosts lists the hosts of events, in order of appearance.
func traceHosts(events []trace.Event) []string {
	var hosts []string
	for _, e := range events {
		if !slices.Contains(hosts, e.Host) {
			hosts = append(hosts, e.Host)
		}
	}
	return hosts
}
