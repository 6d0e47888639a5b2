package stack

import (
	"net/netip"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/wire"
)

// farAway is a destination no host of the tests owns.
var farAway = netip.MustParseAddrPort("93.184.216.34:443")

// forwardPair is a testPair whose B forwards.
func forwardPair(t *testing.T, o ForwardOptions) (*testPair, *ForwardListener) {
	t.Helper()
	p := newTestPair(t, nil)
	fl, err := p.b.ListenForward(p.now, o)
	if err != nil {
		t.Fatal(err)
	}
	return p, fl
}

// sentBy flushes h and returns the TCP segments it sent, as
// "src>dst FLAGS".
func sentBy(h *Host, now clock.Instant) (out []string, pkts [][]byte) {
	h.Flush(now, func(pkt []byte) {
		ip := wire.IPv4(pkt)
		tb := wire.TCP(ip.Payload())
		out = append(out, netip.AddrPortFrom(ip.Src(), tb.SrcPort()).String()+">"+
			netip.AddrPortFrom(ip.Dst(), tb.DstPort()).String()+" "+tb.Flags().String())
		pkts = append(pkts, append([]byte(nil), pkt...))
	})
	return out, pkts
}

// connectFar has A connect to farAway and B take the SYN, which must
// become a pending request and draw no answer.
func connectFar(t *testing.T, p *testPair, fl *ForwardListener) (*Conn, *ForwardRequest) {
	t.Helper()
	c, err := p.a.Connect(p.now, netip.AddrPort{}, farAway)
	if err != nil {
		t.Fatal(err)
	}
	p.pump()
	if c.State() != tcp.SynSent {
		t.Fatalf("client in %v before the answer", c.State())
	}
	r, err := fl.Next()
	if err != nil || r == nil {
		t.Fatalf("Next: %v, %v", r, err)
	}
	if r.Tuple() != (Tuple{Local: farAway, Remote: c.Tuple().Local}) {
		t.Fatalf("request %v, connection %v", r.Tuple(), c.Tuple())
	}
	if o := r.Options(); !o.HasMSS || o.MSS != 1460 || !o.HasWScale || !o.SACKPermitted || !o.HasTS {
		t.Fatalf("SYN options %+v", o)
	}
	if fl.Pending() != 1 {
		t.Fatalf("%d pending", fl.Pending())
	}
	return c, r
}

// Complete answers from the destination the client asked for, and the
// established connection comes from Accept with that tuple.
func TestForwardComplete(t *testing.T) {
	p, fl := forwardPair(t, ForwardOptions{})
	c, r := connectFar(t, p, fl)
	if err := r.Complete(); err != nil {
		t.Fatal(err)
	}
	if !p.b.HasPendingOutput() {
		t.Fatal("an answer waits, but HasPendingOutput is false")
	}
	sent, pkts := sentBy(p.b, p.now)
	if len(sent) != 1 || sent[0] != farAway.String()+">"+c.Tuple().Local.String()+" SYN,ACK" {
		t.Fatalf("sent %q", sent)
	}
	p.a.Deliver(p.now, pkts[0])
	p.pump()
	if c.State() != tcp.Established {
		t.Fatalf("client in %v", c.State())
	}
	s, err := fl.Accept()
	if err != nil || s == nil || s.Tuple() != r.Tuple() {
		t.Fatalf("Accept: %v, %v", s, err)
	}
	if err := r.Refuse(); err != syscall.EALREADY {
		t.Fatalf("a second answer: %v", err)
	}
	if k := p.b.Counters(); k.ForwardRequests != 1 || k.PassiveOpens != 1 || k.ForwardDrops != 0 {
		t.Fatalf("counters %+v", k)
	}
	if _, err := c.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	p.pump()
	buf := make([]byte, 16)
	if n, _ := s.Read(buf); string(buf[:n]) != "hello" {
		t.Fatalf("read %q", buf[:n])
	}
	if err := p.b.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
}

