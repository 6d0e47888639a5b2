package tcp

import (
	"encoding/binary"
	"net/netip"

	"github.com/synack-net/synack/clock"
)

// isnTick is the period of the ISN clock M of RFC 6528 §3: 4 microseconds,
// the rate RFC 9293 §3.4.1 gives for the initial sequence number generator.
const isnTick = 4000 // nanoseconds

// ISNGenerator computes initial sequence numbers as RFC 6528 §3 specifies:
// ISN = M + F(localip, localport, remoteip, remoteport, secretkey), with M a
// timer that ticks every 4 microseconds and F SipHash-2-4 keyed with a
// per-stack 128-bit secret. A new connection on a 4-tuple starts ahead of
// the sequence numbers of its previous incarnation, while an off-path
// attacker cannot predict the ISN of any other tuple. It holds no mutable
// state and is safe for concurrent use.
type ISNGenerator struct {
	k0, k1 uint64 // the secret key, as SipHash's two halves
}

// NewISNGenerator returns a generator keyed with key, which the stack draws
// once from a cryptographic random source (RFC 6528 §3 asks for a key that
// is not guessable).
func NewISNGenerator(key [16]byte) *ISNGenerator {
	return &ISNGenerator{
		k0: binary.LittleEndian.Uint64(key[0:8]),
		k1: binary.LittleEndian.Uint64(key[8:16]),
	}
}

// ISN returns the initial sequence number at now for the connection from
// local to remote. It does not allocate.
func (g *ISNGenerator) ISN(now clock.Instant, local, remote netip.AddrPort) Seq {
	// The tuple as bytes: for each end a family byte (so that an IPv4
	// address and its IPv4-mapped IPv6 form hash differently), the address
	// in 16 bytes and the port.
	var msg [38]byte
	isnPutEnd(msg[0:19], local)
	isnPutEnd(msg[19:38], remote)
	f := sipHash24(g.k0, g.k1, msg[:])
	m := uint64(now) / isnTick
	return Seq(uint32(m) + uint32(f))
}

// isnPutEnd writes one end of the tuple into dst (19 bytes): the address
// family (4 or 6), the 16-byte address and the big-endian port.
func isnPutEnd(dst []byte, ap netip.AddrPort) {
	dst[0] = 6
	if ap.Addr().Is4() {
		dst[0] = 4
	}
	a := ap.Addr().As16()
	copy(dst[1:17], a[:])
	binary.BigEndian.PutUint16(dst[17:19], ap.Port())
}
