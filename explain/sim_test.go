package explain

import (
	"bytes"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/synack-net/synack/link/netem"
	"github.com/synack-net/synack/link/pcap"
	"github.com/synack-net/synack/sim"
	"github.com/synack-net/synack/stack"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/trace"
)

// These tests run synack's own stacks on virtual time, capture every
// packet as its sender puts it on the network (so a packet the network
// then loses is in the capture, as with a capture on the sending host),
// and check what the observer infers from the capture against what the
// stacks recorded: the states each end really went through.

var (
	simA     = netip.MustParsePrefix("10.0.0.1/24")
	simB     = netip.MustParsePrefix("10.0.0.2/24")
	simBPort = netip.AddrPortFrom(simB.Addr(), 80)
)

// simNet is two synack hosts, A and B (listening on :80), and a capture.
type simNet struct {
	t    *testing.T
	w    *sim.World
	a, b *sim.Host
	ln   *stack.Listener
	pcap bytes.Buffer
	// mangle, if set, may change a captured copy or capture it again.
	mangle func(pkt []byte) [][]byte
}

// newSimNet makes the two hosts; serverOpts configure B.
func newSimNet(t *testing.T, serverOpts ...sim.HostConfig) *simNet {
	n := &simNet{t: t, w: sim.New(1)}
	n.a, n.b = n.w.AddHost("A", simA), n.w.AddHost("B", simB, serverOpts...)
	ln, err := n.b.Listen(0, simBPort, 0)
	if err != nil {
		t.Fatal(err)
	}
	n.ln = ln
	pw, err := pcap.NewWriter(&n.pcap)
	if err != nil {
		t.Fatal(err)
	}
	n.w.OnSend = func(_ *sim.Host, pkt []byte) {
		copies := [][]byte{pkt}
		if n.mangle != nil {
			copies = n.mangle(bytes.Clone(pkt))
		}
		for _, c := range copies {
			pw.WritePacket(time.Unix(0, int64(n.w.Now())), c)
		}
	}
	return n
}

// connect makes A connect to B at time at and B accept at once; it
// returns where both connections will be.
func (n *simNet) connect(at time.Duration) (ca, cb **stack.Conn) {
	ca, cb = new(*stack.Conn), new(*stack.Conn)
	n.w.At(at, func() {
		c, err := n.a.Connect(n.w.Now(), netip.AddrPort{}, simBPort)
		if err != nil {
			n.t.Fatalf("connect: %v", err)
		}
		*ca = c
	})
	n.w.At(at+100*time.Millisecond, func() {
		c, err := n.ln.Accept()
		if err != nil || c == nil {
			n.t.Fatalf("accept: %v %v", c, err)
		}
		*cb = c
	})
	return ca, cb
}

// explain reads the capture made so far.
func (n *simNet) explain() *Report {
	n.t.Helper()
	rep, err := Read(bytes.NewReader(n.pcap.Bytes()))
	if err != nil {
		n.t.Fatalf("Read: %v", err)
	}
	return rep
}

// trueStates returns the states the host at addr recorded for its
// connection with peer: the From of its first change, then each To.
// A passive end's record starts at LISTEN (its listener's state).
func (n *simNet) trueStates(addr, peer netip.AddrPort) []tcp.State {
	var out []tcp.State
	for _, e := range n.w.Trace.Events {
		if e.Kind != trace.KindState || e.Local != addr || e.Remote != peer {
			continue
		}
		if out == nil {
			out = append(out, e.From)
		}
		out = append(out, e.To)
	}
	switch {
	case out == nil:
		return []tcp.State{tcp.Closed} // no connection: a refusing host
	case len(out) > 1 && out[0] == tcp.Closed && out[1] == tcp.Listen:
		return out[1:]
	}
	return out
}

// checkStates compares the inferred states of every endpoint of c with
// those the stacks recorded.
func (n *simNet) checkStates(c *Connection) {
	n.t.Helper()
	for i, e := range c.Endpoints {
		want := n.trueStates(e.Addr, c.Endpoints[1-i].Addr)
		if !slices.Equal(e.States, want) {
			n.t.Errorf("%s: inferred %v, the stack went through %v", e.Addr, e.States, want)
		}
	}
}

