package sim

import (
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/synack-net/synack/tcp"
)

// TestThreeWayHandshakeAndClientClose: RFC 9293 Figure 6 then an orderly
// close in four segments, the client first; the client holds TIME_WAIT for
// exactly 2×MSL (60 s).
func TestThreeWayHandshakeAndClientClose(t *testing.T) {
	p := newPair(t)
	ca := p.connect(t, 0)
	cb := p.accept(t, 500*time.Millisecond)
	p.w.At(time.Second, func() { (*ca).Close(p.w.Now()) })
	p.w.At(2*time.Second, func() { (*cb).Close(p.w.Now()) })
	p.w.Run(2 * time.Minute)

	expectTranscript(t, p.w, true,
		"0.000000s A>B SYN seq=0 len=0",
		"0.000000s B>A SYN,ACK seq=0 ack=1 len=0",
		"0.000000s A>B ACK seq=1 ack=1 len=0",
		"1.000000s A>B FIN,ACK seq=1 ack=1 len=0",
		"1.000000s B>A ACK seq=1 ack=2 len=0", // quick-ack mode: the FIN is ACKed at once
		"2.000000s B>A FIN,ACK seq=1 ack=2 len=0",
		"2.000000s A>B ACK seq=2 ack=2 len=0",
	)
	expectStates(t, p.w, "A", tcp.Closed, tcp.SynSent, tcp.Established, tcp.FinWait1, tcp.FinWait2, tcp.TimeWait, tcp.Closed)
	expectStates(t, p.w, "B", tcp.Closed, tcp.Listen, tcp.SynReceived, tcp.Established, tcp.CloseWait, tcp.LastAck, tcp.Closed)
	if got := stateTimes(p.w, "A", tcp.Closed); len(got) != 1 || got[0] != 62*time.Second {
		t.Errorf("A closed at %v, want 62s (TIME_WAIT entered at 2s + 60s)", got)
	}
}

// TestServerClosesFirstThreeSegments: the server greets, the client
// answers within the delayed-ACK time (so it is in interactive, ping-pong
// mode and delays its ACKs), the server closes, and the client's FIN rides
// on its ACK of the server's FIN: the close takes three segments.
func TestServerClosesFirstThreeSegments(t *testing.T) {
	p := newPair(t)
	ca := p.connect(t, 0)
	cb := p.accept(t, 0)
	p.w.At(500*time.Millisecond, func() { (*cb).Write([]byte("hello")) })
	p.w.At(510*time.Millisecond, func() {
		var buf [8]byte
		(*ca).Read(buf[:])
		(*ca).Write([]byte("hi"))
	})
	p.w.At(time.Second, func() {
		var buf [8]byte
		(*cb).Read(buf[:])
		(*cb).Close(p.w.Now())
	})
	// The client closes as soon as it sees EOF, before its delayed ACK of
	// the FIN fires: the FIN and the ACK leave together.
	p.w.At(time.Second, func() { (*ca).Close(p.w.Now()) })
	p.w.Run(2 * time.Minute)
	expectTranscript(t, p.w, true,
		"0.000000s A>B SYN seq=0 len=0",
		"0.000000s B>A SYN,ACK seq=0 ack=1 len=0",
		"0.000000s A>B ACK seq=1 ack=1 len=0",
		"0.500000s B>A PSH,ACK seq=1 ack=1 len=5",
		"0.500000s A>B ACK seq=1 ack=6 len=0",
		"0.510000s A>B PSH,ACK seq=1 ack=6 len=2",
		"0.510000s B>A ACK seq=6 ack=3 len=0",
		"1.000000s B>A FIN,ACK seq=6 ack=3 len=0",
		"1.000000s A>B FIN,ACK seq=3 ack=7 len=0",
		"1.000000s B>A ACK seq=7 ack=4 len=0",
	)
	expectStates(t, p.w, "B", tcp.Closed, tcp.Listen, tcp.SynReceived, tcp.Established, tcp.FinWait1, tcp.FinWait2, tcp.TimeWait, tcp.Closed)
}

// TestConnectionRefused: a SYN to a port with no listener draws
// <SEQ=0><ACK=ISN+1><CTL=RST,ACK> (RFC 9293 §3.10.7.1) and the client
// fails with ECONNREFUSED.
func TestConnectionRefused(t *testing.T) {
	w := New(1)
	a := w.AddHost("A", addrA)
	w.AddHost("B", addrB)
	c, err := a.Connect(0, netip0, portB)
	if err != nil {
		t.Fatal(err)
	}
	w.Run(10 * time.Second)
	expectTranscript(t, w, true,
		"0.000000s A>B SYN seq=0 len=0",
		"0.000000s B>A RST,ACK seq=0 ack=1 len=0",
	)
	if st := c.Status(); st.State != tcp.Closed || !errors.Is(st.Err, syscall.ECONNREFUSED) {
		t.Errorf("client: %v %v, want CLOSED ECONNREFUSED", st.State, st.Err)
	}
}
