package stack

import "sync"

// outDatagram is a packet a UDP or ping socket's user has built, waiting
// for the driver's next Flush: whole IP packets, built and checksummed on
// the user's goroutine so that the driver only hands them to the link.
type outDatagram struct {
	owner *dgramSock
	buf   *[]byte // pooled storage; the packet is (*buf)[:n]
	n     int
	echo  bool // an ICMP echo request (IcmpOutEchos), else a UDP datagram
}

// dgramOut is the host's queue of such packets, in the order they were
// written. It is bounded by the sockets' send buffers: a socket's packets
// stay charged to it until Flush emits them.
type dgramOut struct {
	mu    sync.Mutex
	pkts  []outDatagram
	spare []outDatagram // the slice Flush emptied last, for reuse
}

// queueDatagram appends o for the next Flush, telling the driver when it
// is the first packet pending.
func (h *Host) queueDatagram(o outDatagram) {
	q := &h.dgram.out
	q.mu.Lock()
	first := len(q.pkts) == 0
	q.pkts = append(q.pkts, o)
	q.mu.Unlock()
	if first && h.cfg.OnOutput != nil {
		h.cfg.OnOutput()
	}
}

// pending reports whether packets wait for Flush.
func (q *dgramOut) pending() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.pkts) > 0
}

// flushDatagrams hands every queued UDP and ping packet to emit, which
// must not retain it, then returns the storage and send-buffer charge
// and wakes the senders that were waiting for room. No lock is held
// across emit.
func (h *Host) flushDatagrams(emit func(pkt []byte)) {
	q := &h.dgram.out
	q.mu.Lock()
	list := q.pkts
	q.pkts, q.spare = q.spare, nil
	q.mu.Unlock()
	if len(list) == 0 {
		h.restoreSpare(list)
		return
	}
	// Counted before they go out, so that a peer holding one finds it
	// counted.
	var echo uint64
	for i := range list {
		if list[i].echo {
			echo++
		}
	}
	udp := uint64(len(list)) - echo
	h.count(func(k *Counters) { k.UDPOutDatagrams += udp; k.ICMPOutEchos += echo })
	for i := range list {
		emit((*list[i].buf)[:list[i].n])
	}
	for i := range list {
		o := &list[i]
		if o.owner.release(cap(*o.buf)) {
			o.owner.wake()
		}
		putDgram(o.buf)
		list[i] = outDatagram{}
	}
	h.restoreSpare(list)
}

// restoreSpare keeps an emptied slice for the next swap.
func (h *Host) restoreSpare(list []outDatagram) {
	q := &h.dgram.out
	q.mu.Lock()
	if q.spare == nil {
		q.spare = list[:0]
	}
	q.mu.Unlock()
}

// reset forgets the queued packets (a crash): their storage goes back
// to the pools and nobody is woken.
func (q *dgramOut) reset() {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, o := range q.pkts {
		putDgram(o.buf)
	}
	q.pkts = nil
}
