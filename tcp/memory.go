package tcp

import "unsafe"

// MemoryAccount is the host's account of buffer memory, shared by its
// connections as Linux's tcp_mem is (the policy lives in the host; see
// stack/memory.go). A TCB charges it for the storage its send and receive
// buffers take and uncharges it when they give the storage back. Its
// methods are called with the connection's lock held, from the host's
// goroutine or a user's.
type MemoryAccount interface {
	// Charge takes n bytes if the host's policy allows it.
	Charge(n int) bool
	// Force takes n bytes whatever the policy says: a buffer's first
	// storage, so that no connection is stalled for ever by the others.
	Force(n int)
	// Uncharge gives n bytes back.
	Uncharge(n int)
	// UnderPressure reports whether the host is short of memory: buffers
	// then stop growing and advertised windows stay within the storage
	// held.
	UnderPressure() bool
}

// memCharge is a TCB's share of its host's buffer memory: the account
// (nil for a TCB the host does not account, such as a half-open
// request's scratch TCB) and the bytes charged to it, which always equal
// StorageBytes.
type memCharge struct {
	acct MemoryAccount
	held int
}

// charge takes n bytes, or reports false if the account refuses them.
// A buffer with no memCharge (in tests) is never refused.
func (m *memCharge) charge(n int) bool {
	if m == nil {
		return true
	}
	if m.acct != nil && !m.acct.Charge(n) {
		return false
	}
	m.held += n
	return true
}

// force takes n bytes without asking.
func (m *memCharge) force(n int) {
	if m == nil {
		return
	}
	if m.acct != nil {
		m.acct.Force(n)
	}
	m.held += n
}

// uncharge gives n bytes back.
func (m *memCharge) uncharge(n int) {
	if m == nil {
		return
	}
	if m.acct != nil {
		m.acct.Uncharge(n)
	}
	m.held -= n
}

// pressure reports whether the account is under memory pressure.
func (m *memCharge) pressure() bool { return m != nil && m.acct != nil && m.acct.UnderPressure() }

// SetMemory makes a the account of the TCB's buffer memory from now on,
// moving what the TCB holds from its old account (if any) to a: the host
// calls it when a half-open connection, expanded into an unaccounted
// scratch TCB, becomes a connection of its own.
func (t *TCB) SetMemory(a MemoryAccount) {
	if t.mem.acct != nil {
		t.mem.acct.Uncharge(t.mem.held)
	}
	t.mem.acct = a
	if a != nil && t.mem.held > 0 {
		a.Force(t.mem.held)
	}
}

// MemoryHeld returns the bytes the TCB has charged to its account.
func (t *TCB) MemoryHeld() int { return t.mem.held }

// FreeBuffers gives back the storage of both buffers, discarding what they
// hold: the host calls it before it drops a TCB that has nothing left to
// deliver (one it replaces by a TIME_WAIT entry), so that the entry holds
// no buffer memory.
func (t *TCB) FreeBuffers() {
	t.sendBuf.discard(t.sendBuf.len())
	t.sendBuf.release()
	t.recvBuf.ready, t.recvBuf.nranges, t.recvBuf.oooBytes = 0, 0, 0
	t.recvBuf.release()
	t.releaseLossMemory()
}

// lossMemory is the heap that loss recovery holds beside the buffers: the
// storage of the RACK retransmission queue (24 bytes a segment in flight)
// and of the SACK scoreboard. It is charged like buffer storage, as
// Linux's retransmission queue, made of the sent skbs, counts in
// sk_wmem_queued and so in tcp_mem; it is forced rather than asked for,
// since it describes data already sent.
func (t *TCB) lossMemory() int {
	n := cap(t.sb.ranges) * int(unsafe.Sizeof(seqRange{}))
	if t.ld != nil {
		n += cap(t.ld.rack.segs) * int(unsafe.Sizeof(sentSeg{}))
	}
	return n
}

// syncLossMemory charges or gives back the change in lossMemory since it
// last ran.
func (t *TCB) syncLossMemory() {
	want := t.lossMemory()
	if t.ld == nil && want == 0 {
		return
	}
	ld := t.lossState()
	switch have := int(ld.charged); {
	case want > have:
		t.mem.force(want - have)
	case want < have:
		t.mem.uncharge(have - want)
	}
	ld.charged = uint32(want)
}

// releaseLossMemory frees the retransmission queue and the scoreboard of
// a connection with nothing left in flight (CLOSED, TIME_WAIT), so that
// it holds none of the host's memory.
func (t *TCB) releaseLossMemory() {
	t.sb.ranges = nil
	if t.ld != nil {
		t.ld.rack.segs, t.ld.rack.head = nil, 0
	}
	t.syncLossMemory()
}

// rcvSpace is the receive window the TCB may offer: the buffer's free
// space, but under memory pressure no more than the storage already held
// has room for (or a first allocation's worth), so that the peer is not
// invited to make the buffer grow. Linux clamps the window under pressure
// in the same spirit (tcp_clamp_window, tcp_adjust_rcv_ssthresh).
func (t *TCB) rcvSpace() int {
	w := t.recvBuf.window()
	if !t.mem.pressure() {
		return w
	}
	held := max(len(t.recvBuf.buf), min(recvBufMinAlloc, t.recvBuf.limit))
	return min(w, max(held-t.recvBuf.ready, 0))
}

// fitMemory returns the part of data, to be stored off bytes past RCV.NXT,
// that the receive buffer has storage for, growing the storage if the
// host's memory allows. Over the host's hard limit what does not fit in
// the storage already held is dropped and counted, as Linux drops what
// it cannot charge (TCPRcvQDrop for in-order data, TCPOFODrop for
// out-of-order); the peer retransmits it.
func (t *TCB) fitMemory(off int, data []byte) []byte {
	b := &t.recvBuf
	if _, _, fits := b.span(off, off+len(data)); !fits {
		return data // refused for the range bound, without growing the storage
	}
	if b.reserve(b.ready+off+len(data), off == 0) {
		return data
	}
	if off == 0 {
		t.coldStats().RcvQDrop++
	} else {
		t.coldStats().OFODrop++
	}
	fit := max(len(b.buf)-b.ready-off, 0)
	return data[:min(fit, len(data))]
}
