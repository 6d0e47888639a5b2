package stack

import (
	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/tcp"
)

// form is what the host holds of a connection. A connection is a full
// TCB until TIME_WAIT; once its user has read everything, the host swaps
// the TCB for the TIME_WAIT entry the TCB was already delegating to
// (compactTimeWait), and the TCB and its buffers are freed; most such
// entries then leave the map for a TIME_WAIT table, and the Conn's form
// becomes a handle on its slot (twHandle). A listener's half-open
// connection is the third form, a tcp.Request in the SYN queue that the
// host drives as a requestForm (form_request.go), swapped for the full
// form when the handshake completes.
//
// The host's shared paths (a segment, the output, the timers, the state,
// the snapshot a waiting user reads, the socket table) call only these
// methods, whatever the form. Each form records its own state changes, with their causes,
// through the Conn as its tcp.Observer: the host writes none by hand.
//
// Segments are passed by value: through an interface call the compiler
// cannot see that a pointer does not outlive it, and the segment the
// input path decodes on its stack would move to the heap, one allocation
// per packet.
type form interface {
	deliver(now clock.Instant, seg tcp.Segment, c *Conn)
	nextSegment(now clock.Instant, buf []byte) (tcp.Segment, bool)
	tick(now clock.Instant, c *Conn)
	deadline() clock.Instant
	state() tcp.State
	info() tcp.Info
	status() Status
	// acceptsNewIncarnation and endTimeWait let a SYN take over a 4-tuple
	// in TIME_WAIT (RFC 6191); endTimeWait also ends TIME_WAIT for an
	// ABORT or a full TIME_WAIT table.
	acceptsNewIncarnation(syn tcp.Segment) bool
	endTimeWait(now clock.Instant, why tcp.Cause, c *Conn)
	// crash forgets the connection as a reboot does (users see
	// ECONNABORTED).
	crash(now clock.Instant, c *Conn)
}

// fullForm is a connection with its TCB, whose observer is already the
// Conn (the c arguments are not needed).
type fullForm tcp.TCB

func (f *fullForm) tcb() *tcp.TCB { return (*tcp.TCB)(f) }

func (f *fullForm) deliver(now clock.Instant, seg tcp.Segment, _ *Conn) { f.tcb().Deliver(now, &seg) }

func (f *fullForm) nextSegment(now clock.Instant, buf []byte) (tcp.Segment, bool) {
	return f.tcb().NextSegment(now, buf)
}

func (f *fullForm) tick(now clock.Instant, _ *Conn) { f.tcb().Tick(now) }
func (f *fullForm) deadline() clock.Instant         { return f.tcb().NextDeadline() }
func (f *fullForm) state() tcp.State                { return f.tcb().State() }
func (f *fullForm) info() tcp.Info                  { return f.tcb().Info() }

func (f *fullForm) status() Status {
	t := f.tcb()
	return Status{
		State:    t.State(),
		Readable: t.Readable(),
		ReadDone: t.ReadDone(),
		Writable: t.Writable(),
		Err:      t.Err(),
		Unacked:  t.Info().Unacked,
	}
}

func (f *fullForm) acceptsNewIncarnation(syn tcp.Segment) bool {
	return f.tcb().AcceptsNewIncarnation(&syn)
}

func (f *fullForm) endTimeWait(now clock.Instant, why tcp.Cause, _ *Conn) {
	f.tcb().EndTimeWait(now, why)
}

func (f *fullForm) crash(now clock.Instant, _ *Conn) { f.tcb().Crash(now) }

// timeWaitForm is a connection in TIME_WAIT (or CLOSED after it) held as
// its entry alone; c observes the entry's end.
type timeWaitForm tcp.TimeWaitEntry

func (f *timeWaitForm) entry() *tcp.TimeWaitEntry { return (*tcp.TimeWaitEntry)(f) }

func (f *timeWaitForm) deliver(now clock.Instant, seg tcp.Segment, c *Conn) {
	// What the entry rejects is counted with the retired connections'
	// statistics, where its TCB's went.
	f.entry().Deliver(now, &seg, c.h.tcpCfg, (*tcp.ConnStats)(&c.h.retired), c)
}

func (f *timeWaitForm) nextSegment(now clock.Instant, _ []byte) (tcp.Segment, bool) {
	return f.entry().NextSegment(now)
}

func (f *timeWaitForm) tick(now clock.Instant, c *Conn) { f.entry().Tick(now, c) }
func (f *timeWaitForm) deadline() clock.Instant         { return f.entry().Deadline() }
func (f *timeWaitForm) state() tcp.State                { return f.entry().State() }
func (f *timeWaitForm) info() tcp.Info                  { return f.entry().Info() }

// status: the peer's FIN came before TIME_WAIT, so reads are done.
func (f *timeWaitForm) status() Status {
	return Status{State: f.entry().State(), ReadDone: true, Err: f.entry().Err()}
}

func (f *timeWaitForm) acceptsNewIncarnation(syn tcp.Segment) bool {
	return f.entry().AcceptsNewIncarnation(&syn)
}

func (f *timeWaitForm) endTimeWait(now clock.Instant, why tcp.Cause, c *Conn) {
	f.entry().End(now, why, c)
}

func (f *timeWaitForm) crash(now clock.Instant, c *Conn) {
	f.entry().End(now, tcp.Cause{Kind: tcp.CauseCrash}, c)
}

// full returns the connection's TCB, or nil once the host keeps only its
// TIME_WAIT entry. Called with c.mu held (or before c is shared).
func (c *Conn) full() *tcp.TCB {
	f, _ := c.f.(*fullForm)
	return (*tcp.TCB)(f)
}

// timeWait returns the connection's TIME_WAIT entry once the host keeps
// it alone, else nil: the map's own, or a copy of a TIME_WAIT table's,
// which only reads may use (changes go through c.f). Called with c.mu
// held.
func (c *Conn) timeWait() *tcp.TimeWaitEntry {
	switch f := c.f.(type) {
	case *timeWaitForm:
		return f.entry()
	case twForm:
		w := f.view()
		return &w
	}
	return nil
}

// setTCB makes t the connection's form. Called with c.mu held (or before
// c is shared).
func (c *Conn) setTCB(t *tcp.TCB) { c.f = (*fullForm)(t) }
