package sim

import (
	"errors"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/synack-net/synack/link/netem"
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

// TestPathMTUDiscovery: a router on the path says our 1500-byte packets
// are too big for its 1000-byte next hop (RFC 1191 §4); the data in flight
// is resent at once in segments that fit, and the transfer completes.
func TestPathMTUDiscovery(t *testing.T) {
	p := newPair(t)
	ca := p.connect(t, 0)
	cb := p.accept(t, 100*time.Millisecond)
	var tooBig []byte
	// Drop A's full-sized data segments and keep the first for the
	// router's message.
	p.w.At(time.Second, func() {
		p.w.Net.AddRule(netem.Rule{Count: 1 << 20, Match: func(from, to netem.HostID, pkt []byte) bool {
			if from != p.a.ID || len(pkt) <= 1000 {
				return false
			}
			if tooBig == nil {
				tooBig = append([]byte(nil), pkt[:28]...)
			}
			return true
		}})
		(*ca).Write(make([]byte, 20000))
	})
	p.w.Run(time.Second + time.Millisecond)
	if tooBig == nil {
		t.Fatal("no full-sized segment was sent")
	}
	router := p.w.AddRaw("R", netip.MustParseAddr("10.0.0.254"))
	msg := make([]byte, 20+8+len(tooBig))
	wire.PutIPv4Header(msg, netip.MustParseAddr("10.0.0.254"), addrA.Addr(), wire.ProtoICMPv4, 64, 9, 8+len(tooBig))
	wire.PutICMPv4(msg[20:], wire.ICMPv4TypeDestUnreachable, wire.ICMPv4CodeFragmentationNeeded, 1000, tooBig)
	p.w.At(time.Second+10*time.Millisecond, func() { router.Send(msg) })
	got := 0
	buf := make([]byte, 4096)
	for step := time.Duration(1); step <= 20; step++ {
		p.w.Run(time.Second + step*20*time.Millisecond)
		for {
			n, _ := (*cb).Read(buf)
			if n == 0 {
				break
			}
			got += n
		}
	}
	if got != 20000 {
		t.Fatalf("received %d bytes, want 20000", got)
	}
	info := (*ca).Info()
	if info.MSS != 1000-20-20-12 {
		t.Errorf("MSS %d, want 948 (MTU 1000 less IP, TCP and timestamps)", info.MSS)
	}
	if k := p.a.Counters(); k.PathMTUChanges != 1 || k.TCPTimeouts != 0 {
		t.Errorf("path MTU changes %d, timeouts %d; want 1 and none (resent at once)", k.PathMTUChanges, k.TCPTimeouts)
	}
}
