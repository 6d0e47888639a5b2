package stack

import (
	"net/netip"
	"syscall"
	"testing"

	"github.com/synack-net/synack/wire"
)

// The errno of every ICMP error Linux reports to a TCP or UDP socket, and
// which of them end a half-open request (tcp_v4_err, tcp_v6_err,
// icmp_err_convert, icmpv6_err_convert).
func TestClassifyICMP(t *testing.T) {
	v4, v6 := uint8(wire.ProtoICMPv4), uint8(wire.ProtoICMPv6)
	cases := []struct {
		proto, typ, code uint8
		want             icmpClass
	}{
		{v4, 3, 0, icmpClass{syscall.ENETUNREACH, false, true, true}},
		{v4, 3, 1, icmpClass{syscall.EHOSTUNREACH, false, true, true}},
		{v4, 3, 2, icmpClass{syscall.ENOPROTOOPT, true, false, false}},
		{v4, 3, 3, icmpClass{syscall.ECONNREFUSED, true, false, false}},
		{v4, 3, 5, icmpClass{syscall.EOPNOTSUPP, false, false, false}},
		{v4, 3, 6, icmpClass{syscall.ENETUNREACH, true, false, false}},
		{v4, 3, 7, icmpClass{syscall.EHOSTDOWN, true, false, false}},
		{v4, 3, 8, icmpClass{errNoNet, true, false, false}},
		{v4, 3, 9, icmpClass{syscall.ENETUNREACH, true, false, false}},
		{v4, 3, 10, icmpClass{syscall.EHOSTUNREACH, true, false, false}},
		{v4, 3, 11, icmpClass{syscall.ENETUNREACH, false, false, false}},
		{v4, 3, 12, icmpClass{syscall.EHOSTUNREACH, false, false, false}},
		{v4, 3, 13, icmpClass{syscall.EHOSTUNREACH, true, false, false}},
		{v4, 3, 14, icmpClass{syscall.EHOSTUNREACH, true, false, false}},
		{v4, 3, 15, icmpClass{syscall.EHOSTUNREACH, true, false, false}},
		{v4, 11, 0, icmpClass{syscall.EHOSTUNREACH, false, true, false}},
		{v4, 12, 0, icmpClass{syscall.EPROTO, true, true, false}},
		{v6, 1, 0, icmpClass{syscall.ENETUNREACH, true, true, true}},
		{v6, 1, 1, icmpClass{syscall.EACCES, true, true, false}},
		{v6, 1, 2, icmpClass{syscall.EHOSTUNREACH, true, true, false}},
		{v6, 1, 3, icmpClass{syscall.EHOSTUNREACH, true, true, false}},
		{v6, 1, 4, icmpClass{syscall.ECONNREFUSED, true, true, false}},
		{v6, 1, 5, icmpClass{syscall.EACCES, true, true, false}},
		{v6, 1, 6, icmpClass{syscall.EACCES, true, true, false}},
		{v6, 1, 7, icmpClass{syscall.EPROTO, true, true, false}},
		{v6, 3, 0, icmpClass{syscall.EHOSTUNREACH, false, false, false}},
		{v6, 4, 0, icmpClass{syscall.EPROTO, true, true, false}},
	}
	for _, c := range cases {
		got, ok := classifyICMP(c.proto, c.typ, c.code)
		if !ok || got != c.want {
			t.Errorf("proto %d type %d code %d: %+v %v, want %+v", c.proto, c.typ, c.code, got, ok, c.want)
		}
	}
	// Ignored: fragmentation needed without an MTU, codes past 15,
	// source quench, redirect.
	for _, c := range [][3]uint8{{v4, 3, 4}, {v4, 3, 16}, {v4, 4, 0}, {v4, 5, 0}, {v6, 137, 0}} {
		if got, ok := classifyICMP(c[0], c[1], c[2]); ok {
			t.Errorf("%v: %+v, want ignored", c, got)
		}
	}
}

// icmpAbout wraps the first 28 bytes of pkt, which 10.0.0.2 sent, in an
// ICMPv4 error from a router.
func icmpAbout(pkt []byte, typ, code uint8) []byte {
	msg := make([]byte, wire.ICMPHeaderLen+28)
	wire.PutICMPv4(msg, typ, code, 0, pkt[:28])
	out := make([]byte, 20+len(msg))
	copy(out[20:], msg)
	wire.PutIPv4Header(out, netip.MustParseAddr("10.0.0.254"), netip.MustParseAddr("10.0.0.2"), wire.ProtoICMPv4, 64, 1, len(msg))
	return out
}

// An ICMP error quoting a half-open request's SYN-ACK ends the request as
// Linux's tcp_req_err does, counted in ListenDrops, for net and host
// unreachable, time exceeded and parameter problem; port unreachable and
// an admin filter leave it, and so does a message quoting another
// sequence number.
func TestICMPDropsRequest(t *testing.T) {
	cases := []struct {
		typ, code uint8
		quoteISS  bool
		drop      bool
	}{
		{3, 0, true, true},
		{3, 1, true, true},
		{11, 0, true, true},
		{12, 0, true, true},
		{3, 3, true, false},
		{3, 13, true, false},
		{3, 1, false, false},
	}
	for _, c := range cases {
		h, syns := floodHost(1)
		h.Deliver(0, syns[0])
		var synack []byte
		h.Flush(0, func(b []byte) { synack = append([]byte(nil), b...) })
		if synack == nil {
			t.Fatal("no SYN-ACK")
		}
		if !c.quoteISS {
			synack[27]++ // the low byte of the quoted sequence number
		}
		h.Deliver(0, icmpAbout(synack, c.typ, c.code))
		k := h.Counters()
		want := 1
		if c.drop {
			want = 0
		}
		if q := h.Census().SynQueue; q != want || k.ListenDrops != uint64(1-want) {
			t.Errorf("type %d code %d (ISS quoted %v): SYN queue %d, ListenDrops %d, want %d", c.typ, c.code, c.quoteISS, q, k.ListenDrops, want)
		}
		if err := h.CheckInvariants(); err != nil {
			t.Fatal(err)
		}
	}
}
