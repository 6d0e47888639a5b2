package tcp

import (
	"encoding/binary"
	"math/bits"
)

// sipHash24 returns SipHash-2-4 of msg under the 128-bit key (k0, k1), the
// key's two halves read little-endian (Aumasson and Bernstein, "SipHash: a
// fast short-input PRF", 2012): two compression rounds per 8-byte word and
// four finalization rounds. It does not allocate.
func sipHash24(k0, k1 uint64, msg []byte) uint64 {
	// Initialization: the key XORed with "somepseudorandomlygeneratedbytes".
	s := sipState{
		k0 ^ 0x736f6d6570736575,
		k1 ^ 0x646f72616e646f6d,
		k0 ^ 0x6c7967656e657261,
		k1 ^ 0x7465646279746573,
	}
	n := len(msg)
	for len(msg) >= 8 {
		s.compress(binary.LittleEndian.Uint64(msg))
		msg = msg[8:]
	}
	// The last word holds the remaining bytes and the length mod 256 in
	// its top byte.
	last := uint64(n) << 56
	for i, c := range msg {
		last |= uint64(c) << (8 * i)
	}
	s.compress(last)
	s[2] ^= 0xff
	for range 4 {
		s.round()
	}
	return s[0] ^ s[1] ^ s[2] ^ s[3]
}

// sipState is SipHash's internal state v0..v3.
type sipState [4]uint64

// compress absorbs one 64-bit message word with two SipRounds.
func (s *sipState) compress(m uint64) {
	s[3] ^= m
	s.round()
	s.round()
	s[0] ^= m
}

// round is one SipRound: additions, rotations and XORs mixing the state.
func (s *sipState) round() {
	s[0] += s[1]
	s[1] = bits.RotateLeft64(s[1], 13) ^ s[0]
	s[0] = bits.RotateLeft64(s[0], 32)
	s[2] += s[3]
	s[3] = bits.RotateLeft64(s[3], 16) ^ s[2]
	s[0] += s[3]
	s[3] = bits.RotateLeft64(s[3], 21) ^ s[0]
	s[2] += s[1]
	s[1] = bits.RotateLeft64(s[1], 17) ^ s[2]
	s[2] = bits.RotateLeft64(s[2], 32)
}
