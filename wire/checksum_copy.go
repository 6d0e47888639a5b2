package wire

import (
	"encoding/binary"
	"math/bits"
)

// CopyChecksum copies src into dst, which must be at least as long, and
// returns Checksum(src, initial): it sums the bytes as it moves them, so
// that a packet's payload is read once where a copy followed by Checksum
// reads it twice. Over data that is not in the processor's cache, as a
// TCP buffer's bytes usually are not, the second pass is a second trip to
// memory.
func CopyChecksum(dst, src []byte, initial uint32) uint32 {
	dst = dst[:len(src)]
	var s, c uint64
	for len(src) >= 64 && len(dst) >= 64 {
		w0 := binary.LittleEndian.Uint64(src[0:8])
		w1 := binary.LittleEndian.Uint64(src[8:16])
		w2 := binary.LittleEndian.Uint64(src[16:24])
		w3 := binary.LittleEndian.Uint64(src[24:32])
		w4 := binary.LittleEndian.Uint64(src[32:40])
		w5 := binary.LittleEndian.Uint64(src[40:48])
		w6 := binary.LittleEndian.Uint64(src[48:56])
		w7 := binary.LittleEndian.Uint64(src[56:64])
		binary.LittleEndian.PutUint64(dst[0:8], w0)
		binary.LittleEndian.PutUint64(dst[8:16], w1)
		binary.LittleEndian.PutUint64(dst[16:24], w2)
		binary.LittleEndian.PutUint64(dst[24:32], w3)
		binary.LittleEndian.PutUint64(dst[32:40], w4)
		binary.LittleEndian.PutUint64(dst[40:48], w5)
		binary.LittleEndian.PutUint64(dst[48:56], w6)
		binary.LittleEndian.PutUint64(dst[56:64], w7)
		s, c = bits.Add64(s, w0, c)
		s, c = bits.Add64(s, w1, c)
		s, c = bits.Add64(s, w2, c)
		s, c = bits.Add64(s, w3, c)
		s, c = bits.Add64(s, w4, c)
		s, c = bits.Add64(s, w5, c)
		s, c = bits.Add64(s, w6, c)
		s, c = bits.Add64(s, w7, c)
		src, dst = src[64:], dst[64:]
	}
	copy(dst, src)
	return finishSum(sumTail(src, s, c), initial)
}

// CombineChecksum adds sum, the running sum (from Checksum) of a block that
// starts offset bytes into the data, to initial, the running sum of the
// data before it. A block at an odd offset has its bytes in the other half
// of every 16-bit word, so its sum is byte-swapped first (RFC 1071 §2(A):
// swapping commutes with one's complement addition).
func CombineChecksum(initial, sum uint32, offset int) uint32 {
	if offset%2 != 0 {
		f := sum&0xffff + sum>>16
		f = f&0xffff + f>>16
		sum = uint32(bits.ReverseBytes16(uint16(f)))
	}
	s, c := bits.Add32(initial, sum, 0)
	return s + c
}
