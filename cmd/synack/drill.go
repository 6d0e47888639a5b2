package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/synack-net/synack/drill"
)

// runDrill is `synack drill`: it runs packetdrill-dialect scripts against
// a synack host on virtual time and prints one line per script and IP
// version, then the totals. The exit status is 1 when a script failed, 2
// for a usage error.
func runDrill(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("drill", flag.ContinueOnError)
	fs.SetOutput(stderr)
	verbose := fs.Bool("v", false, "print each script's run: events, packets injected and sent")
	ip := fs.String("ip", "ipv4", "IP version to run the scripts as: ipv4, ipv6 or all")
	if code, ok := parseFlags(fs, args, `Usage: synack drill [flags] FILE|DIR...

Drill runs packetdrill scripts (*.pkt; directories are searched) against one synack
host on virtual time, with the Linux profile the scripts assume. It prints PASS,
FAIL (with the first mismatch: line, expected and actual) or SKIP (with what is
unsupported) for each script, then the totals. Options of a corpus's harness are
read from an INDEX.tsv above the script. Names ending in v4.pkt or v6.pkt run in
that IP version only.

`); !ok {
		return code
	}
	families, ok := map[string][]drill.Family{
		"ipv4": {drill.IPv4}, "ipv6": {drill.IPv6}, "all": {drill.IPv4, drill.IPv6},
	}[*ip]
	if !ok || fs.NArg() == 0 {
		if !ok {
			fmt.Fprintf(stderr, "synack drill: bad -ip %q\n", *ip)
		}
		fs.Usage()
		return 2
	}
	var files []string
	for _, a := range fs.Args() {
		fsx, err := drill.FindScripts(a)
		if err != nil {
			fmt.Fprintf(stderr, "synack drill: %v\n", err)
			return 2
		}
		files = append(files, fsx...)
	}
	var counts [3]int
	for _, f := range files {
		var harness []drill.Option
		if ix, rel, ok := drill.FindIndex(f); ok {
			harness = ix.HarnessOptions(rel)
		}
		for _, fam := range drill.Families(f, families) {
			o := drill.Options{Family: fam, Harness: harness}
			if *verbose {
				o.Log = stdout
				fmt.Fprintf(stdout, "=== %s (%s)\n", f, fam)
			}
			res := drill.RunFile(f, o)
			counts[res.Status]++
			fmt.Fprintln(stdout, res)
		}
	}
	fmt.Fprintf(stdout, "%d passed, %d failed, %d skipped\n", counts[drill.Pass], counts[drill.Fail], counts[drill.Skip])
	if counts[drill.Fail] > 0 {
		return 1
	}
	return 0
}
