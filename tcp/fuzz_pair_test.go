package tcp

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/internal/fuzzseed"
)

// pairEnd is one side of FuzzTCBPair's connection: its TCB, and the bytes
// it wrote and read of the two streams.
type pairEnd struct {
	tcb            *TCB
	obs            recorder
	wrote, read    int
	shut, readDone bool
}

// pairPacket is a segment in flight through the fuzzed channel.
type pairPacket struct {
	at  clock.Instant
	to  int
	seg Segment
}

// fuzzPair is two TCBs joined by an in-memory channel that loses,
// duplicates, delays and so reorders segments as the fuzz input says.
type fuzzPair struct {
	t      *testing.T
	cfg    Config
	now    clock.Instant
	end    [2]pairEnd
	flight []pairPacket
	ops    *fuzzReader // the calls and time
	fates  *fuzzReader // the channel: one byte per segment sent
	lossy  bool        // the channel obeys fates; once false, it delivers everything after 31 ms
	buf    []byte
}

// streamByte is byte i of the stream side writes: a pattern with a period
// (251, prime) that no whole-segment shift or duplication reproduces.
func streamByte(side, i int) byte { return byte(i%251) ^ byte(side*0x5a) }

// FuzzTCBPair connects two TCBs through a channel that the input makes
// lossy, duplicating and reordering, and drives both with writes, reads,
// half-closes and time. Every byte a side reads must be the next byte the
// other wrote: no loss, duplication or corruption of delivered data. Once
// the input is used up, the channel heals and both sides shut down: then
// either each side has read exactly what the other wrote, followed by
// EOF, or one of them failed with an error (retries exhausted while the
// channel lost everything). Invariants and state-diagram arcs are checked
// after every step, on both sides.
//
// The input: a byte of configuration (SACK, timestamps, window scaling,
// Nagle, a small receive buffer), a byte n, then n bytes of operations
// with their arguments; the rest are the segments' fates, one byte per
// segment sent: lost (0–31), duplicated (32–63), or delayed by (b & 31)+1
// ms, so that later segments may overtake earlier ones. Once the fates
// are used up, every segment arrives after 31 ms.
func FuzzTCBPair(f *testing.F) {
	fuzzseed.Bytes(f, fuzzTCBPairSeeds()...)
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) > fuzzMaxInput {
			in = in[:fuzzMaxInput]
		}
		p := newFuzzPair(t, in)
		for p.ops.more() {
			p.step()
		}
		p.finish()
	})
}

func newFuzzPair(t *testing.T, in []byte) *fuzzPair {
	r := &fuzzReader{in: in}
	c, n := r.byte(), int(r.byte())
	n = min(n, len(r.in))
	p := &fuzzPair{t: t, cfg: DefaultConfig(), ops: &fuzzReader{in: r.in[:n]}, fates: &fuzzReader{in: r.in[n:]},
		lossy: true, buf: make([]byte, 1<<16)}
	p.cfg.SACK = c&1 != 0
	p.cfg.Timestamps = c&2 != 0
	p.cfg.WindowScaling = c&4 != 0
	p.cfg.NoDelay = c&8 != 0
	if c&16 != 0 {
		p.cfg.ReceiveBufferSize = 4096 // a small window: zero windows and persist probes
	}
	a := &p.end[0]
	a.tcb = NewActive(&p.cfg, 0, OpenParams{ISS: 1000, MSS: 1460, DefaultMSS: 536, Observer: &a.obs})
	syn, ok := a.tcb.NextSegment(0, p.buf)
	if !ok {
		t.Fatal("no SYN")
	}
	b := &p.end[1]
	b.tcb = NewPassive(&p.cfg, 0, OpenParams{ISS: 5000, MSS: 1460, DefaultMSS: 536, Observer: &b.obs}, &syn)
	p.check("open")
	p.send()
	return p
}

// The operations of FuzzTCBPair's input: the low two bits say what, the
// next bit which side.
const (
	pairWrite   = iota // write the next byte × 16 bytes of the side's stream
	pairRead           // read and check what arrived
	pairAdvance        // move the clock on (fuzzReader.duration)
	pairShut           // Shutdown: the side writes no more
)

