package stack

import (
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/trace"
	"github.com/synack-net/synack/wire"
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

// An orphan that must retransmit while the host's buffer memory is over
// Memory.High is reset at its retransmission timeout, as Linux's
// tcp_out_of_resources resets a dead socket then; a connection its user
// still holds is left alone.
func TestOrphanResetOnRetransmitOverMemory(t *testing.T) {
	p := newTestPair(t, nil)
	clients, _ := p.open(t, 2)
	p.a.mem.lim = MemoryLimits{Low: 2 << 10, Pressure: 4 << 10, High: 6 << 10}
	// B hears nothing more: both clients' data stays unacknowledged, in
	// two first allocations that pass High together.
	drop := func() { p.a.Flush(p.now, func([]byte) {}) }
	for _, c := range clients {
		if n, err := c.Write(make([]byte, 4096)); n != 4096 || err != nil {
			t.Fatalf("Write: %d, %v", n, err)
		}
	}
	clients[0].Close(p.now)
	drop()
	sent := p.now
	if k := p.a.Counters(); k.MemoryAllocated <= 6<<10 || k.CurrOrphans != 1 {
		t.Fatalf("MemoryAllocated %d, CurrOrphans %d; want over 6144, 1", k.MemoryAllocated, k.CurrOrphans)
	}
	// Run A's timers until the orphan is gone (a tail loss probe, which
	// Linux does not check against the limits, comes first).
	orphan := clients[0]
	var out []wire.TCPFlags
	for orphan.State() != tcp.Closed && p.now < sent.Add(10*time.Second) {
		p.now = p.a.NextDeadline()
		p.a.Tick(p.now)
		out = out[:0]
		p.a.Flush(p.now, func(pkt []byte) { out = append(out, wire.TCP(wire.IPv4(pkt).Payload()).Flags()) })
	}
	var firstRTO, closed clock.Instant = clock.Never, clock.Never
	for _, e := range p.log.Events {
		if e.Host != "A" || e.Local != orphan.Tuple().Local {
			continue
		}
		switch {
		case e.Kind == trace.KindTimer && e.Timer == tcp.TimerRetransmit && firstRTO == clock.Never:
			firstRTO = e.Time
		case e.Kind == trace.KindState && e.To == tcp.Closed:
			closed = e.Time
		}
	}
	if firstRTO == clock.Never || closed != firstRTO {
		t.Fatalf("orphan closed at %v, its first retransmission timeout at %v: want the same instant", closed, firstRTO)
	}
	got := p.states("A", orphan.Tuple().Local)
	if last := got[len(got)-1]; last != "FIN_WAIT_1->CLOSED (host limit)" {
		t.Errorf("orphan: last change %q", last)
	}
	if st := clients[1].State(); st != tcp.Established {
		t.Errorf("the connection its user holds is %v, want ESTABLISHED", st)
	}
	if len(out) == 0 || out[0] != wire.FlagRST|wire.FlagACK {
		t.Errorf("at the RTO A sent %v, want the orphan's RST,ACK first", out)
	}
	if k := p.a.Counters(); k.TCPAbortOnMemory != 1 || k.CurrOrphans != 0 {
		t.Errorf("TCPAbortOnMemory %d, CurrOrphans %d; want 1, 0", k.TCPAbortOnMemory, k.CurrOrphans)
	}
	if err := p.a.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
}
