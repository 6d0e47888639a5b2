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
// After every step (a segment in, a tick, a segment out, a user call made
// through the fixture) it checks the TCB's invariants (CheckInvariants)
// and that every transition it took is an arc of the state diagram
// (ValidTransition), and fails the test at the first that is not.
type fixture struct {
	t   *testing.T
	cfg Config
	tcb *TCB
	now clock.Instant
	buf []byte
	obs recorder
}

// recorder is the fixture's Observer: it collects state changes as
// "FROM->TO (cause)" and as transitions, and the timers that fired.
type recorder struct {
	changes []string
	taken   []transition
	fired   []Timer
	invalid []string // transitions the state diagram does not have
}

// transition is one state change a TCB made, with its cause.
type transition struct {
	from, to State
	why      Cause
}

func (r *recorder) StateChanged(_ clock.Instant, from, to State, why Cause) {
	c := fmt.Sprintf("%v->%v (%v)", from, to, why)
	r.changes = append(r.changes, c)
	r.taken = append(r.taken, transition{from, to, why})
	if !ValidTransition(from, to, why) {
		r.invalid = append(r.invalid, c)
	}
}
func (r *recorder) TimerFired(_ clock.Instant, tm Timer) { r.fired = append(r.fired, tm) }

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

// at moves the clock to d and runs the timers due by then.
func (f *fixture) at(d time.Duration) {
	f.t.Helper()
	f.now = clock.Instant(d)
	if f.tcb.NextDeadline() <= f.now {
		f.tcb.Tick(f.now)
	}
	f.check("tick")
}

// in delivers a segment from the peer.
func (f *fixture) in(s Segment) {
	f.t.Helper()
	f.tcb.Deliver(f.now, &s)
	f.check("segment " + s.String())
}

// check fails the test if the TCB broke an invariant or took a
// transition the state diagram does not have during step.
func (f *fixture) check(step string) {
	f.t.Helper()
	if len(f.obs.invalid) > 0 {
		f.t.Fatalf("at %v after %s: transition %v is not in the state diagram", f.now, step, f.obs.invalid)
	}
	if err := f.tcb.CheckInvariants(); err != nil {
		f.t.Fatalf("at %v in %v after %s: %v", f.now, f.tcb.State(), step, err)
	}
}

// recv delivers the segment the peer sends, written in the notation
// expect prints: "<SEQ=5001><ACK=1002><CTL=FIN,ACK><LEN=10>" carries 10
// zero bytes; <ACK> counts only with ACK in <CTL>; an optional <WND=n>
// sets the window, 65535 by default.
func (f *fixture) recv(rfc string) {
	f.t.Helper()
	s, err := parseRFC(rfc)
	if err != nil {
		f.t.Fatal(err)
	}
	f.in(s)
}

// parseRFC reads a segment written in RFC 9293 notation (see recv).
func parseRFC(rfc string) (Segment, error) {
	s := Segment{Window: 65535}
	rest := rfc
	for rest != "" {
		field, after, ok := strings.Cut(strings.TrimPrefix(rest, "<"), ">")
		name, value, hasValue := strings.Cut(field, "=")
		if !ok || !strings.HasPrefix(rest, "<") || !hasValue {
			return Segment{}, fmt.Errorf("segment %q: bad field at %q", rfc, rest)
		}
		rest = after
		if name == "CTL" {
			flags, err := parseFlags(value)
			if err != nil {
				return Segment{}, fmt.Errorf("segment %q: %v", rfc, err)
			}
			s.Flags = flags
			continue
		}
		var n uint32
		if _, err := fmt.Sscanf(value, "%d", &n); err != nil {
			return Segment{}, fmt.Errorf("segment %q: field %s: %v", rfc, name, err)
		}
		switch name {
		case "SEQ":
			s.Seq = Seq(n)
		case "ACK":
			s.Ack = Seq(n)
		case "LEN":
			s.Payload = make([]byte, n)
		case "WND":
			s.Window = uint16(n)
		default:
			return Segment{}, fmt.Errorf("segment %q: unknown field %s", rfc, name)
		}
	}
	if s.Flags&wire.FlagACK == 0 {
		s.Ack = 0
	}
	return s, nil
}

// parseFlags reads control bits as wire.TCPFlags prints them: "FIN,ACK".
func parseFlags(list string) (wire.TCPFlags, error) {
	var flags wire.TCPFlags
	for _, name := range strings.Split(list, ",") {
		bit := wire.TCPFlags(1)
		for bit != 0 && bit.String() != name {
			bit <<= 1
		}
		if bit == 0 {
			return 0, fmt.Errorf("unknown control bit %q", name)
		}
		flags |= bit
	}
	return flags, nil
}

// edge checks both sides of a timing edge: at d minus one nanosecond the
// TCB sends nothing and stays in its state; at d it sends want.
func (f *fixture) edge(d time.Duration, want ...string) {
	f.t.Helper()
	before := f.tcb.State()
	f.at(d - 1)
	f.expect()
	f.state(before)
	f.at(d)
	f.expect(want...)
}

// The user calls, made through the fixture so that each is checked.

func (f *fixture) close() error {
	f.t.Helper()
	err := f.tcb.Close(f.now)
	f.check("Close")
	return err
}

func (f *fixture) shutdown() error {
	f.t.Helper()
	err := f.tcb.Shutdown(f.now)
	f.check("Shutdown")
	return err
}

func (f *fixture) abort() {
	f.t.Helper()
	f.tcb.Abort(f.now)
	f.check("Abort")
}

// write queues n bytes and returns Write's results.
func (f *fixture) write(n int) (int, error) {
	f.t.Helper()
	w, err := f.tcb.Write(make([]byte, n))
	f.check("Write")
	return w, err
}

// read reads everything readable and returns Read's results.
func (f *fixture) read() (int, error) {
	f.t.Helper()
	n, err := f.tcb.Read(make([]byte, 1<<16))
	f.check("Read")
	return n, err
}

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
	f.t.Helper()
	var out []string
	for i := 0; i < 1000; i++ {
		s, ok := f.tcb.NextSegment(f.now, f.buf)
		if !ok {
			return out
		}
		f.check("sending " + brief(&s))
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
