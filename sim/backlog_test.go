package sim

import (
	"errors"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/synack-net/synack/stack"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/wire"
)

// TestAcceptQueueBound: with a backlog of 1, two SYNs that arrive together
// both get SYN-ACKs, but only one handshake completes while nobody
// accepts; the other's final ACK is dropped and the connection stays in
// SYN_RCVD (as on Linux) until the application makes room, when the
// client's next segment completes it.
func TestAcceptQueueBound(t *testing.T) {
	w := New(1)
	a := w.AddHost("A", addrA)
	b := w.AddHost("B", addrB)
	ln, err := b.Listen(0, netip.AddrPortFrom(addrB.Addr(), 81), 1)
	if err != nil {
		t.Fatal(err)
	}
	var c1, c2 *stack.Conn
	w.At(0, func() {
		c1, _ = a.Connect(w.Now(), netip.AddrPort{}, ln.Addr())
		c2, _ = a.Connect(w.Now(), netip.AddrPort{}, ln.Addr())
	})
	w.Run(500 * time.Millisecond)
	if got := ln.Pending(); got != 1 {
		t.Fatalf("accept queue holds %d connections, want the backlog of 1", got)
	}
	if b.Counters().ListenOverflows == 0 {
		t.Error("ListenOverflows not counted")
	}
	// Both clients think they are connected (their final ACKs left).
	if c1.State() != tcp.Established || c2.State() != tcp.Established {
		t.Fatalf("clients %v %v", c1.State(), c2.State())
	}
	first, _ := ln.Accept()
	if first == nil {
		t.Fatal("nothing to accept")
	}
	// The client sends data; that segment's ACK completes the handshake.
	w.At(time.Second, func() { c2.Write([]byte("hi")) })
	w.At(time.Second, func() { c1.Write([]byte("hi")) })
	w.Run(2 * time.Second)
	second, _ := ln.Accept()
	if second == nil {
		t.Fatal("the second connection never completed")
	}
	if second.Tuple() == first.Tuple() {
		t.Fatal("the same connection accepted twice")
	}
	if n := second.Status().Readable; n != 2 {
		t.Errorf("the second connection holds %d readable bytes, want 2", n)
	}
}

// TestMaxSegmentOption: TCP_MAXSEG on a listener caps the MSS its
// connections advertise and send with (Linux's user_mss); out-of-range
// values are EINVAL.
func TestMaxSegmentOption(t *testing.T) {
	w := New(1)
	b := w.AddHost("B", addrB)
	ln, _ := b.Listen(0, portB, 0)
	if err := ln.SetOptions(stack.OpenOptions{MaxSegment: 50}); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("MaxSegment 50: %v, want EINVAL", err)
	}
	if err := ln.SetOptions(stack.OpenOptions{MaxSegment: 1100}); err != nil {
		t.Fatal(err)
	}
	peer := w.AddRaw("P", netip.MustParseAddr("10.0.0.3"))
	from := netip.MustParseAddrPort("10.0.0.3:1234")
	syn := rawSegment(from, portB, 1000, 0, wire.FlagSYN, nil)
	w.At(0, func() { peer.Send(syn) })
	w.Run(100 * time.Millisecond)
	if len(peer.Received) != 1 {
		t.Fatalf("got %d packets, want the SYN-ACK", len(peer.Received))
	}
	var o wire.TCPOptions
	if err := wire.TCP(wire.IPv4(peer.Received[0]).Payload()).ParseOptions(&o); err != nil || o.MSS != 1100 {
		t.Errorf("SYN-ACK advertises MSS %d (%v), want 1100", o.MSS, err)
	}
	if _, err := b.ConnectWith(w.Now(), netip.AddrPort{}, netip.MustParseAddrPort("10.0.0.3:80"), stack.OpenOptions{MaxSegment: 40000}); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("ConnectWith MaxSegment 40000: %v, want EINVAL", err)
	}
}
