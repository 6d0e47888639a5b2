package stack

import (
	"net/netip"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/wire"
)

var (
	fwdClient4 = netip.MustParseAddrPort("10.0.0.1:5000")
	fwdClient6 = netip.MustParseAddrPort("[2001:db8::1]:5000")
	fwdDNS4    = netip.MustParseAddrPort("192.0.2.53:53")
	fwdDNS6    = netip.MustParseAddrPort("[2001:db8:53::53]:53")
)

// udpForwardHost is a host B (10.0.0.2/24, 2001:db8::2/64) forwarding
// UDP with options o.
func udpForwardHost(t *testing.T, o UDPForwardOptions) (*Host, *UDPForwardListener) {
	t.Helper()
	h := NewHost(Config{Name: "B", Addrs: []netip.Prefix{testAddrB, netip.MustParsePrefix("2001:db8::2/64")}})
	fl, err := h.ListenForwardUDP(o)
	if err != nil {
		t.Fatal(err)
	}
	return h, fl
}

// flushUDP flushes h and returns the datagrams it sent as
// "src>dst payload", checking each one's checksum.
func flushUDP(t *testing.T, h *Host, now clock.Instant) (out []string) {
	t.Helper()
	h.Flush(now, func(pkt []byte) {
		var src, dst netip.Addr
		var b []byte
		if pkt[0]>>4 == 6 {
			ip := wire.IPv6(pkt)
			var proto uint8
			proto, b = ip.UpperLayer()
			src, dst = ip.Src(), ip.Dst()
			if proto != wire.ProtoUDP {
				out = append(out, "not UDP")
				return
			}
		} else {
			ip := wire.IPv4(pkt)
			src, dst, b = ip.Src(), ip.Dst(), ip.Payload()
			if ip.Protocol() != wire.ProtoUDP {
				out = append(out, "not UDP")
				return
			}
		}
		u := wire.UDP(b)
		if u.Validate() != nil || u.VerifyChecksum(src, dst) != nil {
			t.Fatalf("bad datagram %x", pkt)
		}
		out = append(out, netip.AddrPortFrom(src, u.SrcPort()).String()+">"+netip.AddrPortFrom(dst, u.DstPort()).String()+" "+string(u.Payload()))
	})
	return out
}

// recvFlow returns the next datagram of f.
func recvFlow(t *testing.T, f *UDPFlow) string {
	t.Helper()
	buf := make([]byte, 64)
	n, err := f.Recv(buf)
	if err != nil {
		t.Fatalf("Recv: %v", err)
	}
	return string(buf[:n])
}

