// Package bench compares TCP implementations side by side: synack (two
// hosts on an in-memory link/pipe), gVisor's netstack (two hosts on their
// own channel endpoints joined directly, and, for the mixed rows, through a
// copying adapter onto link/pipe) and the Linux kernel (over the loopback
// of a network namespace at the row's MTU, or 127.0.0.1). The benchmarks
// live in this package's tests; cmd/benchtable runs each case in a fresh
// process per repetition and prints medians with min and max:
//
//	cd bench && go run ./cmd/benchtable -reps 3
//
// Each implementation is a function returning a network (a server host that
// listens and a client host that dials); adding one means writing that
// function and listing it in the benchmarks' tables.
package bench
