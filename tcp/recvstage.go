package tcp

import "github.com/synack-net/synack/wire"

// StagePayload copies data, the payload of an arriving segment that starts
// at seq, into the receive buffer's free space at the place it will
// occupy, summing it as it copies it (wire.CopyChecksum), and returns that
// copy and the sum. The host checks the segment's checksum with the sum
// and delivers it with the copy as its payload, which the buffer then
// finds in place and does not copy again: the payload is read once on
// receipt instead of twice (once to verify it, once to store it).
//
// Staging changes nothing the TCB or the user can see: the bytes go where
// nothing is held, so a segment whose checksum fails, or whose data the
// TCB then refuses, leaves only bytes no one reads. ok is false, and
// nothing is copied, unless the data lies wholly inside the window past
// RCV.NXT, in storage already allocated, without wrapping around the
// ring's end or touching an out-of-order range. The caller holds the
// connection's lock from staging to delivery, so that nothing moves the
// buffer in between.
func (t *TCB) StagePayload(seq Seq, data []byte) (staged []byte, sum uint32, ok bool) {
	switch t.state {
	case Established, FinWait1, FinWait2:
	default:
		return nil, 0, false
	}
	d := seq.Sub(t.rcv.nxt)
	if d < 0 || len(data) == 0 {
		return nil, 0, false
	}
	return t.recvBuf.stage(int(d), data)
}

// stage is StagePayload's copy, at offset off past RCV.NXT.
func (b *recvBuffer) stage(off int, data []byte) (staged []byte, sum uint32, ok bool) {
	end := off + len(data)
	if end > b.window() || b.ready+end > len(b.buf) {
		return nil, 0, false
	}
	i := b.index(b.ready + off)
	if i+len(data) > len(b.buf) {
		return nil, 0, false
	}
	for k := range b.nranges {
		if r := b.ranges[k]; r.start < end && off < r.end {
			return nil, 0, false
		}
	}
	staged = b.buf[i : i+len(data)]
	return staged, wire.CopyChecksum(staged, data, 0), true
}