// checkCauses compares the cause of each inferred user call (OPEN,
// CLOSE, shutdown, ABORT) with the one the stack recorded for the same
// transition.
func (n *simNet) checkCauses(c *Connection) {
	n.t.Helper()
	for _, e := range c.Events {
		if e.Kind != trace.KindState || e.Cause.Kind != tcp.CauseCall {
			continue
		}
		for _, r := range n.w.Trace.Events {
			if r.Kind == trace.KindState && r.Local == e.Local && r.From == e.From && r.To == e.To && r.Cause != e.Cause {
				n.t.Errorf("%s %s -> %s: inferred cause %s, the stack recorded %s", e.Local, e.From, e.To, e.Cause, r.Cause)
			}
		}
	}
}

// only returns the report's one connection, failing if there is not one.
func only(t *testing.T, rep *Report) *Connection {
	t.Helper()
	if len(rep.Connections) != 1 {
		t.Fatalf("%d connections, want 1", len(rep.Connections))
	}
	return rep.Connections[0]
}

// expectVerdicts compares c's verdicts with want.
func expectVerdicts(t *testing.T, c *Connection, want ...string) {
	t.Helper()
	if strings.Join(c.Verdicts, "\n") != strings.Join(want, "\n") {
		t.Errorf("verdicts:\n got: %q\nwant: %q", c.Verdicts, want)
	}
}

func TestSimHandshakeAndCloses(t *testing.T) {
	cases := []struct {
		name     string
		app      func(n *simNet, ca, cb **stack.Conn)
		verdicts []string
	}{
		{"server closes, client closes at once", func(n *simNet, ca, cb **stack.Conn) {
			// As in sim's TestServerClosesFirstThreeSegments: data
			// both ways first, then the client's delayed ACK of the
			// server's FIN leaves with its own FIN.
			n.w.At(500*time.Millisecond, func() { (*cb).Write([]byte("hello")) })
			n.w.At(510*time.Millisecond, func() {
				var buf [8]byte
				(*ca).Read(buf[:])
				(*ca).Write([]byte("hi"))
			})
			n.w.At(time.Second, func() {
				var buf [8]byte
				(*cb).Read(buf[:])
				(*cb).Close(n.w.Now())
			})
			n.w.At(time.Second, func() { (*ca).Close(n.w.Now()) })
		}, []string{"orderly close in 3 segments (FIN piggybacked on the ACK), %B closed first", "%B in TIME_WAIT at the end"}},
		{"server closes after a pause", func(n *simNet, ca, cb **stack.Conn) {
			n.w.At(time.Second, func() { (*ca).Close(n.w.Now()) })
			n.w.At(2*time.Second, func() { (*cb).Close(n.w.Now()) })
		}, []string{"orderly close in 4 segments, %A closed first", "%A in TIME_WAIT at the end"}},
		{"simultaneous close", func(n *simNet, ca, cb **stack.Conn) {
			n.w.At(time.Second, func() { (*ca).Close(n.w.Now()); (*cb).Close(n.w.Now()) })
		}, []string{"simultaneous close: each end sent its FIN before the other's arrived", "%A in TIME_WAIT at the end", "%B in TIME_WAIT at the end"}},
		{"half-close", func(n *simNet, ca, cb **stack.Conn) {
			n.w.At(time.Second, func() {
				n.w.Attach(*ca, &sim.App{Send: []byte("request"), ShutdownAfterSend: true})
				n.w.Attach(*cb, &sim.App{Send: make([]byte, 100000), CloseAfterSend: true})
			})
		}, []string{"half-close: %B sent 100000 bytes after the FIN of %A", "%A in TIME_WAIT at the end"}},
		{"abort", func(n *simNet, ca, cb **stack.Conn) {
			n.w.At(time.Second, func() { (*ca).Abort(n.w.Now()) })
		}, []string{"closed by RST from %A in ESTABLISHED"}},
		{"server never closes", func(n *simNet, ca, cb **stack.Conn) {
			n.w.At(time.Second, func() { (*ca).Close(n.w.Now()) })
		}, []string{"%A in FIN_WAIT_2 at the end of the capture", "server %B never sent FIN: stuck in CLOSE_WAIT at the end of the capture"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := newSimNet(t)
			ca, cb := n.connect(0)
			tc.app(n, ca, cb)
			n.w.Run(30 * time.Second) // before TIME_WAIT's 60 s end
			c := only(t, n.explain())
			n.checkStates(c)
			r := strings.NewReplacer("%A", c.Endpoints[0].Addr.String(), "%B", simBPort.String())
			want := make([]string, len(tc.verdicts))
			for i, v := range tc.verdicts {
				want[i] = r.Replace(v)
			}
			expectVerdicts(t, c, want...)
			checkLadder(t, c)
			n.checkCauses(c)
		})
	}
}

