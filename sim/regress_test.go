package sim

import (
	"bytes"
	"testing"
	"time"

	"github.com/synack-net/synack/link/netem"
	"github.com/synack-net/synack/stack"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/wire"
)

// End-to-end regression tests for the five data-path bugs a random-fault
// explorer found (issue 9); tcp/regress_test.go has each at the TCB's level.

// pattern returns n bytes that differ from any other pattern's with
// another salt, so that misplaced data shows.
func pattern(n int, salt byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7+i/251) ^ salt
	}
	return b
}

// twoWay runs a transfer of n bytes each way between the pair's hosts: A
// sends and half-closes, B sends and closes once it has read A's FIN. It
// returns both apps once the run ends or until passes.
func twoWay(t *testing.T, p *pair, n int, until time.Duration) (a, b *App) {
	t.Helper()
	ca := p.connect(t, 0)
	p.w.At(0, func() {
		// Like a socket's writer, the app starts once connect returns.
		(*ca).SetWaker(func() {
			if a == nil && (*ca).State() == tcp.Established {
				a = p.w.Attach(*ca, &App{Send: pattern(n, 1), ShutdownAfterSend: true})
			}
		})
	})
	p.ln.SetWaker(func() {
		if b != nil {
			return
		}
		if c, err := p.ln.Accept(); err == nil && c != nil {
			b = p.w.Attach(c, &App{Send: pattern(n, 2), CloseOnEOF: true})
		}
	})
	p.w.RunUntil(until, func() bool { return a != nil && b != nil && a.Done() && b.Done() })
	if a == nil || b == nil {
		t.Fatalf("no connection: client app %t, server app %t", a != nil, b != nil)
	}
	return a, b
}

// checkDelivered asserts that each app read exactly what the other wrote.
func checkDelivered(t *testing.T, a, b *App, n int) {
	t.Helper()
	if !a.Done() || !b.Done() {
		t.Fatalf("unfinished: client read %d of %d (EOF %v, err %v), server read %d (EOF %v, err %v)",
			a.Received.Len(), n, a.EOF, a.Err, b.Received.Len(), b.EOF, b.Err)
	}
	if !bytes.Equal(a.Received.Bytes(), pattern(n, 2)) || !bytes.Equal(b.Received.Bytes(), pattern(n, 1)) {
		t.Fatal("the data arrived altered")
	}
}

// Bug 1: with loss both ways, data segments carry SACK blocks; each must
// still fit the 1500-byte path, which drops larger packets silently (a
// path MTU black hole, so nothing but the sizes can save the transfer).
func TestTwoWayLossyTransferFitsTheMTU(t *testing.T) {
	p := newSeededPair(t, 3)
	p.w.Net.TooBig = nil
	imp := netem.Impairment{Delay: 5 * time.Millisecond, Loss: 0.02, MTU: 1500}
	p.w.Net.SetPath(p.a.ID, p.b.ID, imp)
	p.w.Net.SetPath(p.b.ID, p.a.ID, imp)
	const n = 512 << 10
	a, b := twoWay(t, p, n, 120*time.Second)
	checkDelivered(t, a, b, n)
	if s := p.w.Net.Stats(); s.DroppedMTU != 0 || s.Lost == 0 {
		t.Fatalf("%d packets over the MTU (and %d lost)", s.DroppedMTU, s.Lost)
	}
}

// Bug 2: a reader that takes 100 bytes every 100 ms keeps the sender's
// window closed once the 1 MiB receive buffer has filled: the transfer then
// lives on window probes and on the window updates that silly window
// avoidance lets out once a full segment fits. No fault is needed to break
// a probe that desynchronises the sequence space (a byte sent at SND.NXT
// without advancing it, which the receiver takes into its free space).
func TestSlowReaderTransferCompletes(t *testing.T) {
	p := newSeededPair(t, 1)
	const n = 1<<20 + 64<<10 // 64 KiB past the full buffer
	ca := p.connect(t, 0)
	p.w.At(0, func() { p.w.Attach(*ca, &App{Send: pattern(n, 1), CloseAfterSend: true}) })
	cb := p.accept(t, 0)
	var got bytes.Buffer
	eof := false
	buf := make([]byte, 100)
	var read func()
	read = func() {
		if m, err := (*cb).Read(buf); m > 0 {
			got.Write(buf[:m])
		} else if err != nil {
			eof = true
			return
		}
		p.w.After(100*time.Millisecond, read)
	}
	p.w.At(time.Millisecond, read)
	// 1.0625 MiB at 1,000 bytes a second takes 1,114 s.
	p.w.RunUntil(1500*time.Second, func() bool { return eof })
	if !eof || !bytes.Equal(got.Bytes(), pattern(n, 1)) {
		i := (*ca).Info()
		t.Fatalf("read %d of %d bytes by %v, EOF %v; the sender has %d unsent, SND.WND %d", got.Len(), n, p.w.Now(), eof, i.Unsent, i.SndWnd)
	}
}

