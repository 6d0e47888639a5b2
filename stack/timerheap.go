package stack

import "github.com/synack-net/synack/clock"

// timerHeap orders connections by their TCB's next deadline: an indexed
// binary min-heap, so that re-arming a connection is O(log n). Each Conn
// remembers its index; -1 means "not in the heap".
type timerHeap struct {
	items []*Conn
}

// next is the earliest deadline, or clock.Never.
func (t *timerHeap) next() clock.Instant {
	if len(t.items) == 0 {
		return clock.Never
	}
	return t.items[0].deadline
}

// set places c at deadline d (removing it for clock.Never).
func (t *timerHeap) set(c *Conn, d clock.Instant) {
	switch {
	case d == clock.Never && c.heapIndex >= 0:
		t.remove(c)
	case d == clock.Never:
	case c.heapIndex < 0:
		c.deadline = d
		c.heapIndex = len(t.items)
		t.items = append(t.items, c)
		t.up(c.heapIndex)
	case d != c.deadline:
		c.deadline = d
		if !t.up(c.heapIndex) {
			t.down(c.heapIndex)
		}
	}
}

// remove takes c out of the heap.
func (t *timerHeap) remove(c *Conn) {
	i := c.heapIndex
	if i < 0 {
		return
	}
	last := len(t.items) - 1
	t.swap(i, last)
	t.items[last] = nil
	t.items = t.items[:last]
	c.heapIndex = -1
	c.deadline = clock.Never
	if i < last && !t.up(i) {
		t.down(i)
	}
}

// popDue removes and returns a connection whose deadline is at or before
// now, or nil.
func (t *timerHeap) popDue(now clock.Instant) *Conn {
	if len(t.items) == 0 || t.items[0].deadline > now {
		return nil
	}
	c := t.items[0]
	t.remove(c)
	return c
}

func (t *timerHeap) less(i, j int) bool { return t.items[i].deadline < t.items[j].deadline }

func (t *timerHeap) swap(i, j int) {
	t.items[i], t.items[j] = t.items[j], t.items[i]
	t.items[i].heapIndex = i
	t.items[j].heapIndex = j
}

// up moves item i towards the root; it reports whether it moved.
func (t *timerHeap) up(i int) bool {
	moved := false
	for i > 0 {
		p := (i - 1) / 2
		if !t.less(i, p) {
			break
		}
		t.swap(i, p)
		i, moved = p, true
	}
	return moved
}

// down moves item i towards the leaves.
func (t *timerHeap) down(i int) {
	n := len(t.items)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && t.less(r, l) {
			m = r
		}
		if !t.less(m, i) {
			return
		}
		t.swap(i, m)
		i = m
	}
}
