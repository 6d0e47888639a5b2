package main

import (
	"bytes"
	"flag"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/trace"
	"github.com/synack-net/synack/wire"
)

var update = flag.Bool("update", false, "rewrite the golden files of the demo")

// runArgs runs the command line with args and returns its output and status.
func runArgs(args ...string) (stdout, stderr string, code int) {
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return out.String(), errOut.String(), code
}

// defaultOptions are the demo's flag defaults.
func defaultOptions(scenario string) demoOptions {
	return demoOptions{scenario: scenario, seed: 1, delay: 10 * time.Millisecond,
		message: "hello, synack\n", width: 100}
}

// TestDemoScenarios runs each scenario without loss and checks how it ends:
// the states each host goes through, the echo, the errors the applications
// saw, and that the output says every connection reached CLOSED.
func TestDemoScenarios(t *testing.T) {
	C, SS, SR, L, E := tcp.Closed, tcp.SynSent, tcp.SynReceived, tcp.Listen, tcp.Established
	FW1, FW2, CW, LA, CL, TW := tcp.FinWait1, tcp.FinWait2, tcp.CloseWait, tcp.LastAck, tcp.Closing, tcp.TimeWait
	tests := []struct {
		scenario    string
		left, right []tcp.State // states each host must pass through, in order
		echo        string      // the line "Echoed text: ..." of the output
		errs        []string    // lines that must appear in the output
	}{
		{"echo", []tcp.State{C, SS, E, FW1, FW2, TW, C}, []tcp.State{L, SR, E, CW, LA, C},
			`Echoed text: "hello, synack\n"`, nil},
		{"simultaneous-close", []tcp.State{C, SS, E, FW1, CL, TW, C}, []tcp.State{L, SR, E, FW1, CL, TW, C},
			`Echoed text: "hello, synack\n"`, nil},
		{"simultaneous-open", []tcp.State{C, SS, SR, E, FW1, TW, C}, []tcp.State{C, SS, SR, E, CW, LA, C},
			`Echoed text: "hello, synack\n"`, nil},
		{"refused", []tcp.State{C, SS, C}, nil,
			"Echoed text: none", []string{"the application saw connection refused (ECONNREFUSED)"}},
		{"syn-timeout", []tcp.State{C, SS, C}, nil,
			"Echoed text: none", []string{"the application saw connection timed out (ETIMEDOUT)"}},
		{"half-open", []tcp.State{C, SS, E, C}, []tcp.State{L, SR, E, C},
			`Echoed text: "hello, synack\n"`, []string{
				"the application saw connection reset by peer (ECONNRESET)",
				"the application saw software caused connection abort (ECONNABORTED)",
			}},
	}
	seen := map[tcp.State]bool{}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			sc, ok := lookupScenario(tt.scenario)
			if !ok {
				t.Fatalf("no scenario %q", tt.scenario)
			}
			res := runScenario(sc, defaultOptions(tt.scenario))
			for side, want := range [][]tcp.State{tt.left, tt.right} {
				got := trace.States(res.events, sc.hosts[side])
				if !isSubsequence(want, got) {
					t.Errorf("%s went through %v; want %v in that order", sc.hosts[side], got, want)
				}
				for _, st := range got {
					seen[st] = true
				}
			}

			out, errOut, code := runArgs("demo", "--scenario", tt.scenario)
			if code != 0 || errOut != "" {
				t.Errorf("exit status %d, stderr %q; want 0 and nothing", code, errOut)
			}
			for _, line := range append([]string{tt.echo}, tt.errs...) {
				if !containsLine(out, line) {
					t.Errorf("output lacks the line %q:\n%s", line, out)
				}
			}
			if !strings.Contains(out, "every connection reached CLOSED") {
				t.Errorf("output does not say every connection reached CLOSED:\n%s", out)
			}
			checkWidth(t, out, 100)
		})
	}
	for st := tcp.Closed; st <= tcp.TimeWait; st++ {
		if !seen[st] {
			t.Errorf("no scenario visits %v", st)
		}
	}
}