func (p *fuzzPair) step() {
	op := p.ops.byte()
	side := int(op>>2) & 1
	e := &p.end[side]
	switch op & 3 {
	case pairWrite:
		p.write(side, int(p.ops.byte())*16)
	case pairRead:
		p.readAll(side)
	case pairAdvance:
		p.advance(p.now + clock.Instant(p.ops.duration()))
	case pairShut:
		if !e.shut {
			e.shut = true
			e.tcb.Shutdown(p.now)
			p.check("Shutdown")
		}
	}
	p.send()
}

func (p *fuzzPair) write(side, n int) {
	e := &p.end[side]
	if e.shut || n == 0 {
		return
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = streamByte(side, e.wrote+i)
	}
	w, err := e.tcb.Write(b)
	if err == nil {
		e.wrote += w
	}
	p.check("Write")
}

// readAll reads everything side can read and checks it against the other
// side's stream.
func (p *fuzzPair) readAll(side int) {
	e, peer := &p.end[side], &p.end[1-side]
	for {
		n, err := e.tcb.Read(p.buf)
		p.check("Read")
		for i := 0; i < n; i++ {
			if want := streamByte(1-side, e.read+i); p.buf[i] != want || e.read+i >= peer.wrote {
				p.t.Fatalf("side %d read byte %d = %#x, want %#x (the peer wrote %d)", side, e.read+i, p.buf[i], want, peer.wrote)
			}
		}
		e.read += n
		if err != nil {
			e.readDone = true
		}
		if n == 0 {
			return
		}
	}
}

// send moves what both sides send now into the channel, each segment's
// fate decided by the input while the channel is lossy.
func (p *fuzzPair) send() {
	for side := range p.end {
		for i := 0; ; i++ {
			if i == 1000 {
				p.t.Fatalf("side %d sends without end", side)
			}
			s, ok := p.end[side].tcb.NextSegment(p.now, p.buf)
			p.check("NextSegment")
			if !ok {
				break
			}
			s.Payload = bytes.Clone(s.Payload)
			fate := byte(0xff) // delivered after 31 ms
			if p.lossy && p.fates.more() {
				fate = p.fates.byte()
			}
			switch {
			case fate < 32:
				continue
			case fate < 64:
				p.flight = append(p.flight, pairPacket{at: p.now + clock.Instant(time.Duration(fate&31)*time.Millisecond), to: 1 - side, seg: s})
			}
			p.flight = append(p.flight, pairPacket{at: p.now + clock.Instant(time.Duration(fate&31+1)*time.Millisecond), to: 1 - side, seg: s})
		}
	}
}

// advance runs the pair to time to: segments arrive and timers fire in
// order of their times.
func (p *fuzzPair) advance(to clock.Instant) {
	for {
		next := min(p.end[0].tcb.NextDeadline(), p.end[1].tcb.NextDeadline())
		for _, pk := range p.flight {
			next = min(next, pk.at)
		}
		if next > to {
			p.now = to
			return
		}
		p.now = max(p.now, next)
		var keep []pairPacket
		for _, pk := range p.flight {
			if pk.at <= p.now {
				p.end[pk.to].tcb.Deliver(p.now, &pk.seg)
				p.check("segment " + pk.seg.String())
			} else {
				keep = append(keep, pk)
			}
		}
		p.flight = keep
		for i := range p.end {
			if p.end[i].tcb.NextDeadline() <= p.now {
				p.end[i].tcb.Tick(p.now)
				p.check("tick")
			}
		}
		p.send()
	}
}

