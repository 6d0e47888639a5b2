package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/synack-net/synack/trace"
	"github.com/synack-net/synack/wire"
)

// TestDemoFormats writes the demo in every format to a file, and its trace.
func TestDemoFormats(t *testing.T) {
	dir := t.TempDir()
	for _, f := range ladderFormats {
		b, ok := renderToFile(t, dir, f, "demo", "--scenario", "refused")
		if !ok {
			continue
		}
		switch f {
		case "svg", "states":
			checkSVG(t, f, string(b))
		case "html":
			if !strings.Contains(string(b), "<title>synack demo: refused</title>") ||
				!strings.Contains(string(b), "ECONNREFUSED") {
				t.Errorf("html: no title or description:\n%.600s", b)
			}
		case "text":
			if !strings.Contains(string(b), "Echoed text: none") {
				t.Errorf("text: not the report:\n%s", b)
			}
		}
	}
	// The graphic formats go to standard output without -o.
	if out, _, code := runArgs("demo", "--format", "svg"); code != 0 || !strings.HasPrefix(out, "<svg ") {
		t.Errorf("--format svg: exit status %d, output %.100q", code, out)
	}
}

// TestDemoTrace: --trace writes the run's events as JSON Lines, which read
// back into the same diagram.
func TestDemoTrace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "echo.jsonl")
	want, _, code := runArgs("demo", "--loss", "0.3", "--seed", "6", "--timers", "--trace", path)
	if code != 0 {
		t.Fatalf("exit status %d", code)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(path)
	defer f.Close()
	events, err := trace.ReadJSONLines(f)
	if err != nil {
		t.Fatal(err)
	}
	sc, _ := lookupScenario("echo")
	o := defaultOptions("echo")
	o.loss, o.seed = 0.3, 6
	if res := runScenario(sc, o); len(events) != len(res.events) || string(b) != mustRead(t, lossTrace) {
		t.Errorf("the trace holds %d events, the run %d, or differs from %s", len(events), len(res.events), lossTrace)
	}
	got, _, _ := runArgs("ladder", path, "--width", "100")
	if !strings.Contains(want, "\n"+strings.TrimRight(got, "\n")) {
		t.Errorf("the ladder of the trace is not the demo's:\n%s", got)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDemoUnfinishedGraphic: a run that does not end as expected says so
// on stderr when the output is not the text report.
func TestDemoUnfinishedGraphic(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.html")
	_, errOut, code := runArgs("demo", "--loss", "0.9", "--seed", "1", "--format", "html", "-o", path)
	if code != 1 || !strings.HasPrefix(errOut, "synack demo: did not end as expected: the echo is incomplete") {
		t.Errorf("exit status %d, stderr %q", code, errOut)
	}
}

// TestREADMELossExample runs the README's example of a demo with loss
// and checks that it shows what the README says: lost segments and
// retransmissions.
func TestREADMELossExample(t *testing.T) {
	readme := mustRead(t, filepath.Join("..", "..", "README.md"))
	m := regexp.MustCompile(`go run \./cmd/synack demo (--loss 0\.3 --seed \d+) +# lost segments and retransmissions`).FindStringSubmatch(readme)
	if m == nil {
		t.Fatal("the README has no demo example with --loss 0.3")
	}
	out, errOut, code := runArgs(append([]string{"demo"}, strings.Fields(m[1])...)...)
	if code != 0 || errOut != "" {
		t.Fatalf("demo %s: exit status %d, stderr %q", m[1], code, errOut)
	}
	if !strings.Contains(out, "(retransmission)") || !strings.Contains(out, "(lost)") {
		t.Errorf("demo %s shows no lost segment or no retransmission:\n%s", m[1], out)
	}
}

// TestDemoWindowsScaled checks the window scale the hosts record with each
// segment (RFC 7323 §2.2): none on a SYN, else the shift the sender's SYN
// offered (both ends offer one), so that the ladder prints the windows in
// bytes, as tshark's Win= shows them.
func TestDemoWindowsScaled(t *testing.T) {
	sc, _ := lookupScenario("echo")
	res := runScenario(sc, defaultOptions("echo"))
	offered := map[string]uint8{} // host → the shift its SYN offered
	for _, e := range res.events {
		if o := e.Segment.Options; e.Kind == trace.KindSend && e.Segment.Flags.Has(wire.FlagSYN) && o.HasWScale {
			offered[e.Host] = o.WScale
		}
	}
	if len(offered) != 2 || offered["client"] == 0 {
		t.Fatalf("the SYNs offered shifts %v, want a nonzero one from each host", offered)
	}
	peer := map[string]string{"client": "server", "server": "client"}
	n := 0
	for _, e := range res.events {
		if e.Kind != trace.KindSend && e.Kind != trace.KindRecv {
			continue
		}
		sender := e.Host
		if e.Kind == trace.KindRecv {
			sender = peer[e.Host]
		}
		want := offered[sender]
		if e.Segment.Flags.Has(wire.FlagSYN) {
			want = 0
		}
		if e.Segment.WindowShift != want {
			t.Errorf("%v %s %s %v: window shift %d, want %d", e.Time, e.Host, e.Kind, e.Segment.Flags,
				e.Segment.WindowShift, want)
		}
		n++
	}
	if n < 10 {
		t.Errorf("only %d segment events checked", n)
	}
	out, _, _ := runArgs("demo")
	if !strings.Contains(out, " win=1048448") || strings.Contains(out, " win=8192") {
		t.Errorf("the ladder does not show the scaled windows:\n%s", out)
	}
}

// TestREADMECommands runs every synack command of the README's demo and
// ladder sections, in order, in an empty directory, as pasted: each must
// succeed, and the files they write must appear.
func TestREADMECommands(t *testing.T) {
	readme := mustRead(t, filepath.Join("..", "..", "README.md"))
	start := strings.Index(readme, "### `synack demo`")
	end := strings.Index(readme, "### `synack drill`")
	if start < 0 || end < start {
		t.Fatal("the README has no demo and ladder sections")
	}
	var cmds [][]string
	inBlock := false
	for _, line := range strings.Split(readme[start:end], "\n") {
		switch {
		case strings.HasPrefix(line, "```"):
			inBlock = !inBlock
		case inBlock && strings.HasPrefix(line, "go run ./cmd/synack "):
			cmd, _, _ := strings.Cut(line, "#")
			cmds = append(cmds, strings.Fields(cmd)[3:])
		}
	}
	if len(cmds) < 10 {
		t.Fatalf("only %d commands found", len(cmds))
	}
	t.Chdir(t.TempDir())
	for _, args := range cmds {
		out, errOut, code := runArgs(args...)
		if code != 0 || errOut != "" {
			t.Errorf("synack %s: exit status %d, stderr %q", strings.Join(args, " "), code, errOut)
		}
		if i := slices.Index(args, "-o"); i >= 0 {
			if _, err := os.Stat(args[i+1]); err != nil || out != "" {
				t.Errorf("synack %s: %v, stdout %.80q", strings.Join(args, " "), err, out)
			}
		}
	}
}

// TestREADMETextLadder: the text ladder the README shows is what synack
// ladder draws of the same run.
func TestREADMETextLadder(t *testing.T) {
	out, _, code := runArgs("ladder", lossTrace, "--width", "96")
	if code != 0 || !strings.Contains(mustRead(t, filepath.Join("..", "..", "README.md")), "```\n"+out+"```\n") {
		t.Errorf("the README does not show this ladder (exit status %d):\n%s", code, out)
	}
}
