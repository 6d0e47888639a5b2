package stack

import (
	"testing"
	"time"

	"github.com/synack-net/synack/clock"
)

// The bulk data path at MTU 65535, in one goroutine: 256 KiB written,
// flushed onto a copying link, delivered, read, and acknowledged per
// operation. Its ns/op is the CPU the stack spends per 256 KiB moved (both
// ends, and one link copy), free of scheduling; -benchmem shows that the
// steady path allocates nothing.
func BenchmarkBulkPath(b *testing.B) {
	p := newTestPair(b, func(c *Config) { c.Recorder = nil; c.MTU = 65535 })
	cs, ss := p.open(b, 1)
	c, s := cs[0], ss[0]
	msg, buf := make([]byte, 256<<10), make([]byte, 256<<10)
	for i := range msg {
		msg[i] = byte(i * 7)
	}
	wire := make([]byte, 65535) // the link's copy, as link/pipe makes it
	toB := func(pkt []byte) { p.b.Deliver(p.now, wire[:copy(wire, pkt)]) }
	toA := func(pkt []byte) { p.a.Deliver(p.now, wire[:copy(wire, pkt)]) }
	round := func() {
		for sent, got := 0, 0; got < len(msg); {
			if sent < len(msg) {
				n, err := c.Write(msg[sent:])
				if err != nil {
					b.Fatal(err)
				}
				sent += n
			}
			p.a.Flush(p.now, toB)
			for {
				n, _ := s.Read(buf)
				if n == 0 {
					break
				}
				got += n
			}
			p.b.Flush(p.now, toA)
			p.now += clock.Instant(10 * time.Microsecond)
			p.a.Tick(p.now)
			p.b.Tick(p.now)
		}
	}
	for range 200 { // grow the buffers and the window
		round()
	}
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		round()
	}
}
