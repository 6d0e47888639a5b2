package explain

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/trace"
)

var update = flag.Bool("update", false, "rewrite the testdata/*.golden files from the current output")

// TestCommittedCaptures explains the captures under testdata/, which the
// Linux kernel made in TestKernelCaptures (SYNACK_EXPLAIN_SAVE), and
// compares the text output (states and verdicts) with golden files, and
// checks that each ladder draws every segment (its layout is trace's to
// test). They run where namespaces cannot be made.
func TestCommittedCaptures(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.pcap")
	if len(files) == 0 {
		t.Fatal("no captures in testdata/")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			rep, err := ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range rep.Connections {
				checkTransitions(t, c.Events)
				checkLadder(t, c)
			}
			var b bytes.Buffer
			if err := rep.WriteText(&b, filepath.Base(f), TextOptions{NoLadder: true}); err != nil {
				t.Fatal(err)
			}
			golden := strings.TrimSuffix(f, ".pcap") + ".golden"
			if *update {
				if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./explain -run TestCommittedCaptures -update to create it)", err)
			}
			if !bytes.Equal(b.Bytes(), want) {
				t.Errorf("output differs from %s (run with -update after checking it):\n%s", golden, b.String())
			}
		})
	}
}

// checkTransitions checks every state event against the state diagram.
func checkTransitions(t *testing.T, evs []trace.Event) {
	t.Helper()
	for _, e := range evs {
		if e.Kind == trace.KindState && !tcp.ValidTransition(e.From, e.To, e.Cause) {
			t.Errorf("%s: %s -> %s (%s) is not in the state diagram", e.Host, e.From, e.To, e.Cause)
		}
	}
}

func TestJSONForm(t *testing.T) {
	rep, err := ReadFile("testdata/close.pcap")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := rep.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Connections []struct {
			Endpoints []struct {
				Addr   string   `json:"addr"`
				States []string `json:"states"`
			} `json:"endpoints"`
			Verdicts []string `json:"verdicts"`
		} `json:"connections"`
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("%v:\n%s", err, b.String())
	}
	if len(got.Connections) != 1 || len(got.Connections[0].Endpoints) != 2 {
		t.Fatalf("JSON %s", b.String())
	}
	c := got.Connections[0]
	want := [][]string{
		{"CLOSED", "SYN_SENT", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "TIME_WAIT"},
		{"LISTEN", "SYN_RCVD", "ESTABLISHED", "CLOSE_WAIT", "LAST_ACK", "CLOSED"},
	}
	for i, e := range c.Endpoints {
		if !slices.Equal(e.States, want[i]) {
			t.Errorf("endpoint %s: states %v, want %v", e.Addr, e.States, want[i])
		}
	}
	if c.Endpoints[1].Addr != "10.99.1.2:80" || len(c.Verdicts) == 0 || c.Verdicts[0] != "orderly close in 4 segments, "+c.Endpoints[0].Addr+" closed first" {
		t.Errorf("JSON %s", b.String())
	}
}
