package netem

import (
	"math/rand/v2"
	"time"

	"github.com/synack-net/synack/clock"
)

// PathStats counts what a Path did to the packets offered to it.
type PathStats struct {
	// Offered is the number of packets passed to Admit.
	Offered uint64
	// Lost is the number of packets dropped by the Loss probability.
	Lost uint64
	// DroppedQueue is the number of packets (or duplicate copies) dropped
	// because QueueLimit packets were already in flight.
	DroppedQueue uint64
	// Duplicated is the number of extra copies made; a copy that finds the
	// queue full is also counted in DroppedQueue.
	Duplicated uint64
	// Reordered is the number of packets held back by ReorderDelay.
	Reordered uint64
	// DroppedMTU is the number of packets larger than the path's MTU.
	DroppedMTU uint64
	// Corrupted is the number of copies delivered with a bit flipped.
	Corrupted uint64
}

// Path models one direction of a link under an Impairment. It decides the
// fate of each packet (dropped, or due at some instant, once or twice) and
// tracks how many are in flight; the caller holds the packets and delivers
// them. A Path is not safe for concurrent use.
type Path struct {
	imp       Impairment
	rng       *rand.Rand
	inFlight  int
	busyUntil clock.Instant // when the serialiser is free, under Rate
	stats     PathStats
}

// NewPath returns a path applying imp, drawing its randomness from a PCG
// generator seeded with (seed, stream). Paths with different streams are
// independent: traffic on one does not change the fate of packets on another.
func NewPath(imp Impairment, seed, stream uint64) *Path {
	return &Path{imp: imp, rng: rand.New(rand.NewPCG(seed, stream))}
}

// SetImpairment changes the path's behaviour for packets admitted from now
// on; packets in flight keep their schedule.
func (p *Path) SetImpairment(imp Impairment) { p.imp = imp }

// Impairment returns the path's current behaviour.
func (p *Path) Impairment() Impairment { return p.imp }

// InFlight returns the number of admitted copies not yet released.
func (p *Path) InFlight() int { return p.inFlight }

// Stats returns the path's counters.
func (p *Path) Stats() PathStats { return p.stats }

// Admit decides the fate of a packet of size bytes sent at now. It returns
// the number of copies to deliver (0 if the packet is dropped, 2 if it is
// duplicated) and the instant they are due. Each copy counts as in flight
// until the caller calls Release for it.
//
// A packet larger than the MTU is dropped before anything else. The
// order of events then follows Linux netem: loss first, then the queue
// limit, then duplication, then the delay (rate, base delay, jitter and
// reordering).
func (p *Path) Admit(now clock.Instant, size int) (at clock.Instant, copies int) {
	p.stats.Offered++
	if p.imp.MTU > 0 && size > p.imp.MTU {
		p.stats.DroppedMTU++
		return clock.Never, 0
	}
	if p.chance(p.imp.Loss) {
		p.stats.Lost++
		return clock.Never, 0
	}
	limit := p.imp.limit()
	if p.inFlight >= limit {
		p.stats.DroppedQueue++
		return clock.Never, 0
	}
	copies = 1
	if p.chance(p.imp.Duplicate) {
		p.stats.Duplicated++
		if p.inFlight+2 <= limit {
			copies = 2
		} else {
			p.stats.DroppedQueue++ // the copy found the queue full
		}
	}
	p.inFlight += copies
	return p.due(now, size), copies
}

// Release records that one admitted copy has left the path, delivered or
// discarded.
func (p *Path) Release() {
	if p.inFlight > 0 {
		p.inFlight--
	}
}

// Corrupt flips one random bit of pkt with the path's Corrupt
// probability and reports whether it did.
func (p *Path) Corrupt(pkt []byte) bool {
	if len(pkt) == 0 || !p.chance(p.imp.Corrupt) {
		return false
	}
	bit := p.rng.IntN(8 * len(pkt))
	pkt[bit/8] ^= 1 << (bit % 8)
	p.stats.Corrupted++
	return true
}

// due computes when a packet of size bytes sent at now arrives.
func (p *Path) due(now clock.Instant, size int) clock.Instant {
	at := now
	if p.imp.Rate > 0 {
		start := max(now, p.busyUntil)
		tx := time.Duration(int64(size) * int64(time.Second) / p.imp.Rate)
		p.busyUntil = start.Add(tx)
		at = p.busyUntil
	}
	at = at.Add(p.imp.Delay)
	if p.imp.Jitter > 0 {
		at = at.Add(time.Duration(p.rng.Int64N(int64(p.imp.Jitter))))
	}
	if p.chance(p.imp.Reorder) {
		p.stats.Reordered++
		at = at.Add(p.imp.ReorderDelay)
	}
	return at
}

// chance reports true with probability prob. It draws from the generator
// only when prob is positive, so a perfect path consumes no randomness.
func (p *Path) chance(prob float64) bool {
	return prob > 0 && p.rng.Float64() < prob
}
