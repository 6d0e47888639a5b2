package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/synack-net/synack/trace"
)

// lossTrace is a trace recorded by synack demo --loss 0.3 --seed 6 --trace,
// kept as a file so that the JSON Lines form stays readable as written.
const lossTrace = "testdata/echo_loss.jsonl"

// TestMain keeps the environment of the tests from changing the output
// they compare: $COLUMNS and $NO_COLOR are theirs to set.
func TestMain(m *testing.M) {
	os.Unsetenv("COLUMNS")
	os.Unsetenv("NO_COLOR")
	os.Exit(m.Run())
}

// checkCmdGolden compares got with testdata/name, or rewrites it with
// -update.
func checkCmdGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run with -update to accept):\n%s", path, got)
	}
}

// TestLadderText draws the recorded trace as text, the flags after the
// file, and compares it with its golden file.
func TestLadderText(t *testing.T) {
	out, errOut, code := runArgs("ladder", lossTrace, "--width", "90")
	if code != 0 || errOut != "" {
		t.Fatalf("exit status %d, stderr %q", code, errOut)
	}
	checkWidth(t, out, 90)
	for _, want := range []string{"client", "server", "(retransmission)", "X (lost)", "timer loss-probe fired",
		"win=1048448", "TIME_WAIT"} {
		if !strings.Contains(out, want) {
			t.Errorf("the ladder lacks %q:\n%s", want, out)
		}
	}
	checkCmdGolden(t, "ladder_echo_loss.golden", out)
}

// TestLadderFormats writes the trace in every format to a file and checks
// that each is what it claims to be.
func TestLadderFormats(t *testing.T) {
	dir := t.TempDir()
	l := lossLadder(t)
	for _, f := range ladderFormats {
		b, ok := renderToFile(t, dir, f, "ladder", lossTrace)
		if !ok {
			continue
		}
		switch f {
		case "text":
			if !strings.Contains(string(b), "(retransmission)") || strings.Contains(string(b), "\x1b[") {
				t.Errorf("text: no retransmission, or colour in a file:\n%s", b)
			}
		case "svg", "states":
			checkSVG(t, f, string(b))
		case "html":
			if !strings.HasPrefix(string(b), "<!DOCTYPE html>") || !strings.Contains(string(b), `id="ladder-data"`) {
				t.Errorf("html: not the page:\n%.300s", b)
			}
		case "json":
			var j struct {
				Version  int               `json:"version"`
				Segments []json.RawMessage `json:"segments"`
			}
			if err := json.Unmarshal(b, &j); err != nil || j.Version != trace.LadderJSONVersion || len(j.Segments) != len(l.Segments) {
				t.Errorf("json: %v, version %d, %d segments (want %d)", err, j.Version, len(j.Segments), len(l.Segments))
			}
		}
	}
}

// renderToFile runs the command line args with --format f and -o a file in
// dir, and returns what it wrote; ok is false (and the test failed) when
// it did not succeed quietly.
func renderToFile(t *testing.T, dir, f string, args ...string) (b []byte, ok bool) {
	t.Helper()
	path := filepath.Join(dir, args[0]+"."+f)
	out, errOut, code := runArgs(append(args, "--format", f, "-o", path)...)
	if code != 0 || out != "" || errOut != "" {
		t.Errorf("%s --format %s: exit status %d, stdout %q, stderr %q", args[0], f, code, out, errOut)
		return nil, false
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b, true
}

// lossLadder is the layout of lossTrace.
func lossLadder(t *testing.T) *trace.Ladder {
	t.Helper()
	f, err := os.Open(lossTrace)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	events, err := trace.ReadJSONLines(f)
	if err != nil {
		t.Fatal(err)
	}
	l, err := trace.NewLadder(events, "client", "server")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// checkSVG fails the test unless doc is well-formed XML with an svg root.
func checkSVG(t *testing.T, what, doc string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(doc))
	root := ""
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Errorf("%s: not well-formed: %v", what, err)
			return
		}
		if s, ok := tok.(xml.StartElement); ok && root == "" {
			root = s.Name.Local
		}
	}
	if root != "svg" {
		t.Errorf("%s: root element %q, want svg", what, root)
	}
}

