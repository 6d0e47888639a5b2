package netem

import (
	"encoding/binary"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/synack-net/synack/clock"
)

var (
	addrA  = netip.MustParseAddr("10.0.0.1")
	addrB  = netip.MustParseAddr("10.0.0.2")
	addrC  = netip.MustParseAddr("10.0.0.3")
	addrA6 = netip.MustParseAddr("fd00::1")
	addrB6 = netip.MustParseAddr("fd00::2")
)

// ipv4 returns a minimal IPv4 packet to dst whose payload carries id.
func ipv4(dst netip.Addr, id uint32) []byte {
	p := make([]byte, ipv4HeaderLen+4)
	p[0] = 0x45
	d := dst.As4()
	copy(p[ipv4DstOffset:], d[:])
	binary.BigEndian.PutUint32(p[ipv4HeaderLen:], id)
	return p
}

// ipv6 returns a minimal IPv6 packet to dst whose payload carries id.
func ipv6(dst netip.Addr, id uint32) []byte {
	p := make([]byte, ipv6HeaderLen+4)
	p[0] = 0x60
	d := dst.As16()
	copy(p[ipv6DstOffset:], d[:])
	binary.BigEndian.PutUint32(p[ipv6HeaderLen:], id)
	return p
}

// payloadID reads back the id stored by ipv4 or ipv6.
func payloadID(p []byte) uint32 { return binary.BigEndian.Uint32(p[len(p)-4:]) }

// arrival is one delivery as a test observes it.
type arrival struct {
	at clock.Instant
	to HostID
	id uint32
}

// twoHosts returns a network with hosts a (10.0.0.1, fd00::1) and
// b (10.0.0.2, fd00::2).
func twoHosts(seed uint64) (n *Network, a, b HostID) {
	n = NewNetwork(seed)
	a, b = n.AddHost("a"), n.AddHost("b")
	n.AddAddress(a, addrA)
	n.AddAddress(a, addrA6)
	n.AddAddress(b, addrB)
	n.AddAddress(b, addrB6)
	return n, a, b
}

// drain delivers everything pending, jumping from one delivery time to the
// next, and returns what arrived.
func drain(n *Network) []arrival { return deliverUntil(n, clock.Never) }

// deliverUntil delivers everything due at or before now, one due time at a
// time so that each arrival is logged with its exact time.
func deliverUntil(n *Network, now clock.Instant) []arrival {
	var log []arrival
	for t := n.NextDelivery(); t <= now && t != clock.Never; t = n.NextDelivery() {
		n.Deliver(t, func(to HostID, pkt []byte) {
			log = append(log, arrival{t, to, payloadID(pkt)})
		})
	}
	return log
}

// sendEvery sends count packets from one host to dst, one every gap starting
// at 0, delivering what falls due as time goes, and returns the arrivals.
func sendEvery(n *Network, from HostID, dst netip.Addr, count int, gap time.Duration) []arrival {
	var log []arrival
	for i := range count {
		now := clock.Instant(i) * clock.Instant(gap)
		log = append(log, deliverUntil(n, now)...)
		n.Send(now, from, ipv4(dst, uint32(i)))
	}
	return append(log, drain(n)...)
}

// checkInvariant asserts that every packet is accounted for.
func checkInvariant(t *testing.T, n *Network) {
	t.Helper()
	s := n.Stats()
	in := s.Sent + s.Duplicated
	out := s.Delivered + s.Lost + s.DroppedMalformed + s.DroppedNoRoute +
		s.DroppedPartition + s.DroppedRule + s.DroppedQueue + s.DroppedMTU + uint64(n.Pending())
	if in != out {
		t.Fatalf("packets unaccounted for: sent+dup=%d, delivered+dropped+pending=%d (%+v)", in, out, s)
	}
}

func TestRoutesByDestinationAddress(t *testing.T) {
	n, a, b := twoHosts(1)
	c := n.AddHost("c")
	n.AddAddress(c, netip.MustParseAddr("::ffff:10.0.0.3")) // stored as IPv4
	n.Send(0, a, ipv4(addrB, 1))
	n.Send(0, b, ipv6(addrA6, 2))
	n.Send(0, a, ipv4(addrC, 3))
	n.Send(0, b, ipv4(netip.MustParseAddr("192.0.2.9"), 4)) // nobody's
	n.Send(0, a, []byte{0x45, 0, 0})                        // truncated
	n.Send(0, a, ipv4(addrB, 5)[:0])                        // empty
	n.Send(0, a, append([]byte{0x75}, make([]byte, 40)...)) // version 7
	got := drain(n)
	want := []arrival{{0, b, 1}, {0, a, 2}, {0, c, 3}}
	if !slices.Equal(got, want) {
		t.Fatalf("deliveries %v, want %v", got, want)
	}
	s := n.Stats()
	if s.Sent != 7 || s.Delivered != 3 || s.DroppedNoRoute != 1 || s.DroppedMalformed != 3 {
		t.Fatalf("stats %+v", s)
	}
	checkInvariant(t, n)
	if n.Name(c) != "c" || n.Name(42) != "" {
		t.Fatalf("Name(c) = %q, Name(42) = %q", n.Name(c), n.Name(42))
	}
}

