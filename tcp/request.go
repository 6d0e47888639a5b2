package tcp

import (
	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/wire"
)

// Request is a listener's half-open connection (SYN_RCVD) in the form a
// host keeps it while the handshake is under way: the few variables of a
// passive open's TCB in that state, in 48 bytes, as Linux keeps a
// request_sock rather than a socket, so that a flood of SYNs costs the
// listener little.
//
// The rules of SYN_RCVD are written once, in the TCB: the host expands a
// Request into a TCB (Expand) for each segment or timer that concerns it,
// and compacts the TCB back (TCB.Request) while it stays in SYN_RCVD, or
// keeps the TCB once the handshake completes. Expanding what Request
// returned gives a TCB that behaves exactly as the one compacted.
type Request struct {
	born           clock.Instant // when the first SYN-ACK went out (the RTT sample's start)
	deadline       clock.Instant // when the SYN-ACK is resent
	lastInvalidAck clock.Instant // the rate limit of ACKs to unacceptable segments
	iss, irs       Seq
	tsRecent       uint32
	rcvWnd         uint32 // RCV.ADV - RCV.NXT: the window we advertised last
	peerWnd        uint16 // the SYN's window (never scaled)
	peerMSS        uint16 // the SYN's MSS option, 0 if it had none
	retransmits    uint8
	peerWScale     uint8
	flags          requestFlags
}

// requestFlags are a Request's booleans.
type requestFlags uint8

const (
	reqTimestamps requestFlags = 1 << iota // the SYN offered timestamps (and we use them)
	reqSACK                                // the SYN offered SACK
	reqWScale                              // the SYN offered window scaling
	reqTiming                              // the SYN-ACK is being timed for an RTT sample
	reqSynAckDue                           // the SYN-ACK is to be sent (again) at once
	reqUnsent                              // the SYN-ACK has never been sent
)

// InitPassive makes *t the TCB of a passive open from syn, as NewPassive
// returns it, reusing t's memory: a host that answers many SYNs expands
// them one after another into the same TCB.
func InitPassive(t *TCB, cfg *Config, now clock.Instant, p OpenParams, syn *Segment) {
	initPassive(t, cfg, now, p, syn, segCause(syn))
}

func initPassive(t *TCB, cfg *Config, now clock.Instant, p OpenParams, syn *Segment, why Cause) {
	initTCB(t, cfg, p)
	t.passive = true
	t.state = Listen
	t.lastRecv = now
	t.rcv.irs = syn.Seq
	t.rcv.nxt = syn.Seq.Add(1)
	t.rcv.lastAck = t.rcv.nxt
	t.negotiate(&syn.Options)
	// RFC 9293 §3.10.7.2: SND.WND from the SYN's (never scaled) window.
	t.snd.wnd = uint32(syn.Window)
	t.snd.maxWnd = t.snd.wnd
	t.snd.wl1 = syn.Seq
	t.rcv.adv = t.rcv.nxt
	t.setState(now, SynReceived, why)
	t.armRetransmit(now)
	t.hot.SegsIn++
}

// Request returns the compact form of the TCB, or ok=false unless it is a
// passive open in SYN_RCVD that holds no data and no FIN. A SYN-ACK still
// to send is kept (SynAckDue); an ACK or reset still queued is not: the
// host compacts a TCB after taking its output, and drops what its output
// batch had no room for, as a loss.
func (t *TCB) Request() (r Request, ok bool) {
	if t.state != SynReceived || !t.passive || t.fin.queued || t.fin.rcvd || t.fin.pending ||
		t.recvBuf.readable() > 0 || t.recvBuf.hasOutOfOrder() || t.sendBuf.len() > 0 {
		return Request{}, false
	}
	r = Request{
		born: t.rttStart, deadline: t.tm.retransmit, lastInvalidAck: t.lastInvalidAck(),
		iss: t.snd.iss, irs: t.rcv.irs, tsRecent: t.tsRecent, rcvWnd: uint32(t.rcv.adv.Sub(t.rcv.nxt)),
		peerWnd: uint16(t.snd.maxWnd), peerMSS: t.peerMSS,
		retransmits: uint8(min(t.retransmit, 255)), peerWScale: t.snd.wscale,
	}
	if t.tsOK {
		r.flags |= reqTimestamps
	}
	if t.sackOK {
		r.flags |= reqSACK
	}
	if t.wsOK {
		r.flags |= reqWScale
	}
	if t.rttTiming {
		r.flags |= reqTiming
	}
	if t.snd.nxt == t.snd.iss {
		r.flags |= reqSynAckDue
	}
	if t.snd.max == t.snd.iss {
		r.flags |= reqUnsent
	}
	return r, true
}