// Bug 3: both ends send at the same instant; their data crosses and
// arrives, then a partition drops both acknowledgments. Both time out,
// resend data the other already holds, and must answer each other's
// resends with ACKs the other finds acceptable (numbered SND.MAX, not the
// rewound SND.NXT), or each drops the other's ACKs unread and both resend
// the same segment until they give up.
func TestCrossingDataAcksLostInPartition(t *testing.T) {
	p := newSeededPair(t, 1)
	imp := netem.Impairment{Delay: 10 * time.Millisecond}
	p.w.Net.SetPath(p.a.ID, p.b.ID, imp)
	p.w.Net.SetPath(p.b.ID, p.a.ID, imp)
	ca := p.connect(t, 0)
	cb := p.accept(t, 100*time.Millisecond)
	const n = 20000
	var a, b *App
	p.w.At(time.Second, func() {
		a = p.w.Attach(*ca, &App{Send: pattern(n, 1), ShutdownAfterSend: true})
		b = p.w.Attach(*cb, &App{Send: pattern(n, 2), CloseOnEOF: true})
	})
	p.w.At(time.Second+time.Millisecond, func() { p.w.Net.Partition(p.a.ID, p.b.ID) })
	p.w.At(4*time.Second, func() { p.w.Net.Heal(p.a.ID, p.b.ID) })
	p.w.RunUntil(60*time.Second, func() bool { return a != nil && a.Done() && b.Done() })
	checkDelivered(t, a, b, n)
}

// Bug 5: the client's first keep-alive probe falls due at the instant the
// server's SYN-ACK arrives again (the client's ACK of the first was lost).
// The client owes an ACK for it, and that ACK must go out: the probe,
// numbered below the server's window, cannot complete the handshake.
func TestKeepaliveAtRetransmittedSynAck(t *testing.T) {
	ka := tcp.DefaultConfig()
	// With 10 ms each way the SYN-ACK is retransmitted at 1.01 s and
	// arrives at 1.02 s, when the keep-alive idle time (from the first
	// SYN-ACK's arrival, at 20 ms) runs out.
	ka.KeepAlive = tcp.KeepAlive{Enable: true, Idle: time.Second, Interval: time.Second, Count: 5}
	p := newSeededPair(t, 1, WithTCP(ka))
	imp := netem.Impairment{Delay: 10 * time.Millisecond}
	p.w.Net.SetPath(p.a.ID, p.b.ID, imp)
	p.w.Net.SetPath(p.b.ID, p.a.ID, imp)
	// Drop the handshake's third segment, the client's first pure ACK.
	p.w.Net.AddRule(netem.Rule{Count: 1, Match: func(from, _ netem.HostID, pkt []byte) bool {
		return from == p.a.ID && tcpFlags(pkt) == wire.FlagACK
	}})
	p.connect(t, 0)
	var accepted *stack.Conn
	p.w.At(0, func() {
		p.ln.SetWaker(func() { accepted, _ = p.ln.Accept() })
	})
	p.w.Run(2 * time.Second)
	if got := stateTimes(p.w, "B", tcp.Established); len(got) != 1 || got[0] != 1030*time.Millisecond {
		t.Fatalf("server ESTABLISHED at %v, want once at 1.03s (the ACK of the SYN-ACK's retransmission)", got)
	}
	if accepted == nil {
		t.Fatal("nothing accepted")
	}
}
