package tcp

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
