package tcp

import (
	"time"

	"github.com/synack-net/synack/clock"
)

// bufferTuning grows a connection's buffers with its bandwidth-delay
// product, as Linux's buffer autotuning does, so that a fast path is not
// held back by a window sized for a slow one, while idle and slow
// connections keep small buffers (RFC 7323 §1.1 on windows and long fat
// networks; the receive side is "dynamic right-sizing", Fisk and Feng 2001).
//
// Receive side: once per round trip, the bytes the application read in
// that round trip measure what the window must cover; the buffer grows to
// twice that, up to ReceiveBufferMax. Send side: the buffer grows to hold
// two congestion windows, up to SendBufferMax. A buffer size set by the user
// (SO_RCVBUF, SO_SNDBUF) turns tuning off for that buffer, as on Linux.
type bufferTuning struct {
	recvLocked, sendLocked bool
	read                   uint64        // bytes the application has read
	epochStart             clock.Instant // start of the current measurement round trip
	epochRead              uint64        // read at epochStart
}

// tuneReceiveBuffer runs the receive-side measurement when data arrives.
func (t *TCB) tuneReceiveBuffer(now clock.Instant) {
	bt := &t.tune
	// Under memory pressure buffers stop growing, as Linux's tcp_rcv_space_adjust
	// and tcp_should_expand_sndbuf refuse to grow them.
	if bt.recvLocked || t.recvBuf.limit >= t.cfg.ReceiveBufferMax || t.mem.pressure() {
		return
	}
	rtt := max(t.rtt.srtt(), time.Millisecond)
	if now.Sub(bt.epochStart) < rtt {
		return
	}
	copied := int(bt.read - bt.epochRead)
	if want := 2 * copied; want > t.recvBuf.limit {
		t.recvBuf.setLimit(min(want, t.cfg.ReceiveBufferMax))
	}
	bt.epochStart, bt.epochRead = now, bt.read
}

// tuneSendBuffer lets the send buffer hold two congestion windows, after
// the window grew.
func (t *TCB) tuneSendBuffer() {
	if t.tune.sendLocked || t.mem.pressure() {
		return
	}
	if want := 2 * int(t.cc.cwnd()); want > t.sendBuf.limit {
		t.sendBuf.setLimit(min(want, t.cfg.SendBufferMax))
	}
}
