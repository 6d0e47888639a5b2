package main

import (
	"strings"
	"testing"
)

// TestRunDispatch checks the subcommand dispatch and its exit statuses.
func TestRunDispatch(t *testing.T) {
	tests := []struct {
		args   []string
		code   int
		stdout string // a text stdout must contain ("" for empty stdout)
		stderr string // a text stderr must contain ("" for empty stderr)
	}{
		{nil, 2, "", "The commands are:"},
		{[]string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{[]string{"help"}, 0, "The commands are:", ""},
		{[]string{"--help"}, 0, "The commands are:", ""},
		{[]string{"help", "demo"}, 0, "Usage: synack demo [flags]", ""},
		{[]string{"help", "frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{[]string{"demo", "--list"}, 0, "simultaneous-close", ""},
	}
	for _, tt := range tests {
		out, errOut, code := runArgs(tt.args...)
		if code != tt.code {
			t.Errorf("synack %v: exit status %d, want %d", tt.args, code, tt.code)
		}
		for _, c := range []struct{ name, got, want string }{{"stdout", out, tt.stdout}, {"stderr", errOut, tt.stderr}} {
			if c.want == "" && c.got != "" || !strings.Contains(c.got, c.want) {
				t.Errorf("synack %v: %s %q, want it to contain %q", tt.args, c.name, c.got, c.want)
			}
		}
	}
	out, _, _ := runArgs("help")
	for _, c := range commands {
		if !strings.Contains(out, c.name+" ") {
			t.Errorf("usage does not list %s:\n%s", c.name, out)
		}
	}
}
