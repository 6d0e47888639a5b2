package stack

import (
	"fmt"
	"net/netip"
	"slices"
	"sync"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/tcp"
)

// The TIME_WAIT tables: connections in TIME_WAIT that the host keeps
// outside its connection map, as Linux keeps timewait socks rather than
// sockets, each a 56-byte slot (IPv4; 68 for IPv6) in a twTable with a
// few bytes of index and no timer of its own (BenchmarkTimeWaitHeap: heap
// per TIME_WAIT connection, all in). The Conn a user may still hold keeps
// a handle (twHandle) that finds its entry by key and generation, so it
// reads TIME_WAIT and then CLOSED as before; once the user drops it,
// nothing of the connection is left but the slot.
//
// A connection the table cannot hold (a local address that is not one of
// the host's first 256, an entry whose deadline is earlier than the
// table's latest, as when a user reads the last data long after the FIN,
// or one not yet accepted) stays in the map as a timeWaitForm.

// twKey4 and twKey6 are a TIME_WAIT entry's 4-tuple: the remote end, the
// ports and the local address as its index in the host's addresses.
type twKey4 struct {
	remote       [4]byte
	rport, lport uint16
	loc          uint16
}

type twKey6 struct {
	remote       [16]byte
	rport, lport uint16
	loc          uint16
}

// twKey is what the generic code needs of a key: its table and its tuple.
type twKey[K comparable] interface {
	comparable
	table(ts *timeWaitTables) *twTable[K, tcp.PackedTimeWait]
	crashed(ep *twEpoch) []uint32
	tuple(h *Host) Tuple
}

func (twKey4) table(ts *timeWaitTables) *twTable[twKey4, tcp.PackedTimeWait] { return &ts.v4 }
func (twKey6) table(ts *timeWaitTables) *twTable[twKey6, tcp.PackedTimeWait] { return &ts.v6 }
func (twKey4) crashed(ep *twEpoch) []uint32                                  { return ep.crashed[0] }
func (twKey6) crashed(ep *twEpoch) []uint32                                  { return ep.crashed[1] }

func (k twKey4) tuple(h *Host) Tuple {
	return twTuple(h, netip.AddrFrom4(k.remote), k.rport, k.lport, k.loc)
}

func (k twKey6) tuple(h *Host) Tuple {
	return twTuple(h, netip.AddrFrom16(k.remote), k.rport, k.lport, k.loc)
}

func twTuple(h *Host, remote netip.Addr, rport, lport, loc uint16) Tuple {
	local := (*h.addrs.Load())[loc].Addr()
	return Tuple{Local: netip.AddrPortFrom(local, lport), Remote: netip.AddrPortFrom(remote, rport)}
}

// twLocal is the index of t's local address among the host's first
// fwdAddrBase addresses, or false.
func (h *Host) twLocal(t Tuple) (uint16, bool) { return h.addrIndex(t.Local.Addr()) }

// timeWaitTables are the host's two tables, with their lock: a leaf lock
// (but for the counters' and the recorder's, which state changes take),
// taken under Host.mu by the host's paths and under Conn.mu by the users
// of handles, who do not hold Host.mu.
type timeWaitTables struct {
	mu    sync.Mutex
	v4    twTable[twKey4, tcp.PackedTimeWait]
	v6    twTable[twKey6, tcp.PackedTimeWait]
	epoch *twEpoch   // the host's life since its last crash
	obs   twObserver // the observer of the entries that no Conn stands for
}

func (ts *timeWaitTables) len() int { return ts.v4.len() + ts.v6.len() }

// twEpoch is one life of a host, between crashes. A handle made in it
// reads its entry from the tables while it lasts; after the crash that
// ends it, crashed lists (sorted) the generations the crash closed, so
// that the handle reports ECONNABORTED exactly when its entry was one.
// The host lets go of an epoch at its crash; handles keep it as long as
// their users do.
type twEpoch struct {
	over    bool
	crashed [2][]uint32 // IPv4, IPv6
}

// twObserver records the state changes and timers of table entries as
// the Conn of their tuple would. Guarded by timeWaitTables.mu.
type twObserver struct {
	h *Host
	t Tuple
}

// StateChanged implements tcp.Observer.
func (o *twObserver) StateChanged(now clock.Instant, from, to tcp.State, why tcp.Cause) {
	o.h.stateChanged(now, o.t, from, to, why)
}

// TimerFired implements tcp.Observer.
func (o *twObserver) TimerFired(now clock.Instant, tm tcp.Timer) { o.h.timerFired(now, o.t, tm) }

