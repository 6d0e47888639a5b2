package stack

import (
	"net/netip"
	"syscall"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/tcp"
)

// Connect performs an active OPEN to remote from local (an invalid or
// unspecified local address lets the host choose the source address; port
// 0 picks an ephemeral port). The SYN goes out at the next Flush.
func (h *Host) Connect(now clock.Instant, local, remote netip.AddrPort) (*Conn, error) {
	return h.ConnectWith(now, local, remote, OpenOptions{})
}

// OpenOptions are the per-socket settings that must be known before the
// SYN is built.
type OpenOptions struct {
	// MaxSegment, when not zero, caps the MSS we advertise and the one we
	// send with (TCP_MAXSEG set before connect, or on a listener; Linux's
	// user_mss). It must lie in [MinMaxSegment, MaxMaxSegment].
	MaxSegment int
	// CongestionControl, when not empty, names the connection's
	// congestion control algorithm instead of the host's default
	// (TCP_CONGESTION set before connect, or on a listener): "cubic",
	// "reno" or one registered with tcp.RegisterCongestionControl. An
	// unknown name is syscall.ENOENT, as in Linux.
	CongestionControl string
}

// The range of OpenOptions.MaxSegment (Linux: TCP_MIN_MSS and
// MAX_TCP_WINDOW).
const (
	MinMaxSegment = 88
	MaxMaxSegment = 32767
)

func (o OpenOptions) validate() error {
	if o.MaxSegment != 0 && (o.MaxSegment < MinMaxSegment || o.MaxSegment > MaxMaxSegment) {
		return syscall.EINVAL
	}
	return tcp.CheckCongestionControl(o.CongestionControl)
}

// ConnectWith is Connect with per-socket options.
func (h *Host) ConnectWith(now clock.Instant, local, remote netip.AddrPort, o OpenOptions) (*Conn, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	if !remote.Addr().IsValid() || remote.Port() == 0 || remote.Addr().IsUnspecified() {
		return nil, syscall.EINVAL
	}
	remote = netip.AddrPortFrom(remote.Addr().Unmap(), remote.Port())
	h.mu.Lock()
	defer h.mu.Unlock()
	src := local.Addr()
	if !src.IsValid() || src.IsUnspecified() {
		var ok bool
		if src, ok = h.sourceFor(remote.Addr()); !ok {
			return nil, syscall.ENETUNREACH
		}
	} else if !h.isLocal(src) && !h.fwd.on.Load() { // forwarding: any source (forward.go)
		return nil, syscall.EADDRNOTAVAIL
	}
	if h.connCount() >= h.cfg.MaxConns {
		h.count(func(k *Counters) { k.ConnLimit++ })
		return nil, syscall.ENOBUFS
	}
	t := Tuple{Local: netip.AddrPortFrom(src, local.Port()), Remote: remote}
	if local.Port() == 0 {
		port, ok := h.ephemeralPort(now, src, remote)
		if !ok {
			h.count(func(k *Counters) { k.EphemeralExhausted++ })
			return nil, syscall.EADDRNOTAVAIL
		}
		t.Local = netip.AddrPortFrom(src, port)
	}
	p := h.openParams(now, t, nil, o)
	if old := h.lookupConn(t); old != nil {
		iss, ok := h.takeTimeWait(now, old)
		if !ok {
			return nil, syscall.EADDRINUSE
		}
		p.ISS = iss
	}
	c := newConn(h, t)
	p.Observer, p.Memory = c, &c.mem
	c.mu.Lock()
	c.setTCB(tcp.NewActive(h.tcpCfg, now, p))
	c.mu.Unlock()
	h.conns.put(t, c)
	h.markDirty(c)
	return c, nil
}

// ephemeralPort picks a local port for a connection from src to remote
// (RFC 6056 Algorithm 3, see pickPort): one that no connection to remote
// and no listener uses. Called with h.mu held.
func (h *Host) ephemeralPort(now clock.Instant, src netip.Addr, remote netip.AddrPort) (uint16, bool) {
	return h.pickPort(src, remote, h.cfg.EphemeralPortLow, h.cfg.EphemeralPortHigh, &h.portNext, func(port uint16) bool {
		local := netip.AddrPortFrom(src, port)
		t := Tuple{Local: local, Remote: remote}
		if !h.portAllowed(t) {
			return false
		}
		free := true
		if c := h.conns.get(t); c != nil {
			free = h.timeWaitReusable(now, c)
		} else if held, reusable := h.tableReusable(now, t); held {
			free = reusable // without making a Conn for every port tried
		}
		return free && h.boundListener(local) == nil
	})
}

// timeWaitReusable reports whether an active open may take over c's
// 4-tuple: c is a TIME_WAIT entry that TimeWaitReuse (Linux's
// tcp_tw_reuse) allows to be reused. Called with h.mu held.
func (h *Host) timeWaitReusable(now clock.Instant, c *Conn) bool {
	if !h.reuseAllowed(c.tuple) {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.timeWait()
	return w != nil && w.ReusableBy(now, timeWaitReuseDelay, h.tcpCfg.TimeWait)
}

// reuseAllowed reports whether TimeWaitReuse lets an active open take
// over t's 4-tuple from TIME_WAIT at all.
func (h *Host) reuseAllowed(t Tuple) bool {
	switch h.cfg.TimeWaitReuse {
	case TimeWaitReuseOff:
		return false
	case TimeWaitReuseLoopback:
		return t.Remote.Addr().IsLoopback()
	}
	return true
}

// takeTimeWait ends the TIME_WAIT entry c for an active open that reuses
// its 4-tuple, if allowed, and returns the new connection's ISS, past
// anything of the old one (Linux's tcp_twsk_unique). Called with h.mu held.
func (h *Host) takeTimeWait(now clock.Instant, c *Conn) (tcp.Seq, bool) {
	if !h.timeWaitReusable(now, c) {
		return 0, false
	}
	c.mu.Lock()
	iss := c.timeWait().ReuseISS()
	c.f.endTimeWait(now, tcp.Cause{Kind: tcp.CauseCall, Call: tcp.CallOpen}, c)
	c.mu.Unlock()
	h.count(func(k *Counters) { k.TimeWaitReused++ })
	h.removeConn(c)
	return iss, true
}

// removeConn takes c out of the tables. Called with h.mu held.
func (h *Host) removeConn(c *Conn) {
	if h.conns.get(c.tuple) == c {
		h.conns.remove(c.tuple)
	}
	h.timers.set(c, clock.Never)
	c.removed = true
	c.mu.Lock()
	if t := c.full(); t != nil {
		h.retired.add(t.Stats())
		if t.Readable() == 0 {
			t.FreeBuffers() // nothing left for the user: free it now
		}
	} else if _, ok := c.f.(*timeWaitForm); ok {
		h.timeWaits-- // a table's entry has left its table already
	}
	c.mem.detach()
	c.mu.Unlock()
	c.listener = nil
}
