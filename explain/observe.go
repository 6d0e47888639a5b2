package explain

import (
	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/wire"
)

// segment runs one captured segment p, which from sent to to, through the
// observer. What an end sends reveals its own state: its user calls (a SYN
// is an OPEN, a FIN a CLOSE, an RST an ABORT) and, through its
// acknowledgment number, the peer's SYNs and FINs it has received. What it
// receives and cannot acknowledge (a bare ACK, an RST) changes its state on
// arrival, tentatively: its next segment may show that it never got it.
func (o *observer) segment(from, to *end, p *packet) {
	o.contradicted(from, p)
	if p.has(wire.FlagACK) {
		o.acknowledged(from, p)
	}
	o.count(from, to, p)
	o.sent(from, to, p)
	o.record(from, to, p)
	o.arrived(to, from, p)
}

// contradicted undoes e's last tentative change when p, which e sends,
// shows that the segment behind it never reached e: a resent SYN-ACK (its
// handshake ACK was lost), a resent FIN (the ACK of its FIN was lost), or
// anything but an RST after an RST closed it (the RST was not accepted).
func (o *observer) contradicted(e *end, p *packet) {
	if !p.has(wire.FlagRST) {
		o.undo(e, byReset)
	}
	if p.has(wire.FlagFIN) && e.finSent && p.end() == e.finSeq.Add(1) {
		o.undo(e, byAckOfFin)
	}
	if p.has(wire.FlagSYN) && p.has(wire.FlagACK) && len(e.synAckTimes) > 0 && p.seq() == e.iss {
		o.undo(e, byAckOfSyn)
	}
}

// acknowledged applies to e the peer's SYN and FIN that p, which e sends,
// acknowledges: they have arrived (RFC 9293 §3.10.7.3, §3.10.7.4 eighth).
func (o *observer) acknowledged(e *end, p *packet) {
	ack := p.ack()
	if ps := e.pendSyn; ps != nil && ack.GreaterThanEq(ps.end) {
		e.pendSyn = nil
		o.synArrived(e, ps, p)
	}
	if pf := e.pendFin; pf != nil && ack.GreaterThanEq(pf.end) {
		e.pendFin = nil
		o.finArrived(e, pf, p.at)
	}
}

// synArrived applies the peer's SYN ps to e, as e's segment p shows it.
func (o *observer) synArrived(e *end, ps *pending, p *packet) {
	why := segmentCause(ps.seg.Flags)
	switch {
	case p.has(wire.FlagRST):
		// RFC 9293 §3.10.7.1: a SYN to a port nobody listens on draws
		// <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>: refused.
		o.known(e, tcp.Closed)
		e.st.refused = true
	case ps.seg.Flags.Has(wire.FlagACK):
		if e.state == tcp.SynSent || e.state == tcp.SynReceived {
			o.setState(e, p.at, tcp.Established, why, certain)
		}
	case e.fresh:
		// RFC 9293 §3.10.7.2: a listener's SYN moves it to SYN_RCVD.
		o.known(e, tcp.Listen)
		o.setState(e, p.at, tcp.SynReceived, why, certain)
	case e.state == tcp.SynSent:
		// Simultaneous open (RFC 9293 Figure 7).
		o.setState(e, p.at, tcp.SynReceived, why, certain)
	}
}

// finArrived applies the peer's FIN pf to e at time at (RFC 9293
// §3.10.7.4 eighth).
func (o *observer) finArrived(e *end, pf *pending, at clock.Instant) {
	why := segmentCause(pf.seg.Flags)
	switch e.state {
	case tcp.SynReceived, tcp.Established:
		o.setState(e, at, tcp.CloseWait, why, certain)
	case tcp.FinWait1:
		o.setState(e, at, tcp.Closing, why, certain)
	case tcp.FinWait2:
		o.setState(e, at, tcp.TimeWait, why, certain)
	}
}

// sent applies to e what sending p reveals of its user calls, and notes
// the sequence numbers p uses.
func (o *observer) sent(e, peer *end, p *packet) {
	switch {
	case p.has(wire.FlagRST):
		o.sentReset(e, peer, p)
	case p.has(wire.FlagSYN):
		o.sentSyn(e, peer, p)
	}
	if p.has(wire.FlagFIN) && !p.has(wire.FlagRST) {
		o.sentFin(e, peer, p)
	}
	if !p.has(wire.FlagRST) && (!e.sndKnown || p.end().GreaterThan(e.sndMax)) {
		e.sndMax, e.sndKnown = p.end(), true
	}
	if p.has(wire.FlagACK) && !p.has(wire.FlagRST) && (!e.ackKnown || p.ack().GreaterThan(e.ackMax)) {
		e.ackMax, e.ackKnown = p.ack(), true
	}
}

