package stack

import (
	"fmt"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/trace"
	"github.com/synack-net/synack/wire"
)

// inTable reports whether c's connection is held in a TIME_WAIT table
// rather than in the map.
func inTable(c *Conn) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.f.(twForm)
	return ok
}

// lastRecv is the last segment host received on local's connection.
func (p *testPair) lastRecv(host string, local netip.AddrPort) trace.Segment {
	var s trace.Segment
	for _, e := range p.log.Events {
		if e.Host == host && e.Local == local && e.Kind == trace.KindRecv {
			s = e.Segment
		}
	}
	return s
}

// segFrom builds a TCP segment from src to dst, with a timestamp option
// when tsVal is not 0.
func segFrom(src, dst netip.AddrPort, seq, ack uint32, flags wire.TCPFlags, tsVal uint32) []byte {
	var o wire.TCPOptions
	if tsVal != 0 {
		o = wire.TCPOptions{HasTS: true, TSVal: tsVal}
	}
	n := 20 + o.Len()
	pkt := make([]byte, 20+n)
	wire.PutIPv4Header(pkt, src.Addr(), dst.Addr(), wire.ProtoTCP, 64, 1, n)
	tb := wire.TCP(pkt[20:])
	wire.PutTCPHeader(tb, wire.TCPHeader{SrcPort: src.Port(), DstPort: dst.Port(), Seq: seq, Ack: ack,
		Flags: flags, Window: 1000}, &o)
	tb.SetChecksum(wire.TransportChecksum(src.Addr(), dst.Addr(), wire.ProtoTCP, tb))
	return pkt
}

// flushA flushes host A and returns what it sent, as segments.
func (p *testPair) flushA() []string {
	var out []string
	p.a.Flush(p.now, func(pkt []byte) {
		tb := wire.TCP(wire.IPv4(pkt).Payload())
		out = append(out, fmt.Sprintf("seq %d ack %d flags %#x", tb.Seq(), tb.Ack(), tb.Flags()))
	})
	return out
}

// A connection in a TIME_WAIT table answers the peer's repeated FIN with
// an ACK and restarts its 2×MSL there (RFC 9293 §3.10.7.4), which the
// socket table shows; it then ends exactly 2×MSL after that FIN. The
// host's invariants hold throughout.
func TestTimeWaitTableRestart(t *testing.T) {
	p := newTestPair(t, nil)
	clients, servers := p.open(t, 1)
	c := clients[0]
	p.closeBoth(clients, servers)
	if !inTable(c) {
		t.Fatal("the connection is not in the TIME_WAIT table")
	}
	i, last := c.Info(), p.lastRecv("A", c.Tuple().Local)
	p.until(p.now.Add(10 * time.Second))
	fin := segFrom(c.Tuple().Remote, c.Tuple().Local, uint32(i.RcvNxt)-1, uint32(i.SndNxt),
		wire.FlagFIN|wire.FlagACK, last.Options.TSVal+1)
	p.a.Deliver(p.now, fin)
	want := fmt.Sprintf("seq %d ack %d flags %#x", i.SndNxt, i.RcvNxt, wire.FlagACK)
	if got := p.flushA(); len(got) != 1 || got[0] != want {
		t.Errorf("answer to the repeated FIN: %q, want %q", got, want)
	}
	if err := p.a.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
	end := p.now.Add(60 * time.Second)
	rows := p.a.Sockets()
	if len(rows) != 1 || rows[0].State != tcp.TimeWait || rows[0].TimerDue != end {
		t.Fatalf("socket table %+v, want TIME_WAIT until %v", rows, end)
	}
	p.until(end - 1)
	if st := c.State(); st != tcp.TimeWait {
		t.Fatalf("state %v 1 ns before the restarted 2×MSL", st)
	}
	p.until(end)
	if st := c.State(); st != tcp.Closed {
		t.Fatalf("state %v at the restarted 2×MSL", st)
	}
	if err := p.a.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
	if k := p.a.Census(); k.Conns != 0 || k.TimeWait != 0 {
		t.Errorf("census after TIME_WAIT: %+v", k)
	}
}

// An RST for a connection in a TIME_WAIT table is ignored by default
// (RFC 1337 §3) and ends it when that protection is off, recorded with
// the segment as its cause.
func TestTimeWaitTableReset(t *testing.T) {
	for _, rfc1337 := range []bool{true, false} {
		p := newTestPair(t, func(c *Config) {
			d := tcp.DefaultConfig()
			d.RFC1337 = rfc1337
			c.TCP = &d
		})
		clients, servers := p.open(t, 1)
		c := clients[0]
		p.closeBoth(clients, servers)
		i, last := c.Info(), p.lastRecv("A", c.Tuple().Local)
		p.a.Deliver(p.now, segFrom(c.Tuple().Remote, c.Tuple().Local, uint32(i.RcvNxt), 0, wire.FlagRST, last.Options.TSVal+1))
		p.pump()
		want := tcp.TimeWait
		if !rfc1337 {
			want = tcp.Closed
		}
		if st := c.State(); st != want {
			t.Errorf("RFC1337 %v: state %v after an RST, want %v", rfc1337, st, want)
		}
		got := p.states("A", c.Tuple().Local)
		if last := got[len(got)-1]; !rfc1337 && last != "TIME_WAIT->CLOSED (rcv RST)" {
			t.Errorf("last change %q", last)
		}
		if err := p.a.CheckInvariants(); err != nil {
			t.Fatal(err)
		}
	}
}

