package sim

import (
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/synack-net/synack/link/netem"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/trace"
	"github.com/synack-net/synack/wire"
)

// tcpFlags returns the TCP flags of an IPv4 packet (tests only send IPv4).
func tcpFlags(pkt []byte) wire.TCPFlags {
	ip := wire.IPv4(pkt)
	if ip.Validate() != nil {
		return 0
	}
	return wire.TCP(ip.Payload()).Flags()
}

// sendTimes lists when host sent segments with exactly these flags.
func sendTimes(w *World, host string, flags wire.TCPFlags) []time.Duration {
	var ts []time.Duration
	for _, e := range w.Trace.Events {
		if e.Kind == trace.KindSend && e.Host == host && e.Segment.Flags == flags {
			ts = append(ts, time.Duration(e.Time))
		}
	}
	return ts
}

// TestSynRetransmissionBackoff: with every packet to the server lost, the
// SYN goes out at 0 and is retransmitted at 1, 3, 7, 15, 31 and 63 s (1 s
// initial RTO, doubling, 6 retries); connect fails with ETIMEDOUT at 127 s.
func TestSynRetransmissionBackoff(t *testing.T) {
	p := newPair(t)
	p.w.Net.AddRule(netem.Rule{Count: netem.Forever, Match: func(from, to netem.HostID, _ []byte) bool { return to == p.b.ID }})
	ca := p.connect(t, 0)
	p.w.Run(126999 * time.Millisecond)
	want := []time.Duration{0, 1, 3, 7, 15, 31, 63}
	got := sendTimes(p.w, "A", wire.FlagSYN)
	if len(got) != len(want) {
		t.Fatalf("SYNs at %v, want %v s", got, want)
	}
	for i := range want {
		if got[i] != want[i]*time.Second {
			t.Fatalf("SYNs at %v, want %v s", got, want)
		}
	}
	if st := (*ca).Status(); st.State != tcp.SynSent {
		t.Fatalf("at 126.999 s: %v, want still SYN_SENT", st.State)
	}
	p.w.Run(127 * time.Second)
	st := (*ca).Status()
	if st.State != tcp.Closed || !errors.Is(st.Err, syscall.ETIMEDOUT) {
		t.Fatalf("at 127 s: %v %v, want CLOSED ETIMEDOUT", st.State, st.Err)
	}
	if got := stateTimes(p.w, "A", tcp.Closed); len(got) != 1 || got[0] != 127*time.Second {
		t.Errorf("closed at %v, want 127s", got)
	}
	if k := p.a.Counters(); k.AttemptFails != 1 || k.TCPAbortOnTimeout != 1 {
		t.Errorf("AttemptFails = %d, TCPAbortOnTimeout = %d; want 1, 1", k.AttemptFails, k.TCPAbortOnTimeout)
	}
}

// TestFinalAckLostTimeWaitReacks: the client's last ACK is lost, so the
// server retransmits its FIN after its RTO; the client, in TIME_WAIT,
// acknowledges it again and restarts its 2×MSL timer.
func TestFinalAckLostTimeWaitReacks(t *testing.T) {
	p := newPair(t)
	ca := p.connect(t, 0)
	cb := p.accept(t, 0)
	p.w.At(time.Second, func() { (*ca).Close(p.w.Now()) })
	p.w.At(2*time.Second, func() {
		// Drop the next pure ACK from A: the one for B's FIN.
		p.w.Net.AddRule(netem.Rule{Count: 1, Match: func(from, to netem.HostID, pkt []byte) bool {
			return from == p.a.ID && tcpFlags(pkt) == wire.FlagACK
		}})
		(*cb).Close(p.w.Now())
	})
	p.w.Run(3 * time.Minute)
	expectTranscript(t, p.w, true,
		"0.000000s A>B SYN seq=0 len=0",
		"0.000000s B>A SYN,ACK seq=0 ack=1 len=0",
		"0.000000s A>B ACK seq=1 ack=1 len=0",
		"1.000000s A>B FIN,ACK seq=1 ack=1 len=0",
		"1.000000s B>A ACK seq=1 ack=2 len=0",
		"2.000000s B>A FIN,ACK seq=1 ack=2 len=0",
		"2.000000s A>B ACK seq=2 ack=2 len=0", // lost
		"2.200000s B>A FIN,ACK seq=1 ack=2 len=0",
		"2.200000s A>B ACK seq=2 ack=2 len=0",
	)
	// B's RTO is the 200 ms minimum: zero RTT in the simulation.
	if got := stateTimes(p.w, "A", tcp.Closed); len(got) != 1 || got[0] != 62200*time.Millisecond {
		t.Errorf("A closed at %v, want 62.2s (2×MSL restarted by the retransmitted FIN)", got)
	}
	expectStates(t, p.w, "B", tcp.Closed, tcp.Listen, tcp.SynReceived, tcp.Established, tcp.CloseWait, tcp.LastAck, tcp.Closed)
	if k := p.a.Counters(); k.TimeWaited != 1 || k.TCPAbortOnTimeout != 0 {
		t.Errorf("TimeWaited = %d, TCPAbortOnTimeout = %d; want 1, 0 (2MSL ends a connection in order)", k.TimeWaited, k.TCPAbortOnTimeout)
	}
}
