package tcp

import "github.com/synack-net/synack/wire"

// hasDSACK reports whether an ACK's first SACK block is a D-SACK (RFC 2883
// §4): it reports data received twice, so it lies at or below the
// cumulative ACK, or within the second block.
func hasDSACK(seg *Segment) bool {
	if seg.Options.NumSACK == 0 {
		return false
	}
	b := seg.Options.SACK[0]
	left, right := Seq(b.Left), Seq(b.Right)
	if !left.LessThan(right) {
		return false
	}
	if right.LessThanEq(seg.Ack) {
		return true
	}
	if seg.Options.NumSACK > 1 {
		s := seg.Options.SACK[1]
		return Seq(s.Left).LessThanEq(left) && right.LessThanEq(Seq(s.Right))
	}
	return false
}

// undoState lets a fast recovery be taken back when D-SACKs show that
// every retransmission it made was spurious (RFC 2883 §5 and RFC 3708, as
// Linux's undo_marker and undo_retrans): reordering or delay, not loss,
// drew them, so the window reduction was not warranted.
type undoState struct {
	active bool
	// marker is SND.UNA as the recovery began: D-SACKs below it are for
	// older episodes.
	marker Seq
	// retrans counts the recovery's retransmissions not yet reported
	// received twice.
	retrans int32
	// cwnd and ssthresh are the windows before the reduction.
	cwnd, ssthresh uint32
}

// undoStart opens an undo episode as recovery starts, before cwnd falls.
func (t *TCB) undoStart() {
	if t.ld != nil {
		t.ld.undo = undoState{active: true, marker: t.snd.una, cwnd: t.cc.cwnd(), ssthresh: t.cc.ssthresh()}
	}
}

// undoNoteRetransmit counts a retransmission of the episode.
func (t *TCB) undoNoteRetransmit() {
	if t.ld != nil && t.ld.undo.active && t.inRecovery {
		t.ld.undo.retrans++
	}
}

// undoForget ends the episode: a timeout's retransmissions are not undone.
func (t *TCB) undoForget() {
	if t.ld != nil {
		t.ld.undo.active = false
	}
}

// undoOnDSACK takes an ACK's D-SACK block as one or more of the episode's
// retransmissions found needless, and undoes the reduction when none is
// left (Linux's tcp_try_undo_dsack): cwnd and ssthresh come back, and a
// recovery still running ends, leaving RACK to find any real loss anew.
func (t *TCB) undoOnDSACK(seg *Segment) {
	if t.ld == nil || !t.ld.undo.active {
		return
	}
	u := &t.ld.undo
	b := seg.Options.SACK[0]
	left, right := Seq(b.Left), Seq(b.Right)
	if left.LessThan(u.marker) || right.GreaterThan(t.snd.max) || u.retrans <= 0 {
		return
	}
	u.retrans -= int32((uint32(right.Sub(left)) + t.mss - 1) / t.mss)
	if u.retrans > 0 {
		return
	}
	u.active = false
	t.cc.undo(u.cwnd, u.ssthresh)
	if t.inRecovery {
		t.inRecovery = false
		t.recover = t.snd.una
	}
}

// dsackToSend is a D-SACK block waiting for our next ACK.
type dsackToSend struct {
	pending     bool
	left, right Seq
}

// noteDuplicate reports a segment of data we had already received
// entirely, below RCV.NXT, in a D-SACK block of the ACK it draws (RFC 2883
// §4 case 1), so that its sender can tell a needless retransmission.
func (t *TCB) noteDuplicate(seg *Segment) {
	n := uint32(len(seg.Payload))
	// Only a recent repeat: one from a window ago or more says nothing of
	// this connection's recovery.
	if !t.sackOK || n == 0 || !seg.Seq.Add(n).LessThanEq(t.rcv.nxt) || t.rcv.nxt.Sub(seg.Seq) > 1<<30 {
		return
	}
	t.lossState().dsack = dsackToSend{pending: true, left: seg.Seq, right: seg.Seq.Add(n)}
}

// noteHeldDuplicate reports the part of a segment, n bytes at off past
// RCV.NXT, that repeats out-of-order data already held, in a D-SACK
// block of the ACK it draws (RFC 2883 §4.2: the duplicate first, then the
// SACK block that holds it), as Linux's tcp_data_queue_ofo does.
func (t *TCB) noteHeldDuplicate(off, n int) {
	if !t.sackOK || n == 0 {
		return
	}
	lo, hi, ok := t.recvBuf.heldWithin(off, off+n)
	if !ok {
		return
	}
	t.lossState().dsack = dsackToSend{pending: true, left: t.rcv.nxt.Add(uint32(lo)), right: t.rcv.nxt.Add(uint32(hi))}
}

// dsackPending reports whether a D-SACK block waits to be sent.
func (t *TCB) dsackPending() bool { return t.ld != nil && t.ld.dsack.pending }

// takeDSACK puts the waiting D-SACK block in *b and returns 1, or returns
// 0 if there is none. A D-SACK is reported once (RFC 2883 §4).
func (t *TCB) takeDSACK(b *wire.SACKBlock) int {
	if !t.dsackPending() {
		return 0
	}
	d := &t.ld.dsack
	*b = wire.SACKBlock{Left: uint32(d.left), Right: uint32(d.right)}
	d.pending = false
	return 1
}
