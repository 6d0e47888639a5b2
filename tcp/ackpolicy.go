package tcp

import "github.com/synack-net/synack/clock"

// ackPolicy decides when received data is acknowledged: at once, or after a
// delay that lets the ACK ride on a reply (RFC 9293 §3.8.6.3, RFC 1122
// §4.2.3.2). Like Linux it has two modes on top of the RFC rules:
//
//   - quick-ack: at the start of a connection, and again when data arrives
//     after the peer has been silent for longer than an RTO, the next
//     QuickAcks data segments (or FIN) are acknowledged at once, so that a
//     sender in slow start is not held back by our delayed-ACK timer;
//   - ping-pong (interactive): once we send data within DelayedAck of
//     receiving some, the application is answering requests, so ACKs wait
//     for the answer; a delayed-ACK timer that expires without one ends
//     the mode.
type ackPolicy struct {
	quick        int           // immediate ACKs left in quick-ack mode
	pingpong     bool          // interactive mode: prefer delayed ACKs
	dataSeen     bool          // some data has arrived
	lastDataRecv clock.Instant // when in-order data last arrived
}

// quickAckMode reports whether received data is acknowledged at once.
func (a *ackPolicy) quickAckMode() bool { return a.quick > 0 && !a.pingpong }

// scheduleAck decides how to acknowledge n bytes of in-order data, or a FIN
// (n = 0): ACK at least every second full-sized segment (RFC 1122
// §4.2.3.2), at once in quick-ack mode, and otherwise within DelayedAck.
func (t *TCB) scheduleAck(now clock.Instant, n int) {
	if n > 0 {
		t.noteDataReceived(now)
	}
	t.ackDelayed++
	if t.ackDelayed >= 2 || n > int(t.mss) || t.ack.quickAckMode() {
		t.ackNow = true
		return
	}
	if t.tm.delayedAck == clock.Never {
		t.tm.delayedAck = now.Add(t.cfg.DelayedAck)
	}
}

// noteDataReceived re-enters quick-ack mode for data after an idle period
// longer than the RTO.
func (t *TCB) noteDataReceived(now clock.Instant) {
	a := &t.ack
	if a.dataSeen && now.Sub(a.lastDataRecv) > t.rtt.rto() {
		a.quick = t.cfg.QuickAcks
	}
	a.dataSeen, a.lastDataRecv = true, now
}

// noteAckSent spends one quick-ack on an ACK that acknowledges new data.
func (t *TCB) noteAckSent() {
	if t.rcv.nxt != t.rcv.lastAck && t.ack.quick > 0 {
		t.ack.quick--
	}
}

// noteDataSent enters ping-pong mode when new data answers data that
// arrived less than DelayedAck ago.
func (t *TCB) noteDataSent(now clock.Instant) {
	if t.ack.dataSeen && now.Sub(t.ack.lastDataRecv) < t.cfg.DelayedAck {
		t.ack.pingpong = true
	}
}

// delayedAckExpired leaves ping-pong mode: the application did not answer
// in time, so the peer is better served by prompt ACKs.
func (t *TCB) delayedAckExpired() {
	t.ack.pingpong = false
	t.ackNow = true
}
