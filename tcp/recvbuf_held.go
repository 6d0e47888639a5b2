package tcp

// heldWithin returns the first part of [off, end), offsets past RCV.NXT,
// that out-of-order data already held covers, and whether there is one:
// what a D-SACK block reports of a segment that repeats it (RFC 2883
// §4.2). Held ranges are never adjacent, so a duplicate spanning two of
// them is reported by its first part, as Linux's tcp_data_queue_ofo does.
func (b *recvBuffer) heldWithin(off, end int) (lo, hi int, ok bool) {
	for i := range b.nranges {
		r := b.ranges[i]
		if r.end <= off {
			continue
		}
		if r.start >= end {
			break
		}
		return max(off, r.start), min(end, r.end), true
	}
	return 0, 0, false
}
