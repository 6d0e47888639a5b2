package tcp

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/wire"
)

// fixture drives one TCB at explicit virtual times and checks what it
// sends, printed in RFC 9293 notation: <SEQ=1001><ACK=5001><CTL=ACK><LEN=0>.
type fixture struct {
	t   *testing.T
	cfg Config
	tcb *TCB
	now clock.Instant
	buf []byte
	obs recorder
}

// recorder collects state changes as "FROM->TO (cause)".
type recorder struct{ changes []string }

func (r *recorder) StateChanged(_ clock.Instant, from, to State, why Cause) {
	r.changes = append(r.changes, fmt.Sprintf("%v->%v (%v)", from, to, why))
}
func (r *recorder) TimerFired(clock.Instant, Timer) {}

const (
	testISS = Seq(1000)
	testIRS = Seq(5000)
)

func newFixture(t *testing.T, mod func(*Config)) *fixture {
	f := &fixture{t: t, cfg: DefaultConfig(), buf: make([]byte, 1<<16)}
	if mod != nil {
		mod(&f.cfg)
	}
	return f
}

func (f *fixture) params(iss Seq) OpenParams {
	return OpenParams{ISS: iss, MSS: 1460, DefaultMSS: 536, Observer: &f.obs}
}

// established returns a fixture whose TCB completed an active open with
// ISS 1000 against a peer with IRS 5000 and no options; the SYN-ACK came
// back after 100 ms, so SRTT is 100 ms, RTTVAR 50 ms and the RTO 300 ms
// (RFC 6298 §2.2).
func established(t *testing.T, mod func(*Config)) *fixture {
	f := newFixture(t, mod)
	f.tcb = NewActive(&f.cfg, 0, f.params(testISS))
	f.expect("<SEQ=1000><CTL=SYN><LEN=0>")
	f.at(100 * time.Millisecond)
	f.in(Segment{Seq: testIRS, Ack: testISS + 1, Flags: wire.FlagSYN | wire.FlagACK, Window: 65535})
	f.expect("<SEQ=1001><ACK=5001><CTL=ACK><LEN=0>")
	if f.tcb.State() != Established {
		t.Fatalf("state %v", f.tcb.State())
	}
	return f
}

func (f *fixture) at(d time.Duration) {
	f.now = clock.Instant(d)
	if f.tcb.NextDeadline() <= f.now {
		f.tcb.Tick(f.now)
	}
}

func (f *fixture) in(s Segment) { f.tcb.Deliver(f.now, &s) }

// data is an ACK segment from the peer carrying n bytes at offset off of
// its stream (offset 0 is IRS+1).
func data(off, n int) Segment {
	return Segment{Seq: testIRS + 1 + Seq(off), Ack: testISS + 1, Flags: wire.FlagACK | wire.FlagPSH,
		Window: 65535, Payload: make([]byte, n)}
}

// ack is a pure ACK from the peer acknowledging n bytes of our data.
func ack(n int) Segment {
	return Segment{Seq: testIRS + 1, Ack: testISS + 1 + Seq(n), Flags: wire.FlagACK, Window: 65535}
}

func brief(s *Segment) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<SEQ=%d>", uint32(s.Seq))
	if s.Flags&wire.FlagACK != 0 {
		fmt.Fprintf(&b, "<ACK=%d>", uint32(s.Ack))
	}
	fmt.Fprintf(&b, "<CTL=%s><LEN=%d>", s.Flags&^wire.FlagPSH, len(s.Payload))
	return b.String()
}

// drain returns everything the TCB sends now.
func (f *fixture) drain() []string {
	var out []string
	for i := 0; i < 1000; i++ {
		s, ok := f.tcb.NextSegment(f.now, f.buf)
		if !ok {
			return out
		}
		out = append(out, brief(&s))
	}
	f.t.Fatal("TCB sends without end")
	return nil
}

// expect checks that the TCB sends exactly want now.
func (f *fixture) expect(want ...string) {
	f.t.Helper()
	got := f.drain()
	if strings.Join(got, " ") != strings.Join(want, " ") {
		f.t.Fatalf("at %v sent:\n  %s\nwant:\n  %s", f.now, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func (f *fixture) state(want State) {
	f.t.Helper()
	if got := f.tcb.State(); got != want {
		f.t.Fatalf("at %v state %v, want %v (changes %v)", f.now, got, want, f.obs.changes)
	}
}

const clockNever = clock.Never
