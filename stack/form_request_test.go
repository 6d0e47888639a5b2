package stack

import (
	"net/netip"
	"testing"
	"time"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/trace"
	"github.com/synack-net/synack/wire"
)

// segmentTo builds a TCP segment from src to dst with no options.
func segmentTo(src, dst netip.AddrPort, seq, ack uint32, flags wire.TCPFlags) []byte {
	pkt := make([]byte, 40)
	wire.PutIPv4Header(pkt, src.Addr(), dst.Addr(), wire.ProtoTCP, 64, 1, 20)
	tb := wire.TCP(pkt[20:])
	wire.PutTCPHeader(tb, wire.TCPHeader{SrcPort: src.Port(), DstPort: dst.Port(), Seq: seq, Ack: ack, Flags: flags, Window: 65535}, &wire.TCPOptions{})
	tb.SetChecksum(wire.TransportChecksum(src.Addr(), dst.Addr(), wire.ProtoTCP, tb))
	return pkt
}

// A half-open connection is listed in the socket table as Linux lists its
// request socks (SYN-RECV): its tuple, and the SYN-ACK's retransmission
// timer, due one initial RTO (1 s) after the SYN-ACK, and after the first
// retransmission two RTOs later.
func TestSocketsListHalfOpen(t *testing.T) {
	h, syns := floodHost(1)
	h.Deliver(0, syns[0])
	h.Flush(0, func([]byte) {})
	want := Socket{State: tcp.SynReceived, Local: netip.MustParseAddrPort("10.0.0.2:80"),
		Remote: netip.MustParseAddrPort("172.16.0.0:1024"), Timer: tcp.TimerRetransmit, TimerDue: clock.Instant(time.Second)}
	rows := h.Sockets()
	if len(rows) != 2 || rows[0].State != tcp.Listen || rows[0].HalfOpen != 1 {
		t.Fatalf("rows %+v, want the listener with one half-open connection, and that connection", rows)
	}
	r := rows[1]
	if r.State != want.State || r.Local != want.Local || r.Remote != want.Remote || r.Timer != want.Timer ||
		r.TimerDue != want.TimerDue || r.RecvQ != 0 || r.RTO != time.Second || r.MSS != 1448 {
		t.Errorf("half-open row %+v, want %+v with RTO 1s and MSS 1448", r, want)
	}
	at := clock.Instant(time.Second)
	h.Tick(at)
	h.Flush(at, func([]byte) {})
	rows = h.Sockets()
	if r := rows[1]; len(rows) != 2 || r.State != tcp.SynReceived || r.TimerDue != at.Add(2*time.Second) || r.Retransmits != 1 {
		t.Errorf("after one retransmission: %+v, want the SYN-ACK due 2 s later, 1 retransmission", rows)
	}
	if err := h.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
}

// A half-open connection's output leaves through the path every form's
// does: the ACK it sends to an unacceptable segment (RFC 9293 §3.10.7.4)
// is traced with the window scale shift in effect for it, ours, where a
// SYN-ACK's window is unscaled (RFC 7323 §2.2).
func TestRequestOutputTracesWindowShift(t *testing.T) {
	var log trace.Log
	h := NewHost(Config{Name: "server", Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.2/24")}, Recorder: &log})
	server := netip.MustParseAddrPort("10.0.0.2:80")
	if _, err := h.Listen(0, server, 16); err != nil {
		t.Fatal(err)
	}
	client := netip.MustParseAddrPort("10.0.0.1:40000")
	h.Deliver(0, synFrom(client, server, 1000))
	h.Flush(0, func([]byte) {})
	// Data far beyond the window: not acceptable, answered with an ACK.
	h.Deliver(1, segmentTo(client, server, 1000+1<<30, 0, wire.FlagACK))
	h.Flush(1, func([]byte) {})
	var sends []trace.Segment
	for _, e := range log.Events {
		if e.Kind == trace.KindSend {
			sends = append(sends, e.Segment)
		}
	}
	if len(sends) != 2 || sends[0].Flags != wire.FlagSYN|wire.FlagACK || sends[1].Flags != wire.FlagACK {
		t.Fatalf("sent %+v, want the SYN-ACK and an ACK", sends)
	}
	// Our shift is the smallest that describes the largest receive
	// buffer (6 MiB by default, as Linux's tcp_rmem): 7. The SYN-ACK
	// advertises at most 65,535 bytes, the ACK the window itself.
	if sends[0].WindowShift != 0 || sends[1].WindowShift != 7 {
		t.Errorf("window shifts %d and %d (windows %d and %d): want 0 on the SYN-ACK, 7 on the ACK",
			sends[0].WindowShift, sends[1].WindowShift, sends[0].ScaledWindow(), sends[1].ScaledWindow())
	}
}