// Datagrams to any address and port, IPv4 and IPv6, become flows by
// their 4-tuple; the reply leaves from the destination the client asked
// for. A bound socket takes its port before the forwarder, and a port of
// the host's own address with no socket is forwarded, not answered with
// port unreachable.
func TestUDPForwardFlows(t *testing.T) {
	h, fl := udpForwardHost(t, UDPForwardOptions{})
	woken := 0
	fl.SetWaker(func() { woken++ })
	own := netip.AddrPortFrom(testAddrB.Addr(), 54)
	sock := mustBind(t, h, netip.AddrPortFrom(testAddrB.Addr(), 53), false)
	h.Deliver(0, udpPacket(fwdClient4, fwdDNS4, []byte("q1")))
	h.Deliver(0, udpPacket(fwdClient4, fwdDNS4, []byte("q2")))
	h.Deliver(0, udpPacket(fwdClient6, fwdDNS6, []byte("q6")))
	h.Deliver(0, udpPacket(fwdClient4, own, []byte("own")))
	h.Deliver(0, udpPacket(fwdClient4, sock.LocalAddr(), []byte("bound")))
	if woken != 3 || fl.Flows() != 3 {
		t.Fatalf("woken %d times, %d flows", woken, fl.Flows())
	}
	if got, _ := recv(t, sock); string(got) != "bound" {
		t.Fatalf("the bound socket read %q", got)
	}
	want := []struct {
		tuple Tuple
		data  []string
	}{
		{Tuple{Local: fwdDNS4, Remote: fwdClient4}, []string{"q1", "q2"}},
		{Tuple{Local: fwdDNS6, Remote: fwdClient6}, []string{"q6"}},
		{Tuple{Local: own, Remote: fwdClient4}, []string{"own"}},
	}
	var flows []*UDPFlow
	for _, w := range want {
		f, err := fl.Accept()
		if err != nil || f == nil || f.Tuple() != w.tuple {
			t.Fatalf("Accept: %v, %v, want %v", f, err, w.tuple)
		}
		for _, d := range w.data {
			if got := recvFlow(t, f); got != d {
				t.Fatalf("%v read %q, want %q", w.tuple, got, d)
			}
		}
		if _, err := f.Recv(make([]byte, 8)); err != syscall.EAGAIN {
			t.Fatalf("an empty flow: %v", err)
		}
		flows = append(flows, f)
	}
	if f, err := fl.Accept(); f != nil || err != nil {
		t.Fatalf("a fourth flow: %v, %v", f, err)
	}
	for i, f := range flows {
		if err := f.Send(0, []byte("a"+string(rune('0'+i)))); err != nil {
			t.Fatal(err)
		}
	}
	got := flushUDP(t, h, 0)
	exp := []string{fwdDNS4.String() + ">" + fwdClient4.String() + " a0", fwdDNS6.String() + ">" + fwdClient6.String() + " a1",
		own.String() + ">" + fwdClient4.String() + " a2"}
	if len(got) != len(exp) {
		t.Fatalf("sent %q, want %q", got, exp)
	}
	for i := range exp {
		if got[i] != exp[i] {
			t.Fatalf("sent %q, want %q", got, exp)
		}
	}
	k := h.Counters()
	if k.UDPForwardFlows != 3 || k.UDPInDatagrams != 5 || k.UDPOutDatagrams != 3 || k.UDPNoPorts != 0 || k.ICMPOutDestUnreachs != 0 {
		t.Fatalf("counters %+v", k)
	}
}

// A flow lives Timeout (30 s) after its last datagram until the
// application replies; a replied flow older than StreamAfter (2 s) gets
// StreamTimeout (120 s) from each datagram either way, as Linux's
// conntrack. Both edges exactly: alive at the deadline−1, expired at it,
// and its user finds ETIMEDOUT; the client's next datagram is a new flow.
func TestUDPForwardExpiry(t *testing.T) {
	h, fl := udpForwardHost(t, UDPForwardOptions{})
	at := func(d time.Duration) clock.Instant { return clock.Instant(d) }
	h.Deliver(at(0), udpPacket(fwdClient4, fwdDNS4, []byte("q")))
	f, _ := fl.Accept()
	h.Deliver(at(10*time.Second), udpPacket(fwdClient4, fwdDNS4, []byte("q")))
	if next := h.NextDeadline(); next != at(40*time.Second) {
		t.Fatalf("next deadline %v, want 40 s", time.Duration(next))
	}
	h.Tick(at(40*time.Second - 1))
	if fl.Flows() != 1 {
		t.Fatal("expired early")
	}
	woken := 0
	f.SetWaker(func() { woken++ })
	h.Tick(at(40 * time.Second))
	if fl.Flows() != 0 || woken != 1 || h.NextDeadline() != clock.Never {
		t.Fatalf("%d flows, woken %d, next %v", fl.Flows(), woken, h.NextDeadline())
	}
	if _, err := f.Recv(make([]byte, 8)); err != syscall.ETIMEDOUT {
		t.Fatalf("Recv after expiry: %v", err)
	}
	if err := f.Send(at(40*time.Second), []byte("late")); err != syscall.ETIMEDOUT {
		t.Fatalf("Send after expiry: %v", err)
	}

	// A DNS-like exchange within 2 s keeps the short timeout; traffic
	// after that moves the flow to the stream timeout.
	h.Deliver(at(50*time.Second), udpPacket(fwdClient4, fwdDNS4, []byte("q")))
	g, _ := fl.Accept()
	if g == nil || g == f {
		t.Fatal("no new flow")
	}
	g.Send(at(51*time.Second), []byte("a"))
	if next := h.NextDeadline(); next != at(81*time.Second) {
		t.Fatalf("after a reply within 2 s: next deadline %v, want 81 s", time.Duration(next))
	}
	h.Deliver(at(53*time.Second), udpPacket(fwdClient4, fwdDNS4, []byte("q")))
	if next := h.NextDeadline(); next != at(173*time.Second) {
		t.Fatalf("a stream: next deadline %v, want 173 s", time.Duration(next))
	}
	h.Tick(at(173*time.Second - 1))
	if fl.Flows() != 1 {
		t.Fatal("the stream expired early")
	}
	if err := h.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
	h.Tick(at(173 * time.Second))
	if k := h.Counters(); fl.Flows() != 0 || k.UDPForwardFlows != 2 || k.UDPForwardExpired != 2 {
		t.Fatalf("%d flows, counters %+v", fl.Flows(), k)
	}
}

