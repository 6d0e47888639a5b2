package pcap

import (
	"bytes"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/gopacket/gopacket/pcapgo"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/link/pipe"
)

// stallingClock counts its readings; the first one stalls until released,
// as a goroutine may be preempted between reading the clock and writing
// the record.
type stallingClock struct {
	clock.Clock
	mu      sync.Mutex
	n       int64
	stalled chan struct{} // closed when the first reading has begun
	release chan struct{} // closed to let it return
}

func (c *stallingClock) Now() clock.Instant {
	c.mu.Lock()
	c.n++
	n := c.n
	c.mu.Unlock()
	if n == 1 {
		close(c.stalled)
		<-c.release
	}
	return clock.Instant(n) * clock.Instant(time.Millisecond)
}

// TestTapRecordsInTimeOrder: two goroutines capture through one tap (the
// reader of a link and its writer, as a host driver has). The packet whose
// time was read first must be written first, or the capture goes out of
// time order: the second capture may not read the clock, let alone write,
// while the first is between its reading and its record.
func TestTapRecordsInTimeOrder(t *testing.T) {
	var file bytes.Buffer
	w, _ := NewWriter(&file)
	clk := &stallingClock{Clock: clock.NewVirtual(), stalled: make(chan struct{}), release: make(chan struct{})}
	c, s := pipe.New(1500, 4)
	tap := NewTap(c, w, clk)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); tap.WritePacket(handshake[0].pkt) }()
	<-clk.stalled
	second := make(chan struct{})
	go func() { defer wg.Done(); tap.WritePacket(handshake[2].pkt); close(second) }()
	select {
	case <-second:
		t.Error("a second capture completed while the first was between its clock reading and its record")
	case <-time.After(100 * time.Millisecond):
		// Blocked, as it should be, until the first is written.
	}
	close(clk.release)
	wg.Wait()
	s.Close()

	r, err := pcapgo.NewReader(&file)
	if err != nil {
		t.Fatal(err)
	}
	var last time.Time
	for i := 0; ; i++ {
		_, ci, err := r.ReadPacketData()
		if err == io.EOF {
			if i != 2 {
				t.Errorf("%d records, want 2", i)
			}
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if ci.Timestamp.Before(last) {
			t.Errorf("record %d at %v, before the one written before it (%v)", i, ci.Timestamp, last)
		}
		last = ci.Timestamp
	}
}
