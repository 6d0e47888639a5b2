package tcp

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/wire"
)

// requestTwins drives two TCBs of one passive open: plain is an ordinary
// TCB; compact is compacted into a Request and expanded again before every
// input while the connection stays half-open, as a host keeps it. Both
// must always send the same segments and agree on their variables.
type requestTwins struct {
	t             *testing.T
	cfg           Config
	p             OpenParams
	plain, twin   *TCB
	now           clock.Instant
	buf1, buf2    []byte
	compactions   int
	plainRec, rec recorder
	// early compacts the twin before its output is taken, as a host does
	// when its output batch is full: a SYN-ACK still due must survive.
	early bool
}

func newRequestTwins(t *testing.T, syn Segment, mod func(*Config)) *requestTwins {
	tw := &requestTwins{t: t, cfg: DefaultConfig(), buf1: make([]byte, 1<<16), buf2: make([]byte, 1<<16)}
	if mod != nil {
		mod(&tw.cfg)
	}
	tw.p = OpenParams{ISS: testISS, MSS: 1460, DefaultMSS: 536, TSOffset: 77}
	p1, p2 := tw.p, tw.p
	p1.Observer, p2.Observer = &tw.plainRec, &tw.rec
	tw.plain = NewPassive(&tw.cfg, 0, p1, &syn)
	tw.twin = new(TCB)
	InitPassive(tw.twin, &tw.cfg, 0, p2, &syn)
	tw.early = syn.Window%2 == 0 // half the time, compact before the first SYN-ACK
	tw.compare("the SYN")
	return tw
}

// compare drains both and checks that they sent and hold the same.
func (tw *requestTwins) compare(step string) {
	tw.t.Helper()
	if tw.early && !tw.twin.ackNow && !tw.twin.rstPending && tw.twin.dupAcksOwed == 0 {
		tw.recompact()
	}
	a, b := tw.drain(tw.plain, tw.buf1), tw.drain(tw.twin, tw.buf2)
	if a != b {
		tw.t.Fatalf("after %s at %v: the plain TCB sent\n  %s\nthe expanded one\n  %s", step, tw.now, a, b)
	}
	ia, ib := tw.plain.Info(), tw.twin.Info()
	ia.Stats, ib.Stats = ConnStats{}, ConnStats{}
	if !reflect.DeepEqual(ia, ib) || tw.plain.NextDeadline() != tw.twin.NextDeadline() || tw.plain.Err() != tw.twin.Err() {
		tw.t.Fatalf("after %s at %v:\n plain %+v (deadline %v)\n twin  %+v (deadline %v)", step, tw.now, ia, tw.plain.NextDeadline(), ib, tw.twin.NextDeadline())
	}
	if !reflect.DeepEqual(tw.plainRec.changes, tw.rec.changes) {
		tw.t.Fatalf("after %s: state changes %v and %v", step, tw.plainRec.changes, tw.rec.changes)
	}
	// Keep the twin half-open in its compact form between inputs.
	tw.recompact()
}

// recompact replaces the twin by the expansion of its compact form, if it
// has one.
func (tw *requestTwins) recompact() {
	if r, ok := tw.twin.Request(); ok {
		p := tw.p
		p.Observer = &tw.rec
		fresh := new(TCB)
		r.Expand(fresh, &tw.cfg, p)
		tw.twin = fresh
		tw.compactions++
	}
}

func (tw *requestTwins) drain(t *TCB, buf []byte) string {
	var out []string
	for range 100 {
		s, ok := t.NextSegment(tw.now, buf)
		if !ok {
			break
		}
		out = append(out, s.String())
	}
	return strings.Join(out, " ")
}

func (tw *requestTwins) in(s Segment) {
	a, b := s, s
	tw.plain.Deliver(tw.now, &a)
	tw.twin.Deliver(tw.now, &b)
	tw.compare(s.String())
}

func (tw *requestTwins) at(d clock.Instant) {
	tw.now = d
	for _, t := range []*TCB{tw.plain, tw.twin} {
		if t.NextDeadline() <= d {
			t.Tick(d)
		}
	}
	tw.compare(fmt.Sprintf("time %v", d))
}

// A half-open connection kept as a Request behaves exactly as a TCB kept
// whole, whatever arrives: random segments around the window (every flag,
// good and bad ACKs, retransmitted SYNs, RSTs, data, FINs), with and
// without each option, and the SYN-ACK's retransmissions in between.
func TestRequestBehavesAsItsTCB(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	compactions := 0
	for run := range 400 {
		syn := Segment{Seq: testIRS, Flags: wire.FlagSYN, Window: uint16(r.IntN(65536))}
		if r.IntN(2) == 0 {
			syn.Options.MSS, syn.Options.HasMSS = uint16(500+r.IntN(9000)), true
		}
		if r.IntN(2) == 0 {
			syn.Options.WScale, syn.Options.HasWScale = uint8(r.IntN(16)), true
		}
		syn.Options.SACKPermitted = r.IntN(2) == 0
		if r.IntN(2) == 0 {
			syn.Options.TSVal, syn.Options.HasTS = r.Uint32(), true
		}
		tw := newRequestTwins(t, syn, func(c *Config) { c.Timestamps = run%3 != 0 })
		for step := 0; step < 12 && tw.plain.State() != Closed; step++ {
			tw.early = r.IntN(3) == 0
			if r.IntN(3) == 0 {
				tw.at(tw.now + clock.Instant(time.Duration(r.IntN(4000))*time.Millisecond))
				continue
			}
			tw.in(randomSegment(r, syn))
		}
		compactions += tw.compactions
	}
	if compactions < 1000 {
		t.Fatalf("only %d compactions: the test barely exercised Request", compactions)
	}
}

// randomSegment draws a segment for a half-open connection whose SYN was
// syn and whose ISS is testISS.
func randomSegment(r *rand.Rand, syn Segment) Segment {
	flags := []wire.TCPFlags{wire.FlagACK, wire.FlagACK, wire.FlagACK | wire.FlagPSH, wire.FlagSYN, wire.FlagRST,
		wire.FlagRST | wire.FlagACK, wire.FlagFIN | wire.FlagACK, wire.FlagSYN | wire.FlagACK, 0}[r.IntN(9)]
	s := Segment{Seq: syn.Seq + 1 + Seq(r.IntN(5)-2), Ack: testISS + 1 + Seq(r.IntN(5)-2), Flags: flags, Window: uint16(r.IntN(65536))}
	if r.IntN(4) == 0 {
		s.Seq = syn.Seq + Seq(r.Uint32()%100000)
	}
	if flags&wire.FlagSYN != 0 && r.IntN(2) == 0 {
		s.Seq = syn.Seq // a retransmitted SYN
	}
	if r.IntN(3) == 0 {
		s.Payload = make([]byte, r.IntN(100))
	}
	if syn.Options.HasTS && r.IntN(4) != 0 {
		s.Options.TSVal, s.Options.HasTS = syn.Options.TSVal+uint32(r.IntN(2000))-500, true
	}
	return s
}

// The compact form is as small as its doc says: 48 bytes.
func TestRequestSize(t *testing.T) {
	if n := reflect.TypeFor[Request]().Size(); n > 48 {
		t.Fatalf("a Request takes %d bytes", n)
	}
}
