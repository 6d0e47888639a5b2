package sim

import (
	"bytes"
	"crypto/sha256"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/synack-net/synack/link/netem"
	"github.com/synack-net/synack/stack"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/wire"
)

// TestOldDuplicateInTimeWaitDoesNotReachNewIncarnation: the server closes
// first and holds the 4-tuple in TIME_WAIT; the client reconnects from the
// same port, and the SYN's newer timestamp lets it take the pair over
// (RFC 6191). A delayed data segment of the old connection then arrives:
// it lies outside the new connection's window and is only acknowledged,
// never delivered.
func TestOldDuplicateInTimeWaitDoesNotReachNewIncarnation(t *testing.T) {
	p := newPair(t)
	local := netip.AddrPortFrom(addrA.Addr(), 40000)
	var old []byte
	p.w.Net.AddRule(netem.Rule{Count: netem.Forever, Match: func(from, to netem.HostID, pkt []byte) bool {
		if from == p.a.ID && old == nil && len(wire.TCP(wire.IPv4(pkt).Payload()).Payload()) > 0 {
			old = append([]byte(nil), pkt...) // keep a copy, let it through
		}
		return false
	}})
	var first *App
	p.w.At(0, func() {
		c, err := p.a.Connect(0, local, portB)
		if err != nil {
			t.Fatal(err)
		}
		first = p.w.Attach(c, &App{Send: []byte("old data"), CloseOnEOF: true})
	})
	p.w.At(time.Second, func() {
		c, _ := p.ln.Accept()
		p.w.Attach(c, &App{CloseAfterSend: true})
	})
	p.w.Run(2 * time.Second)
	if !first.EOF || old == nil {
		t.Fatalf("first connection did not finish (eof=%v, captured=%v)", first.EOF, old != nil)
	}
	var second *stack.Conn
	p.w.At(5*time.Second, func() {
		var err error
		if second, err = p.a.Connect(p.w.Now(), local, portB); err != nil {
			t.Fatalf("reconnect: %v", err)
		}
	})
	p.w.Run(6 * time.Second)
	if second == nil || second.State() != tcp.Established {
		t.Fatal("the new incarnation was not established")
	}
	if n := p.b.Counters().TimeWaitRecycled; n != 1 {
		t.Errorf("TimeWaitRecycled = %d, want 1", n)
	}
	c, _ := p.ln.Accept()
	acksBefore := len(sendTimes(p.w, "B", wire.FlagACK))
	p.w.At(6*time.Second, func() { p.w.Net.Send(p.w.Now(), p.a.ID, old) })
	p.w.Run(7 * time.Second)
	if got := c.Status().Readable; got != 0 {
		t.Errorf("the old segment's %d bytes reached the new connection", got)
	}
	if got := len(sendTimes(p.w, "B", wire.FlagACK)); got != acksBefore+1 {
		t.Errorf("B sent %d ACKs for the old segment, want 1", got-acksBefore)
	}
}

// TestBulkTransferOverLossyNetwork: 10 MiB arrive exactly across 5% loss,
// 5% reordering and 5% duplication in each direction.
func TestBulkTransferOverLossyNetwork(t *testing.T) {
	imp := netem.Impairment{Loss: 0.05, Reorder: 0.05, ReorderDelay: 3 * time.Millisecond,
		Duplicate: 0.05, Delay: 5 * time.Millisecond, Jitter: time.Millisecond}
	p, k := lossyTransfer(t, 1, imp, 10<<20)
	if k.RetransSegs == 0 {
		t.Error("no retransmissions over a lossy path")
	}
	t.Logf("virtual time %v, A: %d segments, %d retransmitted, %d timeouts, %d fast retransmits",
		p.w.Now(), k.OutSegs, k.RetransSegs, k.TCPTimeouts, k.TCPFastRetrans)
}

// lossyTransfer sends size random bytes from A to B across imp in each
// direction, in a world seeded with seed, checks that they arrive exactly,
// and returns the pair (its clock stopped at B's EOF) and A's counters.
func lossyTransfer(t testing.TB, seed uint64, imp netem.Impairment, size int) (*pair, stack.Counters) {
	t.Helper()
	p := newSeededPair(t, seed)
	p.w.Net.SetPath(p.a.ID, p.b.ID, imp)
	p.w.Net.SetPath(p.b.ID, p.a.ID, imp)
	data := make([]byte, size)
	r := rand.New(rand.NewPCG(seed, 2))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	ca := p.connect(t, 0)
	var server *App
	p.w.At(time.Millisecond, func() { p.w.Attach(*ca, &App{Send: data, CloseAfterSend: true}) })
	p.w.At(100*time.Millisecond, func() {
		c, _ := p.ln.Accept()
		if c == nil {
			t.Fatal("not accepted")
		}
		server = p.w.Attach(c, &App{CloseOnEOF: true})
	})
	if !p.w.RunUntil(30*time.Minute, func() bool { return server != nil && server.EOF }) {
		t.Fatalf("transfer did not finish: %d of %d bytes", server.Received.Len(), len(data))
	}
	if got := server.Received.Bytes(); !bytes.Equal(got, data) {
		t.Fatalf("data differs: got %d bytes, sha %x, want %x", len(got), sha256.Sum256(got), sha256.Sum256(data))
	}
	return p, p.a.Counters()
}
