//go:build linux

package kernel

import (
	"net"
	"testing"
	"time"
)

// TestAcceptQueueFull: with a backlog of 1 and one established connection
// not yet accepted, synack drops the kernel's next SYN (as Linux does, and
// counts it in ListenOverflows) instead of resetting it; the kernel
// retransmits the SYN after its 1 s initial RTO (RFC 6298 §2.1, RFC 9293
// §3.8.1), and once Accept has made room the retransmission is answered
// and the connection completes.
func TestAcceptQueueFull(t *testing.T) {
	e := newEnv(t)
	ln := e.synackListen(1)
	port := addrPort(ln.Addr()).Port()
	first, err := e.kernelDial(port)
	if err != nil {
		t.Fatalf("first dial: %v", err)
	}
	defer first.Close()
	// synack queues an established connection for Accept when it next
	// flushes, and bounds the queue only when a SYN arrives; a SYN taken
	// in the same batch as the first connection's final ACK would still
	// find room. Wait for that ACK, then for the flush.
	waitFor(t, 5*time.Second, "the first connection is not established", func() bool {
		return e.st.Counters().CurrEstab == 1
	})
	e.quiesce()

	type dialed struct {
		c   *net.TCPConn
		err error
		at  time.Duration
	}
	start := time.Now()
	second := make(chan dialed, 1)
	go func() {
		c, err := e.kernelDial(port)
		second <- dialed{c, err, time.Since(start)}
	}()
	waitFor(t, 5*time.Second, "synack did not drop the second SYN", func() bool {
		return e.st.Counters().ListenOverflows >= 1
	})
	select {
	case d := <-second:
		t.Fatalf("the second dial finished (%v) while the accept queue was full", d.err)
	default:
	}
	a, err := ln.AcceptTCP()
	if err != nil {
		t.Fatalf("Accept: %v", err)
	}
	defer a.Close()
	if a.RemoteAddr().String() != first.LocalAddr().String() {
		t.Errorf("accepted %v, want the first connection %v", a.RemoteAddr(), first.LocalAddr())
	}
	var d dialed
	select {
	case d = <-second:
	case <-time.After(10 * time.Second):
		t.Fatal("the second dial did not complete 10 s after Accept made room")
	}
	if d.err != nil {
		t.Fatalf("second dial: %v", d.err)
	}
	defer d.c.Close()
	if d.at < 900*time.Millisecond {
		t.Errorf("the second dial completed after %v; a dropped SYN should take the kernel's 1 s retransmission", d.at)
	}
	b, err := ln.AcceptTCP()
	if err != nil {
		t.Fatalf("second Accept: %v", err)
	}
	defer b.Close()
	if b.RemoteAddr().String() != d.c.LocalAddr().String() {
		t.Errorf("accepted %v, want the second connection %v", b.RemoteAddr(), d.c.LocalAddr())
	}
	c := e.st.Counters()
	t.Logf("second connection after %v; ListenOverflows %d, ListenDrops %d", d.at.Round(time.Millisecond), c.ListenOverflows, c.ListenDrops)
}