// tsOffset is the timestamp offset of the host's connections of t, which
// openParams derives from the tuple. Called with h.mu or h.tw.mu held
// (Crash replaces h.isn under both).
func (h *Host) tsOffset(t Tuple) uint32 { return uint32(h.isn.ISN(0, t.Remote, t.Local)) }

// admitTimeWait moves c, whose TCB has just been replaced by w, into a
// TIME_WAIT table if it fits there, and makes its form a handle; it
// reports false when it does not fit, and nothing changes. Called with
// h.mu and c.mu held.
func (h *Host) admitTimeWait(c *Conn, w *tcp.TimeWaitEntry) bool {
	loc, ok := h.twLocal(c.tuple)
	if !ok || c.listener != nil {
		return false
	}
	p, ok := w.Pack(h.tsOffset(c.tuple))
	if !ok {
		return false
	}
	r, lp, rp := c.tuple.Remote.Addr(), c.tuple.Local.Port(), c.tuple.Remote.Port()
	var f form
	h.tw.mu.Lock()
	if r.Is4() {
		f = admit(&h.tw, twKey4{remote: r.As4(), rport: rp, lport: lp, loc: loc}, p, c)
	} else {
		f = admit(&h.tw, twKey6{remote: r.As16(), rport: rp, lport: lp, loc: loc}, p, c)
	}
	h.tw.mu.Unlock()
	if f == nil {
		return false
	}
	c.f = f
	if h.conns.get(c.tuple) == c {
		h.conns.remove(c.tuple)
	}
	h.timers.set(c, clock.Never)
	c.removed = true
	c.mem.detach()
	return true
}

func admit[K twKey[K]](ts *timeWaitTables, k K, p tcp.PackedTimeWait, c *Conn) form {
	tab := k.table(ts)
	if !tab.fits(p.Deadline()) || tab.get(k) != nil {
		return nil
	}
	return &twHandle[K]{c: c, key: k, gen: tab.insert(k, p), ep: ts.epoch, snap: p}
}

// timeWaitHandle returns a handle, not yet bound to a Conn, for t's entry
// in a TIME_WAIT table, or nil. Called with h.mu held.
func (h *Host) timeWaitHandle(t Tuple) twForm {
	loc, ok := h.twLocal(t)
	if !ok {
		return nil
	}
	r, lp, rp := t.Remote.Addr(), t.Local.Port(), t.Remote.Port()
	h.tw.mu.Lock()
	defer h.tw.mu.Unlock()
	switch {
	case h.tw.len() == 0:
		return nil
	case r.Is4():
		return handleOf(&h.tw, twKey4{remote: r.As4(), rport: rp, lport: lp, loc: loc})
	}
	return handleOf(&h.tw, twKey6{remote: r.As16(), rport: rp, lport: lp, loc: loc})
}

func handleOf[K twKey[K]](ts *timeWaitTables, k K) twForm {
	e := k.table(ts).get(k)
	if e == nil {
		return nil
	}
	return &twHandle[K]{key: k, gen: e.gen, ep: ts.epoch, snap: e.tw}
}

// lookupConn returns the connection of t: the Conn in the map, or for an
// entry of a TIME_WAIT table a new Conn that stands for it (it is not put
// in the map; the host's paths use it as they would use the Conn), or
// nil. Called with h.mu held.
func (h *Host) lookupConn(t Tuple) *Conn {
	if c := h.conns.get(t); c != nil {
		return c
	}
	f := h.timeWaitHandle(t)
	if f == nil {
		return nil
	}
	c := newConn(h, t)
	f.bind(c)
	c.f = f
	return c
}

// tableReusable reports whether a TIME_WAIT table holds t, and if so
// whether an active open may take it over now (timeWaitReusable), without
// making a handle. Called with h.mu held.
func (h *Host) tableReusable(now clock.Instant, t Tuple) (held, reusable bool) {
	loc, ok := h.twLocal(t)
	if !ok {
		return false, false
	}
	r, lp, rp := t.Remote.Addr(), t.Local.Port(), t.Remote.Port()
	h.tw.mu.Lock()
	var w *tcp.PackedTimeWait
	if r.Is4() {
		if e := h.tw.v4.get(twKey4{remote: r.As4(), rport: rp, lport: lp, loc: loc}); e != nil {
			w = &e.tw
		}
	} else if e := h.tw.v6.get(twKey6{remote: r.As16(), rport: rp, lport: lp, loc: loc}); e != nil {
		w = &e.tw
	}
	if w != nil {
		e := w.Unpack(0) // the offset does not matter to ReusableBy
		reusable = h.reuseAllowed(t) && e.ReusableBy(now, timeWaitReuseDelay, h.tcpCfg.TimeWait)
	}
	h.tw.mu.Unlock()
	return w != nil, reusable
}

