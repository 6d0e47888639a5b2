package trace

import (
	"slices"
	"testing"

	"github.com/synack-net/synack/wire"
)

func TestMatchSegments(t *testing.T) {
	s := newScenario()
	synSeg := Segment{Seq: 5, Flags: wire.FlagSYN, Window: 100}
	s.send(0, "client", synSeg)         // 0: lost
	s.send(1_000_000, "client", synSeg) // 1: delivered, twice
	s.recv(1_005_000, "server", synSeg) // 2
	s.recv(1_005_001, "server", synSeg) // 3: the network's copy
	data := Segment{Seq: 6, Ack: 9, Flags: wire.FlagACK, Window: 100, Len: 10}
	s.recv(1_006_000, "client", data) // 4: from the server, which sent nothing
	s.send(1_007_000, "client", data) // 5: same fields, other direction: lost
	conn, ok := findConnection(s.events, "client", "server")
	if !ok {
		t.Fatal("no connection found")
	}
	m := matchSegments(s.events, conn)
	for i, want := range []struct{ delivered, orphan, duplicate bool }{
		{false, false, false},
		{true, false, false},
		{false, false, false},
		{false, true, true},
		{false, true, false},
		{false, false, false},
	} {
		got := struct{ delivered, orphan, duplicate bool }{m.delivered[i], m.orphan[i], m.duplicate[i]}
		if got != want {
			t.Errorf("event %d: got %+v, want %+v", i, got, want)
		}
	}
	// The delivered SYN pairs with the second send; the copy copies it.
	if want := []int{-1, -1, 1, 1, -1, -1}; !slices.Equal(m.sendOf, want) {
		t.Errorf("sendOf = %v, want %v", m.sendOf, want)
	}
}

// TestMatchSegmentsTimestamps checks that the timestamps option tells which
// copy of a retransmitted segment arrived, even when it was the first.
func TestMatchSegmentsTimestamps(t *testing.T) {
	s := newScenario()
	first := Segment{Seq: 5, Flags: wire.FlagSYN, Window: 100, Options: ts(1, 0)}
	second := first
	second.Options = ts(2, 0)
	s.send(0, "client", first)
	s.send(1_000_000, "client", second)
	s.recv(1_500_000, "server", first) // a slow network, not a lossy one
	conn, _ := findConnection(s.events, "client", "server")
	m := matchSegments(s.events, conn)
	if !m.delivered[0] || m.delivered[1] {
		t.Errorf("delivered = %v, want the first copy only", m.delivered[:2])
	}
}

// TestMatchSegmentsOptions checks that two segments differing only in their
// options (an ACK, then a duplicate ACK with a SACK block) are told apart.
func TestMatchSegmentsOptions(t *testing.T) {
	s := newScenario()
	plain := Segment{Seq: 1, Ack: 101, Flags: wire.FlagACK, Window: 501}
	sacked := plain
	sacked.Options = wire.TCPOptions{NumSACK: 1, SACK: [wire.MaxSACKBlocks]wire.SACKBlock{{Left: 1, Right: 101}}}
	s.flight(0, "server", plain)
	s.flight(100, "server", sacked)
	// The receiver's parser leaves garbage beyond NumSACK: still the same.
	s.events[3].Segment.Options.SACK[2] = wire.SACKBlock{Left: 9, Right: 9}
	conn, _ := findConnection(s.events, "client", "server")
	m := matchSegments(s.events, conn)
	if !m.delivered[0] || !m.delivered[2] || m.orphan[1] || m.orphan[3] {
		t.Errorf("delivered = %v, orphan = %v; want both delivered, no orphans", m.delivered, m.orphan)
	}
}

// TestMatchSegmentsIdenticalSameInstant checks that identical segments sent
// at one instant (duplicate ACKs) pair in order with their receives: none
// is lost, none is a network's copy.
func TestMatchSegmentsIdenticalSameInstant(t *testing.T) {
	s := newScenario()
	dupAck := Segment{Seq: 1, Ack: 2897, Flags: wire.FlagACK, Window: 501, Options: ts(7, 3)}
	for range 3 {
		s.send(30_000_000, "server", dupAck)
	}
	for range 3 {
		s.recv(40_000_000, "client", dupAck)
	}
	conn, _ := findConnection(s.events, "client", "server")
	m := matchSegments(s.events, conn)
	if want := []int{-1, -1, -1, 0, 1, 2}; !slices.Equal(m.sendOf, want) ||
		slices.Contains(m.delivered[:3], false) || slices.Contains(m.orphan, true) {
		t.Errorf("sendOf = %v, delivered = %v, orphan = %v; want each receive paired with its send in order",
			m.sendOf, m.delivered[:3], m.orphan)
	}
}
