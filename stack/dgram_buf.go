package stack

import (
	"math/bits"
	"sync"
)

// Datagram storage, queued on receive and on send, is recycled through
// pools by power-of-two size class, from 64 bytes to 64 KiB (the largest
// IP packet), so that a socket in steady use allocates nothing. A
// datagram is charged to its socket's buffer limits by the size of its
// class, as Linux charges an skb's truesize: the limits then bound the
// memory a socket holds, not just the bytes of data.
const (
	minDgramShift = 6
	maxDgramShift = 16
)

var dgramPools [maxDgramShift - minDgramShift + 1]sync.Pool

// getDgram returns storage of at least n bytes as a pointer, so that
// putting it back allocates nothing; its contents are whatever its last
// user left. Above 64 KiB (which no IP packet needs) it is not pooled.
func getDgram(n int) *[]byte {
	shift := max(bits.Len(uint(max(n, 1)-1)), minDgramShift)
	if shift > maxDgramShift {
		b := make([]byte, n)
		return &b
	}
	if p, ok := dgramPools[shift-minDgramShift].Get().(*[]byte); ok {
		return p
	}
	b := make([]byte, 1<<shift)
	return &b
}

// putDgram gives storage from getDgram back. p must not be used afterwards.
func putDgram(p *[]byte) {
	c := cap(*p)
	shift := bits.Len(uint(c)) - 1
	if c != 1<<shift || shift < minDgramShift || shift > maxDgramShift {
		return
	}
	*p = (*p)[:cap(*p)]
	dgramPools[shift-minDgramShift].Put(p)
}