func TestAddAddressRejectsMistakes(t *testing.T) {
	n, _, b := twoHosts(1)
	for name, f := range map[string]func(){
		"unknown host": func() { n.AddAddress(7, addrC) },
		"taken":        func() { n.AddAddress(b, addrA) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: AddAddress did not panic", name)
				}
			}()
			f()
		}()
	}
	n.AddAddress(b, addrB) // re-adding one's own address is fine
}

func TestSendCopiesPacket(t *testing.T) {
	n, a, _ := twoHosts(1)
	p := ipv4(addrB, 7)
	n.Send(0, a, p)
	binary.BigEndian.PutUint32(p[ipv4HeaderLen:], 8)
	if got := drain(n); len(got) != 1 || got[0].id != 7 {
		t.Fatalf("deliveries %v, want the packet as sent", got)
	}
}

func TestDelayIsExact(t *testing.T) {
	n, a, b := twoHosts(1)
	n.SetPath(a, b, Impairment{Delay: 25 * time.Millisecond})
	sent := clock.Instant(3 * time.Millisecond)
	n.Send(sent, a, ipv4(addrB, 1))
	due := sent.Add(25 * time.Millisecond)
	if got := n.NextDelivery(); got != due {
		t.Fatalf("NextDelivery() = %v, want %v", got, due)
	}
	delivered := 0
	count := func(HostID, []byte) { delivered++ }
	n.Deliver(due-1, count)
	if delivered != 0 {
		t.Fatal("delivered 1ns early")
	}
	n.Deliver(due, count)
	if delivered != 1 {
		t.Fatal("not delivered when due")
	}
	// The reverse path was not set: perfect.
	n.Send(due, b, ipv4(addrA, 2))
	if got := n.NextDelivery(); got != due {
		t.Fatalf("reverse NextDelivery() = %v, want %v", got, due)
	}
}

func TestDeterministicForSameSeed(t *testing.T) {
	imp := Impairment{
		Loss: 0.1, Duplicate: 0.05, Reorder: 0.1, ReorderDelay: 7 * time.Millisecond,
		Delay: 10 * time.Millisecond, Jitter: 5 * time.Millisecond, Rate: 1e6, QueueLimit: 200,
	}
	run := func(seed uint64) []arrival {
		n, a, b := twoHosts(seed)
		n.SetPath(a, b, imp)
		n.SetPath(b, a, imp)
		var log []arrival
		for i := range uint32(5000) {
			now := clock.Instant(i) * clock.Instant(100*time.Microsecond)
			log = append(log, deliverUntil(n, now)...)
			n.Send(now, a, ipv4(addrB, i))
			n.Send(now, b, ipv6(addrA6, i))
		}
		return append(log, drain(n)...)
	}
	first, second := run(42), run(42)
	if len(first) < 8000 {
		t.Fatalf("only %d deliveries", len(first))
	}
	if !slices.Equal(first, second) {
		t.Fatal("same seed gave different delivery logs")
	}
	if slices.Equal(first, run(43)) {
		t.Fatal("different seeds gave identical delivery logs")
	}
}

func TestPathsHaveIndependentRandomness(t *testing.T) {
	lost := func(reverseTraffic bool) []uint32 {
		n, a, b := twoHosts(9)
		n.SetPath(a, b, Impairment{Loss: 0.3})
		n.SetPath(b, a, Impairment{Loss: 0.3})
		for i := range uint32(1000) {
			n.Send(0, a, ipv4(addrB, i))
			if reverseTraffic {
				n.Send(0, b, ipv4(addrA, i))
			}
		}
		var got []uint32
		for _, d := range drain(n) {
			if d.to == b {
				got = append(got, d.id)
			}
		}
		return got
	}
	if !slices.Equal(lost(false), lost(true)) {
		t.Fatal("traffic from b to a changed which packets from a to b were lost")
	}
}

