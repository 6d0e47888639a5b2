package stack

import "net/netip"

// maxQueuedDatagrams bounds a socket's receive queue in datagrams,
// whatever its byte limit, so that a socket given a large SO_RCVBUF
// cannot be made to hold millions of tiny datagrams.
const maxQueuedDatagrams = 4096

// datagram is one received datagram: who sent it and its bytes, held in
// pooled storage (see getDgram).
type datagram struct {
	from netip.AddrPort
	buf  *[]byte
	n    int
}

// recvQueue is a socket's received datagrams in arrival order: a ring
// that grows by doubling up to maxQueuedDatagrams. charged is the storage
// its datagrams hold, what SO_RCVBUF limits.
type recvQueue struct {
	ring    []datagram
	head, n int
	charged int
}

// push appends d; the caller has checked the bounds.
func (q *recvQueue) push(d datagram) {
	if q.n == len(q.ring) {
		grown := make([]datagram, max(2*len(q.ring), 8))
		for i := range q.n {
			grown[i] = q.ring[(q.head+i)%len(q.ring)]
		}
		q.ring, q.head = grown, 0
	}
	q.ring[(q.head+q.n)%len(q.ring)] = d
	q.n++
	q.charged += cap(*d.buf)
}

// pop removes and returns the oldest datagram; its storage is the
// caller's to give back.
func (q *recvQueue) pop() (datagram, bool) {
	if q.n == 0 {
		return datagram{}, false
	}
	d := q.ring[q.head]
	q.ring[q.head] = datagram{}
	q.head = (q.head + 1) % len(q.ring)
	q.n--
	q.charged -= cap(*d.buf)
	return d, true
}

// drain gives every queued datagram's storage back and frees the ring.
func (q *recvQueue) drain() {
	for {
		d, ok := q.pop()
		if !ok {
			break
		}
		putDgram(d.buf)
	}
	*q = recvQueue{}
}
