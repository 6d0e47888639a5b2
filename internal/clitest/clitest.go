// Package clitest holds what tests of the synack command share: building
// it into a binary (to run it as a whole process, for instance inside a
// network namespace) and collecting its output while it runs.
package clitest

import (
	"bytes"
	"os/exec"
	"path/filepath"
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
