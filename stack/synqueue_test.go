package stack

import (
	"net/netip"
	"runtime"
	"testing"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/wire"
)

// synFrom builds a SYN from src to dst with Linux's options.
func synFrom(src, dst netip.AddrPort, seq uint32) []byte {
	o := wire.TCPOptions{MSS: 1460, HasMSS: true, WScale: 7, HasWScale: true, SACKPermitted: true, HasTS: true, TSVal: seq}
	n := 20 + o.Len()
	pkt := make([]byte, 20+n)
	wire.PutIPv4Header(pkt, src.Addr(), dst.Addr(), wire.ProtoTCP, 64, 1, n)
	tb := wire.TCP(pkt[20:])
	wire.PutTCPHeader(tb, wire.TCPHeader{SrcPort: src.Port(), DstPort: dst.Port(), Seq: seq, Flags: wire.FlagSYN, Window: 65535}, &o)
	tb.SetChecksum(wire.TransportChecksum(src.Addr(), dst.Addr(), wire.ProtoTCP, tb))
	return pkt
}

// floodHost returns a host listening on 10.0.0.2:80 with room for n
// half-open connections, and SYNs from n sources.
func floodHost(n int) (*Host, [][]byte) {
	h := NewHost(Config{Name: "server", Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.2/24")},
		MaxSynBacklog: n, DefaultBacklog: n, SynCookies: SynCookiesNever})
	if _, err := h.Listen(0, netip.MustParseAddrPort("10.0.0.2:80"), n); err != nil {
		panic(err)
	}
	syns := make([][]byte, n)
	for i := range syns {
		src := netip.AddrPortFrom(netip.AddrFrom4([4]byte{172, 16, byte(i >> 8), byte(i)}), uint16(1024+i%50000))
		syns[i] = synFrom(src, netip.MustParseAddrPort("10.0.0.2:80"), uint32(i)*7919)
	}
	return h, syns
}

// Every SYN becomes a half-open request, not a connection, and is
// answered at once; the SYN queue then holds them all.
func TestSynQueueHoldsRequests(t *testing.T) {
	h, syns := floodHost(1000)
	sent := 0
	for _, s := range syns {
		h.Deliver(0, s)
		h.Flush(0, func([]byte) { sent++ })
	}
	c := h.Census()
	if c.SynQueue != 1000 || c.Conns != 0 || c.States[3] != 1000 || sent != 1000 {
		t.Fatalf("census %+v, %d SYN-ACKs sent", c, sent)
	}
	if err := h.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkHalfOpenHeap measures the heap a half-open connection (a
// request in the SYN queue) costs: 100,000 SYNs from as many sources,
// the host's heap before and after.
//
//	go test ./stack -run '^$' -bench HalfOpenHeap -benchtime=1x
func BenchmarkHalfOpenHeap(b *testing.B) {
	const n = 100000
	for b.Loop() {
		h, syns := floodHost(n)
		// One SYN first, so that the output queue and scratch TCB exist.
		h.Deliver(0, syns[0])
		h.Flush(0, func([]byte) {})
		before := liveHeap()
		for _, s := range syns[1:] {
			h.Deliver(clock.Instant(1), s)
			h.Flush(clock.Instant(1), func([]byte) {})
		}
		after := liveHeap()
		if c := h.Census(); c.SynQueue != n {
			b.Fatalf("%d half-open requests, want %d", c.SynQueue, n)
		}
		b.ReportMetric(float64(after-before)/(n-1), "heap-B/half-open")
		runtime.KeepAlive(h)
		runtime.KeepAlive(syns)
	}
}