// withinSigmas reports whether count successes of trials at probability p is
// within k standard deviations of the mean.
func withinSigmas(count, trials int, p, k float64) bool {
	mean := float64(trials) * p
	sd := math.Sqrt(float64(trials) * p * (1 - p))
	return math.Abs(float64(count)-mean) <= k*sd
}

func TestLossRate(t *testing.T) {
	const trials = 100_000
	for _, p := range []float64{0.01, 0.1, 0.5} {
		t.Run(fmt.Sprint(p), func(t *testing.T) {
			n, a, b := twoHosts(7)
			n.SetPath(a, b, Impairment{Loss: p})
			pkt := ipv4(addrB, 0)
			delivered := 0
			for range trials {
				n.Send(0, a, pkt)
				n.Deliver(0, func(HostID, []byte) { delivered++ })
			}
			lost := int(n.Stats().Lost)
			if lost+delivered != trials {
				t.Fatalf("lost %d + delivered %d != %d", lost, delivered, trials)
			}
			if !withinSigmas(lost, trials, p, 5) {
				t.Fatalf("lost %d of %d, expected about %.0f", lost, trials, p*trials)
			}
			if got := n.PathStats(a, b); got.Lost != uint64(lost) || got.Offered != trials {
				t.Fatalf("PathStats %+v", got)
			}
		})
	}
}

func TestDuplicate(t *testing.T) {
	const trials = 20_000
	n, a, b := twoHosts(3)
	n.SetPath(a, b, Impairment{Duplicate: 0.2, Delay: time.Millisecond})
	log := sendEvery(n, a, addrB, trials, time.Millisecond)
	seen := map[uint32]int{}
	for i, d := range log {
		seen[d.id]++
		// A duplicate arrives right after its original, at the same time.
		if seen[d.id] == 2 && (log[i-1].id != d.id || log[i-1].at != d.at) {
			t.Fatalf("duplicate of %d not next to its original", d.id)
		}
	}
	dups := 0
	for id := range uint32(trials) {
		switch seen[id] {
		case 1:
		case 2:
			dups++
		default:
			t.Fatalf("packet %d delivered %d times", id, seen[id])
		}
	}
	if uint64(dups) != n.Stats().Duplicated {
		t.Fatalf("%d duplicates seen, %d counted", dups, n.Stats().Duplicated)
	}
	if !withinSigmas(dups, trials, 0.2, 5) {
		t.Fatalf("%d duplicates of %d", dups, trials)
	}
	checkInvariant(t, n)
}

func TestReorder(t *testing.T) {
	const trials = 10_000
	n, a, b := twoHosts(5)
	n.SetPath(a, b, Impairment{Reorder: 0.1, ReorderDelay: 10 * time.Millisecond, Delay: 2 * time.Millisecond})
	log := sendEvery(n, a, addrB, trials, time.Millisecond)
	if len(log) != trials {
		t.Fatalf("%d deliveries, want %d", len(log), trials)
	}
	overtaken := 0
	held := 0
	for i, d := range log {
		sent := clock.Instant(d.id) * clock.Instant(time.Millisecond)
		switch d.at.Sub(sent) {
		case 2 * time.Millisecond:
		case 12 * time.Millisecond:
			held++
		default:
			t.Fatalf("packet %d took %v", d.id, d.at.Sub(sent))
		}
		if i > 0 && log[i-1].id > d.id {
			overtaken++
		}
	}
	if overtaken == 0 {
		t.Fatal("no packet was delivered after a later-sent one")
	}
	if uint64(held) != n.Stats().Reordered || !withinSigmas(held, trials, 0.1, 5) {
		t.Fatalf("%d held back, %d counted", held, n.Stats().Reordered)
	}
}

func TestJitterBounds(t *testing.T) {
	const delay, jitter = 20 * time.Millisecond, 10 * time.Millisecond
	n, a, b := twoHosts(11)
	n.SetPath(a, b, Impairment{Delay: delay, Jitter: jitter})
	lo, hi := time.Duration(math.MaxInt64), time.Duration(0)
	for _, d := range sendEvery(n, a, addrB, 10_000, time.Millisecond) {
		took := d.at.Sub(clock.Instant(d.id) * clock.Instant(time.Millisecond))
		if took < delay || took >= delay+jitter {
			t.Fatalf("packet %d took %v, outside [%v, %v)", d.id, took, delay, delay+jitter)
		}
		lo, hi = min(lo, took), max(hi, took)
	}
	if lo > delay+jitter/100 || hi < delay+jitter*99/100 {
		t.Fatalf("delays span only [%v, %v]", lo, hi)
	}
}

