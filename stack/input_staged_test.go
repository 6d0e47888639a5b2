package stack

import (
	"bytes"
	"testing"

	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/wire"
)

// A data segment whose payload was corrupted on the way is dropped for its
// checksum on the staged path, and leaves nothing readable: the bytes it
// staged are not taken for data. The intact segment then delivers its
// payload.
func TestStagedDeliveryDropsBadChecksum(t *testing.T) {
	p := newTestPair(t, func(c *Config) { c.Recorder = nil })
	cs, ss := p.open(t, 1)
	c, s := cs[0], ss[0]
	// A first exchange gives the receive buffer its storage, which the
	// staged path needs.
	if _, err := c.Write([]byte("warm")); err != nil {
		t.Fatal(err)
	}
	p.pump()
	if n, _ := s.Read(make([]byte, 8)); n != 4 {
		t.Fatalf("read %d bytes of the first exchange", n)
	}
	msg := make([]byte, 1400)
	for i := range msg {
		msg[i] = byte(i*5 + 1)
	}
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	var pkts [][]byte
	p.a.Flush(p.now, func(pkt []byte) { pkts = append(pkts, append([]byte(nil), pkt...)) })
	if len(pkts) != 1 || len(pkts[0]) < len(msg)+40 {
		t.Fatalf("%d packets, want one data segment", len(pkts))
	}
	tcpb := wire.TCP(pkts[0][wire.IPv4MinHeaderLen:])
	s.mu.Lock()
	_, _, staged := s.full().StagePayload(tcp.Seq(tcpb.Seq()), tcpb.Payload())
	s.mu.Unlock()
	if !staged {
		t.Fatal("the segment would not take the staged path")
	}
	bad := append([]byte(nil), pkts[0]...)
	bad[len(bad)-100] ^= 0x10
	before := p.b.Counters().Drops[DropBadChecksum]
	p.b.Deliver(p.now, bad)
	if got := p.b.Counters().Drops[DropBadChecksum] - before; got != 1 {
		t.Fatalf("%d drops for a bad checksum, want 1", got)
	}
	buf := make([]byte, 2*len(msg))
	if n, _ := s.Read(buf); n != 0 {
		t.Fatalf("read %d bytes after the corrupt segment, want 0", n)
	}
	p.b.Deliver(p.now, pkts[0])
	if n, _ := s.Read(buf); n != len(msg) || !bytes.Equal(buf[:n], msg) {
		t.Fatalf("read %d bytes, want the %d sent", n, len(msg))
	}
}
