package main

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/synack-net/synack/link/pcap"
	"github.com/synack-net/synack/trace"
)

// Every scenario renders in every format of synack sim: the SVG ones are
// well-formed XML with an <svg> root, the HTML page parses with its ladder
// inline, the JSON is the ladder's layout, and the pcap holds every packet
// the run sent, in time order, readable by link/pcap's reader.
func TestSimEveryScenarioEveryFormat(t *testing.T) {
	dir := t.TempDir()
	for _, sc := range scenarios {
		for _, f := range simFormats {
			b, ok := renderToFile(t, dir, f, "sim", sc.name)
			if !ok {
				continue
			}
			what := sc.name + " " + f
			switch f {
			case "svg", "states":
				checkSVG(t, what, string(b))
			case "html":
				doc, err := html.Parse(bytes.NewReader(b))
				if err != nil || !bytes.Contains(b, []byte("<svg")) ||
					!bytes.Contains(b, []byte("<title>synack sim: "+sc.name+"</title>")) || doc == nil {
					t.Errorf("%s: %v, or no title or inline SVG", what, err)
				}
			case "json":
				if !bytes.HasPrefix(b, []byte("{")) || !bytes.Contains(b, []byte(`"version": 1`)) {
					t.Errorf("%s: not the ladder's layout: %.80q", what, b)
				}
			case "text":
				if !strings.Contains(string(b), "synack sim: scenario "+sc.name) || !strings.Contains(string(b), "Finished at ") {
					t.Errorf("%s: not the report:\n%s", what, b)
				}
			case "pcap":
				checkPcap(t, what, b, sc)
			}
		}
	}
}

// checkPcap reads a capture and compares it with the run's own count of
// packets sent (the raw hosts' included).
func checkPcap(t *testing.T, what string, b []byte, sc scenario) {
	t.Helper()
	rd, err := pcap.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Errorf("%s: %v", what, err)
		return
	}
	n := 0
	var last pcap.Record
	for {
		rec, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Errorf("%s: record %d: %v", what, n, err)
			return
		}
		if n > 0 && rec.Time.Before(last.Time) {
			t.Errorf("%s: record %d at %v, before the one at %v", what, n, rec.Time, last.Time)
		}
		last = rec
		n++
	}
	o := defaultOptions(sc.name)
	o.format = "pcap"
	if res := runScenario(sc, o); n != len(res.packets) || n < len(trace.Segments(res.events, sc.hosts[0], trace.KindSend)) {
		t.Errorf("%s: %d packets, the run kept %d", what, n, len(res.packets))
	}
}

// The command line of synack sim: --list, the scenario before or after the
// flags, the same output for the same seed, and one line on stderr with
// exit status 2 for an unknown scenario or a bad flag.
func TestSimCommandLine(t *testing.T) {
	out, _, code := runArgs("sim", "--list")
	if code != 0 || len(strings.Split(strings.TrimSpace(out), "\n")) != len(scenarios) {
		t.Errorf("--list: exit status %d, %d lines for %d scenarios", code, strings.Count(out, "\n"), len(scenarios))
	}
	a, _, c1 := runArgs("sim", "data-with-loss", "--loss", "0.2", "--jitter", "5ms", "--reorder", "0.1", "--dup", "0.1", "--seed", "4", "--width", "100")
	b, _, c2 := runArgs("sim", "--loss", "0.2", "--jitter", "5ms", "--reorder", "0.1", "--dup", "0.1", "--seed", "4", "--width", "100", "data-with-loss")
	if c1 != 0 || c2 != 0 || a != b {
		t.Errorf("the same run twice: exit status %d and %d, same output %v", c1, c2, a == b)
	}
	if c, _, _ := runArgs("sim", "data-with-loss", "--loss", "0.2", "--seed", "5", "--width", "100"); c == a {
		t.Error("another seed gave the same run")
	}
	for _, args := range [][]string{
		{"sim", "no-such-scenario"},
		{"sim"},
		{"sim", "close", "--loss", "2"},
		{"sim", "close", "--format", "gif"},
		{"sim", "close", "--no-such-flag"},
		{"sim", "close", "--dup", "x"},
		{"sim", "close", "extra"},
	} {
		out, errOut, code := runArgs(args...)
		if code != 2 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, "synack sim: ") {
			t.Errorf("synack %s: exit status %d, stdout %q, stderr %q; want 2 and one line", strings.Join(args, " "), code, out, errOut)
		}
	}
	if out, _, code := runArgs("sim", "-h"); code != 0 || !strings.Contains(out, "Usage: synack sim SCENARIO") {
		t.Errorf("-h: exit status %d, output %.100q", code, out)
	}
}
