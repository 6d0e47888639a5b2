package tcp

import (
	"fmt"
	"syscall"
	"testing"
	"time"
)

// The arcs of the state diagram (transitions.go), each driven by a test:
// the arc cases in state_arcs_open_test.go and state_arcs_close_test.go
// take every arc by every cause a TCB produces, from both an active and a
// passive open where both lead there, asserting the exact segments on
// the way. TestEveryArcIsTaken fails when an arc, or a cause of one, has
// no test taking it.

// arcCase drives a TCB along one arc by one cause. run builds a fixture
// and ends just after the transition, every segment checked.
type arcCase struct {
	from, to State
	by       string // the cause as Cause.String prints it, e.g. "rcv FIN,ACK"
	sides    []opening
	run      func(t *testing.T, o opening) *fixture
}

func (c arcCase) name() string { return fmt.Sprintf("%v->%v by %s", c.from, c.to, c.by) }

// allArcCases lists every arc case.
func allArcCases() []arcCase { return append(openArcCases(), closeArcCases()...) }

// runArcCase runs c on one side and fails unless its last transition is
// the arc, by the cause, that c names. It returns the transitions taken.
func runArcCase(t *testing.T, c arcCase, o opening) []transition {
	t.Helper()
	f := c.run(t, o)
	lastChange(t, f, fmt.Sprintf("%v->%v (%s)", c.from, c.to, c.by))
	f.state(c.to)
	return f.obs.taken
}

// TestStateDiagramArcs drives every arc case on each of its sides.
func TestStateDiagramArcs(t *testing.T) {
	for _, c := range allArcCases() {
		for _, o := range c.sides {
			t.Run(c.name()+"/"+o.String(), func(t *testing.T) { runArcCase(t, c, o) })
		}
	}
}

// takenBy runs every arc case and returns the transitions each side took
// (every one of them valid: the fixture checks that as they happen).
func takenBy(t *testing.T) map[opening][]transition {
	taken := map[opening][]transition{}
	for _, c := range allArcCases() {
		for _, o := range c.sides {
			t.Run(c.name()+"/"+o.String(), func(t *testing.T) {
				taken[o] = append(taken[o], runArcCase(t, c, o)...)
			})
		}
	}
	return taken
}

// Arcs no TCB takes, and why. A test fails if one of them is taken, so
// that the list stays true.
var arcsNotTaken = map[[2]State]string{
	// The listener records it (stack/listener.go): NewPassive creates
	// the TCB already in LISTEN and records LISTEN -> SYN_RCVD.
	{Closed, Listen}: "the host's listener, not a TCB, takes it",
	// rcvAck moves to FIN_WAIT_2 before rcvText takes the FIN, so the
	// TCB records FIN_WAIT_1 -> FIN_WAIT_2 -> TIME_WAIT at one instant
	// (cmd/synack's demo_echo.golden shows the pair).
	{FinWait1, TimeWait}: "a FIN acknowledging ours passes through FIN_WAIT_2",
}

// TestEveryArcIsTaken runs every arc case and fails if an arc of the
// diagram is taken by none, or, from ESTABLISHED on, not from both an
// active and a passive open; if a cause the table gives an arc is
// produced by none, unless causesNotTaken says why no TCB produces it;
// or if an arc or cause listed as not taken is.
func TestEveryArcIsTaken(t *testing.T) {
	taken := takenBy(t)
	checkArcsTaken(t, taken)
	var all []transition
	for _, ts := range taken {
		all = append(all, ts...)
	}
	checkCausesTaken(t, all)
}

func checkArcsTaken(t *testing.T, taken map[opening][]transition) {
	sides := map[[2]State]map[opening]bool{}
	for o, ts := range taken {
		for _, tr := range ts {
			k := [2]State{tr.from, tr.to}
			if sides[k] == nil {
				sides[k] = map[opening]bool{}
			}
			sides[k][o] = true
		}
	}
	for _, a := range Arcs() {
		why, excused := arcsNotTaken[a]
		switch by := sides[a]; {
		case excused && len(by) > 0:
			t.Errorf("%v->%v is taken; remove it from arcsNotTaken (%s)", a[0], a[1], why)
		case excused:
		case len(by) == 0:
			t.Errorf("no test takes %v->%v", a[0], a[1])
		case a[0].IsSynchronized() && !(by[activeOpen] && by[passiveOpen]):
			t.Errorf("%v->%v is taken only from the %v side", a[0], a[1], sideNames(by))
		}
	}
}

func sideNames(by map[opening]bool) []opening {
	var out []opening
	for _, o := range openings {
		if by[o] {
			out = append(out, o)
		}
	}
	return out
}

