package stack

import (
	"time"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/wire"
)

// SYN cookies (RFC 4987 §3.6): a listener that will not queue a SYN
// answers it from no state, with a SYN-ACK whose ISS encodes what the
// final ACK needs (tcp.CookieJar); that ACK, arriving for no request,
// then makes the connection.

// cookieWindow is how long after its SYN queue last overflowed a listener
// in SynCookiesOnOverflow mode still checks ACKs for cookies (Linux's
// TCP_SYNCOOKIE_VALID).
const cookieWindow = 2 * time.Minute

// cookieKey derives the SYN cookie key from the host's secret, apart
// from the ISN generator's.
func cookieKey(secret [16]byte) [16]byte {
	for i := range secret {
		secret[i] ^= 0x5c
	}
	return secret
}

// cookieOptions are the options of syn that a cookie keeps, as far as our
// configuration uses them.
func (h *Host) cookieOptions(syn *tcp.Segment) tcp.CookieOptions {
	return tcp.CookieOptions{
		WScaleOK: h.tcpCfg.WindowScaling && syn.Options.HasWScale, WScale: syn.Options.WScale,
		SACKOK: h.tcpCfg.SACK && syn.Options.SACKPermitted,
	}
}

// sendCookie answers syn with a cookie SYN-ACK, keeping nothing. overflow
// says the SYN queue is full, which keeps the listener checking cookies
// for a while. Called with h.mu held.
func (h *Host) sendCookie(now clock.Instant, l *Listener, t Tuple, syn *tcp.Segment, overflow bool) {
	if overflow {
		l.mu.Lock()
		l.overflowed, l.lastOverflow = true, now
		l.mu.Unlock()
	}
	if h.out.full() {
		h.count(func(k *Counters) { k.OutRstsSuppressed++ })
		return
	}
	_, def := h.mssFor(t.Remote.Addr())
	peerMSS := def
	if syn.Options.HasMSS && syn.Options.MSS > 0 {
		peerMSS = syn.Options.MSS
	}
	p := h.openParams(now, t, nil, listenerOptions(l))
	p.ISS, _ = h.cookies.Make(now, t.Local, t.Remote, syn.Seq, peerMSS)
	if h.scratch == nil {
		h.scratch = new(tcp.TCB)
	}
	// Without timestamps a cookie keeps only the MSS, so the SYN-ACK must
	// not offer window scaling or SACK, which the connection made from
	// the cookie will not have (Linux clears them: tcp_clear_options).
	offer := *syn
	if !syn.Options.HasTS || !h.tcpCfg.Timestamps {
		offer.Options.HasWScale, offer.Options.SACKPermitted = false, false
	}
	tcp.InitPassive(h.scratch, h.tcpCfg, now, p, &offer)
	seg, ok := h.scratch.NextSegment(now, h.out.payloadBuf(h.maxPayload(t)))
	if !ok {
		return
	}
	if seg.Options.HasTS {
		seg.Options.TSVal = tcp.CookieTSVal(seg.Options.TSVal, h.cookieOptions(syn))
	}
	h.out.push(now, h, t, &seg)
	h.count(func(k *Counters) { k.SyncookiesSent++ })
}

// cookieInput checks an ACK that reached l for no connection and no
// request: if it carries a valid cookie, the connection is made from it,
// the ACK delivered to it (its data kept) and it joins the accept queue.
// It reports whether the ACK was taken; an invalid cookie is counted and
// left to the reset rules. Called with h.mu held.
func (h *Host) cookieInput(now clock.Instant, l *Listener, t Tuple, seg *tcp.Segment) bool {
	if seg.Flags&(wire.FlagRST|wire.FlagSYN) != 0 || !h.checksCookies(now, l) {
		return false
	}
	p := h.openParams(now, t, nil, listenerOptions(l))
	cookie := seg.Ack.Add(^uint32(0))
	mss, ok := h.cookies.Check(now, t.Local, t.Remote, seg.Seq.Add(^uint32(0)), cookie)
	var o tcp.CookieOptions
	if ok && seg.Options.HasTS && h.tcpCfg.Timestamps {
		o, ok = tcp.DecodeCookieTS(seg.Options.TSEcr, tcp.TSValue(now, p.TSOffset))
	}
	if !ok {
		h.count(func(k *Counters) { k.SyncookiesFailed++ })
		return false
	}
	if h.acceptQueueFull(now, l, t, seg) || h.atConnLimit(now, t, seg) {
		return true // as Linux: the client's retransmission tries again
	}
	h.count(func(k *Counters) { k.SyncookiesRecv++ })
	c := newConn(h, t)
	p.ISS, p.Observer, p.Memory = cookie, c, &c.mem
	tcb := new(tcp.TCB)
	tcp.InitFromCookie(tcb, h.tcpCfg, now, p, seg, mss, o)
	c.setTCB(tcb)
	h.conns.put(t, c)
	tcb.Deliver(now, seg)
	c.listener = l
	h.markDirty(c)
	h.settlePassive(c, tcb.State())
	return true
}

// checksCookies reports whether l takes ACKs for cookies now: always in
// SynCookiesAlways mode, and in SynCookiesOnOverflow mode for a while
// after its SYN queue last overflowed.
func (h *Host) checksCookies(now clock.Instant, l *Listener) bool {
	switch h.cfg.SynCookies {
	case SynCookiesAlways:
		return true
	case SynCookiesNever:
		return false
	}
	l.mu.Lock()
	recent := l.overflowed && now.Sub(l.lastOverflow) < cookieWindow
	l.mu.Unlock()
	return recent
}
