package synack

import (
	"crypto/sha256"
	"encoding/binary"
	"math/bits"

	"github.com/synack-net/synack/stack"
)

// placer is the keyed hash that places a 4-tuple on a shard, run on
// every packet a link reader hands over. It folds the tuple's 64-bit
// words into a multiply-and-fold mix (the upper and lower halves of a
// 128-bit product, XORed, as wyhash does) under keys derived from the
// host secret. Like Linux's receive-side scaling hash (Toeplitz under a
// random key) and the jhash of its socket tables (a random seed), it is
// no cryptographic function: what keeps a sender from aiming its tuples
// at one shard is that the key is secret and never sent. SipHash-2-4,
// which placed packets before, made placing one four times as costly
// (BenchmarkPlace).
type placer struct{ k [6]uint64 }

// newPlacer derives the placement keys from secret, apart from the ISN
// key (a hash of secret under its own label), so that sequence numbers
// seen on the wire say nothing of the placement.
func newPlacer(secret [16]byte) placer {
	sum := sha256.Sum256(append([]byte("synack shard placement\x00"), secret[:]...))
	more := sha256.Sum256(sum[:])
	var p placer
	for i := range p.k {
		b := sum[:]
		if i >= 4 {
			b = more[:]
		}
		p.k[i] = binary.LittleEndian.Uint64(b[8*(i%4):])
	}
	return p
}

// mix is the 128-bit product of a and b folded to 64 bits.
func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// hash returns t's 32-bit placement hash.
func (p *placer) hash(t stack.Tuple) uint32 {
	ports := uint64(t.Local.Port())<<16 | uint64(t.Remote.Port())
	l, r := t.Local.Addr(), t.Remote.Addr()
	var h uint64
	if l.Is4() && r.Is4() {
		l4, r4 := l.As4(), r.As4()
		w := uint64(binary.BigEndian.Uint32(l4[:]))<<32 | uint64(binary.BigEndian.Uint32(r4[:]))
		h = mix(w^p.k[0], ports^p.k[1])
	} else {
		l16, r16 := l.As16(), r.As16()
		h = mix(binary.BigEndian.Uint64(l16[:8])^p.k[0], binary.BigEndian.Uint64(l16[8:])^p.k[1])
		h = mix(h^binary.BigEndian.Uint64(r16[:8])^p.k[2], binary.BigEndian.Uint64(r16[8:])^p.k[3])
		h = mix(h^ports^p.k[4], p.k[1])
	}
	// A last round spreads every input bit over the upper half, which
	// shardOf scales.
	return uint32(mix(h^p.k[5], p.k[0]^p.k[5]) >> 32)
}
