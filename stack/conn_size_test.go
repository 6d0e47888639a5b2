package stack

import (
	"testing"
	"unsafe"
)

// TestConnSizeClass guards the 192-byte size class of the host's Conn,
// which every connection allocates beside its TCB: one byte more would
// cost 16 (the next class is 208), as TestIdleConnHeap in the root
// package shows.
func TestConnSizeClass(t *testing.T) {
	if size := unsafe.Sizeof(Conn{}); size > 192 {
		t.Errorf("a Conn takes %d bytes; the 192-byte size class holds it no longer", size)
	}
}
