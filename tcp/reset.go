package tcp

import "github.com/synack-net/synack/wire"

// ResetFor returns the reset that answers seg when no connection can take
// it (RFC 9293 §3.10.7.1, state CLOSED): <SEQ=SEG.ACK><CTL=RST> if seg
// carries an ACK, else <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>, with a
// zero window and no options. The caller never answers a reset this way.
func ResetFor(seg *Segment) Segment {
	rst := Segment{Flags: wire.FlagRST}
	if seg.Flags&wire.FlagACK != 0 {
		rst.Seq = seg.Ack
	} else {
		rst.Ack = seg.Seq.Add(seg.Len())
		rst.Flags |= wire.FlagACK
	}
	return rst
}
