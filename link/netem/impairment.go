// Package netem injects network faults deterministically and without I/O:
// loss, duplication, reordering, delay, jitter, rate limits, bounded queues,
// MTU limits, bit corruption, partitions and programmable drop rules.
//
// Path models one direction of a link; Network joins many hosts as a
// discrete-event model for simulations. Neither runs goroutines or reads a
// clock: the caller passes the current instant and asks when the next packet
// is due. Randomness comes from a seeded PCG generator, so the same seed and
// the same sends always give the same deliveries.
package netem

import "time"

// DefaultQueueLimit is the number of packets a path holds in flight when
// Impairment.QueueLimit is zero.
const DefaultQueueLimit = 1024

// Impairment describes what a path does to packets. The zero value is a
// perfect path: no loss, no delay, unlimited rate.
type Impairment struct {
	// Loss is the probability that a packet is dropped.
	Loss float64
	// Duplicate is the probability that a packet is delivered twice.
	Duplicate float64
	// Reorder is the probability that a packet is held back ReorderDelay
	// longer than the packets around it.
	Reorder float64
	// ReorderDelay is the extra delay of a reordered packet.
	ReorderDelay time.Duration
	// Delay is the one-way base latency.
	Delay time.Duration
	// Jitter adds a uniform extra delay in [0, Jitter) to each packet. As
	// with Linux netem, jitter larger than the gap between packets reorders
	// them.
	Jitter time.Duration
	// Rate, if positive, is the serialisation rate in bytes per second:
	// packets leave one after another, each taking len/Rate seconds.
	Rate int64
	// QueueLimit is the most packets in flight on the path; a packet
	// arriving at a full path is dropped. Zero means DefaultQueueLimit.
	QueueLimit int
	// MTU, if positive, is the largest packet the path carries, in bytes
	// of IP packet; a larger one is dropped (Network.TooBig is told).
	MTU int
	// Corrupt is the probability that a delivered copy has one bit
	// flipped, which the receiver's checksums should catch.
	Corrupt float64
}

// limit returns the effective queue limit.
func (imp Impairment) limit() int {
	if imp.QueueLimit <= 0 {
		return DefaultQueueLimit
	}
	return imp.QueueLimit
}
