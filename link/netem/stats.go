package netem

// NetworkStats counts what a Network did with the packets sent on it. Each
// packet sent, and each duplicate copy made, ends up delivered, dropped for
// exactly one reason, or still pending:
//
//	Sent + Duplicated == Delivered + Lost + DroppedMalformed + DroppedNoRoute +
//	        DroppedPartition + DroppedRule + DroppedQueue + DroppedMTU +
//	        Network.Pending()
type NetworkStats struct {
	// Sent is the number of calls to Send.
	Sent uint64
	// Delivered is the number of packets handed to Deliver's callback,
	// duplicates included.
	Delivered uint64
	// DroppedMalformed counts packets too short or of an unknown IP version
	// to read a destination address from.
	DroppedMalformed uint64
	// DroppedNoRoute counts packets whose destination no host owns.
	DroppedNoRoute uint64
	// DroppedPartition counts packets between partitioned hosts.
	DroppedPartition uint64
	// DroppedRule counts packets dropped by a Rule.
	DroppedRule uint64
	// Lost counts packets dropped by a path's Loss probability.
	Lost uint64
	// DroppedQueue counts packets (or duplicate copies) dropped because a
	// path's QueueLimit was reached.
	DroppedQueue uint64
	// Duplicated counts extra copies made by a path's Duplicate probability.
	Duplicated uint64
	// Reordered counts packets held back by a path's ReorderDelay.
	Reordered uint64
	// DroppedMTU counts packets larger than a path's MTU.
	DroppedMTU uint64
	// Corrupted counts delivered copies with a bit flipped (they are
	// also counted in Delivered).
	Corrupted uint64
}
