// Package clitest holds what tests of the synack command share: building
// it into a binary (to run it as a whole process, for instance inside a
// network namespace) and collecting its output while it runs.
package clitest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Build builds the synack command into the test's temporary directory
// and returns the binary's path.
func Build(t testing.TB) string {
	t.Helper()
	// go test puts its own GOROOT/bin first on the PATH of the tests.
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is not on the PATH: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "synack")
	if out, err := exec.Command(goCmd, "build", "-o", bin, "github.com/synack-net/synack/cmd/synack").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// READMEBlock returns the code block of the repository's README.md (the
// test runs two directories below it) that begins with begin, its opening
// fence included, up to its closing fence: a walkthrough for a test to
// run as a user would paste it.
func READMEBlock(t testing.TB, begin string) string {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(readme), begin)
	if !ok {
		t.Fatalf("README.md has no block beginning %q", begin)
	}
	block, _, ok = strings.Cut(block, "```\n")
	if !ok {
		t.Fatalf("the README's block beginning %q does not end", begin)
	}
	return block
}

// Output collects a command's output for a test to poll while the
// command runs: an io.Writer safe for one writer and concurrent readers.
type Output struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

// String returns what was written so far.
func (o *Output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}
