package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/synack-net/synack/explain"
)

// runExplain is `synack explain`: it reads a capture and prints each TCP
// connection's states, verdicts and ladder diagram, or the JSON form. The
// exit status is 1 for a capture that cannot be read, 2 for a usage error.
func runExplain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("explain", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "text", "output format: text or json")
	width := fs.Int("width", 100, "width of the ladder diagrams (text)")
	noLadder := fs.Bool("no-ladder", false, "leave the ladder diagrams out (text)")
	usage := `Usage: synack explain [flags] CAPTURE

Explain reads a packet capture (pcap or pcapng; Ethernet, VLAN, Linux cooked
v1 and v2, and raw IP link types; IPv4 and IPv6), groups its TCP segments
into connections and infers the state of each end through the conversation,
as a passive observer applying synack's state machine. For each connection
it prints the states of both ends, verdicts in plain words and a ladder
diagram. --format json prints {"connections": [{"endpoints": [{"addr",
"name", "states"}, ...], "verdicts": [...]}]}.

`
	var files []string
	for {
		if code, ok := parseFlags(fs, args, usage); !ok {
			return code
		}
		if fs.NArg() == 0 {
			break
		}
		// Flags may follow the capture's name.
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(files) != 1 || (*format != "text" && *format != "json") {
		if *format != "text" && *format != "json" {
			fmt.Fprintf(stderr, "synack explain: bad --format %q\n", *format)
		}
		fs.Usage()
		return 2
	}
	rep, err := explain.ReadFile(files[0])
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if *format == "json" {
		err = rep.WriteJSON(stdout)
	} else {
		err = rep.WriteText(stdout, files[0], explain.TextOptions{Width: *width, NoLadder: *noLadder})
	}
	if err != nil {
		fmt.Fprintf(stderr, "synack explain: %v\n", err)
		return 1
	}
	return 0
}