// TestDemoSynTimeoutBackoff checks the SYN retransmissions of syn-timeout:
// at 1, 3, 7, 15, 31 and 63 s, and the connection given up at 127 s.
func TestDemoSynTimeoutBackoff(t *testing.T) {
	sc, _ := lookupScenario("syn-timeout")
	res := runScenario(sc, defaultOptions(sc.name))
	var syns []time.Duration
	for _, e := range trace.Segments(res.events, "client", trace.KindSend) {
		if e.Segment.Flags.Has(wire.FlagSYN) {
			syns = append(syns, time.Duration(e.Time))
		}
	}
	want := []time.Duration{0, 1, 3, 7, 15, 31, 63}
	for i := range want {
		want[i] *= time.Second
	}
	if !slices.Equal(syns, want) {
		t.Errorf("SYNs sent at %v, want %v", syns, want)
	}
	if time.Duration(res.end) != 127*time.Second {
		t.Errorf("the run ended at %v, want 127s", res.end)
	}
	out, _, _ := runArgs("demo", "--scenario", "syn-timeout")
	if n := strings.Count(out, "timer retransmit fired"); n != 7 {
		t.Errorf("the diagram shows %d retransmission timer rows, want 7:\n%s", n, out)
	}
	if n := strings.Count(out, "X (lost)"); n != 7 {
		t.Errorf("the diagram shows %d lost segments, want 7:\n%s", n, out)
	}
}

// lossSeed is a seed for which a 30% loss rate loses segments that must be
// retransmitted.
const lossSeed = "2"

// TestDemoLossRetransmits runs the echo with 30% loss: the diagram shows
// the lost segments, some segment is sent again, and the echo still
// completes.
func TestDemoLossRetransmits(t *testing.T) {
	out, errOut, code := runArgs("demo", "--loss", "0.3", "--seed", lossSeed, "--timers")
	if code != 0 {
		t.Fatalf("exit status %d, stderr %q:\n%s", code, errOut, out)
	}
	if !strings.Contains(out, "X (lost)") && !strings.Contains(out, "(lost) X") {
		t.Errorf("the diagram shows no lost segment:\n%s", out)
	}
	if !strings.Contains(out, "timer retransmit fired") {
		t.Errorf("the diagram shows no retransmission timer:\n%s", out)
	}
	if !containsLine(out, `Echoed text: "hello, synack\n"`) {
		t.Errorf("the echo did not complete:\n%s", out)
	}

	o := defaultOptions("echo")
	o.loss = 0.3
	o.seed, _ = strconv.ParseUint(lossSeed, 10, 64)
	sc, _ := lookupScenario("echo")
	res := runScenario(sc, o)
	if !hasRetransmission(res.events) {
		t.Errorf("no segment was sent twice with 30%% loss and seed %s", lossSeed)
	}
	if res.lost == 0 || res.lost >= res.sent {
		t.Errorf("%d of %d packets lost, want some but not all", res.lost, res.sent)
	}
}

// TestDemoSameSeedSameOutput: a run is a function of its flags.
func TestDemoSameSeedSameOutput(t *testing.T) {
	a, _, _ := runArgs("demo", "--loss", "0.3", "--seed", "7")
	b, _, _ := runArgs("demo", "--loss", "0.3", "--seed", "7")
	if a != b {
		t.Errorf("two runs with the same flags differ:\n%s\n---\n%s", a, b)
	}
}

// TestDemoUnfinished: when loss keeps the exchange from completing, the
// output says so and the exit status is 1.
func TestDemoUnfinished(t *testing.T) {
	out, _, code := runArgs("demo", "--loss", "0.9", "--seed", "1")
	if code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	if !strings.Contains(out, "Did not end as expected: the echo is incomplete (0 of 14 bytes)") {
		t.Errorf("output does not report the failed echo:\n%s", out)
	}
	checkWidth(t, out, 100)
}

// TestDemoNarrow: at the narrowest width allowed, every line fits.
func TestDemoNarrow(t *testing.T) {
	for _, sc := range scenarios {
		out, errOut, code := runArgs("demo", "--scenario", sc.name, "--width", strconv.Itoa(minWidth),
			"--timers", "--loss", "0.3", "--seed", lossSeed, "--message", strings.Repeat("echo ", 30))
		if code != 0 && code != 1 || errOut != "" {
			t.Errorf("%s: exit status %d, stderr %q", sc.name, code, errOut)
		}
		checkWidth(t, out, minWidth)
	}
}

