package stack

import (
	"slices"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/tcp"
)

// twHandle is the form of a connection whose TIME_WAIT entry lives in a
// table: the Conn a user still holds, or one the host makes to run a
// segment through its usual paths. It finds the entry by key and
// generation, so that a later connection of the same 4-tuple is never
// taken for it, and keeps a copy of the entry as the handle found it,
// for what a user reads once the table has let the entry go. The tables'
// timer, not the host's wheel, ends the entry: a handle has no deadline.
type twHandle[K twKey[K]] struct {
	c    *Conn
	key  K
	gen  uint32
	ep   *twEpoch
	snap tcp.PackedTimeWait
}

// twForm is a twHandle of either table.
type twForm interface {
	form
	// bind makes c the Conn the handle stands for.
	bind(c *Conn)
	// view returns the entry for a read-only use.
	view() tcp.TimeWaitEntry
}

func (f *twHandle[K]) bind(c *Conn) { f.c = c }

// live returns the handle's entry, or nil once it has ended. Called with
// h.tw.mu held.
func (f *twHandle[K]) live(ts *timeWaitTables) *twEntry[K, tcp.PackedTimeWait] {
	if f.ep.over {
		return nil
	}
	if e := f.key.table(ts).get(f.key); e != nil && e.gen == f.gen {
		return e
	}
	return nil
}

// entry returns the connection's TIME_WAIT entry as it is now: the
// table's, or once ended, the copy marked closed (ECONNABORTED if a crash
// ended it). Called with h.tw.mu held.
func (f *twHandle[K]) entry() tcp.TimeWaitEntry {
	c := f.c
	if e := f.live(&c.h.tw); e != nil {
		return e.tw.Unpack(c.h.tsOffset(c.tuple))
	}
	crashed := false
	if f.ep.over {
		_, crashed = slices.BinarySearch(f.key.crashed(f.ep), f.gen)
	}
	return f.snap.Ended(crashed)
}

// apply runs op on the live entry and stores what it left: the entry, or
// nothing once op closed it. It reports false when the entry had ended.
func (f *twHandle[K]) apply(op func(w *tcp.TimeWaitEntry)) bool {
	c := f.c
	ts := &c.h.tw
	ts.mu.Lock()
	defer ts.mu.Unlock()
	e := f.live(ts)
	if e == nil {
		return false
	}
	off := c.h.tsOffset(c.tuple)
	w := e.tw.Unpack(off)
	op(&w)
	tab := f.key.table(ts)
	if p, ok := w.Pack(off); ok {
		tab.update(f.key, p)
		f.snap = p
	} else {
		tab.remove(f.key) // op closed it
	}
	return true
}

func (f *twHandle[K]) view() tcp.TimeWaitEntry {
	f.c.h.tw.mu.Lock()
	defer f.c.h.tw.mu.Unlock()
	return f.entry()
}

func (f *twHandle[K]) deliver(now clock.Instant, seg tcp.Segment, c *Conn) {
	// Called on the input path, with h.mu held: retired is the host's.
	f.apply(func(w *tcp.TimeWaitEntry) {
		w.Deliver(now, &seg, c.h.tcpCfg, (*tcp.ConnStats)(&c.h.retired), c)
	})
}

func (f *twHandle[K]) nextSegment(now clock.Instant, _ []byte) (seg tcp.Segment, ok bool) {
	f.apply(func(w *tcp.TimeWaitEntry) { seg, ok = w.NextSegment(now) })
	return seg, ok
}

func (f *twHandle[K]) tick(clock.Instant, *Conn) {}
func (f *twHandle[K]) deadline() clock.Instant   { return clock.Never }
func (f *twHandle[K]) state() tcp.State          { w := f.view(); return w.State() }
func (f *twHandle[K]) info() tcp.Info            { w := f.view(); return w.Info() }

// status: the peer's FIN came before TIME_WAIT, so reads are done.
func (f *twHandle[K]) status() Status {
	w := f.view()
	return Status{State: w.State(), ReadDone: true, Err: w.Err()}
}

func (f *twHandle[K]) acceptsNewIncarnation(syn tcp.Segment) bool {
	w := f.view()
	return w.AcceptsNewIncarnation(&syn)
}

func (f *twHandle[K]) endTimeWait(now clock.Instant, why tcp.Cause, c *Conn) {
	f.apply(func(w *tcp.TimeWaitEntry) { w.End(now, why, c) })
}

// crash: a host crash ends the tables' entries itself (crashTimeWaits);
// a handle that is asked to is ended as by that crash.
func (f *twHandle[K]) crash(now clock.Instant, c *Conn) {
	f.endTimeWait(now, tcp.Cause{Kind: tcp.CauseCrash}, c)
}