// sentSyn handles a SYN or SYN-ACK that e sends.
func (o *observer) sentSyn(e, peer *end, p *packet) {
	synAck := p.has(wire.FlagACK)
	if e.synSeen && p.seq() == e.iss {
		// The same SYN again: a retransmission, or in a simultaneous
		// open the SYN sent again as a SYN-ACK (RFC 9293 Figure 7).
		if synAck {
			e.synAckTimes = append(e.synAckTimes, p.at)
		} else {
			e.synTimes = append(e.synTimes, p.at)
		}
		return
	}
	e.synSeen, e.iss, e.una = true, p.seq(), p.seq()
	opt := &p.seg.Options
	if opt.HasMSS {
		e.mss = opt.MSS
	}
	e.wsOffer, e.wscale = opt.HasWScale, min(opt.WScale, 14)
	if !synAck {
		e.synTimes = []clock.Instant{p.at}
		if e.state == tcp.Closed {
			o.setState(e, p.at, tcp.SynSent, tcp.Cause{Kind: tcp.CauseCall, Call: tcp.CallOpen}, certain)
		}
		return
	}
	e.synAckTimes = []clock.Instant{p.at}
	if e.state != tcp.SynReceived && e.fresh {
		// A SYN-ACK whose SYN the capture missed: it started after it.
		o.known(e, tcp.Listen)
		o.known(peer, tcp.SynSent)
		o.setState(e, p.at, tcp.SynReceived, segmentCause(wire.FlagSYN), certain)
		o.startedAfterSyn = true
	}
}

// sentFin handles the FIN that e sends: its CLOSE (RFC 9293 §3.10.4).
func (o *observer) sentFin(e, peer *end, p *packet) {
	fin := p.end().Add(^uint32(0))
	if e.finSent && fin == e.finSeq {
		return // a retransmission
	}
	e.finSent, e.finSeq, e.finAt = true, fin, p.at
	if peer.finSent {
		// The second FIN: on its own after the ACK of the first (a close
		// in four segments), on that ACK (three), or crossing it
		// (simultaneous close).
		covers := p.has(wire.FlagACK) && p.ack().GreaterThan(peer.finSeq)
		e.st.secondFin = closeSecond(covers, e.acked(peer.finSeq.Add(1)))
	}
	why := tcp.Cause{Kind: tcp.CauseCall, Call: tcp.CallClose}
	switch e.state {
	case tcp.SynReceived, tcp.Established:
		o.setState(e, p.at, tcp.FinWait1, why, certain)
	case tcp.CloseWait:
		o.setState(e, p.at, tcp.LastAck, why, certain)
	}
}

// sentReset handles an RST that e sends. In a connected state it is an
// ABORT (RFC 9293 §3.10.5: SO_LINGER 0, or a close that found unread
// data), or, after e closed, the answer to data that arrived for a socket
// nobody reads (RFC 2525 §2.17, as Linux does). From an end without a
// connection it is the reset of a segment that matches none.
func (o *observer) sentReset(e, peer *end, p *packet) {
	switch e.state {
	case tcp.Closed, tcp.Listen, tcp.SynSent, tcp.TimeWait:
		return
	}
	e.st.resetSent, e.st.resetAt, e.st.resetState = true, p.at, e.state
	why := tcp.Cause{Kind: tcp.CauseCall, Call: tcp.CallAbort}
	if (e.state == tcp.FinWait1 || e.state == tcp.FinWait2) && peer.st.lastDataAt > e.finAt {
		why = segmentCause(peer.st.lastDataFlags)
		e.st.resetForData = true
	}
	o.setState(e, p.at, tcp.Closed, why, certain)
}

// arrived applies p, from peer, to e on its arrival.
func (o *observer) arrived(e, peer *end, p *packet) {
	if p.has(wire.FlagRST) {
		o.resetArrived(e, peer, p)
		return
	}
	if p.has(wire.FlagACK) {
		o.ackArrived(e, p)
	}
	if p.has(wire.FlagSYN) && !e.acked(p.seq().Add(1)) && e.pendSyn == nil {
		e.pendSyn = &pending{end: p.seq().Add(1), seg: p.seg, at: p.at}
	}
	if p.has(wire.FlagFIN) && !e.acked(p.end()) {
		e.pendFin = &pending{end: p.end(), seg: p.seg, at: p.at}
	}
}