// Refuse answers with <SEQ=0><ACK=SYN+1><CTL=RST,ACK>, which fails the
// client's connect with ECONNREFUSED.
func TestForwardRefuse(t *testing.T) {
	p, fl := forwardPair(t, ForwardOptions{})
	c, r := connectFar(t, p, fl)
	if err := r.Refuse(); err != nil {
		t.Fatal(err)
	}
	sent, pkts := sentBy(p.b, p.now)
	if len(sent) != 1 || sent[0] != farAway.String()+">"+c.Tuple().Local.String()+" RST,ACK" {
		t.Fatalf("sent %q", sent)
	}
	p.a.Deliver(p.now, pkts[0])
	p.pump()
	if st := c.Status(); st.State != tcp.Closed || st.Err != syscall.ECONNREFUSED {
		t.Fatalf("client %+v", st)
	}
	if fl.Pending() != 0 || p.b.Census().SynQueue != 0 {
		t.Fatalf("%d pending, census %+v", fl.Pending(), p.b.Census())
	}
}

// Drop sends nothing; the client's retransmitted SYN, a second later, is
// a new request.
func TestForwardDrop(t *testing.T) {
	p, fl := forwardPair(t, ForwardOptions{})
	c, r := connectFar(t, p, fl)
	if err := r.Drop(); err != nil {
		t.Fatal(err)
	}
	if sent, _ := sentBy(p.b, p.now); len(sent) != 0 {
		t.Fatalf("sent %q", sent)
	}
	p.until(p.now.Add(time.Second - 1))
	if r, _ := fl.Next(); r != nil {
		t.Fatal("a request before the retransmission")
	}
	p.until(p.now.Add(1))
	r2, _ := fl.Next()
	if r2 == nil || r2 == r || r2.Tuple() != r.Tuple() || c.State() != tcp.SynSent {
		t.Fatalf("after the retransmission: %v, client %v", r2, c.State())
	}
	if k := p.b.Counters(); k.ForwardRequests != 2 {
		t.Fatalf("%d requests", k.ForwardRequests)
	}
}

// Retransmitted SYNs while a request waits make no duplicate; an
// unanswered request is forgotten after Timeout exactly, and the next
// retransmission asks again.
func TestForwardPendingExpires(t *testing.T) {
	p, fl := forwardPair(t, ForwardOptions{Timeout: 10 * time.Second})
	_, r := connectFar(t, p, fl)
	p.until(p.now.Add(10*time.Second - 1)) // SYNs again at 1, 3 and 7 s
	k := p.b.Counters()
	if k.ForwardRequests != 1 || k.Drops[DropForwardPending] != 3 || fl.Pending() != 1 {
		t.Fatalf("%d requests, %d repeated SYNs, %d pending", k.ForwardRequests, k.Drops[DropForwardPending], fl.Pending())
	}
	if next := p.b.NextDeadline(); next != clock.Instant(10*time.Second) {
		t.Fatalf("next deadline %v", next)
	}
	p.until(p.now.Add(1))
	if k := p.b.Counters(); k.ForwardExpired != 1 || fl.Pending() != 0 {
		t.Fatalf("%d expired, %d pending", k.ForwardExpired, fl.Pending())
	}
	if err := r.Complete(); err != syscall.ETIMEDOUT {
		t.Fatalf("a late answer: %v", err)
	}
	p.until(p.now.Add(5 * time.Second)) // the SYN at 15 s
	if k := p.b.Counters(); k.ForwardRequests != 2 || fl.Pending() != 1 {
		t.Fatalf("%d requests, %d pending", k.ForwardRequests, fl.Pending())
	}
}

// A listener of the host takes its SYNs before the forwarder; a port of
// the host's own address with no listener is forwarded.
func TestForwardListenerWins(t *testing.T) {
	p, fl := forwardPair(t, ForwardOptions{})
	c, err := p.a.Connect(p.now, netip.AddrPort{}, testPortB)
	if err != nil {
		t.Fatal(err)
	}
	p.pump()
	if s, _ := p.ln.Accept(); s == nil || c.State() != tcp.Established {
		t.Fatalf("listener did not accept; client %v", c.State())
	}
	if r, _ := fl.Next(); r != nil {
		t.Fatalf("forwarded %v", r.Tuple())
	}
	other := netip.AddrPortFrom(testAddrB.Addr(), 81)
	if _, err := p.a.Connect(p.now, netip.AddrPort{}, other); err != nil {
		t.Fatal(err)
	}
	p.pump()
	if r, _ := fl.Next(); r == nil || r.Tuple().Local != other {
		t.Fatalf("port 81 not forwarded: %v", r)
	}
	if _, err := p.b.ListenForward(p.now, ForwardOptions{}); err != syscall.EADDRINUSE {
		t.Fatalf("a second forwarder: %v", err)
	}
}

