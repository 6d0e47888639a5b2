package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// capture is a kernel capture committed under explain/testdata: a
// handshake and a close in four segments.
const capture = "../../explain/testdata/close.pcap"

func TestExplainText(t *testing.T) {
	out, errOut, code := runArgs("explain", capture)
	if code != 0 || errOut != "" {
		t.Fatalf("exit status %d, stderr %q", code, errOut)
	}
	for _, want := range []string{
		"client 10.99.1.1:34446  CLOSED -> SYN_SENT -> ESTABLISHED -> FIN_WAIT_1 -> FIN_WAIT_2 -> TIME_WAIT",
		"server 10.99.1.2:80     LISTEN -> SYN_RCVD -> ESTABLISHED -> CLOSE_WAIT -> LAST_ACK -> CLOSED",
		"  - 10.99.1.1:34446 in TIME_WAIT at the end",
		"|--------------------------------------------------------------->|", // the ladder
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestExplainJSON(t *testing.T) {
	// Flags may come after the capture's name.
	out, _, code := runArgs("explain", capture, "--format", "json")
	if code != 0 {
		t.Fatalf("exit status %d", code)
	}
	var rep struct {
		Connections []struct {
			Endpoints []struct {
				Addr   string   `json:"addr"`
				States []string `json:"states"`
			} `json:"endpoints"`
			Verdicts []string `json:"verdicts"`
		} `json:"connections"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if len(rep.Connections) != 1 || rep.Connections[0].Endpoints[1].Addr != "10.99.1.2:80" ||
		strings.Join(rep.Connections[0].Endpoints[1].States, " ") != "LISTEN SYN_RCVD ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED" {
		t.Errorf("JSON %s", out)
	}
}

func TestExplainErrors(t *testing.T) {
	b, err := os.ReadFile(capture)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut.pcap")
	os.WriteFile(cut, b[:len(b)-10], 0o644)
	tests := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"explain"}, 2, "Usage: synack explain"},
		{[]string{"explain", capture, capture}, 2, "Usage: synack explain"},
		{[]string{"explain", "--format", "xml", capture}, 2, `bad --format "xml"`},
		{[]string{"explain", cut}, 1, "explain: " + cut + ": truncated packet record at offset 701\n"},
		{[]string{"explain", "/nonexistent.pcap"}, 1, "explain: /nonexistent.pcap: no such file or directory\n"},
	}
	for _, tt := range tests {
		_, errOut, code := runArgs(tt.args...)
		if code != tt.code || !strings.Contains(errOut, tt.stderr) {
			t.Errorf("synack %v: exit status %d, stderr %q; want %d and %q", tt.args, code, errOut, tt.code, tt.stderr)
		}
	}
}