// acked reports whether e has acknowledged the peer's sequence space up
// to seq.
func (e *end) acked(seq tcp.Seq) bool { return e.ackKnown && e.ackMax.GreaterThanEq(seq) }

// ackArrived applies the acknowledgment of p to e: of its SYN in SYN_RCVD
// (RFC 9293 §3.10.7.4 fifth), of its FIN in the closing states.
func (o *observer) ackArrived(e *end, p *packet) {
	ack := p.ack()
	// The peer's SYN or FIN that an earlier segment carried arrived
	// before this one (the network rarely reorders): settle them first.
	// A SYN and then the ACK of ours is a simultaneous open (RFC 9293
	// Figure 7); a FIN and then the ACK of ours a simultaneous close
	// (Figure 13), not FIN_WAIT_2.
	if ps := e.pendSyn; ps != nil && e.state == tcp.SynSent && e.synSeen && ack.GreaterThan(e.iss) {
		e.pendSyn = nil
		if ps.seg.Flags.Has(wire.FlagACK) {
			return // a SYN-ACK acknowledging ours: it waits for our ACK
		}
		o.setState(e, p.at, tcp.SynReceived, segmentCause(ps.seg.Flags), certain)
	}
	synAcked := e.synSeen && e.state == tcp.SynReceived && ack.GreaterThan(e.iss)
	finAcked := e.finSent && ack.GreaterThan(e.finSeq)
	if !synAcked && !finAcked {
		return
	}
	if pf := e.pendFin; pf != nil && finAcked {
		e.pendFin = nil
		o.finArrived(e, pf, p.at)
	}
	why := segmentCause(p.seg.Flags)
	if synAcked {
		o.setState(e, p.at, tcp.Established, why, byAckOfSyn)
	}
	if !finAcked {
		return
	}
	switch e.state {
	case tcp.FinWait1:
		o.setState(e, p.at, tcp.FinWait2, why, byAckOfFin)
	case tcp.Closing:
		o.setState(e, p.at, tcp.TimeWait, why, byAckOfFin)
	case tcp.LastAck:
		o.setState(e, p.at, tcp.Closed, why, byAckOfFin)
	}
}

// resetArrived applies an RST from peer to e (RFC 9293 §3.10.7.3 and
// §3.10.7.4 second).
func (o *observer) resetArrived(e, peer *end, p *packet) {
	why := segmentCause(p.seg.Flags)
	switch e.state {
	case tcp.SynSent:
		// Acceptable only if it acknowledges our SYN: refused.
		if p.has(wire.FlagACK) && p.ack() == e.iss.Add(1) {
			o.setState(e, p.at, tcp.Closed, why, byReset)
		}
	case tcp.SynReceived:
		if e.initial == tcp.Listen {
			o.setState(e, p.at, tcp.Listen, why, byReset)
		} else {
			o.setState(e, p.at, tcp.Closed, why, byReset)
		}
	case tcp.Established, tcp.FinWait1, tcp.FinWait2, tcp.CloseWait, tcp.Closing, tcp.LastAck, tcp.TimeWait:
		// TIME_WAIT too: Linux ends it on an RST (tcp_rfc1337 is off by
		// default), unlike RFC 1337.
		if o.resetAcceptable(e, peer, p) {
			o.setState(e, p.at, tcp.Closed, why, byReset)
		}
	}
}

// resetAcceptable reports whether an RST in a synchronized state is in
// e's receive window (RFC 9293 §3.10.7.4 first), as far as the capture
// shows it: from the furthest e acknowledged, up to the window it offered,
// or at the furthest the peer sent.
func (o *observer) resetAcceptable(e, peer *end, p *packet) bool {
	if !e.ackKnown {
		return true
	}
	return p.seq().InWindow(e.ackMax, max(e.st.window, 1)) || (peer.sndKnown && p.seq() == peer.sndMax)
}

// segmentCause is the cause of a change that an arriving segment with
// these flags drove.
func segmentCause(f wire.TCPFlags) tcp.Cause {
	return tcp.Cause{Kind: tcp.CauseSegment, Flags: f}
}
