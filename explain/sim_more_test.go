package explain

import (
	"net/netip"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/sim"
	"github.com/synack-net/synack/stack"
	"github.com/synack-net/synack/tcp"
)

// TestSimMidConnection: the capture starts a second after the handshake;
// both ends are taken as ESTABLISHED, and from there on the inferred
// states are the stacks' own.
func TestSimMidConnection(t *testing.T) {
	n := newSimNet(t)
	n.mangle = func(pkt []byte) [][]byte {
		if n.w.Now() < clockAt(time.Second) {
			return nil
		}
		return [][]byte{pkt}
	}
	ca, cb := n.connect(0)
	n.w.At(2*time.Second, func() { (*ca).Write([]byte("late")); (*ca).Close(n.w.Now()) })
	n.w.At(3*time.Second, func() { (*cb).Close(n.w.Now()) })
	n.w.Run(30 * time.Second)
	c := only(t, n.explain())
	for i, e := range c.Endpoints {
		want := n.trueStates(e.Addr, c.Endpoints[1-i].Addr)
		want = want[slices.Index(want, tcp.Established):]
		if !slices.Equal(e.States, want) {
			t.Errorf("%s: inferred %v, the stack went from ESTABLISHED through %v", e.Addr, e.States, want)
		}
		if e.Name != e.Addr.String() {
			t.Errorf("%s named %q without a handshake to tell its role", e.Addr, e.Name)
		}
	}
	// The server closes with "late" unread: it resets (RFC 2525 §2.17).
	expectVerdicts(t, c, "capture starts mid-connection: both ends taken as ESTABLISHED",
		"closed by RST from 10.0.0.2:80 in CLOSE_WAIT")
}

// TestSimStartsAfterSyn: the capture misses the SYN and starts with the
// SYN-ACK.
func TestSimStartsAfterSyn(t *testing.T) {
	n := newSimNet(t)
	skipped := false
	n.mangle = func(pkt []byte) [][]byte {
		if !skipped {
			skipped = true
			return nil
		}
		return [][]byte{pkt}
	}
	ca, _ := n.connect(0)
	n.w.At(time.Second, func() { (*ca).Abort(n.w.Now()) })
	n.w.Run(10 * time.Second)
	c := only(t, n.explain())
	if c.Endpoints[0].Name != "server" || statesString(c.Endpoints[0]) != "LISTEN SYN_RCVD ESTABLISHED CLOSED" ||
		statesString(c.Endpoints[1]) != "SYN_SENT ESTABLISHED CLOSED" {
		t.Errorf("endpoints %+v", c.Endpoints)
	}
	expectVerdicts(t, c, "capture starts after the SYN", "closed by RST from "+c.Endpoints[1].Addr.String()+" in ESTABLISHED")
}

// TestSimReuseAfterTimeWait: the server closes first and holds the
// 4-tuple in TIME_WAIT; the client connects again from the same port, and
// its SYN takes the 4-tuple over (RFC 6191): two connections.
func TestSimReuseAfterTimeWait(t *testing.T) {
	n := newSimNet(t)
	local := netip.AddrPortFrom(simA.Addr(), 40000)
	connect := func(at time.Duration) (ca, cb **stack.Conn) {
		ca, cb = new(*stack.Conn), new(*stack.Conn)
		n.w.At(at, func() {
			c, err := n.a.Connect(n.w.Now(), local, simBPort)
			if err != nil {
				t.Fatalf("connect: %v", err)
			}
			*ca = c
		})
		n.w.At(at+100*time.Millisecond, func() { *cb, _ = n.ln.Accept() })
		return ca, cb
	}
	ca, cb := connect(0)
	n.w.At(time.Second, func() { (*cb).Close(n.w.Now()) })
	n.w.At(2*time.Second, func() { (*ca).Close(n.w.Now()) })
	connect(5 * time.Second)
	n.w.Run(10 * time.Second)
	rep := n.explain()
	if len(rep.Connections) != 2 {
		t.Fatalf("%d connections, want 2", len(rep.Connections))
	}
	first, second := rep.Connections[0], rep.Connections[1]
	if got := statesString(first.Endpoints[1]); got != "LISTEN SYN_RCVD ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT CLOSED" {
		t.Errorf("first connection's server: %s", got)
	}
	expectVerdicts(t, first, "orderly close in 4 segments, 10.0.0.2:80 closed first",
		"TIME_WAIT ended by the SYN of a new connection on the same 4-tuple (RFC 6191)")
	if got := statesString(second.Endpoints[1]); got != "LISTEN SYN_RCVD ESTABLISHED" {
		t.Errorf("second connection's server: %s", got)
	}
	checkTransitions(t, first.Events)
}

// TestSimZeroWindow: a receiver with a small buffer that does not read for
// 5 s; the sender probes the closed window (RFC 9293 §3.8.6.1).
func TestSimZeroWindow(t *testing.T) {
	cfg := tcp.DefaultConfig()
	cfg.ReceiveBufferSize, cfg.ReceiveBufferMax = 4096, 4096
	n := newSimNet(t, sim.WithTCP(cfg))
	ca, cb := n.connect(0)
	n.w.At(200*time.Millisecond, func() {
		n.w.Attach(*ca, &sim.App{Send: make([]byte, 64<<10), CloseAfterSend: true})
	})
	n.w.At(6*time.Second, func() { n.w.Attach(*cb, &sim.App{CloseOnEOF: true}) })
	n.w.Run(30 * time.Second)
	c := only(t, n.explain())
	n.checkStates(c)
	re := regexp.MustCompile(`^zero window from 10\.0\.0\.2:80 for (5(\.\d)?|6) s \([1-9]\d* window probes?\)$`)
	if len(c.Verdicts) != 3 || c.Verdicts[0] != "orderly close in 4 segments, 10.0.0.1:42472 closed first" ||
		c.Verdicts[1] != "10.0.0.1:42472 in TIME_WAIT at the end" || !re.MatchString(c.Verdicts[2]) {
		t.Errorf("verdicts %q", c.Verdicts)
	}
}

// clockAt is the virtual instant d after the simulation's start.
func clockAt(d time.Duration) clock.Instant { return clock.Instant(d) }

// TestSimCaptureGap: the capture loses a data segment that the network
// delivered (tcpdump fell behind): the receiver's ACK shows it.
func TestSimCaptureGap(t *testing.T) {
	n := newSimNet(t)
	dropped := false
	n.mangle = func(pkt []byte) [][]byte {
		if !dropped && len(pkt) > 100 && wireSrc(pkt) == simA.Addr().As4() {
			dropped = true
			return nil
		}
		return [][]byte{pkt}
	}
	ca, cb := n.connect(0)
	n.w.At(time.Second, func() {
		n.w.Attach(*cb, &sim.App{CloseOnEOF: true})
		(*ca).Write(make([]byte, 1000))
	})
	n.w.At(2*time.Second, func() { (*ca).Close(n.w.Now()) })
	n.w.Run(30 * time.Second)
	c := only(t, n.explain())
	n.checkStates(c)
	// A FIN the capture loses cannot be told from a byte of data: the
	// gap here holds data only.
	want := "the capture missed segments: 10.0.0.2:80 acknowledged 1000 bytes from " + c.Endpoints[0].Addr.String() + " that it does not hold"
	if !slices.Contains(c.Verdicts, want) {
		t.Errorf("verdicts %q lack %q", c.Verdicts, want)
	}
}
