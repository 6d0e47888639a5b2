package bench

import (
	"os"
	"strconv"
	"testing"
)

// envInt returns the integer in the environment variable name, or def when
// it is unset. The benchmarks' sizes come from the environment so that CI can
// run each once at a small size (checking byte counts) while a measurement
// keeps the defaults.
func envInt(tb testing.TB, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		tb.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// bulkBytes is what one iteration of a bulk benchmark moves
// (SYNACK_BENCH_BYTES, default 1 GiB: shorter transfers are too noisy on a
// shared machine), rounded down to whole chunks.
func bulkBytes(tb testing.TB) int64 {
	n := int64(envInt(tb, "SYNACK_BENCH_BYTES", 1<<30))
	n -= n % bulkChunk
	if n == 0 {
		n = bulkChunk
	}
	return n
}
