//go:build linux

package kernel

import (
	"errors"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/synack-net/synack/tcp"
)

// TestAbortByKernel: the kernel closes with SO_LINGER 0, which sends a
// reset and drops its unsent data; synack's next Read fails with
// ECONNRESET, and its end is CLOSED.
func TestAbortByKernel(t *testing.T) {
	for _, r := range roles {
		t.Run(r.name, func(t *testing.T) {
			e := newEnv(t)
			p := e.connect(r)
			resetsBefore := e.st.Counters().EstabResets
			if err := p.kernel.SetLinger(0); err != nil {
				t.Fatal(err)
			}
			if err := p.kernel.Close(); err != nil {
				t.Fatalf("kernel Close: %v", err)
			}
			_, err := io.ReadAll(p.sy)
			var oe *net.OpError
			if !errors.Is(err, syscall.ECONNRESET) || !errors.As(err, &oe) {
				t.Fatalf("synack Read after the kernel's reset: %v; want a *net.OpError wrapping ECONNRESET", err)
			}
			if s := p.sy.State(); s != tcp.Closed {
				t.Errorf("synack after the reset: %v, want CLOSED", s)
			}
			if n := e.st.Counters().EstabResets - resetsBefore; n != 1 {
				t.Errorf("EstabResets went up by %d, want 1", n)
			}
		})
	}
}

// TestAbortBySynack: synack closes with SetLinger(0), which sends a reset
// even though data it queued is unsent; the kernel's next Read fails with
// ECONNRESET and the kernel keeps no socket for the connection.
func TestAbortBySynack(t *testing.T) {
	for _, r := range roles {
		t.Run(r.name, func(t *testing.T) {
			e := newEnv(t)
			p := e.connect(r)
			kernelEnd := addrPort(p.kernel.LocalAddr())
			if err := p.sy.SetLinger(0); err != nil {
				t.Fatal(err)
			}
			if _, err := p.sy.Write(make([]byte, 64<<10)); err != nil {
				t.Fatalf("synack Write: %v", err)
			}
			if err := p.sy.Close(); err != nil {
				t.Fatalf("synack Close: %v", err)
			}
			_, err := io.ReadAll(p.kernel)
			if !errors.Is(err, syscall.ECONNRESET) {
				t.Fatalf("kernel Read after synack's reset: %v; want ECONNRESET", err)
			}
			if ss := e.kernelSockets(kernelEnd); len(ss) != 0 {
				t.Errorf("kernel sockets after the reset: %v, want none", ss)
			}
		})
	}
}
