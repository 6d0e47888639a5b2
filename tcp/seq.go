package tcp

// Seq is a TCP sequence number. Arithmetic and comparison are modulo 2^32
// (RFC 9293 §3.4): never compare two Seq values with < or >; use LessThan and
// friends, which are correct across the wrap as long as the two numbers are
// less than 2^31 apart.
type Seq uint32

// Add returns s advanced by n bytes.
func (s Seq) Add(n uint32) Seq { return s + Seq(n) }

// Sub returns the distance from t to s, s-t, as a signed number.
func (s Seq) Sub(t Seq) int32 { return int32(s - t) }

// LessThan reports s < t in sequence space.
func (s Seq) LessThan(t Seq) bool { return int32(s-t) < 0 }

// LessThanEq reports s <= t in sequence space.
func (s Seq) LessThanEq(t Seq) bool { return int32(s-t) <= 0 }

// GreaterThan reports s > t in sequence space.
func (s Seq) GreaterThan(t Seq) bool { return int32(s-t) > 0 }

// GreaterThanEq reports s >= t in sequence space.
func (s Seq) GreaterThanEq(t Seq) bool { return int32(s-t) >= 0 }

// InRange reports whether lo <= s < hi in sequence space. An empty range
// (lo == hi) contains nothing.
func (s Seq) InRange(lo, hi Seq) bool { return uint32(s-lo) < uint32(hi-lo) }

// InWindow reports whether lo <= s < lo+size.
func (s Seq) InWindow(lo Seq, size uint32) bool { return uint32(s-lo) < size }

// MaxSeq returns the later of a and b in sequence space.
func MaxSeq(a, b Seq) Seq {
	if a.LessThan(b) {
		return b
	}
	return a
}

// MinSeq returns the earlier of a and b in sequence space.
func MinSeq(a, b Seq) Seq {
	if a.LessThan(b) {
		return a
	}
	return b
}
