package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/synack-net/synack/trace"
)

// demoOptions are the settings of one demo run, from the demo's flags.
type demoOptions struct {
	scenario string
	seed     uint64
	delay    time.Duration
	loss     float64
	jitter   time.Duration // sim's faults, each direction (0 in demo)
	reorder  float64
	dup      float64
	message  string
	width    int // 0: fit the terminal (see textTarget)
	absolute bool
	timers   bool
	color    bool // the text ladder in colour
	format   string
	output   string // -o: the file to write, or "" for standard output
	trace    string // --trace: the file to write the trace to, or ""
	command  string // "sim" when run as synack sim, else "" (synack demo)
}

// name is the command's name for titles and messages.
func (o demoOptions) name() string {
	if o.command != "" {
		return "synack " + o.command
	}
	return "synack demo"
}

// Bounds of the demo's flags. The ladder needs 78 columns for timestamps of
// up to runLimit, two state columns and 40 columns between the lifelines; a
// delay above maxDelay would stretch the scenarios past runLimit.
const (
	minWidth = 80
	maxDelay = 10 * time.Second
)

// runDemo is `synack demo`: it runs a scenario on a simulated network in
// virtual time and prints its ladder diagram and outcome. The exit status is
// 0 when the scenario ran to its expected end, 1 when it did not, 2 for a
// usage error.
func runDemo(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o demoOptions
	var list bool
	fs.StringVar(&o.scenario, "scenario", "echo", "the scenario to run (see --list)")
	fs.BoolVar(&list, "list", false, "list the scenarios and exit")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the simulation's randomness (packet loss, ISNs, ports)")
	fs.DurationVar(&o.delay, "delay", 10*time.Millisecond, "one-way delay of the network, each direction")
	fs.Float64Var(&o.loss, "loss", 0, "probability that a packet is lost, each direction, in [0, 1)")
	fs.StringVar(&o.message, "message", "hello, synack\n", "the text the client sends to the echo server")
	fs.IntVar(&o.width, "width", 0, fmt.Sprintf("width of the text in columns, at least %d (default: the terminal's, else $COLUMNS, else %d)",
		minWidth, defaultTextWidth))
	fs.BoolVar(&o.absolute, "absolute", false, "show sequence numbers as on the wire, not relative to the ISN")
	fs.BoolVar(&o.timers, "timers", false, "show the timers that fired (the other formats always do)")
	fs.StringVar(&o.format, "format", "text", formatUsage)
	fs.StringVar(&o.output, "o", "", "write the diagram to this file instead of standard output")
	fs.StringVar(&o.trace, "trace", "", "also write the run's trace to this file, in JSON Lines (for synack ladder)")
	if code, ok := parseFlags(fs, args, `Usage: synack demo [flags]

Demo runs two synack hosts, client 10.0.0.1 and server 10.0.0.2, on a simulated
network in virtual time, plays a scenario (by default: a connection to an echo
server, one line echoed, an orderly close) until every connection is CLOSED, and
prints the ladder diagram of the connection and each host's sequence of states.
With --format, it writes the diagram alone as SVG, HTML, JSON or the state
diagram instead.

`); !ok {
		return code
	}
	if err := o.check(fs.Args()); err != nil {
		fmt.Fprintf(stderr, "synack demo: %v\n", err)
		fs.Usage()
		return 2
	}
	if list {
		listScenarios(stdout)
		return 0
	}
	sc, ok := lookupScenario(o.scenario)
	if !ok {
		fmt.Fprintf(stderr, "synack demo: unknown scenario %q; the scenarios are:\n", o.scenario)
		listScenarios(stderr)
		return 2
	}
	res := runScenario(sc, o)
	if err := o.write(stdout, sc, res); err != nil {
		fmt.Fprintf(stderr, "synack demo: %v\n", err)
		return 1
	}
	if p := res.problem(sc, o); p != "" {
		if o.format != "text" || o.output != "" {
			fmt.Fprintf(stderr, "synack demo: did not end as expected: %s\n", p)
		}
		return 1
	}
	return 0
}

// write writes the run's trace, if asked, and its report or diagram.
func (o demoOptions) write(stdout io.Writer, sc scenario, res demoResult) error {
	if o.trace != "" {
		err := toOutput(o.trace, stdout, func(w io.Writer) error {
			j := trace.NewJSONLines(w)
			for _, e := range res.events {
				j.Record(e)
			}
			return j.Err()
		})
		if err != nil {
			return fmt.Errorf("--trace: %w", err)
		}
	}
	return toOutput(o.output, stdout, func(w io.Writer) error {
		if o.format == "pcap" {
			return writePcap(w, res.packets)
		}
		if o.format == "text" {
			width, color := textTarget(outputWriter(o.output, stdout))
			if o.width == 0 {
				o.width = width
			}
			o.color = color
			return report(w, sc, o, res)
		}
		l, err := trace.NewLadder(res.drawn(sc), sc.hosts[0], sc.hosts[1])
		if err != nil {
			return err
		}
		return writeGraphic(w, l, o.format, graphic{title: o.name() + ": " + sc.name,
			about: scenarioText(sc, o), absolute: o.absolute})
	})
}

// check validates the options and the arguments left after the flags.
func (o demoOptions) check(args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("unexpected argument %q", args[0])
	}
	if err := o.checkRun(); err != nil {
		return err
	}
	return checkFormat(o.format)
}

// checkRun validates the options but the format.
func (o demoOptions) checkRun() error {
	switch {
	case !(o.loss >= 0 && o.loss < 1):
		return fmt.Errorf("--loss %v: want a probability in [0, 1)", o.loss)
	case o.delay < 0 || o.delay > maxDelay:
		return fmt.Errorf("--delay %v: want a duration from 0 to %v", o.delay, maxDelay)
	case o.width != 0 && o.width < minWidth:
		return fmt.Errorf("--width %d: want at least %d columns", o.width, minWidth)
	case o.trace != "" && o.trace == o.output:
		return fmt.Errorf("--trace and -o name the same file %q", o.trace)
	case o.message == "":
		return errors.New("--message: want a non-empty text")
	}
	return nil
}
