package trace

import (
	"reflect"
	"testing"

	"github.com/synack-net/synack/wire"
)

func TestFormatOptions(t *testing.T) {
	rel := func(v uint32) uint32 { return v - 1000 }
	cases := []struct {
		o    wire.TCPOptions
		want string
	}{
		{wire.TCPOptions{}, ""},
		{synOptions(1, 0), "<mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7>"},
		{wire.TCPOptions{MSS: 536, HasMSS: true, SACKPermitted: true, WScale: 0, HasWScale: true},
			"<mss 536,nop,nop,sackOK,nop,wscale 0>"},
		{wire.TCPOptions{MSS: 1440, HasMSS: true}, "<mss 1440>"},
		{ts(4294967295, 7), "<nop,nop,TS val 4294967295 ecr 7>"},
		{wire.TCPOptions{TSVal: 3, TSEcr: 4, HasTS: true, NumSACK: 2,
			SACK: [wire.MaxSACKBlocks]wire.SACKBlock{{Left: 1101, Right: 1201}, {Left: 1301, Right: 1401}}},
			"<nop,nop,TS val 3 ecr 4,nop,nop,sack 101:201 301:401>"},
		{wire.TCPOptions{NumSACK: 9}, "<nop,nop,sack 4294966296:4294966296 4294966296:4294966296 " +
			"4294966296:4294966296 4294966296:4294966296>"},
	}
	for _, c := range cases {
		if got := formatOptions(c.o, rel); got != c.want {
			t.Errorf("formatOptions(%+v) = %q, want %q", c.o, got, c.want)
		}
	}
}

func TestFormatSegment(t *testing.T) {
	id := func(v uint32) uint32 { return v }
	cases := []struct {
		s    Segment
		want string
	}{
		{Segment{Seq: 0, Flags: wire.FlagSYN, Window: 65535}, "SYN seq=0 win=65535"},
		{Segment{Seq: 1, Ack: 1, Flags: wire.FlagPSH | wire.FlagACK, Window: 502, Len: 100},
			"PSH,ACK seq=1:101(100) ack=1 win=502"},
		{Segment{Seq: 4294967295, Ack: 7, Flags: wire.FlagACK, Len: 2}, "ACK seq=4294967295:1(2) ack=7 win=0"},
		{Segment{Seq: 9, Ack: 123, Flags: wire.FlagRST}, "RST seq=9 win=0"},
		{Segment{Seq: 9, Options: ts(1, 2)}, "none seq=9 win=0 <nop,nop,TS val 1 ecr 2>"},
	}
	for _, c := range cases {
		if got := formatSegment(c.s, id, id).String(); got != c.want {
			t.Errorf("formatSegment(%+v) = %q, want %q", c.s, got, c.want)
		}
	}
}

func TestNumbering(t *testing.T) {
	var n numbering
	// The right side is seen first through the left side's ACK; its own
	// first segment carries no SYN.
	n.acked(0, 501)
	if got := 501 - n.isn[1]; got != 1 {
		t.Errorf("ack before the peer's ISN is known = %d, want 1", got)
	}
	n.sent(1, Segment{Seq: 501, Flags: wire.FlagACK})
	if got := 511 - n.isn[1]; got != 11 {
		t.Errorf("seq = %d, want 11", got)
	}
	n.sent(0, Segment{Seq: 4294967290, Flags: wire.FlagSYN})
	if got := 5 - n.isn[0]; got != 11 {
		t.Errorf("seq across the wrap = %d, want 11", got)
	}
	// A new SYN (a new incarnation of the connection) restarts the count.
	n.sent(0, Segment{Seq: 100, Flags: wire.FlagSYN})
	if got := 101 - n.isn[0]; got != 1 {
		t.Errorf("seq after a new SYN = %d, want 1", got)
	}
	// A side seen first through its own data counts from one before it.
	var m numbering
	m.sent(0, Segment{Seq: 7000, Flags: wire.FlagACK})
	if m.isn[0] != 6999 {
		t.Errorf("ISN of a side seen without a SYN = %d, want 6999", m.isn[0])
	}
}

func TestWrapLabel(t *testing.T) {
	l := segmentLabel{head: "SYN seq=0 win=64240", opts: "<mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7>"}
	cases := []struct {
		n    int
		want []string
	}{
		{100, []string{l.String()}},
		{50, []string{"SYN seq=0 win=64240", "<mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7>"}},
		{20, []string{"SYN seq=0 win=64240", "<mss 1460,sackOK,", "TS val 1 ecr 0,nop,", "wscale 7>"}},
		{8, []string{"SYN", "seq=0", "win=64240", "<mss 1460,", "sackOK,", "TS val 1 ecr 0,", "nop,", "wscale 7>"}},
	}
	for _, c := range cases {
		if got := wrapLabel(l, c.n); !reflect.DeepEqual(got, c.want) {
			t.Errorf("wrapLabel(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}
