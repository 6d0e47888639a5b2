package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// synack bench finds the source tree from any directory inside it, and
// says what is missing outside one; bad flags exit 2 before anything
// runs. (CI runs it end to end on one case.)
func TestBenchSource(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := benchSource(""); err != nil || got != root {
		t.Errorf("from cmd/synack: %q, %v; want %q", got, err, root)
	}
	if got, err := benchSource(root); err != nil || got != root {
		t.Errorf("-source %s: %q, %v", root, got, err)
	}
	elsewhere := t.TempDir()
	if _, err := benchSource(elsewhere); err == nil || !strings.Contains(err.Error(), "is not the synack source tree") {
		t.Errorf("-source %s: %v, want an error naming what is missing", elsewhere, err)
	}
	// A go.mod of another module with a bench directory is not the tree.
	os.MkdirAll(filepath.Join(elsewhere, "bench"), 0o755)
	os.WriteFile(filepath.Join(elsewhere, "bench", "go.mod"), []byte("module example.com/bench\n"), 0o644)
	os.WriteFile(filepath.Join(elsewhere, "go.mod"), []byte("module example.com/other\n"), 0o644)
	if isSynackTree(elsewhere) {
		t.Errorf("%s taken for the synack tree", elsewhere)
	}
	t.Chdir(elsewhere)
	_, errOut, code := runArgs("bench")
	if code != 1 || !strings.Contains(errOut, "no synack source tree in") || !strings.Contains(errOut, "-source DIR") {
		t.Errorf("outside the tree: exit %d, %q", code, errOut)
	}
}

func TestBenchFlags(t *testing.T) {
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-h"}, 0, "Usage: synack bench [flags]"},
		{[]string{"-reps", "0"}, 2, "-reps must be at least 1"},
		{[]string{"-cases", "("}, 2, "-cases: error parsing regexp"},
		{[]string{"extra"}, 2, `unexpected argument "extra"`},
		{[]string{"-source", "/nonexistent"}, 1, "/nonexistent is not the synack source tree"},
	} {
		_, errOut, code := runArgs(append([]string{"bench"}, tt.args...)...)
		if code != tt.code || !strings.Contains(errOut, tt.want) {
			t.Errorf("synack bench %v: exit %d, stderr %q; want %d and %q", tt.args, code, errOut, tt.code, tt.want)
		}
	}
}