// A user who holds a Conn whose 4-tuple an active open took over
// (tcp_tw_reuse) sees it CLOSED, and still CLOSED when the new connection
// of the same 4-tuple is in TIME_WAIT in its turn: the generation tells
// the two apart.
func TestTimeWaitTableReuse(t *testing.T) {
	p := newTestPair(t, func(c *Config) { c.TimeWaitReuse = TimeWaitReuseOn })
	clients, servers := p.open(t, 1)
	old := clients[0]
	p.closeBoth(clients, servers)
	p.until(p.now.Add(time.Second))
	c, err := p.a.Connect(p.now, old.Tuple().Local, testPortB)
	if err != nil {
		t.Fatal(err)
	}
	p.pump()
	s, _ := p.ln.Accept()
	if s == nil {
		t.Fatal("the new incarnation was not accepted")
	}
	if st := old.State(); st != tcp.Closed {
		t.Errorf("old connection: %v after its 4-tuple was reused", st)
	}
	if got := p.states("A", old.Tuple().Local); !contains(got, "TIME_WAIT->CLOSED (call open)") {
		t.Errorf("the reuse was not recorded: %v", got)
	}
	p.closeBoth([]*Conn{c}, []*Conn{s})
	if !inTable(c) || c.State() != tcp.TimeWait {
		t.Fatalf("new connection: in the table %v, state %v", inTable(c), c.State())
	}
	if st, err := old.State(), old.Close(p.now); st != tcp.Closed || err != syscall.ENOTCONN {
		t.Errorf("old connection: %v, close %v; want CLOSED, ENOTCONN", st, err)
	}
	if k := p.a.Counters(); k.TimeWaitReused != 1 || k.CurrTimeWait != 1 {
		t.Errorf("TimeWaitReused %d, CurrTimeWait %d", k.TimeWaitReused, k.CurrTimeWait)
	}
}

