package stack

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/trace"
)

// An event recorded with a time before the last one's carries the last
// one's time: each host's events never go back in time.
func TestRecordTimesNeverGoBack(t *testing.T) {
	h := NewHost(Config{Name: "A", Addrs: []netip.Prefix{testAddrA}})
	sub := trace.NewSubscription(8)
	defer sub.Close()
	h.Subscribe(sub)
	for _, at := range []clock.Instant{5, 3, 7, 7, 6} {
		h.record(trace.Event{Time: at, Kind: trace.KindTimer, Timer: tcp.TimerKeepalive})
	}
	var got []clock.Instant
	for range 5 {
		e := <-sub.Events()
		if e.Host != "A" {
			t.Errorf("host %q, want A", e.Host)
		}
		got = append(got, e.Time)
	}
	if want := []clock.Instant{5, 5, 7, 7, 7}; !slices.Equal(got, want) {
		t.Errorf("times %v, want %v", got, want)
	}
}

// Cancelling, or closing the subscription, leaves the host with no
// subscriber, tracing nothing; a subscription closed before it is added
// is never added.
func TestUnsubscribeLeavesNoSubscriber(t *testing.T) {
	h := NewHost(Config{Name: "A", Addrs: []netip.Prefix{testAddrA}})
	s1, s2 := trace.NewSubscription(1), trace.NewSubscription(1)
	cancel1 := h.Subscribe(s1)
	h.Subscribe(s2)
	h.Subscribe(s2) // twice: two entries
	if !h.tracing() {
		t.Fatal("not tracing with three subscriptions")
	}
	cancel1()
	cancel1()
	s2.Close()
	if h.tracing() {
		t.Fatalf("still tracing: %d subscriptions", len(*h.subs.list.Load()))
	}
	h.Subscribe(s2)
	if h.tracing() {
		t.Fatal("a closed subscription was added")
	}
}

// The data path of an established connection with and without a
// subscriber: one 1 KiB segment from A to B and its ACK per operation.
// Tracing allocates nothing: both report what the path itself allocates.
func BenchmarkDataPath(b *testing.B) {
	for _, mode := range []string{"none", "subscribed"} {
		b.Run(mode, func(b *testing.B) {
			p := newTestPair(b, func(c *Config) { c.Recorder = nil })
			cs, ss := p.open(b, 1)
			c, s := cs[0], ss[0]
			if mode == "subscribed" {
				sub := trace.NewSubscription(1 << 10)
				defer sub.Close()
				p.a.Subscribe(sub)
				p.b.Subscribe(sub)
				go func() {
					for range sub.Events() {
					}
				}()
			}
			round := dataPathRound(b, p, c, s)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				round()
			}
		})
	}
}

// With no subscriber, one data segment and its ACK through both hosts
// allocate nothing: the input path's segment stays on the stack (a form
// method taking a pointer to it once moved it to the heap, one allocation
// per packet) and no trace event is built.
func TestDataPathAllocatesNothing(t *testing.T) {
	p := newTestPair(t, func(c *Config) { c.Recorder = nil })
	cs, ss := p.open(t, 1)
	allocs := testing.AllocsPerRun(1000, dataPathRound(t, p, cs[0], ss[0]))
	if allocs != 0 {
		t.Errorf("%v allocations per segment and ACK, want 0", allocs)
	}
}

// dataPathRound returns one round of the data path between c on p.a and
// s on p.b: 1 KiB written, delivered and read, its ACK delivered, then a
// millisecond of timers.
func dataPathRound(tb testing.TB, p *testPair, c, s *Conn) func() {
	msg, buf := make([]byte, 1024), make([]byte, 2048)
	toB := func(pkt []byte) { p.b.Deliver(p.now, pkt) }
	toA := func(pkt []byte) { p.a.Deliver(p.now, pkt) }
	return func() {
		if _, err := c.Write(msg); err != nil {
			tb.Fatal(err)
		}
		p.a.Flush(p.now, toB)
		if n, _ := s.Read(buf); n != len(msg) {
			tb.Fatalf("read %d bytes", n)
		}
		p.b.Flush(p.now, toA)
		p.now += clock.Instant(time.Millisecond)
		p.a.Tick(p.now)
		p.b.Tick(p.now)
		p.b.Flush(p.now, toA)
		p.a.Flush(p.now, toB)
	}
}
