// Package bench compares TCP implementations side by side: synack and
// gVisor's netstack (two hosts of each, or one of each, joined by an
// in-memory link/pipe) and the Linux kernel over 127.0.0.1. The benchmarks live in this package's tests:
//
//	cd bench && go test -bench . -run '^$' -benchtime=3x -count=1
//
// Each implementation is a function returning a network (a server host that
// listens and a client host that dials); adding one means writing that
// function and listing it in the benchmarks' tables.
package bench
