package stack

import "net/netip"

// pickPort chooses a local port in [lo, hi] for traffic from src to remote
// by RFC 6056 §3.3.3 (Algorithm 3, "Simple Hash-Based Port Selection", the
// one Linux uses for connect): a keyed hash of the addresses and remote
// port chooses where in the range to start, and the counter *next moves
// the start on so that a reconnect to the same peer gets a fresh port. It
// returns the first port from there for which free holds. TCP, UDP and
// ping identifiers each keep their own counter; the caller holds the lock
// that guards it and what free reads.
func (h *Host) pickPort(src netip.Addr, remote netip.AddrPort, lo, hi uint16, next *uint32, free func(port uint16) bool) (uint16, bool) {
	n := uint32(hi) - uint32(lo) + 1
	// F(local_IP, remote_IP, remote_port, secret) from the ISN hash, with
	// the clock input fixed at zero so that it is a pure keyed hash.
	offset := uint32(h.isn.ISN(0, netip.AddrPortFrom(src, 0), remote))
	for i := uint32(0); i < n; i++ {
		port := uint16(uint32(lo) + (offset+*next+i)%n)
		if free(port) {
			*next += i + 1
			return port, true
		}
	}
	return 0, false
}
