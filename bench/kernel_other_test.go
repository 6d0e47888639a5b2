//go:build !linux

package bench

import "testing"

// newKernelLoopbackMTU skips: setting a loopback MTU for the kernel row
// needs a Linux network namespace.
func newKernelLoopbackMTU(int) func(tb testing.TB) network {
	return func(tb testing.TB) network {
		tb.Skip("the kernel row at a chosen MTU needs a Linux network namespace")
		return nil
	}
}
