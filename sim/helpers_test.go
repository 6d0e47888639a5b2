package sim

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/synack-net/synack/stack"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/trace"
)

var (
	addrA = netip.MustParsePrefix("10.0.0.1/24")
	addrB = netip.MustParsePrefix("10.0.0.2/24")
	portB = netip.AddrPortFrom(addrB.Addr(), 80)
)

// pair is the usual two-host fixture: A is the client, B listens on :80.
type pair struct {
	w    *World
	a, b *Host
	ln   *stack.Listener
}

func newPair(t testing.TB, opts ...HostConfig) *pair {
	t.Helper()
	return newSeededPair(t, 1, opts...)
}

// newSeededPair is newPair in a world with the given seed.
func newSeededPair(t testing.TB, seed uint64, opts ...HostConfig) *pair {
	t.Helper()
	w := New(seed)
	p := &pair{w: w, a: w.AddHost("A", addrA, opts...), b: w.AddHost("B", addrB, opts...)}
	ln, err := p.b.Listen(0, portB, 0)
	if err != nil {
		t.Fatal(err)
	}
	p.ln = ln
	return p
}

// connect schedules A's connect at t and returns a pointer that holds the
// connection once the action ran.
func (p *pair) connect(t testing.TB, at time.Duration) **stack.Conn {
	var c *stack.Conn
	p.w.At(at, func() {
		var err error
		c, err = p.a.Connect(p.w.Now(), netip.AddrPort{}, portB)
		if err != nil {
			t.Errorf("connect: %v", err)
		}
	})
	return &c
}

// accept schedules B's accept at t.
func (p *pair) accept(t *testing.T, at time.Duration) **stack.Conn {
	var c *stack.Conn
	p.w.At(at, func() {
		var err error
		c, err = p.ln.Accept()
		if err != nil || c == nil {
			t.Errorf("accept: %v, %v", c, err)
		}
	})
	return &c
}

// expectTranscript compares the segments sent so far with want.
func expectTranscript(t *testing.T, w *World, withTime bool, want ...string) {
	t.Helper()
	got := Transcript(w.Trace.Events, withTime)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("segments:\n got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// expectStates compares the state sequence of host's connection(s).
func expectStates(t *testing.T, w *World, host string, want ...tcp.State) {
	t.Helper()
	got := trace.States(w.Trace.Events, host)
	if len(got) != len(want) {
		t.Errorf("%s states: got %v, want %v", host, got, want)
		return
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("%s states: got %v, want %v", host, got, want)
			return
		}
	}
}

// stateTimes returns when host entered state s, in order.
func stateTimes(w *World, host string, s tcp.State) []time.Duration {
	var ts []time.Duration
	for _, e := range w.Trace.Events {
		if e.Host == host && e.Kind == trace.KindState && e.To == s {
			ts = append(ts, time.Duration(e.Time))
		}
	}
	return ts
}

var netip0 = netip.AddrPort{}
