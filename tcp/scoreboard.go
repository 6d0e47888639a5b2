package tcp

import "github.com/synack-net/synack/wire"

// dupThresh is DupThresh of RFC 6675 §2 (and RFC 5681 §3.2): the number of
// duplicate ACKs, or of SACKed segments above a hole, that marks it lost.
const dupThresh = 3

// scoreboardMaxRanges bounds the SACKed ranges the sender remembers. The
// receiver reports at most four blocks per ACK (RFC 2018 §3), so a longer
// list only arises from heavy, scattered loss; the ranges beyond the bound
// (the highest) are forgotten and those bytes retransmitted if need be.
const scoreboardMaxRanges = 32

// seqRange is the half-open range [start, end) of sequence space.
type seqRange struct{ start, end Seq }

// scoreboard is the sender's record of what the receiver has selectively
// acknowledged above SND.UNA (RFC 6675 §3): SACKed ranges kept sorted,
// disjoint and not adjacent, plus HighRxt, the highest sequence number
// retransmitted during the current recovery. The ranges are allocated on
// the first SACK block, so an idle connection pays only the slice header.
type scoreboard struct {
	ranges  []seqRange // len <= scoreboardMaxRanges
	highRxt Seq
}

// reset forgets every SACKed range.
func (sb *scoreboard) reset() { sb.ranges = sb.ranges[:0] }

// empty reports whether nothing above SND.UNA is SACKed.
func (sb *scoreboard) empty() bool { return len(sb.ranges) == 0 }

// update records the SACK blocks of an ACK (RFC 6675 §5 step 1) and drops
// what SND.UNA now covers. Blocks that do not lie within (una, max] are
// ignored as invalid (RFC 2883 D-SACK blocks below SND.UNA among them). It
// reports whether any byte became SACKed.
func (sb *scoreboard) update(una, max Seq, blocks []wire.SACKBlock) bool {
	sb.trim(una)
	added := false
	for _, b := range blocks {
		r := seqRange{Seq(b.Left), Seq(b.Right)}
		if !r.start.LessThan(r.end) || !una.LessThan(r.end) || r.end.GreaterThan(max) {
			continue
		}
		if r.start.LessThan(una) {
			r.start = una
		}
		if sb.insert(r) {
			added = true
		}
	}
	return added
}

// trim drops the SACKed bytes below una.
func (sb *scoreboard) trim(una Seq) {
	k := 0
	for k < len(sb.ranges) && sb.ranges[k].end.LessThanEq(una) {
		k++
	}
	if k > 0 {
		n := copy(sb.ranges, sb.ranges[k:])
		sb.ranges = sb.ranges[:n]
	}
	if len(sb.ranges) > 0 && sb.ranges[0].start.LessThan(una) {
		sb.ranges[0].start = una
	}
}

// insert merges r into the ranges and reports whether it added bytes.
func (sb *scoreboard) insert(r seqRange) bool {
	// i is the first range that ends at or after r.start: ranges before it
	// lie entirely below r.
	n := len(sb.ranges)
	i := 0
	for i < n && sb.ranges[i].end.LessThan(r.start) {
		i++
	}
	// j is one past the last range that starts at or before r.end.
	j := i
	for j < n && sb.ranges[j].start.LessThanEq(r.end) {
		j++
	}
	if j == i+1 && sb.ranges[i].start.LessThanEq(r.start) && r.end.LessThanEq(sb.ranges[i].end) {
		return false // already covered
	}
	if j > i {
		r.start = MinSeq(r.start, sb.ranges[i].start)
		r.end = MaxSeq(r.end, sb.ranges[j-1].end)
	}
	// Replace ranges[i:j] by r.
	if j == i {
		if sb.ranges == nil {
			sb.ranges = make([]seqRange, 0, scoreboardMaxRanges)
		}
		if n == scoreboardMaxRanges {
			if i == n {
				return false // above every range, and no room: forget it
			}
			n-- // forget the highest range
		}
		sb.ranges = sb.ranges[:n+1]
		copy(sb.ranges[i+1:], sb.ranges[i:n])
	} else {
		k := copy(sb.ranges[i+1:], sb.ranges[j:])
		sb.ranges = sb.ranges[:i+1+k]
	}
	sb.ranges[i] = r
	return true
}