// Expand makes *t the TCB r was compacted from, reusing t's memory. p
// must be what the host gave the connection's first TCB (its MSS, default
// MSS, timestamp offset and ISS); its Observer receives the connection's
// state changes from now on. Expanding records no state change: the
// connection is in SYN_RCVD as before.
func (r *Request) Expand(t *TCB, cfg *Config, p OpenParams) {
	initTCB(t, cfg, p)
	t.passive = true
	t.state = SynReceived
	t.lastRecv = r.born
	t.rcv.irs = r.irs
	t.rcv.nxt = r.irs.Add(1)
	t.rcv.lastAck = t.rcv.nxt
	o := wire.TCPOptions{MSS: r.peerMSS, HasMSS: r.peerMSS != 0, WScale: r.peerWScale, HasWScale: r.flags&reqWScale != 0,
		SACKPermitted: r.flags&reqSACK != 0, HasTS: r.flags&reqTimestamps != 0, TSVal: r.tsRecent}
	t.negotiate(&o)
	t.snd.wnd, t.snd.maxWnd = uint32(r.peerWnd), uint32(r.peerWnd)
	t.snd.wl1 = r.irs
	// SND.MAX is past our SYN, and so is SND.NXT unless the SYN-ACK is
	// due (again).
	t.snd.nxt, t.snd.max = r.iss.Add(1), r.iss.Add(1)
	if r.flags&reqSynAckDue != 0 {
		t.snd.nxt = r.iss
	}
	if r.flags&reqUnsent != 0 {
		t.snd.max = r.iss
	}
	t.rcv.adv = t.rcv.nxt.Add(r.rcvWnd)
	t.retransmit = int32(r.retransmits)
	for range r.retransmits {
		t.rtt.backoff()
	}
	t.rttTiming, t.rttSeq, t.rttStart = r.flags&reqTiming != 0, r.iss, r.born
	t.tm.retransmit = r.deadline
	t.setLastInvalidAck(r.lastInvalidAck)
}

// Deadline is when the request's SYN-ACK is due again.
func (r *Request) Deadline() clock.Instant { return r.deadline }

// SynAckDue reports whether the SYN-ACK is to be sent at once.
func (r *Request) SynAckDue() bool { return r.flags&reqSynAckDue != 0 }

// Retransmits is how many times the SYN-ACK was resent.
func (r *Request) Retransmits() int { return int(r.retransmits) }

// ISS is the request's initial send sequence number.
func (r *Request) ISS() Seq { return r.iss }

// SetObserver makes obs the receiver of the TCB's events from now on, as
// when a host moves a half-open connection's expanded TCB into the
// connection that keeps it.
func (t *TCB) SetObserver(obs Observer) { t.obs = obs }

// InitFromCookie makes *t the TCB that a valid SYN cookie stands for, at
// the handshake's final ACK (RFC 4987 §3.6): a passive open in SYN_RCVD
// whose SYN-ACK, with the cookie p.ISS, is out, as if the SYN had offered
// mss and o (the rest of its options were not kept). The state change
// LISTEN -> SYN_RCVD is recorded with the ACK as its cause; delivering the
// ACK then completes the handshake.
func InitFromCookie(t *TCB, cfg *Config, now clock.Instant, p OpenParams, ack *Segment, mss uint16, o CookieOptions) {
	syn := Segment{Seq: ack.Seq.Add(^uint32(0)), Flags: wire.FlagSYN}
	syn.Options = wire.TCPOptions{MSS: mss, HasMSS: true, WScale: o.WScale, HasWScale: o.WScaleOK,
		SACKPermitted: o.SACKOK, HasTS: ack.Options.HasTS, TSVal: ack.Options.TSVal}
	initPassive(t, cfg, now, p, &syn, segCause(ack))
	t.snd.nxt, t.snd.max = p.ISS.Add(1), p.ISS.Add(1)
	t.rcv.adv = t.rcv.nxt.Add(uint32(min(t.recvBuf.window(), 0xffff)))
	t.hot.SegsIn--
}

// PeerWScale is the window scale shift the peer's SYN offered, when both
// ends use window scaling, else 0: the shift of the windows it sends.
func (r *Request) PeerWScale() uint8 {
	if r.flags&reqWScale == 0 {
		return 0
	}
	return min(r.peerWScale, 14)
}
