package pipe

import (
	"sync/atomic"

	"github.com/synack-net/synack/link/netem"
)

// Stats counts what became of the packets an endpoint wrote, and how many it
// read.
type Stats struct {
	// Sent is the number of packets WritePacket accepted onto the wire.
	Sent uint64
	// Delivered is the number of packets this endpoint wrote that reached
	// the peer's receive queue.
	Delivered uint64
	// Received is the number of packets ReadPacket returned.
	Received uint64
	// DroppedFull counts packets dropped because the peer's receive queue
	// was full.
	DroppedFull uint64
	// DroppedClosed counts packets written after the peer closed.
	DroppedClosed uint64
	// DroppedTooBig counts packets longer than the MTU.
	DroppedTooBig uint64
	// Faults counts what the impairment did to the packets sent; it stays
	// zero for a pipe made by New.
	Faults netem.PathStats
}

// counters are the live, atomically updated Stats of an endpoint.
type counters struct {
	sent, delivered, received               atomic.Uint64
	droppedFull, droppedClosed, droppedSize atomic.Uint64
}

func (c *counters) snapshot() Stats {
	return Stats{
		Sent:          c.sent.Load(),
		Delivered:     c.delivered.Load(),
		Received:      c.received.Load(),
		DroppedFull:   c.droppedFull.Load(),
		DroppedClosed: c.droppedClosed.Load(),
		DroppedTooBig: c.droppedSize.Load(),
	}
}