// checkLadder renders c's ladder and checks that it draws every segment.
func checkLadder(t *testing.T, c *Connection) {
	t.Helper()
	var b strings.Builder
	if err := trace.RenderLadder(&b, c.Events, c.Endpoints[0].Name, c.Endpoints[1].Name, trace.LadderOptions{Width: 120}); err != nil {
		t.Fatalf("RenderLadder: %v", err)
	}
	// A copy the capture holds twice is drawn again, tagged "(dup)".
	arrows := strings.Count(b.String(), ">|") + strings.Count(b.String(), "|<") - strings.Count(b.String(), "(dup)")
	if arrows != c.Segments {
		t.Errorf("ladder draws %d arrows for %d segments:\n%s", arrows, c.Segments, b.String())
	}
}

func TestSimSimultaneousOpen(t *testing.T) {
	n := newSimNet(t)
	pa := netip.AddrPortFrom(simA.Addr(), 5000)
	pb := netip.AddrPortFrom(simB.Addr(), 6000)
	n.w.At(0, func() {
		if _, err := n.a.Connect(0, pa, pb); err != nil {
			t.Fatal(err)
		}
		if _, err := n.b.Connect(0, pb, pa); err != nil {
			t.Fatal(err)
		}
	})
	n.w.Run(10 * time.Second)
	c := only(t, n.explain())
	n.checkStates(c)
	expectVerdicts(t, c, "connection open at the end of the capture")
}

func TestSimRefused(t *testing.T) {
	n := newSimNet(t)
	closed := netip.AddrPortFrom(simB.Addr(), 81)
	n.w.At(0, func() { n.a.Connect(0, netip.AddrPort{}, closed) })
	n.w.Run(10 * time.Second)
	c := only(t, n.explain())
	n.checkStates(c)
	if got := c.Endpoints[1].States; !slices.Equal(got, []tcp.State{tcp.Closed}) {
		t.Errorf("refusing end went through %v, want [CLOSED]", got)
	}
	expectVerdicts(t, c, "refused: RST from 10.0.0.2:81")
}

func TestSimSynTimeout(t *testing.T) {
	n := newSimNet(t)
	n.w.Net.SetPath(n.a.ID, n.b.ID, netem.Impairment{Loss: 1})
	n.w.At(0, func() { n.a.Connect(0, netip.AddrPort{}, simBPort) })
	n.w.Run(200 * time.Second)
	c := only(t, n.explain())
	// The stack's last change, SYN_SENT -> CLOSED on its last timeout,
	// sends nothing: the capture cannot show it.
	if got := c.Endpoints[0].States; !slices.Equal(got, []tcp.State{tcp.Closed, tcp.SynSent}) {
		t.Errorf("client went through %v", got)
	}
	expectVerdicts(t, c,
		"SYN retransmitted 6 times, 1 s, 3 s, 7 s, 15 s, 31 s and 63 s after the first",
		"no answer from 10.0.0.2:80: "+c.Endpoints[0].Addr.String()+" still in SYN_SENT at the end of the capture")
}

// TestSimLostFinalAck: the client's last ACK is lost after the capture
// point; the server resends its FIN, which the observer sees and so takes
// back the server's LAST_ACK -> CLOSED until the ACK of the second FIN.
func TestSimLostFinalAck(t *testing.T) {
	n := newSimNet(t)
	ca, cb := n.connect(0)
	n.w.At(time.Second, func() { (*ca).Close(n.w.Now()) })
	n.w.At(2*time.Second, func() {
		n.w.Net.SetPath(n.a.ID, n.b.ID, netem.Impairment{Loss: 1})
		(*cb).Close(n.w.Now())
	})
	n.w.At(2*time.Second+time.Millisecond, func() { n.w.Net.SetPath(n.a.ID, n.b.ID, netem.Impairment{}) })
	n.w.Run(30 * time.Second)
	c := only(t, n.explain())
	n.checkStates(c)
	expectVerdicts(t, c,
		"orderly close in 4 segments, "+c.Endpoints[0].Addr.String()+" closed first",
		c.Endpoints[0].Addr.String()+" in TIME_WAIT at the end",
		"retransmissions: 1, 1 after an RTO, all from 10.0.0.2:80")
	checkLadder(t, c)
}

// statesString writes an endpoint's states space-separated.
func statesString(e Endpoint) string {
	s := make([]string, len(e.States))
	for i, st := range e.States {
		s[i] = st.String()
	}
	return strings.Join(s, " ")
}