// A SYN that takes a 4-tuple over from the server's TIME_WAIT (its
// newer timestamp says it is new, RFC 6191) opens the new incarnation
// with an ISS past anything the old one sent (RFC 1122 §4.2.2.13): the
// old SND.NXT + 65535 + 2, as Linux's tw_isn, not the clock's ISN, which
// a connection that sent more than the clock advanced would be behind.
func TestTimeWaitPassiveReuseISS(t *testing.T) {
	p := newTestPair(t, nil)
	clients, servers := p.open(t, 1)
	old := servers[0]
	local := clients[0].Tuple().Local
	p.closeBoth(servers, clients) // the server closes first
	if !inTable(old) {
		t.Fatal("the server's end is not in its TIME_WAIT table")
	}
	oldNxt := old.Info().SndNxt
	p.until(p.now.Add(time.Second))
	c, err := p.a.Connect(p.now, local, testPortB)
	if err != nil {
		t.Fatal(err)
	}
	p.pump()
	s, _ := p.ln.Accept()
	if s == nil || c.State() != tcp.Established {
		t.Fatalf("the new incarnation was not established (client %v)", c.State())
	}
	if k := p.b.Counters(); k.TimeWaitRecycled != 1 {
		t.Fatalf("TimeWaitRecycled %d, want 1", k.TimeWaitRecycled)
	}
	var synAck tcp.Seq
	for _, e := range p.log.Events {
		if e.Host == "B" && e.Kind == trace.KindSend && e.Segment.Flags == wire.FlagSYN|wire.FlagACK {
			synAck = tcp.Seq(e.Segment.Seq)
		}
	}
	if want := oldNxt.Add(65535 + 2); synAck != want {
		t.Errorf("new incarnation's ISS %d, want the old SND.NXT %d + 65537 = %d", synAck, oldNxt, want)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// A host crash reports ECONNABORTED to the holders of the connections it
// ended in TIME_WAIT, and not to one whose TIME_WAIT had already ended.
func TestTimeWaitTableCrash(t *testing.T) {
	p := newTestPair(t, nil)
	clients, servers := p.open(t, 2)
	p.closeBoth(clients, servers)
	clients[0].Abort(p.now)
	p.pump()
	p.a.Crash(p.now)
	if s := clients[0].Status(); s.State != tcp.Closed || s.Err != 0 {
		t.Errorf("ended before the crash: %+v", s)
	}
	if s := clients[1].Status(); s.State != tcp.Closed || s.Err != syscall.ECONNABORTED {
		t.Errorf("ended by the crash: %+v", s)
	}
	if err := clients[0].Close(p.now); err != syscall.ENOTCONN {
		t.Errorf("close of the one ended before: %v", err)
	}
}

// A connection whose TIME_WAIT deadline is earlier than the table's
// latest (its user read the last data long after the FIN) stays in the
// map, and each connection ends at its own 2×MSL.
func TestTimeWaitTableOutOfOrder(t *testing.T) {
	p := newTestPair(t, nil)
	clients, servers := p.open(t, 2)
	late, early := clients[0], clients[1]
	late.Shutdown(p.now)
	p.pump()
	servers[0].Write([]byte("unread"))
	servers[0].Close(p.now)
	p.pump()
	first := p.now // late enters TIME_WAIT, holding unread data
	p.until(p.now.Add(5 * time.Second))
	p.closeBoth([]*Conn{early}, []*Conn{servers[1]})
	second := p.now
	p.until(p.now.Add(5 * time.Second))
	if n, _ := late.Read(make([]byte, 10)); n != 6 {
		t.Fatalf("read %d bytes", n)
	}
	p.pump()
	if inTable(late) || !inTable(early) {
		t.Fatalf("in the table: late %v, early %v; want false, true", inTable(late), inTable(early))
	}
	if k := p.a.Census(); k.TimeWait != 2 || k.States[tcp.TimeWait] != 2 {
		t.Errorf("census %+v", k)
	}
	if err := p.a.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
	p.until(first.Add(60 * time.Second))
	if late.State() != tcp.Closed || early.State() != tcp.TimeWait {
		t.Errorf("at the first 2×MSL: %v, %v", late.State(), early.State())
	}
	p.until(second.Add(60 * time.Second))
	if early.State() != tcp.Closed {
		t.Errorf("at the second 2×MSL: %v", early.State())
	}
}

// An IPv6 connection in TIME_WAIT goes to the IPv6 table, reads as
// TIME_WAIT there and ends at 2×MSL.
func TestTimeWaitTableIPv6(t *testing.T) {
	a6, b6 := netip.MustParsePrefix("fd00::1/64"), netip.MustParsePrefix("fd00::2/64")
	p := newTestPair(t, nil)
	p.a.AddAddress(a6)
	p.b.AddAddress(b6)
	port := netip.AddrPortFrom(b6.Addr(), 443)
	ln, err := p.b.Listen(0, port, 16)
	if err != nil {
		t.Fatal(err)
	}
	c, err := p.a.Connect(p.now, netip.AddrPortFrom(a6.Addr(), 0), port)
	if err != nil {
		t.Fatal(err)
	}
	p.pump()
	s, _ := ln.Accept()
	if s == nil {
		t.Fatal("not accepted")
	}
	p.closeBoth([]*Conn{c}, []*Conn{s})
	p.a.tw.mu.Lock()
	n6 := p.a.tw.v6.len()
	p.a.tw.mu.Unlock()
	if !inTable(c) || n6 != 1 || c.State() != tcp.TimeWait {
		t.Fatalf("in the IPv6 table %v (%d entries), state %v", inTable(c), n6, c.State())
	}
	if rows := p.a.Sockets(); len(rows) != 1 || rows[0].Local != c.Tuple().Local || rows[0].Remote != port {
		t.Errorf("socket table %+v", rows)
	}
	if err := p.a.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
	p.until(p.now.Add(60 * time.Second))
	if st := c.State(); st != tcp.Closed {
		t.Errorf("state %v after 2×MSL", st)
	}
}

// With one ephemeral port, held in a TIME_WAIT table, an active open
// finds no port until tcp_tw_reuse's second has passed, and then takes
// that one over.
func TestTimeWaitTableEphemeralReuse(t *testing.T) {
	p := newTestPair(t, func(c *Config) {
		c.TimeWaitReuse = TimeWaitReuseOn
		c.EphemeralPortLow, c.EphemeralPortHigh = 40000, 40000
	})
	clients, servers := p.open(t, 1)
	old := clients[0]
	p.closeBoth(clients, servers)
	if !inTable(old) {
		t.Fatal("not in the TIME_WAIT table")
	}
	p.until(p.now.Add(time.Second - 1))
	if _, err := p.a.Connect(p.now, netip.AddrPort{}, testPortB); err != syscall.EADDRNOTAVAIL {
		t.Fatalf("connect before the reuse delay: %v", err)
	}
	p.until(p.now.Add(1))
	c, err := p.a.Connect(p.now, netip.AddrPort{}, testPortB)
	if err != nil || c.Tuple() != old.Tuple() {
		t.Fatalf("connect after the reuse delay: %v, tuple %v", err, c)
	}
	if st := old.State(); st != tcp.Closed {
		t.Errorf("the old connection: %v", st)
	}
	p.pump()
	if st := c.State(); st != tcp.Established {
		t.Errorf("the new connection: %v", st)
	}
	if err := p.a.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
}
