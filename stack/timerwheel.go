package stack

import (
	"math/bits"

	"github.com/synack-net/synack/clock"
)

// timerWheel orders connections by their next deadline, so that Tick runs
// those due and the driver sleeps until the earliest. It is a hierarchical
// timing wheel with exact deadlines, built for a million connections whose
// timers are re-armed on nearly every segment:
//
//   - Time is cut into ticks of 2^20 ns (about 1 ms). Level 0 has 64 slots
//     of one tick, level 1 64 slots of 64 ticks, and so on: 8 levels of 64
//     slots reach past the largest Instant, so nothing overflows.
//   - The cursor is a tick. A deadline in a later tick goes to a slot
//     chosen by where its tick first differs from the cursor's: the highest
//     differing 6-bit digit gives the level, the deadline's digit there the
//     slot. Slots are unsorted doubly linked lists, so arming, re-arming
//     and cancelling cost O(1): unlink, compute the slot, append.
//   - Read in cursor order (the later slots of level 0, then those after
//     the cursor's digit on each higher level) the slots hold ever later
//     deadlines, so the earliest deadline is in the first non-empty slot,
//     found with one occupancy bitmap per level.
//   - Deadlines are exact, and order is (deadline, arming sequence), kept by
//     a binary heap, the front, that holds only the entries already put in
//     order: those in the cursor's tick or before it, and slots taken in
//     whole. When the front's first entry might not be the earliest (the
//     first slot starts by its tick), that slot is resolved: one that starts
//     within about a second (wheelNear) of now is cascaded — the cursor
//     moves to its start and its entries go down a level, or into the front
//     for the cursor's tick — and one further away is adopted, its entries
//     pushed into the front as they are, so that the cursor never runs far
//     ahead of now (a deadline before the cursor's tick goes to the front,
//     at O(log n)). Each entry thus moves down at most 8 times and enters
//     the front once, and the front holds the timers about to fire plus,
//     while the nearest timers are far away, the nearest slot: never all of
//     them, as a plain heap does.
//   - Re-arming a little later within the same slot, the usual case of an
//     RTO restarted by an ACK, only updates the deadline: slots are
//     unordered.
//   - popDue returns entries whose exact deadline is at or before now, in
//     (deadline, sequence) order, so the tick granularity never delays a
//     timer and timers due at the same instant fire in the order they were
//     armed: the same inputs always give the same events. NextDeadline is
//     the front's first deadline: exact.
//
// The zero value is an empty wheel at tick 0.
type timerWheel struct {
	cursor   int64 // no slot holds a deadline in this tick or an earlier one
	now      int64 // the tick of the latest popDue
	buckets  [wheelLevels * wheelSlots]timerBucket
	occupied [wheelLevels]uint64 // bit s of word l: slot l*64+s is not empty
	front    []*Conn             // binary min-heap in (deadline, seq) order
	seq      uint64              // arming counter
}

const (
	wheelTickShift = 20 // a tick is 2^20 ns
	wheelLevelBits = 6
	wheelSlots     = 1 << wheelLevelBits
	wheelLevels    = 8    // 20 + 8×6 bits cover every Instant
	wheelNear      = 1024 // slots starting within this many ticks (~1.07 s) of now are cascaded
)

// timerBucket is one slot: a list of connections.
type timerBucket struct{ head, tail *Conn }

// timerLink is a connection's place in the wheel, kept by the driver under
// Host.mu.
type timerLink struct {
	deadline   clock.Instant // exact; clock.Never when not armed
	seq        uint64        // when it was armed, to order equal deadlines
	next, prev *Conn         // neighbours in the slot
	bucket     int32         // slot index, -1 when not in a slot
	index      int32         // index in the front, -1 when not in it
}

// unarmed is the timerLink of a connection not in the wheel.
var unarmed = timerLink{deadline: clock.Never, bucket: -1, index: -1}

func tickOf(d clock.Instant) int64 { return int64(d) >> wheelTickShift }

// earlier reports whether a fires before b.
func earlier(a, b *Conn) bool {
	if a.timer.deadline != b.timer.deadline {
		return a.timer.deadline < b.timer.deadline
	}
	return a.timer.seq < b.timer.seq
}

// set arms c for deadline d, or cancels it for clock.Never. Re-arming for
// the same deadline keeps its place among equal deadlines.
func (w *timerWheel) set(c *Conn, d clock.Instant) {
	if c.timer.deadline != clock.Never {
		if d == c.timer.deadline {
			return
		}
		if d != clock.Never && c.timer.bucket >= 0 && w.slotFor(tickOf(d)) == int(c.timer.bucket) {
			// The common re-arm, a little later in the same slot: slots
			// are unordered, so c stays where it is.
			w.seq++
			c.timer.deadline, c.timer.seq = d, w.seq
			return
		}
		w.remove(c)
	}
	c.timer.deadline = d
	if d == clock.Never {
		return
	}
	w.seq++
	c.timer.seq = w.seq
	w.place(c)
}

// next is the earliest deadline, or clock.Never.
func (w *timerWheel) next() clock.Instant {
	w.resolve()
	if len(w.front) == 0 {
		return clock.Never
	}
	return w.front[0].timer.deadline
}

