//go:build linux

package kernel

import (
	"io"
	"slices"
	"testing"
	"time"

	"github.com/synack-net/synack/tcp"
)

// closeLimit bounds the wait for the last segments of a close.
const closeLimit = 5 * time.Second

// TestCloseKernelFirst: the kernel closes, synack reads EOF (CLOSE_WAIT)
// and closes (LAST_ACK, then CLOSED on the kernel's ACK); the kernel, the
// active closer, is left in TIME_WAIT, as `ss -tan` in the namespace shows.
func TestCloseKernelFirst(t *testing.T) {
	for _, r := range roles {
		t.Run(r.name, func(t *testing.T) {
			e := newEnv(t)
			p := e.connect(r)
			kernelEnd, syEnd := addrPort(p.kernel.LocalAddr()), addrPort(p.sy.LocalAddr())
			if err := p.kernel.Close(); err != nil {
				t.Fatalf("kernel Close: %v", err)
			}
			if b, err := io.ReadAll(p.sy); err != nil || len(b) != 0 {
				t.Fatalf("synack read %d bytes, %v; want EOF", len(b), err)
			}
			if s := p.sy.State(); s != tcp.CloseWait {
				t.Errorf("synack after EOF: %v, want CLOSE_WAIT", s)
			}
			if err := p.sy.Close(); err != nil {
				t.Fatalf("synack Close: %v", err)
			}
			waitFor(t, closeLimit, "synack's end is not CLOSED", func() bool { return p.sy.State() == tcp.Closed })
			states := e.rec.states(syEnd)
			if i := slices.Index(states, tcp.CloseWait); i < 0 || !slices.Equal(states[i:], []tcp.State{tcp.CloseWait, tcp.LastAck, tcp.Closed}) {
				t.Errorf("synack went through %v; want … CLOSE_WAIT, LAST_ACK, CLOSED", states)
			}
			waitFor(t, closeLimit, "the kernel's end is not in TIME-WAIT", func() bool {
				return slices.Equal(e.kernelSockets(kernelEnd), []string{"TIME-WAIT"})
			})
		})
	}
}

// TestCloseSynackFirst: synack closes, the kernel reads EOF and closes;
// synack, the active closer, ends in TIME_WAIT, and the kernel, after
// LAST_ACK, keeps no socket at all for the connection.
func TestCloseSynackFirst(t *testing.T) {
	for _, r := range roles {
		t.Run(r.name, func(t *testing.T) {
			e := newEnv(t)
			p := e.connect(r)
			kernelEnd, syEnd := addrPort(p.kernel.LocalAddr()), addrPort(p.sy.LocalAddr())
			if err := p.sy.Close(); err != nil {
				t.Fatalf("synack Close: %v", err)
			}
			if b, err := io.ReadAll(p.kernel); err != nil || len(b) != 0 {
				t.Fatalf("kernel read %d bytes, %v; want EOF", len(b), err)
			}
			if ss := e.kernelSockets(kernelEnd); !slices.Equal(ss, []string{"CLOSE-WAIT"}) {
				t.Errorf("kernel sockets after EOF: %v, want [CLOSE-WAIT]", ss)
			}
			if err := p.kernel.Close(); err != nil {
				t.Fatalf("kernel Close: %v", err)
			}
			waitFor(t, closeLimit, "synack's end is not in TIME_WAIT", func() bool { return p.sy.State() == tcp.TimeWait })
			states := e.rec.states(syEnd)
			i := slices.Index(states, tcp.FinWait1)
			if i < 0 || !slices.Equal(states[i:], []tcp.State{tcp.FinWait1, tcp.FinWait2, tcp.TimeWait}) &&
				!slices.Equal(states[i:], []tcp.State{tcp.FinWait1, tcp.TimeWait}) {
				t.Errorf("synack went through %v; want … FIN_WAIT_1, [FIN_WAIT_2,] TIME_WAIT", states)
			}
			waitFor(t, closeLimit, "the kernel still has a socket for the connection", func() bool {
				return len(e.kernelSockets(kernelEnd)) == 0
			})
		})
	}
}
