package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeScript writes a script into dir and returns its path.
func writeScript(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// closedPortScript expects the reset a SYN to a closed port draws.
const closedPortScript = "0 < S 0:0(0) win 32792 <mss 1460>\n+0 > R. 0:0(0) ack %s win 0\n"

// TestDrillCommand runs `synack drill` on a passing, a failing and an
// unsupported script, a directory, and bad arguments.
func TestDrillCommand(t *testing.T) {
	dir := t.TempDir()
	pass := writeScript(t, dir, "pass.pkt", strings.Replace(closedPortScript, "%s", "1", 1))
	fail := writeScript(t, dir, "fail.pkt", strings.Replace(closedPortScript, "%s", "2", 1))
	skip := writeScript(t, dir, "skip.pkt", "--mss=1000\n"+strings.Replace(closedPortScript, "%s", "1", 1))
	v6 := writeScript(t, dir, "only-v6.pkt", strings.Replace(closedPortScript, "%s", "1", 1))
	tests := []struct {
		args   []string
		code   int
		stdout []string // texts stdout must contain
		stderr string   // a text stderr must contain ("" for empty stderr)
	}{
		{[]string{"drill", pass}, 0, []string{"PASS " + pass + " (ipv4)\n", "1 passed, 0 failed, 0 skipped\n"}, ""},
		{[]string{"drill", fail}, 1, []string{"FAIL " + fail + ":2 (ipv4): acknowledgment number: expected 2, actual 1: expected 0.000000 > R. 0:0(0) ack 2 win 0; actual 0.000000 > R. 0:0(0) ack 1 win 0\n",
			"0 passed, 1 failed, 0 skipped\n"}, ""},
		{[]string{"drill", skip}, 0, []string{"SKIP " + skip + ":1 (ipv4): option --mss", "0 passed, 0 failed, 1 skipped\n"}, ""},
		{[]string{"drill", "-ip", "all", dir}, 1, []string{"PASS " + pass + " (ipv6)", "PASS " + v6 + " (ipv6)\nPASS",
			"3 passed, 2 failed, 2 skipped\n"}, ""},
		{[]string{"drill", v6}, 0, []string{"SKIP " + v6 + " (ipv4): the script is for ipv6 only"}, ""},
		{[]string{"drill", "-v", pass}, 0, []string{"=== " + pass + " (ipv4)\n", "line 2: matched > R. 0:0(0) ack 1 win 0\n"}, ""},
		{[]string{"drill"}, 2, nil, "Usage: synack drill"},
		{[]string{"drill", "-ip", "ipv5", pass}, 2, nil, `bad -ip "ipv5"`},
		{[]string{"drill", filepath.Join(dir, "missing.pkt")}, 2, nil, "missing.pkt"},
		{[]string{"help", "drill"}, 0, []string{"Usage: synack drill"}, ""},
	}
	for _, tt := range tests {
		out, errOut, code := runArgs(tt.args...)
		if code != tt.code {
			t.Errorf("synack %v: exit status %d, want %d\n%s%s", tt.args, code, tt.code, out, errOut)
		}
		for _, want := range tt.stdout {
			if !strings.Contains(out, want) {
				t.Errorf("synack %v: stdout\n%s\nwant it to contain %q", tt.args, out, want)
			}
		}
		if tt.stderr == "" && errOut != "" || !strings.Contains(errOut, tt.stderr) {
			t.Errorf("synack %v: stderr %q, want it to contain %q", tt.args, errOut, tt.stderr)
		}
	}
}

// TestDrillProjectScripts runs the project's own scripts through the
// command: each gives one line, and the totals close the output.
func TestDrillProjectScripts(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "drill")
	files, err := filepath.Glob(filepath.Join(dir, "*.pkt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts in %s: %v", dir, err)
	}
	out, _, _ := runArgs("drill", dir)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(files)+1 || !strings.HasSuffix(lines[len(lines)-1], "skipped") {
		t.Errorf("%d scripts, output:\n%s", len(files), out)
	}
}