// popDue removes and returns the connection that fires first among those
// whose deadline is at or before now, or nil.
func (w *timerWheel) popDue(now clock.Instant) *Conn {
	t := tickOf(now)
	w.now = max(w.now, t)
	w.resolve()
	if len(w.front) > 0 && w.front[0].timer.deadline <= now {
		c := w.front[0]
		w.remove(c)
		c.timer.deadline = clock.Never
		return c
	}
	// Nothing is due: move the cursor through the empty slots up to now's
	// tick, so that new deadlines land in fine slots.
	if i := w.first(); i < 0 || w.start(i) > t {
		w.cursor = max(w.cursor, t)
	}
	return nil
}

// resolve makes the front's first entry the earliest of all, taking in
// the first slot for as long as it may hold an earlier one.
func (w *timerWheel) resolve() {
	for {
		i := w.first()
		if i < 0 {
			return
		}
		s := w.start(i)
		if len(w.front) > 0 && s > tickOf(w.front[0].timer.deadline) {
			return
		}
		list := w.take(i)
		if s <= w.now+wheelNear {
			w.cursor = s
			for c := list; c != nil; {
				next := c.timer.next
				w.place(c)
				c = next
			}
		} else {
			for c := list; c != nil; {
				next := c.timer.next
				w.push(c)
				c = next
			}
		}
	}
}

// place puts an armed c in its slot, or in the front if its tick is the
// cursor's or earlier.
func (w *timerWheel) place(c *Conn) {
	if i := w.slotFor(tickOf(c.timer.deadline)); i >= 0 {
		w.append(i, c)
	} else {
		w.push(c)
	}
}

// slotFor returns the slot of tick t, or -1 if t is the cursor's tick or
// earlier.
func (w *timerWheel) slotFor(t int64) int {
	if t <= w.cursor {
		return -1
	}
	level := (bits.Len64(uint64(t^w.cursor)) - 1) / wheelLevelBits
	return level*wheelSlots + int(t>>(level*wheelLevelBits))&(wheelSlots-1)
}

// remove takes an armed c out of the front or its slot.
func (w *timerWheel) remove(c *Conn) {
	if c.timer.index >= 0 {
		w.pop(int(c.timer.index))
	} else {
		w.unlink(c)
	}
}

// first returns the first non-empty slot in cursor order, or -1. (The
// slot of the cursor's own digit is empty on every level: its deadlines
// went down a level, or to the front, when the cursor came.)
func (w *timerWheel) first() int {
	for l := range wheelLevels {
		digit := uint(w.cursor>>(l*wheelLevelBits)) & (wheelSlots - 1)
		if m := w.occupied[l] & (^uint64(0) << digit); m != 0 {
			return l*wheelSlots + bits.TrailingZeros64(m)
		}
	}
	return -1
}

// start is the first tick of slot i.
func (w *timerWheel) start(i int) int64 {
	shift := i / wheelSlots * wheelLevelBits
	above := shift + wheelLevelBits
	return w.cursor>>above<<above | int64(i%wheelSlots)<<shift
}

// append links c at the tail of slot i.
func (w *timerWheel) append(i int, c *Conn) {
	b := &w.buckets[i]
	c.timer.bucket, c.timer.prev, c.timer.next = int32(i), b.tail, nil
	if b.tail == nil {
		b.head = c
		w.occupied[i/wheelSlots] |= 1 << (i % wheelSlots)
	} else {
		b.tail.timer.next = c
	}
	b.tail = c
}

// unlink takes c out of its slot.
func (w *timerWheel) unlink(c *Conn) {
	i := int(c.timer.bucket)
	b := &w.buckets[i]
	prev, next := c.timer.prev, c.timer.next
	if prev == nil {
		b.head = next
	} else {
		prev.timer.next = next
	}
	if next == nil {
		b.tail = prev
	} else {
		next.timer.prev = prev
	}
	c.timer.prev, c.timer.next, c.timer.bucket = nil, nil, -1
	if b.head == nil {
		w.occupied[i/wheelSlots] &^= 1 << (i % wheelSlots)
	}
}

// take empties slot i and returns its list, whose entries still link to
// each other.
func (w *timerWheel) take(i int) *Conn {
	list := w.buckets[i].head
	w.buckets[i] = timerBucket{}
	w.occupied[i/wheelSlots] &^= 1 << (i % wheelSlots)
	return list
}

// push adds c to the front.
func (w *timerWheel) push(c *Conn) {
	c.timer.bucket, c.timer.prev, c.timer.next = -1, nil, nil
	c.timer.index = int32(len(w.front))
	w.front = append(w.front, c)
	w.up(len(w.front) - 1)
}

// pop removes the front's entry at index i.
func (w *timerWheel) pop(i int) {
	h := w.front
	last := len(h) - 1
	c := h[i]
	if i != last {
		h[i] = h[last]
		h[i].timer.index = int32(i)
	}
	h[last] = nil
	w.front = h[:last]
	c.timer.index = -1
	if i != last && !w.up(i) {
		w.down(i)
	}
}

// up moves the front's entry i towards the root; it reports whether it
// moved.
func (w *timerWheel) up(i int) bool {
	h := w.front
	moved := false
	for i > 0 {
		p := (i - 1) / 2
		if !earlier(h[i], h[p]) {
			break
		}
		h[i], h[p] = h[p], h[i]
		h[i].timer.index, h[p].timer.index = int32(i), int32(p)
		i, moved = p, true
	}
	return moved
}

// down moves the front's entry i towards the leaves.
func (w *timerWheel) down(i int) {
	h := w.front
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && earlier(h[r], h[l]) {
			m = r
		}
		if !earlier(h[m], h[i]) {
			return
		}
		h[i], h[m] = h[m], h[i]
		h[i].timer.index, h[m].timer.index = int32(i), int32(m)
		i = m
	}
}
