package interop

import (
	"io"
	"slices"
	"testing"

	"github.com/synack-net/synack/tcp"
)

// TestCloseSynackFirst: synack closes, gVisor reads EOF and closes too;
// synack, the active closer, ends in TIME_WAIT.
func TestCloseSynackFirst(t *testing.T) {
	for _, r := range roles {
		t.Run(r.name, func(t *testing.T) {
			p := connect(t, 1500, r)
			if err := p.sy.Close(); err != nil {
				t.Fatalf("synack Close: %v", err)
			}
			if b, err := io.ReadAll(p.gv); err != nil || len(b) != 0 {
				t.Fatalf("gVisor read %d bytes, %v; want EOF", len(b), err)
			}
			if err := p.gv.Close(); err != nil {
				t.Fatalf("gVisor Close: %v", err)
			}
			h := p.watch.waitFor(t, p.ends(), tcp.TimeWait)
			// The peer's FIN may come on its own (FIN_WAIT_2 first) or
			// with the ACK of ours (FIN_WAIT_1 → TIME_WAIT).
			if !slices.Equal(h, r.then(tcp.FinWait1, tcp.FinWait2, tcp.TimeWait)) &&
				!slices.Equal(h, r.then(tcp.FinWait1, tcp.TimeWait)) {
				t.Errorf("synack went through %v; want %v, FIN_WAIT_1, [FIN_WAIT_2,] TIME_WAIT", h, r.opening())
			}
			if s := p.sy.State(); s != tcp.TimeWait {
				t.Errorf("synack State() = %v, want TIME_WAIT", s)
			}
		})
	}
}

// TestCloseGVisorFirst: gVisor closes, synack reads EOF (CLOSE_WAIT) and
// closes too; synack, the passive closer, goes through LAST_ACK to CLOSED.
func TestCloseGVisorFirst(t *testing.T) {
	for _, r := range roles {
		t.Run(r.name, func(t *testing.T) {
			p := connect(t, 1500, r)
			if err := p.gv.Close(); err != nil {
				t.Fatalf("gVisor Close: %v", err)
			}
			if b, err := io.ReadAll(p.sy); err != nil || len(b) != 0 {
				t.Fatalf("synack read %d bytes, %v; want EOF", len(b), err)
			}
			if s := p.sy.State(); s != tcp.CloseWait {
				t.Errorf("synack State() after EOF = %v, want CLOSE_WAIT", s)
			}
			if err := p.sy.Close(); err != nil {
				t.Fatalf("synack Close: %v", err)
			}
			h := p.watch.waitFor(t, p.ends(), tcp.Closed)
			if want := r.then(tcp.CloseWait, tcp.LastAck, tcp.Closed); !slices.Equal(h, want) {
				t.Errorf("synack went through %v, want %v", h, want)
			}
			if c := p.st.Counters(); c.CurrEstab != 0 {
				t.Errorf("synack CurrEstab = %d after the close, want 0", c.CurrEstab)
			}
		})
	}
}
