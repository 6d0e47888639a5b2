// Package fuzzseed adds a fuzz target's seed inputs and, on request, writes
// them out as the target's committed corpus (testdata/fuzz/FuzzX/), so that
// the seeds are written once, readably, in the test that uses them.
//
// With SYNACK_FUZZ_WRITE_SEEDS=1 in the environment, a run of the target
// (go test -run '^FuzzX$') writes every seed to
// testdata/fuzz/<target>/seed-<hash> in the format of go test's corpus
// files, named by the first 8 bytes of the input's SHA-256 so that a
// rewrite replaces rather than duplicates.
package fuzzseed

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Bytes adds each seed to f's corpus, and writes them out when asked.
func Bytes(f *testing.F, seeds ...[]byte) {
	f.Helper()
	for _, s := range seeds {
		f.Add(s)
		write(f, s, fmt.Sprintf("[]byte(%q)", s))
	}
}

// Strings adds each seed to f's corpus, and writes them out when asked.
func Strings(f *testing.F, seeds ...string) {
	f.Helper()
	for _, s := range seeds {
		f.Add(s)
		write(f, []byte(s), fmt.Sprintf("string(%q)", s))
	}
}

// write stores one seed, encoded as go test's corpus files are ("go test
// fuzz v1" and one Go literal a line), if SYNACK_FUZZ_WRITE_SEEDS is 1.
func write(f *testing.F, raw []byte, literal string) {
	f.Helper()
	if os.Getenv("SYNACK_FUZZ_WRITE_SEEDS") != "1" {
		return
	}
	dir := filepath.Join("testdata", "fuzz", f.Name())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		f.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	name := filepath.Join(dir, fmt.Sprintf("seed-%x", sum[:8]))
	if err := os.WriteFile(name, []byte("go test fuzz v1\n"+literal+"\n"), 0o644); err != nil {
		f.Fatal(err)
	}
}