// MaxFlows and Backlog bound the flows, QueueLen each flow's queue; what
// is beyond them is dropped and counted.
func TestUDPForwardBounds(t *testing.T) {
	h, fl := udpForwardHost(t, UDPForwardOptions{MaxFlows: 3, Backlog: 2, QueueLen: 3})
	client := func(i int) netip.AddrPort { return netip.AddrPortFrom(testAddrA.Addr(), uint16(6000+i)) }
	for i := range 3 {
		h.Deliver(0, udpPacket(client(i), fwdDNS4, []byte("x")))
	}
	if k := h.Counters(); fl.Flows() != 2 || k.UDPForwardDrops != 1 || k.Drops[DropForwardFull] != 1 {
		t.Fatalf("backlog of 2: %d flows, counters %+v", fl.Flows(), k)
	}
	first, _ := fl.Accept()
	h.Deliver(0, udpPacket(client(2), fwdDNS4, []byte("x")))
	h.Deliver(0, udpPacket(client(3), fwdDNS4, []byte("x")))
	if k := h.Counters(); fl.Flows() != 3 || k.UDPForwardDrops != 2 {
		t.Fatalf("at most 3: %d flows, counters %+v", fl.Flows(), k)
	}
	for range 4 {
		h.Deliver(0, udpPacket(client(0), fwdDNS4, []byte("y")))
	}
	if n, _ := first.Queued(); n != 3 || first.Drops() != 2 || h.Counters().UDPRcvbufErrors != 2 {
		t.Fatalf("queue of 3: %d queued, %d drops, counters %+v", n, first.Drops(), h.Counters())
	}
	first.Close()
	if _, err := first.Recv(make([]byte, 8)); err != syscall.EBADF {
		t.Fatalf("Recv after Close: %v", err)
	}
	h.Deliver(0, udpPacket(client(3), fwdDNS4, []byte("x"))) // the backlog is still full
	fl.Accept()
	h.Deliver(0, udpPacket(client(3), fwdDNS4, []byte("x")))
	if fl.Flows() != 3 || h.Counters().UDPForwardFlows != 4 || h.Counters().UDPForwardDrops != 3 {
		t.Fatalf("after a Close: %d flows, counters %+v", fl.Flows(), h.Counters())
	}
	if err := h.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
}

// A port unreachable about a reply is left for the flow's next call, as
// for a connected socket, and comes before its queued datagrams.
func TestUDPForwardICMPError(t *testing.T) {
	h, fl := udpForwardHost(t, UDPForwardOptions{})
	h.Deliver(0, udpPacket(fwdClient4, fwdDNS4, []byte("q")))
	f, _ := fl.Accept()
	f.Send(0, []byte("a"))
	var reply []byte
	h.Flush(0, func(pkt []byte) { reply = append([]byte(nil), pkt...) })
	h.Deliver(0, icmpTo(fwdDNS4.Addr(), reply, 3, 3, 0))
	if _, err := f.Recv(make([]byte, 8)); err != syscall.ECONNREFUSED {
		t.Fatalf("first Recv: %v", err)
	}
	if got := recvFlow(t, f); got != "q" {
		t.Fatalf("then %q", got)
	}
	if k := h.Counters(); k.Drops[DropNotForUs] != 0 || k.Drops[DropBadICMP] != 0 {
		t.Fatalf("counters %+v", k)
	}
}

