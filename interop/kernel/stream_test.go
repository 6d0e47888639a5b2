//go:build linux

package kernel

import (
	"crypto/sha256"
	"encoding/binary"
	"io"
	"math/rand/v2"
)

// streamChunk is the size of each Write of a test stream.
const streamChunk = 256 << 10

// streamBlock returns a pseudo-random block of streamChunk bytes.
func streamBlock(seed uint64) []byte {
	b := make([]byte, streamChunk)
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), 's', 'y', 'n'})
	r.Read(b)
	return b
}

// sendStream writes n bytes to c (each chunk the seed's block stamped
// with its index, so that no two chunks are equal), then, if halfClose,
// calls CloseWrite. It returns the SHA-256 of what it wrote.
func sendStream(c halfCloser, n int64, seed uint64, halfClose bool) ([32]byte, error) {
	block := streamBlock(seed)
	h := sha256.New()
	for i := uint64(0); n > 0; i++ {
		binary.BigEndian.PutUint64(block, i)
		k := min(n, int64(len(block)))
		h.Write(block[:k])
		if _, err := c.Write(block[:k]); err != nil {
			return [32]byte{}, err
		}
		n -= k
	}
	if halfClose {
		if err := c.CloseWrite(); err != nil {
			return [32]byte{}, err
		}
	}
	return [32]byte(h.Sum(nil)), nil
}

// recvStream reads c to EOF and returns how many bytes came and their
// SHA-256.
func recvStream(c io.Reader) (int64, [32]byte, error) {
	h := sha256.New()
	n, err := io.CopyBuffer(h, c, make([]byte, streamChunk))
	return n, [32]byte(h.Sum(nil)), err
}

// exchanged is what one end of a two-way transfer sent and received.
type exchanged struct {
	sent, received [32]byte
	n              int64 // bytes received
	err            error
}

// exchange sends n bytes on c and half-closes, while reading c to EOF.
func exchange(c halfCloser, n int64, seed uint64) exchanged {
	type recv struct {
		n   int64
		sum [32]byte
		err error
	}
	done := make(chan recv, 1)
	go func() {
		k, sum, err := recvStream(c)
		done <- recv{k, sum, err}
	}()
	var x exchanged
	x.sent, x.err = sendStream(c, n, seed, true)
	r := <-done
	x.n, x.received = r.n, r.sum
	if x.err == nil {
		x.err = r.err
	}
	return x
}
