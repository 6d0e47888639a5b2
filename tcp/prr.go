package tcp

// Proportional Rate Reduction (RFC 6937), as Linux's tcp_cwnd_reduction
// runs it during SACK-based fast recovery: instead of dropping cwnd to
// ssthresh at once and sending nothing until pipe falls below it, each
// ACK lets out data in proportion to what it delivered, so that the
// flight shrinks smoothly to ssthresh (while pipe is above it) or grows
// back towards it by at most what was delivered plus one segment (PRR-SSRB,
// while it is below).

// prrState is PRR's accounting for one recovery (RFC 6937 §3).
type prrState struct {
	// priorCwnd is cwnd when recovery started; Linux uses it as RFC
	// 6937's RecoverFS.
	priorCwnd uint32
	// delivered is prr_delivered, out is prr_out: bytes delivered to
	// the receiver and sent by us since recovery started.
	delivered, out uint32
}

// prrStart begins PRR as recovery starts, with cwnd as it was before.
func (t *TCB) prrStart(priorCwnd uint32) {
	if t.ld != nil {
		t.ld.prr = prrState{priorCwnd: max(priorCwnd, 1)}
	}
}

// prrSent counts n bytes sent during SACK-based recovery (prr_out).
func (t *TCB) prrSent(n uint32) {
	if t.ld != nil && t.sackRecovery() {
		t.ld.prr.out += n
	}
}

// prrOnAck sets cwnd for an ACK during SACK-based recovery that delivered
// delivered bytes (RFC 6937 §3, DeliveredData), with advanced set if it
// moved SND.UNA and lost if it marked a new loss: cwnd becomes pipe plus
// sndcnt, the bytes this ACK may release.
func (t *TCB) prrOnAck(delivered uint32, advanced, lost bool) {
	if t.ld == nil || !t.sackRecovery() || delivered == 0 {
		return
	}
	p := &t.ld.prr
	p.delivered += delivered
	pipe := t.flight()
	ssthresh := t.cc.ssthresh()
	var sndcnt int64
	if pipe > ssthresh {
		// Proportional part: sndcnt = CEIL(prr_delivered * ssthresh /
		// RecoverFS) - prr_out.
		sndcnt = int64((uint64(ssthresh)*uint64(p.delivered)+uint64(p.priorCwnd)-1)/uint64(p.priorCwnd)) - int64(p.out)
	} else {
		// Slow start reduction bound: what was delivered, and one
		// segment more when SND.UNA moved and nothing new was lost (as
		// Linux), without going past ssthresh.
		sndcnt = max(int64(p.delivered)-int64(p.out), int64(delivered))
		if advanced && !lost {
			sndcnt += int64(t.mss)
		}
		sndcnt = min(sndcnt, int64(ssthresh-pipe))
	}
	if p.out == 0 {
		// The fast retransmit goes whatever the arithmetic says.
		sndcnt = max(sndcnt, int64(t.mss))
	}
	sndcnt = max(sndcnt, 0)
	t.cc.setWindow(uint32(min(int64(pipe)+sndcnt, ccMaxWindow)))
}
