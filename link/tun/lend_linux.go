package tun

import (
	"net"
	"sync/atomic"
)

// lendBytes bounds the memory of the packets ReadPacketBuffer may have
// lent at once, and with it how far the reader runs ahead of the goroutine
// that takes the packets in (the rest wait in the kernel's queue for the
// interface): 8 packets of 64 KiB with Config.Offload, 256 of 1500 bytes
// without (minSlots and maxSlots bound the count).
const (
	lendBytes = 512 << 10
	minSlots  = 8
	maxSlots  = 256
)

// lender owns the buffers ReadPacketBuffer lends: one arena cut into
// slots of size bytes, made on the first read so that a device read only
// with ReadPacket never allocates it.
type lender struct {
	size  int           // bytes per slot
	off   int           // where a lent packet starts in its slot
	slots int           // how many
	arena []byte        // set once, by the reader, before the first lend
	lent  []atomic.Bool // per slot, so that a second release is ignored
	free  chan int      // the slots not lent
}

func newLender(size, off int) *lender {
	size = max(size, 1) // an MTU is at least 68, but never divide by 0
	slots := min(max(lendBytes/size, minSlots), maxSlots)
	return &lender{size: size, off: off, slots: slots, free: make(chan int, slots)}
}

// take returns a free slot, waiting for one to be released, or false once
// done is closed. The reader calls it.
func (l *lender) take(done <-chan struct{}) (slot []byte, i int, ok bool) {
	if l.arena == nil {
		l.arena = make([]byte, l.slots*l.size)
		l.lent = make([]atomic.Bool, l.slots)
		for i := range l.slots {
			l.free <- i
		}
	}
	select {
	case i = <-l.free:
	case <-done:
		return nil, 0, false
	}
	l.lent[i].Store(true)
	return l.arena[i*l.size : (i+1)*l.size], i, true
}

// release returns the slot of pkt, a packet lent from this arena (sliced
// from its slot's l.off with the slot's capacity to the arena's end), to
// the free list. Anything else is ignored.
func (l *lender) release(pkt []byte) {
	if len(pkt) == 0 || l.arena == nil {
		return
	}
	// The slot follows from how much of the arena lies past pkt's start.
	start := len(l.arena) - cap(pkt)
	i := (start - l.off) / l.size
	if start < l.off || i >= l.slots || (start-l.off)%l.size != 0 || &l.arena[start] != &pkt[0] {
		return
	}
	l.put(i)
}

// put frees slot i, unless it is free already.
func (l *lender) put(i int) {
	if l.lent[i].CompareAndSwap(true, false) {
		l.free <- i // never blocks: the channel has room for every slot
	}
}

// ReadPacketBuffer is ReadPacket without the copy (link.BufferReader): it
// blocks until the kernel sends a packet into the interface and lends it
// in the device's own storage, until ReleasePacketBuffer. What is lent at
// once is bounded (lendBytes); a further read waits for a release. With
// Config.Offload a TCP super-packet of the kernel's segmentation offload
// is lent whole, as one packet of up to 64 KiB (longer than the MTU), the
// way a NIC's GRO hands a stack the segments it merged; see Large. After
// Close it returns a *net.OpError wrapping net.ErrClosed.
func (d *Device) ReadPacketBuffer() ([]byte, error) {
	for {
		slot, i, ok := d.lend.take(d.done)
		if !ok {
			return nil, d.opError("read", net.ErrClosed)
		}
		n, err := d.f.Read(slot)
		if err != nil {
			d.lend.put(i)
			return nil, d.opError("read", err)
		}
		// With IFF_NO_PI the kernel reports the whole packet's length
		// even when it did not fit.
		pkt, ok := slot[:min(n, len(slot))], n > 0
		if d.vnet != nil {
			var large bool
			pkt, large, ok = whole(pkt)
			if large {
				d.large.Add(1)
			}
		}
		if !ok {
			d.dropped.Add(1)
			d.lend.put(i)
			continue
		}
		// The packet keeps the slot's capacity to the arena's end, from
		// which release finds the slot.
		return pkt, nil
	}
}

// ReleasePacketBuffer hands back a packet ReadPacketBuffer lent; pkt must
// not be used afterwards. It may be called from any goroutine.
func (d *Device) ReleasePacketBuffer(pkt []byte) { d.lend.release(pkt) }

// Large returns how many TCP super-packets (more than one segment, from
// the kernel's segmentation offload) ReadPacketBuffer has lent whole with
// Config.Offload. ReadPacket splits them instead; see Split.
func (d *Device) Large() uint64 { return d.large.Load() }