// Close ends every flow; afterwards a datagram to a foreign address is
// not for us, one to the host's closed port draws port unreachable
// again, and a second listener may start. A crash forgets the flows.
func TestUDPForwardClose(t *testing.T) {
	h, fl := udpForwardHost(t, UDPForwardOptions{})
	if _, err := h.ListenForwardUDP(UDPForwardOptions{}); err != syscall.EADDRINUSE {
		t.Fatalf("a second listener: %v", err)
	}
	h.Deliver(0, udpPacket(fwdClient4, fwdDNS4, []byte("q")))
	h.Deliver(0, udpPacket(fwdClient6, fwdDNS6, []byte("q")))
	f, _ := fl.Accept()
	fl.Close()
	if _, err := f.Recv(make([]byte, 8)); err != syscall.EBADF {
		t.Fatalf("Recv after the listener's Close: %v", err)
	}
	if g, err := fl.Accept(); g != nil || err != syscall.EINVAL {
		t.Fatalf("Accept after Close: %v, %v", g, err)
	}
	h.Deliver(0, udpPacket(fwdClient4, fwdDNS4, []byte("q")))
	h.Deliver(0, udpPacket(fwdClient4, netip.AddrPortFrom(testAddrB.Addr(), 54), []byte("q")))
	if k := h.Counters(); k.Drops[DropNotForUs] != 1 || k.UDPNoPorts != 1 || k.ICMPOutDestUnreachs != 1 {
		t.Fatalf("counters %+v", k)
	}
	fl2, err := h.ListenForwardUDP(UDPForwardOptions{})
	if err != nil {
		t.Fatal(err)
	}
	h.Deliver(0, udpPacket(fwdClient4, fwdDNS4, []byte("q")))
	g, _ := fl2.Accept()
	h.Crash(0)
	if _, err := g.Recv(make([]byte, 8)); err != syscall.EBADF || h.NextDeadline() != clock.Never {
		t.Fatalf("Recv after a crash: %v", err)
	}
	h.Deliver(0, udpPacket(fwdClient4, fwdDNS4, []byte("q")))
	if k := h.Counters(); k.Drops[DropNotForUs] != 2 {
		t.Fatalf("after the crash: counters %+v", k)
	}
}

// BenchmarkUDPFlowHeap measures the heap a UDP flow costs while it
// waits to be accepted, holding its first datagram (a 64-byte DNS-sized
// query): 100,000 clients, each to its own destination.
//
//	go test ./stack -run '^$' -bench UDPFlowHeap -benchtime=1x
func BenchmarkUDPFlowHeap(b *testing.B) {
	const n = 100000
	for b.Loop() {
		h := NewHost(Config{Name: "B", Addrs: []netip.Prefix{testAddrB}})
		fl, err := h.ListenForwardUDP(UDPForwardOptions{MaxFlows: n, Backlog: n})
		if err != nil {
			b.Fatal(err)
		}
		pkts := make([][]byte, n)
		for i := range pkts {
			dst := netip.AddrPortFrom(netip.AddrFrom4([4]byte{198, 18, byte(i >> 8), byte(i)}), 53)
			pkts[i] = udpPacket(netip.AddrPortFrom(testAddrA.Addr(), uint16(1024+i%50000)), dst, make([]byte, 64))
		}
		h.Deliver(0, pkts[0])
		before := liveHeap()
		for _, p := range pkts[1:] {
			h.Deliver(0, p)
		}
		after := liveHeap()
		if fl.Flows() != n {
			b.Fatalf("%d flows, want %d", fl.Flows(), n)
		}
		b.ReportMetric(float64(after-before)/(n-1), "heap-B/flow")
		runtime.KeepAlive(h)
		runtime.KeepAlive(pkts)
	}
}
