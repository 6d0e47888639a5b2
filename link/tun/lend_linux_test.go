package tun

import (
	"errors"
	"net"
	"os"
	"testing"
)

// TestLenderSlots: every slot can be lent once; with all lent, take waits
// (here: gives up on a closed done); a release frees exactly the slot of
// the packet released; packets not lent from the arena, and a second
// release, change nothing.
func TestLenderSlots(t *testing.T) {
	const size, off = 100, 10
	l := newLender(size, off)
	never, closed := make(chan struct{}), make(chan struct{})
	close(closed)
	lent := make([][]byte, l.slots)
	for range l.slots {
		slot, i, ok := l.take(never)
		if !ok || len(slot) != size || lent[i] != nil {
			t.Fatalf("take = slot %d of %d bytes, %v; want a fresh %d-byte slot", i, len(slot), ok, size)
		}
		lent[i] = slot[off : off+20]
	}
	if _, _, ok := l.take(closed); ok {
		t.Fatal("take lent a slot with all of them lent")
	}
	l.release(make([]byte, 20))           // not from the arena
	l.release(lent[3][:5:5])              // capacity cut: not as lent
	l.release(lent[3][1:])                // not where a packet starts
	l.release(l.arena[3*size : 3*size+5]) // the slot's start, not the packet's
	if len(l.free) != 0 {
		t.Fatalf("%d slots free after foreign releases, want 0", len(l.free))
	}
	l.release(lent[3])
	l.release(lent[5])
	l.release(lent[5]) // twice: must not block or free another
	if len(l.free) != 2 {
		t.Fatalf("%d slots free, want 2", len(l.free))
	}
	got := map[int]bool{}
	for range 2 {
		_, i, ok := l.take(never)
		if !ok {
			t.Fatal("take found no free slot")
		}
		got[i] = true
	}
	if !got[3] || !got[5] {
		t.Errorf("take lent slots %v, want 3 and 5", got)
	}
}

// TestLenderSlotCount: the lent memory is bounded by bytes, within
// minSlots and maxSlots.
func TestLenderSlotCount(t *testing.T) {
	for _, c := range []struct{ size, slots int }{{maxGSO, minSlots}, {1500, maxSlots}, {16 << 10, 32}} {
		if got := newLender(c.size, 0).slots; got != c.slots {
			t.Errorf("%d-byte slots: %d, want %d", c.size, got, c.slots)
		}
	}
}

// TestReadPacketBufferCloseWhileAllLent: a read waiting for a lent packet
// to come back returns net.ErrClosed when the Device closes.
func TestReadPacketBufferCloseWhileAllLent(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	d := &Device{name: "test0", mtu: 1500, f: r, lend: newLender(1500, 0), done: make(chan struct{})}
	for i := range d.lend.slots {
		if _, err := w.Write([]byte{0x45, byte(i)}); err != nil {
			t.Fatal(err)
		}
		pkt, err := d.ReadPacketBuffer()
		if err != nil || len(pkt) != 2 || pkt[1] != byte(i) {
			t.Fatalf("read %d: %x, %v", i, pkt, err)
		}
	}
	done := make(chan error, 1)
	go func() {
		_, err := d.ReadPacketBuffer()
		done <- err
	}()
	d.Close()
	if err := <-done; !errors.Is(err, net.ErrClosed) {
		t.Errorf("ReadPacketBuffer waiting for a slot: %v after Close, want net.ErrClosed", err)
	}
}
