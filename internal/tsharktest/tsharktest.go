// Package tsharktest lets tests decode pcap files with tshark, Wireshark's
// command-line decoder, as an independent check of what synack writes.
package tsharktest

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// RequireEnv names the environment variable that turns a missing tshark
// into a test failure instead of a skip (.ci/run sets it).
const RequireEnv = "SYNACK_REQUIRE_TSHARK"

// Find returns the path of tshark, or skips the test when it is not
// installed (fails it when RequireEnv is set).
func Find(tb testing.TB) string {
	tb.Helper()
	path, err := exec.LookPath("tshark")
	if err != nil {
		if os.Getenv(RequireEnv) != "" {
			tb.Fatalf("tshark not installed, and %s is set", RequireEnv)
		}
		tb.Skip("tshark not installed")
	}
	return path
}

// Fields decodes the capture at path with IP and TCP checksum checking on
// and returns, per packet, the values of fields (tshark -T fields), after
// the extra arguments args. Anything tshark prints on stderr but its
// warning about running as root fails the test.
func Fields(tb testing.TB, tshark, path string, args []string, fields ...string) [][]string {
	tb.Helper()
	argv := append([]string{"-n", "-r", path}, args...)
	argv = append(argv, "-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE",
		"-T", "fields", "-E", "separator=|")
	for _, f := range fields {
		argv = append(argv, "-e", f)
	}
	cmd := exec.Command(tshark, argv...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("tshark: %v\n%s", err, stderr.String())
	}
	for line := range strings.Lines(stderr.String()) {
		if !strings.Contains(line, "Running as user") && strings.TrimSpace(line) != "" {
			tb.Errorf("tshark stderr: %s", line)
		}
	}
	var rows [][]string
	for line := range strings.Lines(string(out)) {
		line = strings.TrimRight(line, "\n")
		if line == "" {
			continue
		}
		row := strings.Split(line, "|")
		if len(row) != len(fields) {
			tb.Fatalf("tshark line %q: want %d fields", line, len(fields))
		}
		rows = append(rows, row)
	}
	return rows
}
