package tcp

import (
	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/wire"
)

// NewActive performs an active OPEN (RFC 9293 §3.10.1): the TCB goes from
// CLOSED to SYN_SENT and its first NextSegment is the SYN.
func NewActive(cfg *Config, now clock.Instant, p OpenParams) *TCB {
	t := newTCB(cfg, p)
	t.lastRecv = now
	t.setState(now, SynSent, callCause(CallOpen))
	t.armRetransmit(now)
	return t
}

// NewPassive creates the TCB of a passive OPEN from the SYN that a listener
// received (RFC 9293 §3.10.7.2): the connection goes from LISTEN to
// SYN_RCVD and its first NextSegment is the SYN-ACK. The caller has checked
// that syn carries SYN and neither RST nor ACK.
func NewPassive(cfg *Config, now clock.Instant, p OpenParams, syn *Segment) *TCB {
	t := new(TCB)
	InitPassive(t, cfg, now, p, syn)
	return t
}

// negotiate applies the options of the peer's SYN (RFC 9293 §3.7.1,
// RFC 7323 §2.2 and §3.2, RFC 2018 §2). An option is used only when both
// ends sent it; ours are in the SYN we send, so on a passive open we reply
// only with what the peer offered.
func (t *TCB) negotiate(o *wire.TCPOptions) {
	peerMSS := t.defMSS
	t.peerMSS = 0
	if o.HasMSS && o.MSS > 0 {
		peerMSS, t.peerMSS = o.MSS, o.MSS
	}
	mss := uint32(min(peerMSS, t.ourMSS))
	if t.cfg.WindowScaling && o.HasWScale {
		// RFC 7323 §2.3: a shift above 14 is treated as 14.
		t.snd.wscale = min(o.WScale, 14)
		t.wsOK = true
	} else {
		t.snd.wscale = 0
		t.rcv.wscale = 0
	}
	t.sackOK = t.cfg.SACK && o.SACKPermitted
	if t.cfg.Timestamps && o.HasTS {
		t.tsOK = true
		t.tsRecent = o.TSVal
		// The timestamps option takes 12 bytes of every segment
		// (RFC 7323 §3.2, padded), which come out of the payload.
		mss -= 12
	}
	t.mss = max(mss, 64)
	t.cc.setMSS(t.mss)
}

// synOptions fills the options of our SYN or SYN-ACK. The SYN-ACK of a
// passive open offers only what the peer's SYN offered (RFC 7323 §2.2,
// §3.2; RFC 2018 §2); that of a simultaneous open repeats our SYN's
// options, as Linux does, since the peer has seen them already.
func (t *TCB) synOptions(now clock.Instant, o *wire.TCPOptions) {
	*o = wire.TCPOptions{MSS: t.ourMSS, HasMSS: true}
	synAck := t.state != SynSent && t.passive
	if t.cfg.WindowScaling && (!synAck || t.wsOK) {
		o.WScale, o.HasWScale = t.rcv.wscaleOffered, true
	}
	if t.cfg.SACK && (!synAck || t.sackOK) {
		o.SACKPermitted = true
	}
	if t.cfg.Timestamps && (!synAck || t.tsOK) {
		o.TSVal, o.TSEcr, o.HasTS = t.tsNow(now), t.tsRecent, true
	}
}

// tsNow is our TSval clock: milliseconds, as Linux uses (RFC 7323 §5.4
// allows 1 ms to 1 s per tick), offset per connection.
func (t *TCB) tsNow(now clock.Instant) uint32 { return tsValue(now, t.tsOffset) }

// tsValue is the TSval clock of tsNow for a connection whose offset is offset.
func tsValue(now clock.Instant, offset uint32) uint32 { return uint32(int64(now)/1e6) + offset }