func TestRateSerialises(t *testing.T) {
	n, a, b := twoHosts(1)
	// 1000 bytes/ms: a 24-byte packet takes 24µs.
	n.SetPath(a, b, Impairment{Rate: 1_000_000, Delay: time.Millisecond})
	for i := range uint32(3) {
		n.Send(0, a, ipv4(addrB, i))
	}
	n.Send(clock.Instant(time.Second), a, ipv4(addrB, 3)) // the link is idle again
	got := drain(n)
	tx := clock.Instant(24 * time.Microsecond)
	ms := clock.Instant(time.Millisecond)
	want := []arrival{{tx + ms, b, 0}, {2*tx + ms, b, 1}, {3*tx + ms, b, 2}, {clock.Instant(time.Second) + tx + ms, b, 3}}
	if !slices.Equal(got, want) {
		t.Fatalf("deliveries %v, want %v", got, want)
	}
}

func TestQueueLimit(t *testing.T) {
	n, a, b := twoHosts(1)
	n.SetPath(a, b, Impairment{Delay: time.Second, QueueLimit: 3})
	for i := range uint32(5) {
		n.Send(0, a, ipv4(addrB, i))
	}
	if got := n.Stats().DroppedQueue; got != 2 {
		t.Fatalf("DroppedQueue = %d, want 2", got)
	}
	if got := drain(n); len(got) != 3 || got[2].id != 2 {
		t.Fatalf("deliveries %v, want packets 0..2", got)
	}
	n.Send(clock.Instant(time.Second), a, ipv4(addrB, 5)) // room again
	if got := drain(n); len(got) != 1 || got[0].id != 5 {
		t.Fatalf("deliveries %v, want packet 5", got)
	}
	checkInvariant(t, n)
}

func TestDefaultQueueLimit(t *testing.T) {
	n, a, _ := twoHosts(1)
	n.SetPath(a, 1, Impairment{Delay: time.Second})
	for i := range uint32(DefaultQueueLimit + 10) {
		n.Send(0, a, ipv4(addrB, i))
	}
	if n.Pending() != DefaultQueueLimit || n.Stats().DroppedQueue != 10 {
		t.Fatalf("pending %d, dropped %d", n.Pending(), n.Stats().DroppedQueue)
	}
}

func TestDuplicateAtFullQueueIsCounted(t *testing.T) {
	n, a, b := twoHosts(1)
	n.SetPath(a, b, Impairment{Duplicate: 1, Delay: time.Second, QueueLimit: 3})
	n.Send(0, a, ipv4(addrB, 0)) // two copies
	n.Send(0, a, ipv4(addrB, 1)) // one copy, its twin finds the queue full
	if n.Pending() != 3 {
		t.Fatalf("pending %d, want 3", n.Pending())
	}
	if s := n.Stats(); s.Duplicated != 2 || s.DroppedQueue != 1 {
		t.Fatalf("stats %+v", s)
	}
	checkInvariant(t, n)
}

func TestPartitionAndHeal(t *testing.T) {
	n, a, b := twoHosts(1)
	n.SetPath(a, b, Impairment{Delay: time.Millisecond})
	n.Send(0, a, ipv4(addrB, 1)) // in flight before the cut: arrives
	n.Partition(b, a)
	n.Send(0, a, ipv4(addrB, 2))
	n.Send(0, b, ipv4(addrA, 3))
	if got := drain(n); len(got) != 1 || got[0].id != 1 {
		t.Fatalf("deliveries during partition %v, want only packet 1", got)
	}
	if got := n.Stats().DroppedPartition; got != 2 {
		t.Fatalf("DroppedPartition = %d, want 2", got)
	}
	n.Heal(a, b)
	n.Send(0, a, ipv4(addrB, 4))
	n.Send(0, b, ipv4(addrA, 5))
	if got := drain(n); len(got) != 2 {
		t.Fatalf("deliveries after heal %v, want 2", got)
	}
	checkInvariant(t, n)
}