// sackedBelow returns the number of SACKed bytes below seq.
func (sb *scoreboard) sackedBelow(seq Seq) uint32 {
	var n uint32
	for _, r := range sb.ranges {
		if !r.start.LessThan(seq) {
			break
		}
		n += uint32(MinSeq(r.end, seq).Sub(r.start))
	}
	return n
}

// highestSACKed returns the end of the highest SACKed range, or 0 when
// there is none (callers check empty first or accept an empty result).
func (sb *scoreboard) highestSACKed() Seq {
	if len(sb.ranges) == 0 {
		return 0
	}
	return sb.ranges[len(sb.ranges)-1].end
}

// covers reports whether [start, end) lies within one SACKed range.
func (sb *scoreboard) covers(start, end Seq) bool {
	for _, r := range sb.ranges {
		if start.LessThan(r.start) {
			return false
		}
		if end.LessThanEq(r.end) {
			return true
		}
	}
	return false
}

// sacked reports whether seq has been selectively acknowledged.
func (sb *scoreboard) sacked(seq Seq) bool {
	for _, r := range sb.ranges {
		if seq.LessThan(r.start) {
			return false
		}
		if seq.LessThan(r.end) {
			return true
		}
	}
	return false
}

// lostBoundary returns L such that an unSACKed sequence number below L is
// lost and one at or above it is not, by RFC 6675 §4 IsLost: a byte is lost
// when DupThresh discontiguous SACKed ranges, or more than
// (DupThresh-1)*MSS SACKed bytes, lie above it. Both counts only grow as
// the sequence number falls, so the set of lost bytes is a prefix.
func (sb *scoreboard) lostBoundary(una Seq, mss uint32) Seq {
	var bytes uint32
	for k := len(sb.ranges) - 1; k >= 0; k-- {
		r := sb.ranges[k]
		ranges := len(sb.ranges) - k
		bytes += uint32(r.end.Sub(r.start))
		if ranges >= dupThresh || bytes > (dupThresh-1)*mss {
			// The unSACKed bytes just below this range are lost, and so
			// is everything below them; those above it are not.
			return r.start
		}
	}
	return una
}

// pipe estimates the bytes outstanding in the network (RFC 6675 §4
// SetPipe): every unSACKed byte between una and highData counts once if it
// is not lost, and once more if it was retransmitted (below HighRxt).
func (sb *scoreboard) pipe(una, highData Seq, mss uint32) uint32 {
	lost := sb.lostBoundary(una, mss)
	var p uint32
	hole := una
	count := func(from, to Seq) {
		if !from.LessThan(to) {
			return
		}
		// Not lost: [max(from, lost), to).
		if nl := MaxSeq(from, lost); nl.LessThan(to) {
			p += uint32(to.Sub(nl))
		}
		// Retransmitted: [from, min(to, highRxt)).
		if rx := MinSeq(to, sb.highRxt); from.LessThan(rx) {
			p += uint32(rx.Sub(from))
		}
	}
	for _, r := range sb.ranges {
		count(hole, MinSeq(r.start, highData))
		hole = r.end
	}
	count(hole, highData)
	return p
}

// nextHole returns the first unSACKed sequence number at or above from and
// below highData, and the end of its hole, or ok=false.
func (sb *scoreboard) nextHole(from, highData Seq) (start, end Seq, ok bool) {
	for _, r := range sb.ranges {
		if from.LessThan(r.start) {
			return from, MinSeq(r.start, highData), from.LessThan(highData)
		}
		if from.LessThan(r.end) {
			from = r.end
		}
	}
	return from, highData, from.LessThan(highData)
}