// SYNs beyond MaxPending unanswered requests are dropped and counted.
func TestForwardPendingBound(t *testing.T) {
	h := NewHost(Config{Name: "B", Addrs: []netip.Prefix{testAddrB}})
	fl, err := h.ListenForward(0, ForwardOptions{MaxPending: 3})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		h.Deliver(0, synFrom(netip.AddrPortFrom(testAddrA.Addr(), uint16(1000+i)), farAway, uint32(i)))
	}
	k := h.Counters()
	if k.ForwardRequests != 3 || k.ForwardDrops != 2 || k.Drops[DropForwardFull] != 2 || fl.Pending() != 3 {
		t.Fatalf("%d requests, %d dropped, %d pending", k.ForwardRequests, k.ForwardDrops, fl.Pending())
	}
	if sent, _ := sentBy(h, 0); len(sent) != 0 {
		t.Fatalf("sent %q", sent)
	}
}

// A flood of forwarded SYNs, all completed: the SYN queue holds the
// backlog, the rest are answered with cookies, whose ACKs make
// connections as for a listener.
func TestForwardCookies(t *testing.T) {
	const n, backlog = 200, 8
	h := NewHost(Config{Name: "B", Addrs: []netip.Prefix{testAddrB}, MaxSynBacklog: backlog})
	fl, err := h.ListenForward(0, ForwardOptions{Backlog: n})
	if err != nil {
		t.Fatal(err)
	}
	client := func(i int) netip.AddrPort {
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte{172, 16, byte(i >> 8), byte(i)}), uint16(1024+i))
	}
	for i := range n {
		dst := netip.AddrPortFrom(netip.AddrFrom4([4]byte{198, 18, 0, byte(i % 50)}), 443)
		h.Deliver(0, synFrom(client(i), dst, uint32(i)*7919))
	}
	for {
		r, _ := fl.Next()
		if r == nil {
			break
		}
		if err := r.Complete(); err != nil {
			t.Fatal(err)
		}
	}
	var synacks [][]byte
	h.Flush(0, func(pkt []byte) { synacks = append(synacks, append([]byte(nil), pkt...)) })
	k := h.Counters()
	if len(synacks) != n || k.SyncookiesSent != n-backlog || fl.HalfOpen() != backlog {
		t.Fatalf("%d SYN-ACKs, %d cookies, %d half-open", len(synacks), k.SyncookiesSent, fl.HalfOpen())
	}
	if err := h.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
	// Every client completes its handshake.
	for _, sa := range synacks {
		ip := wire.IPv4(sa)
		tb := wire.TCP(ip.Payload())
		var o wire.TCPOptions
		if err := tb.ParseOptions(&o); err != nil {
			t.Fatal(err)
		}
		h.Deliver(0, ackFrom(netip.AddrPortFrom(ip.Dst(), tb.DstPort()), netip.AddrPortFrom(ip.Src(), tb.SrcPort()),
			tb.Ack(), tb.Seq()+1, o.TSVal))
	}
	h.Flush(0, func([]byte) {})
	accepted := 0
	for {
		c, _ := fl.Accept()
		if c == nil {
			break
		}
		accepted++
	}
	if k := h.Counters(); accepted != n || k.SyncookiesRecv != n-backlog {
		t.Fatalf("%d accepted, %d cookies back", accepted, k.SyncookiesRecv)
	}
	if err := h.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
}