// connCount is the number of connections MaxConns bounds: those in the
// map and those in TIME_WAIT tables. Called with h.mu held.
func (h *Host) connCount() int {
	h.tw.mu.Lock()
	defer h.tw.mu.Unlock()
	return h.conns.len() + h.tw.len()
}

// timeWaitCount is the number of connections in TIME_WAIT that MaxTimeWait
// bounds. Called with h.mu held.
func (h *Host) timeWaitCount() int {
	h.tw.mu.Lock()
	defer h.tw.mu.Unlock()
	return h.timeWaits + h.tw.len()
}

// tickTimeWaits ends the TIME_WAIT entries whose 2×MSL has passed.
// Called with h.mu held.
func (h *Host) tickTimeWaits(now clock.Instant) {
	h.tw.mu.Lock()
	tickTable(h, &h.tw.v4, now)
	tickTable(h, &h.tw.v6, now)
	h.tw.mu.Unlock()
}

func tickTable[K twKey[K]](h *Host, tab *twTable[K, tcp.PackedTimeWait], now clock.Instant) {
	for e := tab.front(); e != nil && e.tw.Deadline() <= now; e = tab.front() {
		k := e.key
		h.tw.obs = twObserver{h: h, t: k.tuple(h)}
		w := e.tw.Unpack(0) // nothing is sent: the offset is not needed
		w.Tick(now, &h.tw.obs)
		tab.remove(k)
	}
}

// nextTimeWait is the earliest 2×MSL deadline of the tables. Called with
// h.mu held.
func (h *Host) nextTimeWait() clock.Instant {
	h.tw.mu.Lock()
	defer h.tw.mu.Unlock()
	return clock.Min(h.tw.v4.next(), h.tw.v6.next())
}

// crashTimeWaits forgets the tables' entries, as a reboot does, recording
// each one's end and ending the epoch for the handles; then it replaces
// the host's secrets (rekey) under the tables' lock, which handles read
// them under. Called with h.mu held.
func (h *Host) crashTimeWaits(now clock.Instant) {
	h.tw.mu.Lock()
	defer h.tw.mu.Unlock()
	ep := h.tw.epoch
	ep.over = true
	ep.crashed[0] = crashTable(h, &h.tw.v4, now)
	ep.crashed[1] = crashTable(h, &h.tw.v6, now)
	h.tw.v4, h.tw.v6 = twTable[twKey4, tcp.PackedTimeWait]{gen: h.tw.v4.gen}, twTable[twKey6, tcp.PackedTimeWait]{gen: h.tw.v6.gen}
	h.tw.epoch = &twEpoch{}
	h.rekey()
}

func crashTable[K twKey[K]](h *Host, tab *twTable[K, tcp.PackedTimeWait], now clock.Instant) []uint32 {
	var gens []uint32
	for _, e := range tab.all() {
		gens = append(gens, e.gen)
		h.tw.obs = twObserver{h: h, t: e.key.tuple(h)}
		w := e.tw.Unpack(0)
		w.End(now, tcp.Cause{Kind: tcp.CauseCrash}, &h.tw.obs)
	}
	slices.Sort(gens)
	return gens
}

// timeWaitSockets appends the tables' rows to the socket table. Called
// with h.mu held.
func (h *Host) timeWaitSockets(rows []Socket) []Socket {
	h.tw.mu.Lock()
	defer h.tw.mu.Unlock()
	rows = tableSockets(h, &h.tw.v4, rows)
	return tableSockets(h, &h.tw.v6, rows)
}

func tableSockets[K twKey[K]](h *Host, tab *twTable[K, tcp.PackedTimeWait], rows []Socket) []Socket {
	for _, e := range tab.all() {
		t := e.key.tuple(h)
		w := e.tw.Unpack(0)
		rows = append(rows, entrySocket(t, &w))
	}
	return rows
}

// checkTimeWaits checks the TIME_WAIT tables, and that no tuple is both
// in a table and in the map. Called with h.mu held.
func (h *Host) checkTimeWaits() error {
	h.tw.mu.Lock()
	defer h.tw.mu.Unlock()
	if err := h.tw.v4.check(); err != nil {
		return err
	}
	if err := h.tw.v6.check(); err != nil {
		return err
	}
	for _, e := range h.tw.v4.all() {
		if t := e.key.tuple(h); h.conns.get(t) != nil {
			return fmt.Errorf("%v->%v: in the map and in the TIME_WAIT table", t.Local, t.Remote)
		}
	}
	for _, e := range h.tw.v6.all() {
		if t := e.key.tuple(h); h.conns.get(t) != nil {
			return fmt.Errorf("%v->%v: in the map and in the TIME_WAIT table", t.Local, t.Remote)
		}
	}
	return nil
}
