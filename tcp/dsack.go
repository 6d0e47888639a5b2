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