// TestDemoAbsolute: --absolute shows the sequence numbers as sent.
func TestDemoAbsolute(t *testing.T) {
	sc, _ := lookupScenario("echo")
	res := runScenario(sc, defaultOptions("echo"))
	syn := trace.Segments(res.events, "client", trace.KindSend)[0].Segment
	out, _, _ := runArgs("demo", "--absolute")
	if want := "SYN seq=" + strconv.FormatUint(uint64(syn.Seq), 10) + " "; !strings.Contains(out, want) {
		t.Errorf("output lacks %q:\n%s", want, out)
	}
	rel, _, _ := runArgs("demo")
	if !strings.Contains(rel, "SYN seq=0 ") {
		t.Errorf("output without --absolute lacks the relative SYN seq=0:\n%s", rel)
	}
}

// TestDemoFlags checks the listing and the usage errors.
func TestDemoFlags(t *testing.T) {
	out, _, code := runArgs("demo", "--list")
	if code != 0 {
		t.Errorf("--list: exit status %d", code)
	}
	for _, sc := range scenarios {
		if !strings.Contains(out, sc.name+" ") {
			t.Errorf("--list lacks %s:\n%s", sc.name, out)
		}
	}
	checkWidth(t, out, 100)
	if n := strings.Count(out, "\n"); n != len(scenarios) {
		t.Errorf("--list printed %d lines for %d scenarios", n, len(scenarios))
	}
	for _, args := range [][]string{
		{"--scenario", "nope"},
		{"--loss", "1"},
		{"--loss", "-0.1"},
		{"--delay", "-1ms"},
		{"--width", "40"},
		{"--message", ""},
		{"--format", "png"},
		{"--trace", "x.jsonl", "-o", "x.jsonl"},
		{"--bogus"},
		{"extra"},
	} {
		out, errOut, code := runArgs(append([]string{"demo"}, args...)...)
		if code != 2 || out != "" || errOut == "" {
			t.Errorf("demo %v: exit status %d, stdout %q, stderr %q; want 2, nothing, a message",
				args, code, out, errOut)
		}
	}
	if _, errOut, code := runArgs("demo", "-h"); code != 0 || !strings.Contains(errOut, "-scenario") {
		t.Errorf("demo -h: exit status %d, stderr %q", code, errOut)
	}
}

// TestDemoGolden compares the default demo with testdata/demo_echo.golden;
// run with -update to rewrite it.
func TestDemoGolden(t *testing.T) {
	out, _, code := runArgs("demo")
	if code != 0 {
		t.Fatalf("exit status %d", code)
	}
	checkCmdGolden(t, "demo_echo.golden", out)
}

// isSubsequence reports whether want appears in got in order, not
// necessarily contiguously.
func isSubsequence(want, got []tcp.State) bool {
	i := 0
	for _, s := range got {
		if i < len(want) && s == want[i] {
			i++
		}
	}
	return i == len(want)
}

// containsLine reports whether out has a line that is line once trimmed.
func containsLine(out, line string) bool {
	for _, l := range strings.Split(out, "\n") {
		if strings.TrimSpace(l) == line {
			return true
		}
	}
	return false
}

// checkWidth fails the test if a line of out is wider than width columns.
func checkWidth(t *testing.T, out string, width int) {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if n := utf8.RuneCountInString(l); n > width {
			t.Errorf("line of %d columns, more than %d: %q", n, width, l)
		}
	}
}

// hasRetransmission reports whether a host sent a segment that occupies
// sequence space (data, SYN or FIN) twice.
func hasRetransmission(events []trace.Event) bool {
	type key struct {
		host  string
		seq   uint32
		flags wire.TCPFlags
		n     int
	}
	sent := map[key]bool{}
	for _, e := range events {
		s := e.Segment
		if e.Kind != trace.KindSend || s.Len == 0 && !s.Flags.Has(wire.FlagSYN) && !s.Flags.Has(wire.FlagFIN) {
			continue
		}
		k := key{e.Host, s.Seq, s.Flags, s.Len}
		if sent[k] {
			return true
		}
		sent[k] = true
	}
	return false
}
