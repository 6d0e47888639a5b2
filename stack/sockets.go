package stack

import (
	"net/netip"
	"slices"
	"time"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/tcp"
)

// Socket is one row of a host's socket table, as `ss -tani` shows it: a
// connection (in any state, TIME_WAIT included) or a listener.
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
	for _, c := range h.conns {
		c.mu.Lock()
		cs = append(cs, c.socket())
		c.mu.Unlock()
	}
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

// socket is c's row; c.mu is held.
func (c *Conn) socket() Socket {
	s := Socket{Local: c.tuple.Local, Remote: c.tuple.Remote, TimerDue: clock.Never}
	t := c.tcb
	if t == nil {
		s.State = c.tw.State()
		if s.State == tcp.TimeWait {
			s.Timer, s.TimerDue = tcp.TimerTimeWait, c.tw.Deadline()
		}
		return s
	}
	i := t.Info()
	s.State = i.State
	s.RecvQ, s.SendQ = t.Readable(), i.Unacked+i.Unsent
	s.MSS, s.CWnd, s.SSThresh = i.MSS, i.CWnd, i.SSThresh
	s.SRTT, s.RTTVar, s.RTO = time.Duration(i.SRTT), time.Duration(i.RTTVar), time.Duration(i.RTO)
	s.SndWnd, s.RcvWnd = i.SndWnd, i.RcvWnd
	s.Retransmits, s.RetransSegs = i.Retransmits, i.Stats.RetransSegs
	s.Timer, s.TimerDue = t.NextTimer()
	return s
}