// causesNotTaken lists, per arc, the causes of the table that no TCB
// produces, and why. A test fails if one of them is taken.
var causesNotTaken = []struct {
	from, to State
	rule     causeRule
	why      string
}{
	{Closed, Listen, causeRule{kind: CauseCall, call: CallListen}, "the host's listener takes it"},
	{FinWait1, TimeWait, byFINACK, "the TCB passes through FIN_WAIT_2"},
	{SynSent, Closed, byUser, "the user timeout counts from data sent; a SYN does not start it"},
	{SynReceived, Closed, byUser, "the user timeout counts from data sent; a SYN-ACK does not start it"},
	{FinWait2, Closed, byRetrans, "nothing is in flight in FIN_WAIT_2"},
	{FinWait2, Closed, byUser, "nothing is in flight in FIN_WAIT_2"},
	{FinWait1, Closed, byKeepalive, "our FIN is outstanding: the retransmission timer watches the peer"},
	{Closing, Closed, byKeepalive, "our FIN is outstanding: the retransmission timer watches the peer"},
	{LastAck, Closed, byKeepalive, "our FIN is outstanding: the retransmission timer watches the peer"},
	{FinWait2, Closed, byPersist, "all data went before the FIN: nothing waits for a window"},
	{Closing, Closed, byPersist, "all data went before the FIN: nothing waits for a window"},
	{LastAck, Closed, byPersist, "all data went before the FIN: nothing waits for a window"},
}

// checkCausesTaken fails for each cause of an arc that no transition in
// all took, and for each listed in causesNotTaken that one did.
func checkCausesTaken(t *testing.T, all []transition) {
	takes := func(k arcKey, r causeRule) bool {
		for _, tr := range all {
			if tr.from == k.from && tr.to == k.to && r.matches(tr.why) {
				return true
			}
		}
		return false
	}
	excused := map[arcKey][]causeRule{}
	for _, n := range causesNotTaken {
		k := arcKey{n.from, n.to}
		excused[k] = append(excused[k], n.rule)
		if takes(k, n.rule) {
			t.Errorf("%v->%v by %s is taken; remove it from causesNotTaken (%s)", n.from, n.to, ruleString(n.rule), n.why)
		}
	}
	for k, rules := range arcs {
	next:
		for _, r := range rules {
			for _, e := range excused[k] {
				if e == r {
					continue next
				}
			}
			if !takes(k, r) {
				t.Errorf("no test takes %v->%v by %s", k.from, k.to, ruleString(r))
			}
		}
	}
}

// ruleString renders a cause rule as Cause.String renders the causes it
// matches ("rcv FIN,ACK", "timer 2msl"; "timer none" for any timer).
func ruleString(r causeRule) string {
	return Cause{Kind: r.kind, Flags: r.flags, Timer: r.timer, Call: r.call}.String()
}

// The builders of the arc cases that end a connection the same way in
// many states.

// then runs a builder on to the peer's segment in, which draws want.
func then(build stateBuilder, in string, want ...string) func(*testing.T, opening) *fixture {
	return func(t *testing.T, o opening) *fixture {
		f := build(t, o, nil)
		f.recv(in)
		f.expect(want...)
		return f
	}
}

// endByReset delivers rst to a fixture from build; nothing is sent.
func endByReset(build stateBuilder, rst string) func(*testing.T, opening) *fixture {
	return func(t *testing.T, o opening) *fixture {
		f := build(t, o, nil)
		f.recv(rst)
		f.expect()
		return f
	}
}

// endByAbort aborts a fixture from build, which sends want.
func endByAbort(build stateBuilder, want ...string) func(*testing.T, opening) *fixture {
	return func(t *testing.T, o opening) *fixture {
		f := build(t, o, nil)
		f.abort()
		f.expect(want...)
		return f
	}
}

// endByCrash crashes the host of a fixture from build: nothing is sent.
func endByCrash(build stateBuilder) func(*testing.T, opening) *fixture {
	return func(t *testing.T, o opening) *fixture {
		f := build(t, o, nil)
		f.tcb.Crash(f.now)
		f.check("Crash")
		f.expect()
		return f
	}
}

// endByUserTimeout builds with a 250 ms user timeout (RFC 5482), runs
// prepare (which leaves something unacknowledged), and expects the
// connection to end exactly at end, with ETIMEDOUT and no segment.
func endByUserTimeout(build stateBuilder, prepare func(*fixture), end time.Duration) func(*testing.T, opening) *fixture {
	return func(t *testing.T, o opening) *fixture {
		f := build(t, o, func(c *Config) { c.UserTimeout = 250 * time.Millisecond })
		prepare(f)
		f.edge(end)
		endedBy(t, f, TimerUser, syscall.ETIMEDOUT)
		return f
	}
}

// endByRetransmit builds with fewRetries, runs prepare, expects resend at
// each of the first two instants (RFC 6298 §5: the RTO, then doubled) and
// the connection to give up at the third, with ETIMEDOUT and, as on
// Linux, no segment.
func endByRetransmit(build stateBuilder, prepare func(*fixture), resend string, at [3]time.Duration) func(*testing.T, opening) *fixture {
	return func(t *testing.T, o opening) *fixture {
		f := build(t, o, fewRetries)
		prepare(f)
		f.edge(at[0], resend)
		lastFired(t, f, TimerRetransmit)
		f.edge(at[1], resend)
		f.edge(at[2])
		endedBy(t, f, TimerRetransmit, syscall.ETIMEDOUT)
		return f
	}
}

// endedBy fails the test unless the connection is closed, the last timer
// to fire was tm, and the connection's error is err.
func endedBy(t *testing.T, f *fixture, tm Timer, err syscall.Errno) {
	t.Helper()
	f.state(Closed)
	lastFired(t, f, tm)
	if f.tcb.Err() != err {
		t.Errorf("Err %v, want %v", f.tcb.Err(), err)
	}
}

// nothing is a prepare step that does nothing: what is in flight already
// is the FIN or SYN the builder sent.
func nothing(*fixture) {}
