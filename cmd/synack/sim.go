package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// simFormats are the values of sim's --format: the ladder's, and a pcap
// file of every packet sent.
var simFormats = append(slices.Clip(ladderFormats), "pcap")

// runSim is `synack sim`: it runs one scenario of the catalogue, under the
// faults its flags ask for, and writes its ladder diagram (or its packets).
// The exit status is 0 when the scenario ended as expected, 1 when it did
// not or the output could not be written, 2 for a usage error, said in one
// line on stderr.
func runSim(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	var flagErr bytes.Buffer
	fs.SetOutput(&flagErr)
	o := demoOptions{command: "sim", message: "hello, synack\n"}
	var list bool
	fs.BoolVar(&list, "list", false, "list the scenarios and exit")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the simulation's randomness (faults, ISNs, ports)")
	fs.DurationVar(&o.delay, "delay", 10*time.Millisecond, "one-way delay of the network, each direction")
	fs.DurationVar(&o.jitter, "jitter", 0, "extra one-way delay drawn uniformly from [0, jitter) for each packet")
	fs.Float64Var(&o.loss, "loss", 0, "probability that a packet is lost, each direction, in [0, 1)")
	fs.Float64Var(&o.reorder, "reorder", 0, fmt.Sprintf("probability that a packet is held back %v longer than the others", reorderDelay))
	fs.Float64Var(&o.dup, "dup", 0, "probability that a packet is delivered twice")
	fs.IntVar(&o.width, "width", 0, fmt.Sprintf("width of the text in columns, at least %d (default: the terminal's, else $COLUMNS, else %d)",
		minWidth, defaultTextWidth))
	fs.BoolVar(&o.absolute, "absolute", false, "show sequence numbers as on the wire, not relative to the ISN")
	fs.BoolVar(&o.timers, "timers", false, "show the timers that fired (the other formats always do)")
	fs.StringVar(&o.format, "format", "text", "output format: "+strings.Join(simFormats, ", ")+
		" (states: the RFC 9293 state diagram with each end's path; pcap: every packet sent)")
	fs.StringVar(&o.output, "o", "", "write the output to this file instead of standard output")
	fs.StringVar(&o.trace, "trace", "", "also write the run's trace to this file, in JSON Lines (for synack ladder)")
	usage := `Usage: synack sim SCENARIO [flags]
       synack sim --list

Sim runs a scenario of the catalogue (--list shows it) on two synack hosts,
client 10.0.0.1 and server 10.0.0.2, on a simulated network in virtual time,
deterministically for a seed, and writes the ladder diagram of its
connection with each host's states; --format writes it as SVG, HTML, JSON,
the state diagram, or the packets as a pcap file instead.

`
	// The scenario may come before the flags or after them.
	var name string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	code, ok := parseFlags(fs, args, usage)
	if !ok {
		if code == 0 { // -h
			io.Copy(stdout, &flagErr)
			return 0
		}
		line, _, _ := strings.Cut(flagErr.String(), "\n")
		fmt.Fprintf(stderr, "synack sim: %s (synack sim -h shows the flags)\n", line)
		return 2
	}
	if rest := fs.Args(); name == "" && len(rest) > 0 {
		name, rest = rest[0], rest[1:]
		if len(rest) > 0 {
			fmt.Fprintf(stderr, "synack sim: unexpected argument %q\n", rest[0])
			return 2
		}
	} else if len(rest) > 0 {
		fmt.Fprintf(stderr, "synack sim: unexpected argument %q\n", rest[0])
		return 2
	}
	if list {
		listScenarios(stdout)
		return 0
	}
	if err := o.checkSim(name); err != nil {
		fmt.Fprintf(stderr, "synack sim: %v\n", err)
		return 2
	}
	o.scenario = name
	sc, _ := lookupScenario(name)
	res := runScenario(sc, o)
	if err := o.write(stdout, sc, res); err != nil {
		fmt.Fprintf(stderr, "synack sim: %v\n", err)
		return 1
	}
	if p := res.problem(sc, o); p != "" {
		if o.format != "text" || o.output != "" {
			fmt.Fprintf(stderr, "synack sim: did not end as expected: %s\n", p)
		}
		return 1
	}
	return 0
}

// checkSim validates the scenario's name and the options of synack sim.
func (o demoOptions) checkSim(name string) error {
	if name == "" {
		return fmt.Errorf("no scenario named (synack sim --list shows them)")
	}
	if _, ok := lookupScenario(name); !ok {
		return fmt.Errorf("unknown scenario %q (synack sim --list shows them)", name)
	}
	for _, f := range []struct {
		name string
		p    float64
	}{{"--reorder", o.reorder}, {"--dup", o.dup}} {
		if !(f.p >= 0 && f.p < 1) {
			return fmt.Errorf("%s %v: want a probability in [0, 1)", f.name, f.p)
		}
	}
	if o.jitter < 0 || o.jitter > maxDelay {
		return fmt.Errorf("--jitter %v: want a duration from 0 to %v", o.jitter, maxDelay)
	}
	if err := o.checkRun(); err != nil {
		return err
	}
	if !slices.Contains(simFormats, o.format) {
		return fmt.Errorf("--format %q: want one of %s", o.format, strings.Join(simFormats, ", "))
	}
	return nil
}
