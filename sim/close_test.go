package sim

import (
	"errors"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/synack-net/synack/tcp"
)

// TestSimultaneousOpen: both ends connect to each other at once (RFC 9293
// Figure 7): each goes SYN_SENT -> SYN_RCVD -> ESTABLISHED in four segments.
func TestSimultaneousOpen(t *testing.T) {
	w := New(1)
	a := w.AddHost("A", addrA)
	b := w.AddHost("B", addrB)
	pa := netip.AddrPortFrom(addrA.Addr(), 5000)
	pb := netip.AddrPortFrom(addrB.Addr(), 6000)
	var ca, cb interface{ State() tcp.State }
	w.At(0, func() {
		c1, err1 := a.Connect(0, pa, pb)
		c2, err2 := b.Connect(0, pb, pa)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		ca, cb = c1, c2
	})
	w.Run(10 * time.Second)
	expectTranscript(t, w, false,
		"A>B SYN seq=0 len=0",
		"B>A SYN seq=0 len=0",
		"A>B SYN,ACK seq=0 ack=1 len=0",
		"B>A SYN,ACK seq=0 ack=1 len=0",
	)
	for _, h := range []string{"A", "B"} {
		expectStates(t, w, h, tcp.Closed, tcp.SynSent, tcp.SynReceived, tcp.Established)
	}
	if ca.State() != tcp.Established || cb.State() != tcp.Established {
		t.Errorf("states %v %v", ca.State(), cb.State())
	}
}

// TestSimultaneousClose: both ends close at once (RFC 9293 Figure 13):
// FIN_WAIT_1 -> CLOSING -> TIME_WAIT on both sides.
func TestSimultaneousClose(t *testing.T) {
	p := newPair(t)
	ca := p.connect(t, 0)
	cb := p.accept(t, 0)
	p.w.At(time.Second, func() {
		(*ca).Close(p.w.Now())
		(*cb).Close(p.w.Now())
	})
	p.w.Run(2 * time.Minute)
	expectTranscript(t, p.w, true,
		"0.000000s A>B SYN seq=0 len=0",
		"0.000000s B>A SYN,ACK seq=0 ack=1 len=0",
		"0.000000s A>B ACK seq=1 ack=1 len=0",
		"1.000000s A>B FIN,ACK seq=1 ack=1 len=0",
		"1.000000s B>A FIN,ACK seq=1 ack=1 len=0",
		"1.000000s A>B ACK seq=2 ack=2 len=0",
		"1.000000s B>A ACK seq=2 ack=2 len=0",
	)
	expectStates(t, p.w, "A", tcp.Closed, tcp.SynSent, tcp.Established, tcp.FinWait1, tcp.Closing, tcp.TimeWait, tcp.Closed)
	expectStates(t, p.w, "B", tcp.Closed, tcp.Listen, tcp.SynReceived, tcp.Established, tcp.FinWait1, tcp.Closing, tcp.TimeWait, tcp.Closed)
	for _, h := range []string{"A", "B"} {
		if got := stateTimes(p.w, h, tcp.Closed); len(got) != 1 || got[0] != 61*time.Second {
			t.Errorf("%s closed at %v, want 61s", h, got)
		}
	}
}

// TestHalfClose: the client shuts down its sending side; the server, in
// CLOSE_WAIT, goes on sending, and the client reads it all before the
// server's FIN.
func TestHalfClose(t *testing.T) {
	p := newPair(t)
	ca := p.connect(t, 0)
	cb := p.accept(t, 0)
	var client, server *App
	p.w.At(time.Millisecond, func() {
		client = p.w.Attach(*ca, &App{Send: []byte("request"), ShutdownAfterSend: true})
		server = p.w.Attach(*cb, &App{})
	})
	// Once the server has read the request and its EOF, it answers with
	// 100 kB and closes.
	p.w.At(time.Second, func() {
		if server.Received.String() != "request" || !server.EOF {
			t.Fatalf("server got %q eof=%v", server.Received.String(), server.EOF)
		}
		if st := (*cb).State(); st != tcp.CloseWait {
			t.Errorf("server in %v, want CLOSE_WAIT", st)
		}
		server.Send = make([]byte, 100_000)
		for i := range server.Send {
			server.Send[i] = byte(i * 7)
		}
		server.CloseAfterSend = true
		server.wake()
	})
	p.w.Run(2 * time.Minute)
	if client.Received.Len() != 100_000 || !client.EOF {
		t.Fatalf("client got %d bytes eof=%v", client.Received.Len(), client.EOF)
	}
	for i, c := range client.Received.Bytes() {
		if c != byte(i*7) {
			t.Fatalf("byte %d corrupted", i)
		}
	}
	expectStates(t, p.w, "A", tcp.Closed, tcp.SynSent, tcp.Established, tcp.FinWait1, tcp.FinWait2, tcp.TimeWait, tcp.Closed)
	expectStates(t, p.w, "B", tcp.Closed, tcp.Listen, tcp.SynReceived, tcp.Established, tcp.CloseWait, tcp.LastAck, tcp.Closed)
}

// TestAbortSendsReset: SetLinger(0)+Close, i.e. ABORT, drops queued data
// and sends <SEQ=SND.NXT><CTL=RST>; the peer fails with ECONNRESET.
func TestAbortSendsReset(t *testing.T) {
	p := newPair(t)
	ca := p.connect(t, 0)
	cb := p.accept(t, 0)
	// The server's window is closed by a tiny receive buffer it never
	// reads, so the client still holds queued data when it aborts.
	var server *App
	p.w.At(time.Millisecond, func() {
		server = p.w.Attach(*cb, &App{})
		(*ca).Write(make([]byte, 3000))
	})
	p.w.At(time.Second, func() { (*ca).Abort(p.w.Now()) })
	p.w.Run(10 * time.Second)
	got := Transcript(p.w.Trace.Events, false)
	last := got[len(got)-1]
	if last != "A>B RST,ACK seq=3001 ack=1 len=0" {
		t.Errorf("last segment %q, want the RST at SND.NXT; all:\n%v", last, got)
	}
	if !errors.Is(server.Err, syscall.ECONNRESET) {
		t.Errorf("server error %v, want ECONNRESET", server.Err)
	}
	expectStates(t, p.w, "A", tcp.Closed, tcp.SynSent, tcp.Established, tcp.Closed)
	expectStates(t, p.w, "B", tcp.Closed, tcp.Listen, tcp.SynReceived, tcp.Established, tcp.Closed)
	if n := p.b.Counters().EstabResets; n != 1 {
		t.Errorf("B EstabResets = %d, want 1", n)
	}
}
