//go:build !linux

package main

import "testing"

// TestTUNCommandsNeedLinux checks that serve, dial and forward, given valid flags,
// report that TUN is Linux-only and exit 1.
func TestTUNCommandsNeedLinux(t *testing.T) {
	for _, cmd := range []string{"serve", "dial", "forward"} {
		args := []string{cmd, "--tun", "synack0", "--addr", "10.99.0.2/24"}
		if cmd == "dial" {
			args = append(args, "10.99.0.1:7")
		}
		_, stderr, code := runArgs(args...)
		if want := "synack " + cmd + ": TUN is supported on Linux\n"; code != 1 || stderr != want {
			t.Errorf("synack %v: exit %d, stderr %q; want 1 and %q", args, code, stderr, want)
		}
	}
}
