package bench

import (
	"fmt"
	"os"
	"testing"
)

// listEnv names the environment variable that makes the benchmarks list
// their cases instead of running them: cmd/benchtable reads the list, then
// runs each case in a process of its own.
const listEnv = "SYNACK_BENCH_LIST"

// run runs f as b's sub-benchmark name, or, when listEnv is set, prints the
// case's full name on a line of its own, prefixed "case ", and runs nothing.
func run(b *testing.B, name string, f func(b *testing.B)) {
	if os.Getenv(listEnv) != "" {
		fmt.Printf("case %s/%s\n", b.Name(), name)
		return
	}
	b.Run(name, f)
}