// While forwarding, Connect may use a source address the host does not
// own, and the peer's answers to it are taken; without, EADDRNOTAVAIL.
func TestForwardDialFromAnySource(t *testing.T) {
	p := newTestPair(t, nil)
	src := netip.MustParseAddrPort("198.51.100.7:5000")
	if _, err := p.b.Connect(p.now, src, netip.AddrPortFrom(testAddrA.Addr(), 22)); err != syscall.EADDRNOTAVAIL {
		t.Fatalf("without forwarding: %v", err)
	}
	fl, err := p.b.ListenForward(p.now, ForwardOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := p.a.Listen(p.now, netip.AddrPortFrom(testAddrA.Addr(), 22), 0)
	if err != nil {
		t.Fatal(err)
	}
	c, err := p.b.Connect(p.now, src, netip.AddrPortFrom(testAddrA.Addr(), 22))
	if err != nil {
		t.Fatal(err)
	}
	p.pump()
	s, _ := ln.Accept()
	if c.State() != tcp.Established || s == nil || s.Tuple().Remote != src {
		t.Fatalf("client %v, accepted %v", c.State(), s)
	}
	if r, _ := fl.Next(); r != nil {
		t.Fatalf("the SYN-ACK became a request: %v", r.Tuple())
	}
	fl.Close(p.now)
	if _, err := p.b.Connect(p.now, src, netip.AddrPortFrom(testAddrA.Addr(), 23)); err != syscall.EADDRNOTAVAIL {
		t.Fatalf("after Close: %v", err)
	}
	if _, err := fl.Next(); err != syscall.EINVAL {
		t.Fatalf("Next after Close: %v", err)
	}
}

// ackFrom builds the handshake's final ACK from src to dst, echoing the
// SYN-ACK's timestamp tsecr.
func ackFrom(src, dst netip.AddrPort, seq, ack, tsecr uint32) []byte {
	o := wire.TCPOptions{HasTS: true, TSVal: seq, TSEcr: tsecr}
	n := 20 + o.Len()
	pkt := make([]byte, 20+n)
	wire.PutIPv4Header(pkt, src.Addr(), dst.Addr(), wire.ProtoTCP, 64, 1, n)
	tb := wire.TCP(pkt[20:])
	wire.PutTCPHeader(tb, wire.TCPHeader{SrcPort: src.Port(), DstPort: dst.Port(), Seq: seq, Ack: ack, Flags: wire.FlagACK, Window: 1024}, &o)
	tb.SetChecksum(wire.TransportChecksum(src.Addr(), dst.Addr(), wire.ProtoTCP, tb))
	return pkt
}

// A SYN to a multicast or broadcast address is not forwarded.
func TestForwardIgnoresNonUnicast(t *testing.T) {
	h := NewHost(Config{Name: "B", Addrs: []netip.Prefix{testAddrB}})
	if _, err := h.ListenForward(0, ForwardOptions{}); err != nil {
		t.Fatal(err)
	}
	src := netip.AddrPortFrom(testAddrA.Addr(), 1000)
	for _, dst := range []string{"224.0.0.1:80", "255.255.255.255:80"} {
		h.Deliver(0, synFrom(src, netip.MustParseAddrPort(dst), 1))
	}
	if k := h.Counters(); k.ForwardRequests != 0 || k.Drops[DropNoSocket] != 2 {
		t.Fatalf("%d requests, %d no-socket drops", k.ForwardRequests, k.Drops[DropNoSocket])
	}
}

// The forwarded destinations' slots are reclaimed once no request uses
// them, and a request's key names its destination.
func TestForwardAddrsSweep(t *testing.T) {
	h := NewHost(Config{Name: "B", Addrs: []netip.Prefix{testAddrB}})
	a, b := netip.MustParseAddr("198.18.0.1"), netip.MustParseAddr("198.18.0.2")
	f := &h.fwd.addrs
	f.intern(h, a)
	f.intern(h, b)
	f.intern(h, testAddrB.Addr()) // the host's own: indexed among its addresses
	if len(f.addrs) != 2 || len(f.index) != 2 {
		t.Fatalf("interned %v", f.addrs)
	}
	tb := Tuple{Local: netip.AddrPortFrom(b, 443), Remote: netip.AddrPortFrom(testAddrA.Addr(), 1000)}
	k, ok := h.keyOf(tb)
	if !ok || k.locIndex() != fwdAddrBase+1 || h.tupleOf(k) != tb {
		t.Fatalf("key %+v, %v", k, ok)
	}
	h.syn.put(k, tcp.Request{}, 0)
	f.sweep(h)
	if _, ok := f.lookup(a); ok || len(f.free) != 1 {
		t.Fatalf("a not reclaimed: free %v", f.free)
	}
	if _, ok := f.lookup(b); !ok || h.tupleOf(k) != tb {
		t.Fatal("b, in use, reclaimed")
	}
	f.intern(h, netip.MustParseAddr("198.18.0.3"))
	if i, _ := f.lookup(netip.MustParseAddr("198.18.0.3")); i != fwdAddrBase || len(f.addrs) != 2 {
		t.Fatalf("the freed slot not reused: %d", i)
	}
}

// BenchmarkForwardPendingHeap measures the heap an unanswered forwarding
// request costs: 100,000 SYNs to as many destinations, the host's heap
// before and after.
//
//	go test ./stack -run '^$' -bench ForwardPendingHeap -benchtime=1x
func BenchmarkForwardPendingHeap(b *testing.B) {
	const n = 100000
	for b.Loop() {
		h := NewHost(Config{Name: "B", Addrs: []netip.Prefix{testAddrB}})
		fl, err := h.ListenForward(0, ForwardOptions{MaxPending: n})
		if err != nil {
			b.Fatal(err)
		}
		syns := make([][]byte, n)
		for i := range syns {
			dst := netip.AddrPortFrom(netip.AddrFrom4([4]byte{198, 18, byte(i >> 8), byte(i)}), 443)
			syns[i] = synFrom(netip.AddrPortFrom(testAddrA.Addr(), uint16(1024+i%50000)), dst, uint32(i))
		}
		h.Deliver(0, syns[0])
		before := liveHeap()
		for _, s := range syns[1:] {
			h.Deliver(0, s)
		}
		after := liveHeap()
		if fl.Pending() != n {
			b.Fatalf("%d pending, want %d", fl.Pending(), n)
		}
		b.ReportMetric(float64(after-before)/(n-1), "heap-B/pending")
		runtime.KeepAlive(h)
		runtime.KeepAlive(syns)
	}
}

// A completed request whose SYN-ACKs go unacknowledged ends after the
// SYN-ACK retries, and Failed reports it with ETIMEDOUT.
func TestForwardCompleteFails(t *testing.T) {
	h := NewHost(Config{Name: "B", Addrs: []netip.Prefix{testAddrB}})
	fl, err := h.ListenForward(0, ForwardOptions{})
	if err != nil {
		t.Fatal(err)
	}
	src := netip.AddrPortFrom(testAddrA.Addr(), 1000)
	h.Deliver(0, synFrom(src, farAway, 1))
	r, _ := fl.Next()
	if err := r.Complete(); err != nil {
		t.Fatal(err)
	}
	synacks := 0
	now := clock.Instant(0)
	for {
		h.Tick(now)
		h.Flush(now, func([]byte) { synacks++ })
		next := h.NextDeadline()
		if next == clock.Never {
			break
		}
		now = next
	}
	f, ok := fl.Failed()
	// The SYN-ACK and its 5 retransmissions (1, 3, 7, 15 and 31 s), then
	// 32 s more, as Linux's tcp_synack_retries.
	if !ok || f.Tuple != r.Tuple() || f.Err != syscall.ETIMEDOUT || fl.HalfOpen() != 0 ||
		synacks != 6 || now != clock.Instant(63*time.Second) {
		t.Fatalf("after %d SYN-ACKs at %v: %+v, %v", synacks, time.Duration(now), f, ok)
	}
	if _, ok := fl.Failed(); ok {
		t.Fatal("reported twice")
	}
}

// rstFrom builds <SEQ=seq><CTL=RST> from src to dst.
func rstFrom(src, dst netip.AddrPort, seq uint32) []byte {
	pkt := make([]byte, 40)
	wire.PutIPv4Header(pkt, src.Addr(), dst.Addr(), wire.ProtoTCP, 64, 1, 20)
	tb := wire.TCP(pkt[20:])
	wire.PutTCPHeader(tb, wire.TCPHeader{SrcPort: src.Port(), DstPort: dst.Port(), Seq: seq, Flags: wire.FlagRST}, &wire.TCPOptions{})
	tb.SetChecksum(wire.TransportChecksum(src.Addr(), dst.Addr(), wire.ProtoTCP, tb))
	return pkt
}

// forwardHost is a host B forwarding, with one pending request: the SYN
// <SEQ=1000> from 10.0.0.1:1000 to farAway.
func forwardHost(t *testing.T) (*Host, *ForwardListener, *ForwardRequest, netip.AddrPort) {
	t.Helper()
	h := NewHost(Config{Name: "B", Addrs: []netip.Prefix{testAddrB}})
	fl, err := h.ListenForward(0, ForwardOptions{})
	if err != nil {
		t.Fatal(err)
	}
	src := netip.AddrPortFrom(testAddrA.Addr(), 1000)
	h.Deliver(0, synFrom(src, farAway, 1000))
	r, _ := fl.Next()
	if r == nil {
		t.Fatal("no request")
	}
	return h, fl, r, src
}

// A client's <SEQ=SYN+1><CTL=RST> cancels its unanswered request: the
// answer then fails with ECONNRESET and nothing is sent. A reset with
// any other sequence number is not about the request (RFC 5961 §3.2)
// and is dropped; the client's next SYN is a new request.
func TestForwardResetCancelsPending(t *testing.T) {
	h, fl, r, src := forwardHost(t)
	h.Deliver(0, rstFrom(src, farAway, 1002))
	if k := h.Counters(); fl.Pending() != 1 || k.ForwardResets != 0 || k.Drops[DropNoSocket] != 1 {
		t.Fatalf("a reset out of place: %d pending, %d resets, %d no-socket", fl.Pending(), k.ForwardResets, k.Drops[DropNoSocket])
	}
	h.Deliver(0, rstFrom(src, farAway, 1001))
	if k := h.Counters(); fl.Pending() != 0 || k.ForwardResets != 1 {
		t.Fatalf("%d pending, %d resets", fl.Pending(), k.ForwardResets)
	}
	if err := r.Complete(); err != syscall.ECONNRESET {
		t.Fatalf("Complete after the reset: %v", err)
	}
	if err := r.Refuse(); err != syscall.ECONNRESET {
		t.Fatalf("Refuse after the reset: %v", err)
	}
	if sent, _ := sentBy(h, 0); len(sent) != 0 {
		t.Fatalf("sent %q", sent)
	}
	if r2, _ := fl.Next(); r2 != nil {
		t.Fatalf("the cancelled request handed out: %v", r2.Tuple())
	}
	h.Deliver(clock.Instant(time.Second), synFrom(src, farAway, 1000))
	if r2, _ := fl.Next(); r2 == nil || r2 == r || h.Counters().ForwardRequests != 2 {
		t.Fatalf("the SYN again: %v", r2)
	}
	if err := h.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
}

// A reset between Complete and the Flush that would apply it cancels the
// request too: no SYN-ACK goes out and Failed reports ECONNRESET, so a
// caller waiting for the connection stops. A refusal so cancelled sends
// no RST either.
func TestForwardResetCancelsAnswered(t *testing.T) {
	for _, refuse := range []bool{false, true} {
		h, fl, r, src := forwardHost(t)
		answer := r.Complete
		if refuse {
			answer = r.Refuse
		}
		if err := answer(); err != nil {
			t.Fatal(err)
		}
		h.Deliver(0, rstFrom(src, farAway, 1001))
		if h.HasPendingOutput() {
			t.Fatal("output pending after the reset")
		}
		if sent, _ := sentBy(h, 0); len(sent) != 0 {
			t.Fatalf("refuse %v: sent %q", refuse, sent)
		}
		f, ok := fl.Failed()
		if refuse == ok || (ok && (f.Tuple != r.Tuple() || f.Err != syscall.ECONNRESET)) {
			t.Fatalf("refuse %v: Failed %+v, %v", refuse, f, ok)
		}
		if k := h.Counters(); k.ForwardResets != 1 || fl.Pending() != 0 || h.Census().SynQueue != 0 {
			t.Fatalf("refuse %v: %d resets, %d pending, census %+v", refuse, k.ForwardResets, fl.Pending(), h.Census())
		}
		if err := h.CheckInvariants(); err != nil {
			t.Fatal(err)
		}
	}
}

// icmpTo wraps the first 28 bytes of pkt in an ICMPv4 error from a
// router to dst, the address pkt was sent from; rest is the message's
// type-specific word (the next-hop MTU of fragmentation needed).
func icmpTo(dst netip.Addr, pkt []byte, typ, code uint8, rest uint32) []byte {
	msg := make([]byte, wire.ICMPHeaderLen+28)
	wire.PutICMPv4(msg, typ, code, rest, pkt[:28])
	out := make([]byte, 20+len(msg))
	copy(out[20:], msg)
	wire.PutIPv4Header(out, netip.MustParseAddr("10.0.0.254"), dst, wire.ProtoICMPv4, 64, 1, len(msg))
	return out
}

// An ICMP error about a forwarded handshake's SYN-ACK, addressed to the
// destination the SYN-ACK came from (not one of the host's addresses),
// is taken as for the host's own: host unreachable ends the request as
// Linux's tcp_req_err does. An echo request to that address is not
// answered.
func TestForwardICMPAboutRequest(t *testing.T) {
	h, fl, r, _ := forwardHost(t)
	if err := r.Complete(); err != nil {
		t.Fatal(err)
	}
	_, pkts := sentBy(h, 0)
	if len(pkts) != 1 || fl.HalfOpen() != 1 {
		t.Fatalf("%d packets, %d half-open", len(pkts), fl.HalfOpen())
	}
	h.Deliver(0, icmpTo(farAway.Addr(), pkts[0], 3, 1, 0))
	k := h.Counters()
	if fl.HalfOpen() != 0 || k.ListenDrops != 1 || k.Drops[DropNotForUs] != 0 || k.Drops[DropBadICMP] != 0 {
		t.Fatalf("%d half-open, %d listen drops, %d not-for-us, %d bad-icmp", fl.HalfOpen(), k.ListenDrops, k.Drops[DropNotForUs], k.Drops[DropBadICMP])
	}
	h.Deliver(0, echoRequest(testAddrA.Addr(), farAway.Addr(), 1, 1, []byte("ping")))
	if sent, _ := sentBy(h, 0); len(sent) != 0 || h.Counters().Drops[DropNotForUs] != 1 || h.Counters().ICMPOutEchoReps != 0 {
		t.Fatalf("echo to a forwarded address: sent %q, counters %+v", sent, h.Counters())
	}
}

// A path MTU message about a forwarded connection's data lowers its MSS
// (RFC 1191), and a host unreachable about the SYN of a connection
// dialed from a foreign source fails its connect with EHOSTUNREACH;
// without forwarding, such a message is not for us.
func TestForwardICMPAboutConnections(t *testing.T) {
	p, fl := forwardPair(t, ForwardOptions{})
	c, r := connectFar(t, p, fl)
	r.Complete()
	p.pump()
	s, _ := fl.Accept()
	if s == nil || c.State() != tcp.Established {
		t.Fatalf("not established: %v", c.State())
	}
	if _, err := s.Write(make([]byte, 1400)); err != nil {
		t.Fatal(err)
	}
	_, pkts := sentBy(p.b, p.now)
	if len(pkts) != 1 {
		t.Fatalf("%d packets", len(pkts))
	}
	p.b.Deliver(p.now, icmpTo(farAway.Addr(), pkts[0], 3, 4, 1000))
	if k := p.b.Counters(); k.PathMTUChanges != 1 || k.Drops[DropNotForUs] != 0 {
		t.Fatalf("%d MTU changes, %d not-for-us", k.PathMTUChanges, k.Drops[DropNotForUs])
	}
	// Dialed from 198.51.100.7 to a closed port of A: A's reset is not
	// the point here, a router's port unreachable about the SYN is.
	src := netip.MustParseAddrPort("198.51.100.7:5000")
	d, err := p.b.Connect(p.now, src, netip.AddrPortFrom(testAddrA.Addr(), 23))
	if err != nil {
		t.Fatal(err)
	}
	var syn []byte
	sent, pkts := sentBy(p.b, p.now) // the data again, in segments of the new MSS, and the SYN
	for i, s := range sent {
		if s == src.String()+">10.0.0.1:23 SYN" {
			syn = pkts[i]
		}
	}
	if syn == nil {
		t.Fatalf("no SYN in %q", sent)
	}
	p.b.Deliver(p.now, icmpTo(src.Addr(), syn, 3, 1, 0))
	if k := p.b.Counters(); k.Drops[DropNotForUs] != 0 || k.Drops[DropBadICMP] != 0 || d.Status().Err != syscall.EHOSTUNREACH {
		t.Fatalf("not-for-us %d, bad-icmp %d, connect %+v", k.Drops[DropNotForUs], k.Drops[DropBadICMP], d.Status())
	}
	fl.Close(p.now)
	p.b.Deliver(p.now, icmpTo(src.Addr(), syn, 3, 1, 0))
	if k := p.b.Counters(); k.Drops[DropNotForUs] != 1 {
		t.Fatalf("after Close: %d not-for-us", k.Drops[DropNotForUs])
	}
}

// BenchmarkForwardConnHeap measures the heap a forwarded connection
// costs once established and accepted, idle, before any data: 20,000
// SYNs to as many destinations, each completed and acknowledged.
//
//	go test ./stack -run '^$' -bench ForwardConnHeap -benchtime=1x
func BenchmarkForwardConnHeap(b *testing.B) {
	const n = 20000
	for b.Loop() {
		h := NewHost(Config{Name: "B", Addrs: []netip.Prefix{testAddrB}, MaxSynBacklog: n, DefaultBacklog: n, SynCookies: SynCookiesNever})
		fl, err := h.ListenForward(0, ForwardOptions{MaxPending: n, Backlog: n})
		if err != nil {
			b.Fatal(err)
		}
		client := func(i int) netip.AddrPort {
			return netip.AddrPortFrom(netip.AddrFrom4([4]byte{172, 16, byte(i >> 8), byte(i)}), uint16(1024+i))
		}
		dst := func(i int) netip.AddrPort {
			return netip.AddrPortFrom(netip.AddrFrom4([4]byte{198, 18, byte(i >> 8), byte(i)}), 443)
		}
		var conns []*Conn
		var synacks [][]byte
		establish := func(from, to int) {
			synacks = synacks[:0]
			for i := from; i < to; i++ {
				h.Deliver(0, synFrom(client(i), dst(i), uint32(i)*7919))
			}
			for r, _ := fl.Next(); r != nil; r, _ = fl.Next() {
				r.Complete()
			}
			h.Flush(0, func(pkt []byte) { synacks = append(synacks, append([]byte(nil), pkt...)) })
			for _, sa := range synacks {
				ip := wire.IPv4(sa)
				tb := wire.TCP(ip.Payload())
				var o wire.TCPOptions
				tb.ParseOptions(&o)
				h.Deliver(0, ackFrom(netip.AddrPortFrom(ip.Dst(), tb.DstPort()), netip.AddrPortFrom(ip.Src(), tb.SrcPort()),
					tb.Ack(), tb.Seq()+1, o.TSVal))
			}
			h.Flush(0, func([]byte) {})
			for c, _ := fl.Accept(); c != nil; c, _ = fl.Accept() {
				conns = append(conns, c)
			}
		}
		establish(0, 1)
		synacks = nil
		before := liveHeap()
		establish(1, n)
		synacks = nil
		after := liveHeap()
		if len(conns) != n {
			b.Fatalf("%d connections, want %d", len(conns), n)
		}
		b.ReportMetric(float64(after-before)/(n-1), "heap-B/conn")
		runtime.KeepAlive(h)
		runtime.KeepAlive(conns)
	}
}
