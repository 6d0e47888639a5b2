package tcp

import (
	"testing"
	"time"
)

// The window scale is chosen for the largest buffer autotuning may reach:
// 6 MiB needs a shift of 7 (RFC 7323 §2.3), 15 MiB a shift of 8.
func TestWindowScaleFromBufferMax(t *testing.T) {
	for _, c := range []struct {
		max  int
		want uint8
	}{{6 << 20, 7}, {15 << 20, 8}, {0, 5}} {
		f := newFixture(t, func(cfg *Config) { cfg.ReceiveBufferMax = c.max })
		f.tcb = NewActive(&f.cfg, 0, f.params(testISS))
		syn, _ := f.tcb.NextSegment(0, f.buf)
		if !syn.Options.HasWScale || syn.Options.WScale != c.want {
			t.Errorf("ReceiveBufferMax %d: SYN wscale %d, want %d", c.max, syn.Options.WScale, c.want)
		}
	}
}

// A reader that keeps up makes the receive buffer grow, once per round
// trip, to twice what it read in the last one, up to ReceiveBufferMax.
func TestReceiveBufferGrowsWithReader(t *testing.T) {
	f := established(t, func(c *Config) { c.ReceiveBufferSize = 64 << 10; c.ReceiveBufferMax = 256 << 10 })
	buf := make([]byte, 64<<10)
	off := 0
	// Each 100 ms round trip, 60 KiB arrive and are read.
	for rt := 1; rt <= 6; rt++ {
		f.at(time.Duration(rt) * 100 * time.Millisecond)
		for range 60 {
			f.in(data(off, 1024))
			off += 1024
		}
		f.tcb.Read(buf)
		f.drain()
	}
	if got := f.tcb.Info().ReceiveBuffer; got != 120<<10 {
		t.Errorf("receive buffer %d, want %d (2 × 60 KiB per round trip)", got, 120<<10)
	}
	// A faster reader: capped at the maximum.
	for rt := 7; rt <= 12; rt++ {
		f.at(time.Duration(rt) * 100 * time.Millisecond)
		for range 110 {
			f.in(data(off, 1024))
			off += 1024
			f.tcb.Read(buf)
		}
		f.drain()
	}
	if got := f.tcb.Info().ReceiveBuffer; got != 220<<10 {
		t.Errorf("receive buffer %d, want %d", got, 220<<10)
	}
}

// A receive buffer the user sized is never tuned.
func TestReceiveBufferLockedBySetBufferSizes(t *testing.T) {
	f := established(t, func(c *Config) { c.ReceiveBufferSize = 64 << 10 })
	f.tcb.SetBufferSizes(0, 32<<10)
	buf := make([]byte, 64<<10)
	off := 0
	for rt := 1; rt <= 4; rt++ {
		f.at(time.Duration(rt) * 100 * time.Millisecond)
		for range 30 {
			f.in(data(off, 1024))
			off += 1024
		}
		f.tcb.Read(buf)
		f.drain()
	}
	if got := f.tcb.Info().ReceiveBuffer; got != 32<<10 {
		t.Errorf("receive buffer %d, want the 32 KiB the user set", got)
	}
}

// The send buffer grows to hold two congestion windows, up to SendBufferMax.
func TestSendBufferGrowsWithCwnd(t *testing.T) {
	f := established(t, func(c *Config) { c.SendBufferSize = 8 << 10; c.SendBufferMax = 16 << 10 })
	f.tcb.Write(make([]byte, 8<<10))
	f.drain()
	f.in(ack(536 * 5))
	if got, want := f.tcb.Info().SendBuffer, 2*int(f.tcb.Info().CWnd); got != want {
		t.Errorf("send buffer %d, want 2 × cwnd = %d", got, want)
	}
	// Slow start: each segment acknowledged adds one MSS to cwnd.
	for n := 6; n <= 15; n++ {
		f.in(ack(536 * n))
		f.tcb.Write(make([]byte, 8<<10)) // keep the window full
		f.drain()
	}
	if got := f.tcb.Info().SendBuffer; got != 16<<10 {
		t.Errorf("send buffer %d (cwnd %d), want the 16 KiB maximum", got, f.tcb.Info().CWnd)
	}
}
