// Package link defines how a synack host exchanges IP packets with a network,
// and holds the implementations: an in-memory pipe, a fault injector (netem),
// a pcap tap, (on Linux) TUN devices, and devices opened elsewhere (dev: a
// wireguard-go style batch device, or a TUN file descriptor).
package link

// Link carries raw IP packets (IPv4 or IPv6, no link-layer header) between a
// host and a network. Implementations are safe for one reader and one writer
// goroutine at a time.
type Link interface {
	// MTU is the largest IP packet, in bytes, that the link carries.
	MTU() int
	// WritePacket sends one IP packet. The link does not retain pkt after
	// WritePacket returns. A full queue drops the packet (as a NIC would) and
	// returns nil; only a closed link returns an error (net.ErrClosed).
	WritePacket(pkt []byte) error
	// ReadPacket blocks until a packet arrives, copies it into buf and returns
	// its length. A packet longer than buf is truncated. After Close it
	// returns net.ErrClosed.
	ReadPacket(buf []byte) (int, error)
	// Close releases the link; blocked and later reads and writes return
	// net.ErrClosed.
	Close() error
}

// BufferReader is implemented by links that can lend a packet in their own
// storage instead of copying it into the reader's buffer, which saves a
// copy of every packet read. ReadPacketBuffer blocks and fails as
// ReadPacket does, and returns the packet; the reader hands it back with
// ReleasePacketBuffer once done with it and must not use it afterwards.
// Both are called from the reading goroutine, though a packet may be
// released from another.
type BufferReader interface {
	ReadPacketBuffer() ([]byte, error)
	ReleasePacketBuffer(pkt []byte)
}

// Flusher is implemented by links that may hold written packets back to
// send several at once (a TUN device coalescing TCP segments into one
// segmentation-offload packet, for instance). A driver that writes a burst
// of packets calls Flush after the burst; until then, packets written may
// not have left. Flush is called from the writing goroutine, and returns an
// error only when the link is closed (net.ErrClosed), like WritePacket.
type Flusher interface {
	Flush() error
}
