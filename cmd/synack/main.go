// Command synack is the command line of the synack TCP/IP stack. Each job is
// a subcommand with its own flags:
//
//	synack demo [flags]             run a TCP scenario on a simulated network and draw it
//	synack sim SCENARIO [flags]     run a scenario of the catalogue under faults
//	synack ladder TRACE.jsonl       draw the ladder diagram of a recorded trace
//	synack drill [-v] FILE|DIR...   run packetdrill scripts on virtual time
//	synack serve --tun NAME ...     serve echo, discard and HTTP on a TUN device
//	synack dial --tun NAME ... H:P  connect through a TUN device, like nc
//	synack forward --tun NAME ...   relay every connection on a TUN device, a tun2socks
//	synack ss [-s] ADDR             the sockets of a running serve, from its debug address
//	synack explain CAPTURE          explain the TCP connections of a capture
//	synack bench [flags]            the benchmark table, synack beside gVisor and the kernel
//	synack help [command]           show the usage of synack or of one command
package main

import (
	"fmt"
	"io"
	"os"
)

// command is one subcommand: its name, a one-line summary for the usage
// text, and the function that runs it with the arguments after its name and
// returns the exit status.
type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

// commands lists the subcommands in the order the usage text shows them.
var commands = []command{
	{name: "demo", summary: "run a TCP scenario on a simulated network and draw its ladder diagram", run: runDemo},
	{name: "sim", summary: "run a scenario of the catalogue (--list) under faults: ladder, SVG, HTML, JSON or pcap", run: runSim},
	{name: "ladder", summary: "draw a recorded trace (JSON Lines) as a ladder diagram: text, SVG, HTML or JSON", run: runLadder},
	{name: "drill", summary: "run packetdrill scripts against synack on virtual time", run: runDrill},
	{name: "serve", summary: "serve echo, discard and HTTP with synack on a TUN device", run: runServe},
	{name: "dial", summary: "connect with synack through a TUN device and copy stdin and stdout, like nc", run: runDial},
	{name: "forward", summary: "relay every TCP connection and UDP flow on a TUN device through SOCKS5 or directly (tun2socks)", run: runForward},
	{name: "ss", summary: "list the sockets (or -s the counters) of a running synack serve from its --debug-addr", run: runSS},
	{name: "explain", summary: "explain the TCP connections of a pcap or pcapng capture: states, verdicts, ladders", run: runExplain},
	{name: "bench", summary: "run the benchmarks and print synack beside gVisor and the kernel (needs the source tree)", run: runBench},
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches args (without the program name) to a subcommand and
// returns the exit status: 2 for a usage error.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		return help(args[1:], stdout, stderr)
	}
	if c, ok := lookupCommand(name); ok {
		return c.run(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "synack: unknown command %q\n\n", name)
	usage(stderr)
	return 2
}

// help prints the usage of synack, or of the command named in args.
func help(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stdout)
		return 0
	}
	c, ok := lookupCommand(args[0])
	if !ok {
		fmt.Fprintf(stderr, "synack help: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	return c.run([]string{"-h"}, stdout, stdout)
}

// lookupCommand finds a subcommand by name.
func lookupCommand(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// usage writes the list of subcommands to w.
func usage(w io.Writer) {
	fmt.Fprintln(w, "synack is a userspace TCP/IP stack; this command runs and shows it.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage:")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "\tsynack <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "The commands are:")
	fmt.Fprintln(w)
	for _, c := range commands {
		fmt.Fprintf(w, "\t%-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\t%-8s %s\n", "help", "show this text, or a command's flags: synack help <command>")
}
