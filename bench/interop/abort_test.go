package interop

import (
	"errors"
	"io"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/synack-net/synack/tcp"
)

// TestAbortBySynack: SetLinger(0) then Close makes synack send a RST, and
// gVisor's Read fails with "connection reset by peer" (gonet reports
// gVisor's error by its text, not as an errno).
func TestAbortBySynack(t *testing.T) {
	for _, r := range roles {
		t.Run(r.name, func(t *testing.T) {
			p := connect(t, 1500, r)
			rsts := p.st.Counters().OutRsts
			if err := p.sy.SetLinger(0); err != nil {
				t.Fatalf("SetLinger: %v", err)
			}
			if err := p.sy.Close(); err != nil {
				t.Fatalf("synack Close: %v", err)
			}
			n, err := p.gv.Read(make([]byte, 1))
			if n != 0 || err == nil || err == io.EOF || !strings.Contains(err.Error(), "connection reset by peer") {
				t.Errorf("gVisor Read = %d, %v; want a connection reset error", n, err)
			}
			h := p.watch.waitFor(t, p.ends(), tcp.Closed)
			if want := r.then(tcp.Closed); !slices.Equal(h, want) {
				t.Errorf("synack went through %v, want %v", h, want)
			}
			if got := p.st.Counters().OutRsts - rsts; got != 1 {
				t.Errorf("synack sent %d RSTs, want 1", got)
			}
		})
	}
}

// TestAbortByGVisor: gVisor closes with SO_LINGER zero and sends a RST;
// synack's Read fails with ECONNRESET, and its Write afterwards fails too.
func TestAbortByGVisor(t *testing.T) {
	for _, r := range roles {
		t.Run(r.name, func(t *testing.T) {
			p := connect(t, 1500, r)
			resets := p.st.Counters().EstabResets
			if err := p.gv.Abort(); err != nil {
				t.Fatalf("gVisor Abort: %v", err)
			}
			n, err := p.sy.Read(make([]byte, 1))
			if n != 0 || !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("synack Read = %d, %v; want ECONNRESET", n, err)
			}
			if s := p.sy.State(); s != tcp.Closed {
				t.Errorf("synack State() = %v after the reset, want CLOSED", s)
			}
			if _, err := p.sy.Write([]byte("x")); err == nil {
				t.Errorf("synack Write after the reset succeeded")
			}
			if got := p.st.Counters().EstabResets - resets; got != 1 {
				t.Errorf("synack EstabResets grew by %d, want 1", got)
			}
		})
	}
}
