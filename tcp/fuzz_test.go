package tcp

import (
	"syscall"
	"testing"
	"time"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/internal/fuzzseed"
	"github.com/synack-net/synack/wire"
)

// fuzzMaxInput caps a fuzz input: longer ones are cut, so that every
// execution stays short and the minimizer never stalls on a huge input.
const fuzzMaxInput = 1024

// fuzzStarts are the states FuzzTCB starts from, one fixture each
// (state_fixtures_test.go); a fixture that takes an opening uses the one
// the input picks.
var fuzzStarts = []func(t *testing.T, o opening) *fixture{
	func(t *testing.T, _ opening) *fixture { return listenAgain(t, nil) },
	func(t *testing.T, _ opening) *fixture { return synSent(t, nil) },
	func(t *testing.T, o opening) *fixture {
		if o == passiveOpen {
			return synRcvdPassive(t, nil)
		}
		return synRcvdSimultaneous(t, nil)
	},
	func(t *testing.T, o opening) *fixture { return establishedBy(t, o, nil) },
	func(t *testing.T, o opening) *fixture { return finWait1(t, o, nil) },
	func(t *testing.T, o opening) *fixture { return finWait1Half(t, o, nil) },
	func(t *testing.T, o opening) *fixture { return finWait2(t, o, nil) },
	func(t *testing.T, o opening) *fixture { return finWait2Half(t, o, nil) },
	func(t *testing.T, o opening) *fixture { return closeWait(t, o, nil) },
	func(t *testing.T, o opening) *fixture { return closing(t, o, nil) },
	func(t *testing.T, o opening) *fixture { return lastAck(t, o, nil) },
	func(t *testing.T, o opening) *fixture { return timeWait(t, o, nil) },
	func(t *testing.T, o opening) *fixture { return closedAfterLastAck(t, o, nil) },
}

// fuzzReader hands out the fuzz input a byte at a time, zeros once it is
// used up.
type fuzzReader struct{ in []byte }

func (r *fuzzReader) more() bool { return len(r.in) > 0 }

func (r *fuzzReader) byte() byte {
	if len(r.in) == 0 {
		return 0
	}
	b := r.in[0]
	r.in = r.in[1:]
	return b
}

func (r *fuzzReader) uint16() uint16 { return uint16(r.byte())<<8 | uint16(r.byte()) }

// duration decodes one byte into a time step from a millisecond to about
// two minutes: the low six bits count units of 1 ms, 100 ms, 1 s or 2 s
// as the top two bits say, so that a few steps reach every timer (delayed
// ACK, RTO, keep-alive, FIN_WAIT_2, 2×MSL).
func (r *fuzzReader) duration() time.Duration {
	b := r.byte()
	unit := [4]time.Duration{time.Millisecond, 100 * time.Millisecond, time.Second, 2 * time.Second}[b>>6]
	return time.Duration(b&0x3f+1) * unit
}

// segment decodes a segment from the peer: flags, SEQ and ACK as signed
// offsets from RCV.NXT and SND.UNA (so that small values land near the
// window edges, where the interesting rules are), window, options and a
// payload length.
func (r *fuzzReader) segment(t *TCB) Segment {
	s := Segment{Flags: wire.TCPFlags(r.byte())}
	s.Seq = t.rcv.nxt.Add(uint32(int32(int16(r.uint16()))))
	s.Ack = t.snd.una.Add(uint32(int32(int16(r.uint16()))))
	s.Window = r.uint16()
	opts := r.byte()
	o := &s.Options
	if opts&1 != 0 {
		o.HasMSS, o.MSS = true, r.uint16()
	}
	if opts&2 != 0 {
		o.HasWScale, o.WScale = true, r.byte()
	}
	o.SACKPermitted = opts&4 != 0
	if opts&8 != 0 {
		o.HasTS, o.TSVal, o.TSEcr = true, uint32(r.uint16())<<8, uint32(r.uint16())<<8
	}
	o.NumSACK = int(opts>>4) % (wire.MaxSACKBlocks + 1)
	for i := 0; i < o.NumSACK; i++ {
		start := t.snd.una.Add(uint32(int32(int16(r.uint16()))))
		o.SACK[i] = wire.SACKBlock{Left: uint32(start), Right: uint32(start.Add(uint32(r.byte()) * 16))}
	}
	s.Payload = make([]byte, int(r.byte())*8)
	return s
}

// FuzzTCB starts a TCB in each state of RFC 9293 §3.3.2 (the per-state
// fixtures) and drives it with the operations the input encodes: segments
// from the peer with fuzzed fields relative to the TCB's own numbers, the
// user calls, and time moving on. After every step the fixture checks the
// TCB's invariants (CheckInvariants) and that every state change is an arc
// of the state diagram (ValidTransition); the TCB must never panic or
// send without end.
//
// The input: a byte picking the start state and opening, then operations
// of one byte each (the low three bits) with their arguments.
func FuzzTCB(f *testing.F) {
	fuzzseed.Bytes(f, fuzzTCBSeeds()...)
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) > fuzzMaxInput {
			in = in[:fuzzMaxInput]
		}
		r := &fuzzReader{in: in}
		pick := r.byte()
		o := activeOpen
		if pick&0x80 != 0 {
			o = passiveOpen
		}
		fx := fuzzStarts[int(pick&0x7f)%len(fuzzStarts)](t, o)
		for r.more() {
			fx.fuzzStep(r)
			fx.drain()
		}
	})
}

// The operations of FuzzTCB's input, in the low three bits of their byte.
const (
	opSegment  = iota // a segment from the peer (fuzzReader.segment)
	opRead            // Read up to the next byte × 64 bytes
	opWrite           // Write the next byte × 32 bytes
	opClose           // Close, or with the high bit set, Shutdown
	opAbort           // Abort, or with the high bit set, CloseRead
	opAdvance         // move the clock on (fuzzReader.duration) and run the timers due
	opDeadline        // move the clock to the next deadline and run its timers
	opICMP            // an ICMP error quoting SND.UNA: dropping a request with the high bit set, reverting the backoff with the next
)

// fuzzStep decodes and runs one operation of FuzzTCB.
func (f *fixture) fuzzStep(r *fuzzReader) {
	f.t.Helper()
	op := r.byte()
	switch op & 7 {
	case opSegment:
		f.in(r.segment(f.tcb))
	case opRead:
		f.tcb.Read(make([]byte, int(r.byte())*64+1))
		f.check("Read")
	case opWrite:
		f.tcb.Write(make([]byte, int(r.byte())*32))
		f.check("Write")
	case opClose:
		if op&0x80 != 0 {
			f.shutdown()
		} else {
			f.close()
		}
	case opAbort:
		if op&0x80 != 0 {
			f.tcb.CloseRead()
			f.check("CloseRead")
		} else {
			f.abort()
		}
	case opAdvance:
		f.at(time.Duration(f.now) + r.duration())
	case opDeadline:
		if d := f.tcb.NextDeadline(); d != clock.Never && d > f.now {
			f.at(time.Duration(d))
		}
	case opICMP:
		f.tcb.ICMPError(f.now, f.tcb.snd.una, ICMPReport{Err: icmpErrno(r.byte()), DropRequest: op&0x80 != 0, RevertBackoff: op&0x40 != 0})
		f.check("ICMP error")
	}
}

// icmpErrno decodes the error an ICMP message reports (RFC 1122 §4.2.3.9).
func icmpErrno(b byte) syscall.Errno {
	return [...]syscall.Errno{syscall.ECONNREFUSED, syscall.EHOSTUNREACH, syscall.ENETUNREACH, syscall.EMSGSIZE}[b%4]
}