func TestRules(t *testing.T) {
	n, a, b := twoHosts(1)
	isOdd := func(from, to HostID, pkt []byte) bool { return from == a && payloadID(pkt)%2 == 1 }
	once := n.AddRule(Rule{Match: isOdd, Count: 1})
	spent := n.AddRule(Rule{Count: 0})
	for i := range uint32(4) {
		n.Send(0, a, ipv4(addrB, i))
	}
	if got := drain(n); len(got) != 3 || got[1].id != 2 || got[2].id != 3 {
		t.Fatalf("deliveries %v, want 0, 2, 3 (only the first odd dropped)", got)
	}
	if n.RuleDropped(once) != 1 || n.RuleDropped(spent) != 0 {
		t.Fatalf("RuleDropped: once %d, spent %d", n.RuleDropped(once), n.RuleDropped(spent))
	}

	all := n.AddRule(Rule{Match: func(from, to HostID, _ []byte) bool { return to == a }, Count: Forever})
	for i := range uint32(5) {
		n.Send(0, b, ipv4(addrA, i))
	}
	n.Send(0, a, ipv4(addrB, 9))
	if got := drain(n); len(got) != 1 || got[0].id != 9 {
		t.Fatalf("deliveries %v, want only packet 9", got)
	}
	if n.RuleDropped(all) != 5 || n.Stats().DroppedRule != 6 {
		t.Fatalf("RuleDropped %d, DroppedRule %d", n.RuleDropped(all), n.Stats().DroppedRule)
	}

	n.RemoveRule(all)
	n.RemoveRule(all) // twice is harmless
	if n.RuleDropped(all) != 0 {
		t.Fatal("removed rule still reports drops")
	}
	n.Send(0, b, ipv4(addrA, 10))
	if got := drain(n); len(got) != 1 {
		t.Fatalf("deliveries %v after RemoveRule", got)
	}
	checkInvariant(t, n)
}

func TestRulesRunBeforeLossAndCatchAllMatchesNil(t *testing.T) {
	n, a, b := twoHosts(1)
	n.SetPath(a, b, Impairment{Loss: 1})
	id := n.AddRule(Rule{Count: 2})
	for i := range uint32(3) {
		n.Send(0, a, ipv4(addrB, i))
	}
	s := n.Stats()
	if n.RuleDropped(id) != 2 || s.DroppedRule != 2 || s.Lost != 1 {
		t.Fatalf("rule dropped %d, stats %+v", n.RuleDropped(id), s)
	}
}

func TestDeliverCallbackMaySend(t *testing.T) {
	n, a, b := twoHosts(1)
	const ms = clock.Instant(time.Millisecond)
	n.SetPath(b, a, Impairment{Delay: time.Millisecond})
	var log []arrival
	// b answers every packet from a; its answers take 1ms to arrive.
	now := clock.Instant(0)
	answer := func(to HostID, pkt []byte) {
		log = append(log, arrival{now, to, payloadID(pkt)})
		if to == b {
			n.Send(now, b, ipv4(addrA, payloadID(pkt)+100))
		}
	}
	n.Send(now, a, ipv4(addrB, 1))
	n.Deliver(now, answer)
	if want := []arrival{{0, b, 1}}; !slices.Equal(log, want) {
		t.Fatalf("deliveries %v, want %v", log, want)
	}
	// At 1ms, the answer arrives; a packet a sends to b now (zero delay
	// path) from inside the callback is delivered in the same call.
	log = nil
	now = ms
	n.Deliver(now, func(to HostID, pkt []byte) {
		answer(to, pkt)
		if to == a && payloadID(pkt) == 101 {
			n.Send(now, a, ipv4(addrB, 2))
		}
	})
	if want := []arrival{{ms, a, 101}, {ms, b, 2}}; !slices.Equal(log, want) {
		t.Fatalf("deliveries %v, want %v", log, want)
	}
	if got := n.NextDelivery(); got != 2*ms {
		t.Fatalf("NextDelivery() = %v, want the answer to 2 at 2ms", got)
	}
}

func TestSteadyStateDoesNotAllocate(t *testing.T) {
	n, a, b := twoHosts(1)
	n.SetPath(a, b, Impairment{Delay: time.Millisecond, Jitter: time.Millisecond, Loss: 0.01})
	pkt := ipv4(addrB, 1)
	sink := func(HostID, []byte) {}
	now := clock.Instant(0)
	step := func() {
		n.Send(now, a, pkt)
		now = now.Add(time.Millisecond)
		n.Deliver(now, sink)
	}
	for range 100 {
		step()
	}
	if allocs := testing.AllocsPerRun(1000, step); allocs != 0 {
		t.Fatalf("%v allocations per send and deliver", allocs)
	}
}

func BenchmarkNetwork(b *testing.B) {
	n, ha, hb := twoHosts(1)
	n.SetPath(ha, hb, Impairment{Delay: time.Millisecond, Jitter: time.Millisecond})
	pkt := make([]byte, 1500)
	copy(pkt, ipv4(addrB, 1))
	sink := func(HostID, []byte) {}
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	now := clock.Instant(0)
	for b.Loop() {
		n.Send(now, ha, pkt)
		now = now.Add(10 * time.Microsecond)
		n.Deliver(now, sink)
	}
}
