package sim

import (
	"errors"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/wire"
)

// TestICMPPortUnreachableRefusesConnect: an ICMP port unreachable that
// quotes our SYN is a hard error (RFC 1122 §4.2.3.9) and fails the
// connect with ECONNREFUSED; one quoting a sequence number outside
// SND.UNA..SND.NXT is ignored (RFC 5927 §4.1).
func TestICMPPortUnreachableRefusesConnect(t *testing.T) {
	w := New(1)
	a := w.AddHost("A", addrA)
	peer := w.AddRaw("P", netip.MustParseAddr("10.0.0.3"))
	c, err := a.Connect(0, netip.AddrPort{}, netip.MustParseAddrPort("10.0.0.3:80"))
	if err != nil {
		t.Fatal(err)
	}
	w.Run(100 * time.Millisecond)
	if len(peer.Received) != 1 {
		t.Fatalf("peer got %d packets", len(peer.Received))
	}
	syn := peer.Received[0]
	unreachable := func(quote []byte) []byte {
		pkt := make([]byte, 20+8+len(quote))
		wire.PutIPv4Header(pkt, netip.MustParseAddr("10.0.0.3"), addrA.Addr(), wire.ProtoICMPv4, 64, 7, 8+len(quote))
		wire.PutICMPv4(pkt[20:], wire.ICMPv4TypeDestUnreachable, wire.ICMPv4CodePortUnreachable, 0, quote)
		return pkt
	}
	// A forged error quoting the wrong sequence number changes nothing.
	forged := append([]byte(nil), syn[:28]...)
	forged[24] ^= 0x80
	w.At(100*time.Millisecond, func() { peer.Send(unreachable(forged)) })
	w.Run(200 * time.Millisecond)
	if st := c.Status(); st.State != tcp.SynSent {
		t.Fatalf("after a forged ICMP error: %v", st.State)
	}
	w.At(200*time.Millisecond, func() { peer.Send(unreachable(syn[:28])) })
	w.Run(300 * time.Millisecond)
	if st := c.Status(); st.State != tcp.Closed || !errors.Is(st.Err, syscall.ECONNREFUSED) {
		t.Fatalf("after port unreachable: %v %v, want CLOSED ECONNREFUSED", st.State, st.Err)
	}
}
