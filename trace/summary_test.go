package trace

import (
	"slices"
	"testing"

	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/wire"
)

func TestStates(t *testing.T) {
	cases := []struct {
		events []Event
		host   string
		want   []tcp.State
	}{
		{handshakeDataClose(), "client", []tcp.State{tcp.Closed, tcp.SynSent, tcp.Established,
			tcp.FinWait1, tcp.FinWait2, tcp.TimeWait, tcp.Closed}},
		{handshakeDataClose(), "server", []tcp.State{tcp.Closed, tcp.Listen, tcp.SynReceived,
			tcp.Established, tcp.CloseWait, tcp.LastAck, tcp.Closed}},
		{simultaneousOpen(), "alice", []tcp.State{tcp.Closed, tcp.SynSent, tcp.SynReceived, tcp.Established}},
		{simultaneousOpen(), "bob", []tcp.State{tcp.Closed, tcp.SynSent, tcp.SynReceived, tcp.Established}},
		{refused(), "server", nil},
		{handshakeDataClose(), "nobody", nil},
	}
	for _, c := range cases {
		if got := States(c.events, c.host); !slices.Equal(got, c.want) {
			t.Errorf("States(%s) = %v, want %v", c.host, got, c.want)
		}
	}
}

func TestSegments(t *testing.T) {
	events := lostSYN()
	flags := func(evs []Event) []wire.TCPFlags {
		var f []wire.TCPFlags
		for _, e := range evs {
			f = append(f, e.Segment.Flags)
		}
		return f
	}
	sent := Segments(events, "client", KindSend)
	if want := []wire.TCPFlags{syn, syn, ack}; !slices.Equal(flags(sent), want) {
		t.Errorf("client sent %v, want %v", flags(sent), want)
	}
	if sent[1].Segment.Options.TSVal != 1100 || sent[1].Time != usec(1_000_000) {
		t.Errorf("the second client segment is %+v, want the retransmitted SYN", sent[1])
	}
	got := flags(Segments(events, "server", KindRecv))
	if want := []wire.TCPFlags{syn, ack}; !slices.Equal(got, want) {
		t.Errorf("server received %v, want %v", got, want)
	}
	if got := Segments(events, "client", KindDrop); got != nil {
		t.Errorf("client drops = %v, want none", got)
	}
	if got := Segments(events, "client", KindTimer); len(got) != 1 || got[0].Timer != tcp.TimerRetransmit {
		t.Errorf("client timers = %v, want one retransmit", got)
	}
}