// TestLadderUsageErrors: a usage error is one line on stderr and exit
// status 2, with nothing on stdout.
func TestLadderUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{lossTrace, lossTrace},
		{lossTrace, "--format", "png"},
		{lossTrace, "--hosts", "client"},
		{lossTrace, "--hosts", "client,client"},
		{lossTrace, "--hosts", "a,b,c"},
		{lossTrace, "--width", "20"},
		{lossTrace, "--bogus"},
		{"--format"},
	} {
		out, errOut, code := runArgs(append([]string{"ladder"}, args...)...)
		if code != 2 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, "synack ladder: ") {
			t.Errorf("ladder %q: exit status %d, stdout %q, stderr %q; want 2, nothing, one line", args, code, out, errOut)
		}
	}
	if out, _, code := runArgs("help", "ladder"); code != 0 || !strings.Contains(out, "-hosts A,B") {
		t.Errorf("help ladder: exit status %d:\n%s", code, out)
	}
}

// TestLadderInputErrors: unreadable input, a trace without the connection
// and an output that cannot be written are one line and exit status 1.
func TestLadderInputErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	bad := write("bad.jsonl", `{"time":0,"host":"a","kind":"timer","timer":"2msl"}`+"\n"+`{"time":1,"host":`+"\n")
	listener := write("listener.jsonl", `{"time":0,"host":"a","local":"10.0.0.1:80","kind":"state","from":"CLOSED","to":"LISTEN","cause":"call listen"}`+"\n")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{filepath.Join(dir, "absent.jsonl")}, "no such file or directory"},
		{[]string{bad}, "bad.jsonl: line 2: unexpected end of JSON input"},
		{[]string{listener}, "listener.jsonl: no connection in the trace (1 events)"},
		{[]string{lossTrace, "--hosts", "alice,bob"}, `no connection between hosts "alice" and "bob" (the trace's hosts: server, client)`},
		{[]string{lossTrace, "-o", filepath.Join(dir, "no", "such", "dir.svg")}, "no such file or directory"},
	}
	for _, c := range cases {
		out, errOut, code := runArgs(append([]string{"ladder"}, c.args...)...)
		if code != 1 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, c.want) {
			t.Errorf("ladder %q: exit status %d, stdout %q, stderr %q; want 1 and a line with %q", c.args, code, out, errOut, c.want)
		}
	}
}

// TestLadderStdinAndOneHost reads the trace from standard input, keeps one
// host's events, and draws its peer under the name "peer".
func TestLadderStdinAndOneHost(t *testing.T) {
	b, err := os.ReadFile(lossTrace)
	if err != nil {
		t.Fatal(err)
	}
	var client []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if strings.Contains(line, `"host":"client"`) {
			client = append(client, line)
		}
	}
	in := filepath.Join(t.TempDir(), "client.jsonl")
	if err := os.WriteFile(in, []byte(strings.Join(client, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	saved := os.Stdin
	os.Stdin = f
	defer func() { os.Stdin = saved }()
	out, errOut, code := runArgs("ladder", "-")
	if code != 0 || errOut != "" {
		t.Fatalf("exit status %d, stderr %q", code, errOut)
	}
	header := strings.Fields(strings.SplitN(out, "\n", 2)[0])
	if len(header) != 2 || header[0] != "client" || header[1] != "peer" {
		t.Errorf("header %q, want client and peer:\n%s", header, out)
	}
}

// TestTextTarget: without a terminal the width is $COLUMNS, else 100,
// kept within bounds, and never in colour.
func TestTextTarget(t *testing.T) {
	for _, c := range []struct {
		columns string
		want    int
	}{{"", defaultTextWidth}, {"120", 120}, {"40", minWidth}, {"1000", maxAutoWidth}, {"x", defaultTextWidth}} {
		t.Setenv("COLUMNS", c.columns)
		if w, color := textTarget(&bytes.Buffer{}); w != c.want || color {
			t.Errorf("COLUMNS=%q: width %d, colour %v; want %d, false", c.columns, w, color, c.want)
		}
	}
	t.Setenv("COLUMNS", "120")
	out, _, _ := runArgs("demo")
	checkWidth(t, out, 120)
	if !regexp.MustCompile(`(?m)^.{101,120}$`).MatchString(out) {
		t.Errorf("with COLUMNS=120 no line is wider than 100:\n%s", out)
	}
}

// ansiEscape matches the escape sequences of colour text.
var ansiEscape = regexp.MustCompile("\x1b\\[[0-9;]*m")

// stripANSI removes the colour from text.
func stripANSI(s string) string { return ansiEscape.ReplaceAllString(s, "") }
