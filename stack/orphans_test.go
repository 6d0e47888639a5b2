package stack

import (
	"errors"
	"syscall"
	"testing"

	"github.com/synack-net/synack/tcp"
)

// Connections closed by their users count as orphans while they finish
// closing; one closed beyond MaxOrphans is reset at once, with an RST its
// peer sees, through the TCB's state-change path with a host-limit cause.
// Orphans end when their FIN_WAIT_2 timer does.
func TestOrphansBeyondLimitReset(t *testing.T) {
	p := newTestPair(t, func(c *Config) { c.MaxOrphans = 2 })
	clients, servers := p.open(t, 3)
	for _, c := range clients {
		if err := c.Close(p.now); err != nil {
			t.Fatal(err)
		}
		p.pump()
	}
	// The servers have not closed: the first two clients wait in
	// FIN_WAIT_2, the third was one orphan too many.
	want := []tcp.State{tcp.FinWait2, tcp.FinWait2, tcp.Closed}
	for i, c := range clients {
		if s := c.State(); s != want[i] {
			t.Fatalf("client %d in %v, want %v", i, s, want[i])
		}
	}
	got := p.states("A", clients[2].Tuple().Local)
	if last := got[len(got)-1]; last != "FIN_WAIT_1->CLOSED (host limit)" {
		t.Errorf("last change %q", last)
	}
	if st := servers[2].Status(); st.State != tcp.Closed || !errors.Is(st.Err, syscall.ECONNRESET) {
		t.Errorf("server 2: %v, %v; want CLOSED by a reset", st.State, st.Err)
	}
	k := p.a.Counters()
	if k.TCPAbortOnMemory != 1 || k.CurrOrphans != 2 || k.OutRsts != 1 {
		t.Errorf("TCPAbortOnMemory %d, CurrOrphans %d, OutRsts %d; want 1, 2, 1", k.TCPAbortOnMemory, k.CurrOrphans, k.OutRsts)
	}
	if err := p.a.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
	// tcp_fin_timeout (60 s) ends the orphans in FIN_WAIT_2.
	fin := p.now.Add(tcp.DefaultConfig().FinWait2Timeout)
	p.until(fin - 1)
	if k := p.a.Counters(); k.CurrOrphans != 2 {
		t.Fatalf("CurrOrphans %d 1 ns before the FIN_WAIT_2 timeout", k.CurrOrphans)
	}
	p.until(fin)
	if k := p.a.Counters(); k.CurrOrphans != 0 {
		t.Fatalf("CurrOrphans %d after the FIN_WAIT_2 timeout", k.CurrOrphans)
	}
}
