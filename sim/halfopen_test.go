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

// TestRebootedPeerResetsHalfOpen: the server's host crashes and reboots
// (forgetting the connection); the client's next segment finds no
// connection there and draws <SEQ=SEG.ACK><CTL=RST> (RFC 9293 §3.5.1,
// Figure 10), which fails the client with ECONNRESET.
func TestRebootedPeerResetsHalfOpen(t *testing.T) {
	p := newPair(t)
	ca := p.connect(t, 0)
	p.accept(t, 0)
	p.w.At(time.Second, func() { p.b.Crash() })
	var client *App
	p.w.At(2*time.Second, func() { client = p.w.Attach(*ca, &App{Send: []byte("anyone there?")}) })
	p.w.Run(10 * time.Second)
	expectTranscript(t, p.w, true,
		"0.000000s A>B SYN seq=0 len=0",
		"0.000000s B>A SYN,ACK seq=0 ack=1 len=0",
		"0.000000s A>B ACK seq=1 ack=1 len=0",
		"2.000000s A>B PSH,ACK seq=1 ack=1 len=13",
		"2.000000s B>A RST seq=1 len=0",
	)
	if !errors.Is(client.Err, syscall.ECONNRESET) {
		t.Errorf("client error %v, want ECONNRESET", client.Err)
	}
}

// TestResetInSynReceivedReturnsToListen: the client vanishes after its
// SYN; its host answers the SYN-ACK with a reset, which returns the
// server's half-open connection to LISTEN (RFC 9293 §3.10.7.4 second)
// without anything reaching the accept queue; the listener still works.
func TestResetInSynReceivedReturnsToListen(t *testing.T) {
	p := newPair(t)
	p.w.Net.SetPath(p.b.ID, p.a.ID, netem.Impairment{Delay: 10 * time.Millisecond})
	p.connect(t, 0)
	p.w.At(time.Millisecond, func() { p.a.Crash() })
	p.w.Run(time.Second)
	expectTranscript(t, p.w, false,
		"A>B SYN seq=0 len=0",
		"B>A SYN,ACK seq=0 ack=1 len=0",
		"A>B RST seq=1 len=0",
	)
	expectStates(t, p.w, "B", tcp.Closed, tcp.Listen, tcp.SynReceived, tcp.Listen)
	if c, err := p.ln.Accept(); c != nil || err != nil {
		t.Fatalf("accept queue not empty: %v %v", c, err)
	}
	again := p.connect(t, 2*time.Second)
	p.w.Run(3 * time.Second)
	if st := (*again).State(); st != tcp.Established {
		t.Errorf("second connection %v", st)
	}
	if c, _ := p.ln.Accept(); c == nil {
		t.Error("second connection not accepted")
	}
}

// TestDefaultMSSWithoutOption: a peer whose SYN has no MSS option gets
// 536-byte segments (RFC 9293 §3.7.1, RFC 1122 §4.2.2.6).
func TestDefaultMSSWithoutOption(t *testing.T) {
	w := New(1)
	b := w.AddHost("B", addrB)
	ln, _ := b.Listen(0, portB, 0)
	peer := w.AddRaw("P", netip.MustParseAddr("10.0.0.3"))
	from := netip.MustParseAddrPort("10.0.0.3:1234")
	w.At(0, func() { peer.Send(rawSegment(from, portB, 1000, 0, wire.FlagSYN, nil)) })
	w.Run(500 * time.Millisecond)
	if len(peer.Received) != 1 {
		t.Fatalf("got %d packets, want the SYN-ACK", len(peer.Received))
	}
	synack := wire.TCP(wire.IPv4(peer.Received[0]).Payload())
	var o wire.TCPOptions
	if err := synack.ParseOptions(&o); err != nil || !o.HasMSS || o.MSS != 1460 || o.HasTS || o.HasWScale || o.SACKPermitted {
		t.Fatalf("SYN-ACK options %+v (%v): want MSS 1460 only, since the SYN offered nothing", o, err)
	}
	iss := synack.Seq()
	w.At(500*time.Millisecond, func() { peer.Send(rawSegment(from, portB, 1001, iss+1, wire.FlagACK, nil)) })
	w.Run(2 * time.Second)
	c, err := ln.Accept()
	if c == nil || err != nil {
		t.Fatalf("accept: %v %v", c, err)
	}
	if mss := c.Info().MSS; mss != 536 {
		t.Errorf("MSS %d, want 536", mss)
	}
	w.At(2*time.Second, func() { c.Write(make([]byte, 1000)) })
	w.Run(3 * time.Second)
	var sizes []int
	for _, pkt := range peer.Received[1:] {
		sizes = append(sizes, len(wire.TCP(wire.IPv4(pkt).Payload()).Payload()))
	}
	if len(sizes) != 2 || sizes[0] != 536 || sizes[1] != 464 {
		t.Errorf("segment sizes %v, want [536 464]", sizes)
	}
}

// rawSegment builds an IPv4 TCP segment with no options.
func rawSegment(src, dst netip.AddrPort, seq, ack uint32, flags wire.TCPFlags, payload []byte) []byte {
	pkt := make([]byte, 40+len(payload))
	wire.PutIPv4Header(pkt, src.Addr(), dst.Addr(), wire.ProtoTCP, 64, 1, 20+len(payload))
	tb := wire.TCP(pkt[20:])
	wire.PutTCPHeader(tb, wire.TCPHeader{SrcPort: src.Port(), DstPort: dst.Port(), Seq: seq, Ack: ack, Flags: flags, Window: 65535}, nil)
	copy(tb[20:], payload)
	tb.SetChecksum(wire.TransportChecksum(src.Addr(), dst.Addr(), wire.ProtoTCP, tb))
	return pkt
}
