package stack

import (
	"net/netip"
	"slices"
	"time"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/tcp"
)

// Socket is one row of a host's socket table, as `ss -tani` shows it: a
// connection (in any state, SYN_RCVD and TIME_WAIT included) or a
// listener.
type Socket struct {
	State         tcp.State
	Local, Remote netip.AddrPort // a listener has no Remote
	// RecvQ and SendQ are, for a connection, the bytes received and not
	// yet read and the bytes written and not yet acknowledged; for a
	// listener, as ss shows them, the connections waiting to be accepted
	// and the backlog.
	RecvQ, SendQ int
	HalfOpen     int // a listener's half-open connections (its SYN queue)

	// The connection's TCB variables (zero for a listener or TIME_WAIT).
	MSS, CWnd, SSThresh uint32
	SRTT, RTTVar, RTO   time.Duration
	SndWnd, RcvWnd      uint32
	Retransmits         int           // retransmissions of the current segment, as ss's "retrans"
	RetransSegs         uint64        // segments retransmitted in all
	Timer               tcp.Timer     // the timer that fires next, or TimerNone
	TimerDue            clock.Instant // when it fires, or clock.Never
}

// Sockets returns the host's socket table at now: its listeners, then its
// connections, each group ordered by local and remote address.
func (h *Host) Sockets() []Socket {
	h.mu.Lock()
	defer h.mu.Unlock()
	var ls, cs []Socket
	for _, l := range h.listeners {
		ls = append(ls, Socket{State: tcp.Listen, Local: l.addr, RecvQ: l.Pending(), SendQ: l.backlog,
			HalfOpen: l.HalfOpen(), TimerDue: clock.Never})
	}
	for _, c := range h.conns.all() {
		c.mu.Lock()
		cs = append(cs, socketOf(c.tuple, c.f))
		c.mu.Unlock()
	}
	cs = h.timeWaitSockets(cs)
	// Half-open connections, as Linux lists its request socks (SYN-RECV).
	for k, r := range h.syn.all() {
		t := h.tupleOf(k)
		cs = append(cs, socketOf(t, h.takeRequest(k, t, r, h.findListener(t.Local))))
	}
	h.req = requestForm{}
	order := func(a, b Socket) int {
		if c := a.Local.Compare(b.Local); c != 0 {
			return c
		}
		return a.Remote.Compare(b.Remote)
	}
	slices.SortFunc(ls, order)
	slices.SortFunc(cs, order)
	return append(ls, cs...)
}

// entrySocket is the row of t's connection kept as its TIME_WAIT entry
// in a table: as socket gives it for one in the map.
func entrySocket(t Tuple, w *tcp.TimeWaitEntry) Socket {
	i := w.Info()
	s := Socket{State: i.State, Local: t.Local, Remote: t.Remote, RcvWnd: i.RcvWnd, TimerDue: clock.Never}
	if i.State == tcp.TimeWait {
		s.Timer, s.TimerDue = tcp.TimerTimeWait, w.Deadline()
	}
	return s
}

// socketOf is the row of connection t in form f (with its Conn's lock
// held, for a form a Conn holds).
func socketOf(t Tuple, f form) Socket {
	i, st := f.info(), f.status()
	s := Socket{State: i.State, Local: t.Local, Remote: t.Remote,
		RecvQ: st.Readable, SendQ: i.Unacked + i.Unsent,
		MSS: i.MSS, CWnd: i.CWnd, SSThresh: i.SSThresh,
		SRTT: time.Duration(i.SRTT), RTTVar: time.Duration(i.RTTVar), RTO: time.Duration(i.RTO),
		SndWnd: i.SndWnd, RcvWnd: i.RcvWnd,
		Retransmits: i.Retransmits, RetransSegs: i.Stats.RetransSegs,
		TimerDue: clock.Never}
	switch f := f.(type) {
	case *fullForm:
		s.Timer, s.TimerDue = f.tcb().NextTimer()
	case *requestForm:
		s.Timer, s.TimerDue = f.expand().NextTimer()
	case *timeWaitForm:
		if i.State == tcp.TimeWait {
			s.Timer, s.TimerDue = tcp.TimerTimeWait, f.deadline()
		}
	}
	return s
}
