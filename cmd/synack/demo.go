package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"
)

// demoOptions are the settings of one demo run, from the demo's flags.
type demoOptions struct {
	scenario string
	seed     uint64
	delay    time.Duration
	loss     float64
	message  string
	width    int
	absolute bool
	timers   bool
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
	fs.IntVar(&o.width, "width", 100, fmt.Sprintf("width of the output in columns (at least %d)", minWidth))
	fs.BoolVar(&o.absolute, "absolute", false, "show sequence numbers as on the wire, not relative to the ISN")
	fs.BoolVar(&o.timers, "timers", false, "show the timers that fired")
	if code, ok := parseFlags(fs, args, `Usage: synack demo [flags]

Demo runs two synack hosts, client 10.0.0.1 and server 10.0.0.2, on a simulated
network in virtual time, plays a scenario (by default: a connection to an echo
server, one line echoed, an orderly close) until every connection is CLOSED, and
prints the ladder diagram of the connection and each host's sequence of states.

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
	if err := report(stdout, sc, o, res); err != nil {
		fmt.Fprintf(stderr, "synack demo: %v\n", err)
		return 1
	}
	if res.problem(sc, o) != "" {
		return 1
	}
	return 0
}

// check validates the options and the arguments left after the flags.
func (o demoOptions) check(args []string) error {
	switch {
	case len(args) > 0:
		return fmt.Errorf("unexpected argument %q", args[0])
	case !(o.loss >= 0 && o.loss < 1):
		return fmt.Errorf("--loss %v: want a probability in [0, 1)", o.loss)
	case o.delay < 0 || o.delay > maxDelay:
		return fmt.Errorf("--delay %v: want a duration from 0 to %v", o.delay, maxDelay)
	case o.width < minWidth:
		return fmt.Errorf("--width %d: want at least %d columns", o.width, minWidth)
	case o.message == "":
		return errors.New("--message: want a non-empty text")
	}
	return nil
}