// finish heals the channel, shuts both sides down and runs the pair until
// both have read to the end or failed, then checks what they read.
func (p *fuzzPair) finish() {
	p.lossy = false
	for side := range p.end {
		if e := &p.end[side]; !e.shut {
			e.shut = true
			e.tcb.Shutdown(p.now)
			p.check("Shutdown")
		}
	}
	p.send()
	limit := p.now + clock.Instant(time.Hour)
	for p.now < limit {
		p.readAll(0)
		p.readAll(1)
		if p.failed() || p.end[0].readDone && p.end[1].readDone {
			break
		}
		// On to the next event, not in fixed steps: a connection that
		// retries for many minutes takes a few dozen steps, not thousands.
		next := min(p.end[0].tcb.NextDeadline(), p.end[1].tcb.NextDeadline(), limit)
		for _, pk := range p.flight {
			next = min(next, pk.at)
		}
		p.advance(max(next, p.now+1))
	}
	if p.failed() {
		return
	}
	for side := range p.end {
		e, peer := &p.end[side], &p.end[1-side]
		if !e.readDone || e.read != peer.wrote {
			p.t.Fatalf("after an hour with a healed channel side %d read %d of the %d bytes written, EOF %v (%v)",
				side, e.read, peer.wrote, e.readDone, p)
		}
	}
}

// failed reports whether either side ended with an error.
func (p *fuzzPair) failed() bool { return p.end[0].tcb.Err() != 0 || p.end[1].tcb.Err() != 0 }

// check fails the test if either TCB broke an invariant or took a
// transition the state diagram does not have during step.
func (p *fuzzPair) check(step string) {
	p.t.Helper()
	for i := range p.end {
		e := &p.end[i]
		if len(e.obs.invalid) > 0 {
			p.t.Fatalf("side %d at %v after %s: transition %v is not in the state diagram", i, p.now, step, e.obs.invalid)
		}
		if err := e.tcb.CheckInvariants(); err != nil {
			p.t.Fatalf("side %d at %v in %v after %s: %v", i, p.now, e.tcb.State(), step, err)
		}
	}
}

// String describes the pair for failure messages.
func (p *fuzzPair) String() string {
	return fmt.Sprintf("at %v: A %v wrote %d read %d, B %v wrote %d read %d, %d in flight", p.now,
		p.end[0].tcb.State(), p.end[0].wrote, p.end[0].read, p.end[1].tcb.State(), p.end[1].wrote, p.end[1].read, len(p.flight))
}

// pairSeed encodes a FuzzTCBPair input from its configuration byte, its
// operations and the segments' fates.
func pairSeed(config byte, ops []byte, fates ...byte) []byte {
	return append(append([]byte{config, byte(len(ops))}, ops...), fates...)
}

func fuzzTCBPairSeeds() [][]byte {
	const b = 4 // the second side's bit, added to an operation
	exchange := []byte{pairWrite, 200, b + pairWrite, 100, pairAdvance, 0x50, pairRead, b + pairRead, pairWrite, 255, pairAdvance, 0x45, b + pairRead}
	return [][]byte{
		// A clean exchange with everything on, and with nothing.
		pairSeed(0x07, exchange),
		pairSeed(0x08, exchange),
		// Losses and duplicates, with SACK and without.
		pairSeed(0x01, exchange, 0xff, 0xff, 0xff, 0, 40, 0xff, 0, 0xff, 33, 0, 0, 0xff),
		pairSeed(0x02, exchange, 0xff, 0xff, 0xff, 0, 40, 0xff, 0, 0xff, 33, 0, 0, 0xff),
		// Reordering: segments with decreasing delays.
		pairSeed(0x07, exchange, 0xff, 0xff, 0xff, 0xdf, 0xd0, 0xc4, 0xc0, 0xdf, 0xd0, 0xc4, 0xc0),
		// A small receive window that the reader opens late.
		pairSeed(0x17, []byte{pairWrite, 255, pairAdvance, 0x90, pairAdvance, 0x90, pairAdvance, 0xd0, b + pairRead, pairAdvance, 0x50}),
		// The channel loses everything for minutes: retries run out.
		pairSeed(0x03, []byte{pairWrite, 10, pairAdvance, 0xff, pairAdvance, 0xff, pairAdvance, 0xff, pairAdvance, 0xff},
			0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
		// Half-closes crossing, then data the other way.
		pairSeed(0x0f, []byte{pairShut, b + pairWrite, 50, b + pairShut, pairAdvance, 0x50, pairRead}, 0xff, 0xff, 0xff, 0x30, 0x30),
	}
}
