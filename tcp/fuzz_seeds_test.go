package tcp

import "github.com/synack-net/synack/wire"

// The seeds of FuzzTCB: from every start state, the exchanges its tests
// exercise by hand, written with the encoders below.

// fuzzSeg encodes an opSegment: flags, SEQ and ACK offsets from RCV.NXT and
// SND.UNA, the window, no options and n×8 payload bytes.
func fuzzSeg(flags wire.TCPFlags, seqOff, ackOff int16, win uint16, n byte) []byte {
	return []byte{opSegment, byte(flags), byte(uint16(seqOff) >> 8), byte(seqOff), byte(uint16(ackOff) >> 8), byte(ackOff),
		byte(win >> 8), byte(win), 0, n}
}

// synOpts encodes an opSegment carrying SYN (and ACK when ack is set) with
// MSS 1460, window scale 7, SACK permitted and timestamps, as Linux sends.
func synOpts(ack bool) []byte {
	flags := wire.FlagSYN
	if ack {
		flags |= wire.FlagACK
	}
	return []byte{opSegment, byte(flags), 0xff, 0xff, 0, 1, 0xff, 0xff, 0x0f, 0x05, 0xb4, 7, 0, 1, 0, 0, 0}
}

func fuzzCat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func fuzzTCBSeeds() [][]byte {
	ack := wire.FlagACK
	data := fuzzSeg(ack|wire.FlagPSH, 0, 0, 65535, 16)
	scripts := [][]byte{
		// Data both ways, read, acknowledged, time passing.
		fuzzCat(data, []byte{opRead, 255, opWrite, 100}, fuzzSeg(ack, 128, 0, 65535, 0),
			[]byte{opAdvance, 0x45}, fuzzSeg(ack, 128, 3200, 65535, 0), []byte{opDeadline}),
		// The peer's FIN, then our close and the final ACK.
		fuzzCat(fuzzSeg(ack|wire.FlagFIN, 0, 0, 65535, 0), []byte{opRead, 1, opClose}, fuzzSeg(ack, 1, 1, 65535, 0), []byte{opAdvance, 0xff}),
		// An RST at RCV.NXT, and one just beside it (a challenge ACK).
		fuzzCat(fuzzSeg(wire.FlagRST, 1, 0, 0, 0), fuzzSeg(wire.FlagRST, 0, 0, 0, 0)),
		// A SYN in the window; out-of-window data; an ACK of unsent data.
		fuzzCat(fuzzSeg(wire.FlagSYN, 0, 0, 65535, 0), fuzzSeg(ack, 30000, 0, 65535, 4), fuzzSeg(ack, 0, 20000, 65535, 0)),
		// Data queued against a closed window: the persist timer, then
		// retransmissions to the end.
		fuzzCat([]byte{opWrite, 200}, fuzzSeg(ack, 0, 0, 0, 0), []byte{opDeadline, opDeadline, opDeadline}, fuzzSeg(ack, 0, 0, 65535, 0),
			[]byte{opDeadline, opDeadline, opDeadline, opDeadline, opDeadline, opDeadline, opDeadline, opDeadline}),
		// Out-of-order data, then the hole filled; a half-close.
		fuzzCat(fuzzSeg(ack, 256, 0, 65535, 32), fuzzSeg(ack, 768, 0, 65535, 32), fuzzSeg(ack, 0, 0, 65535, 32), []byte{opRead, 255, 0x80 | opClose}),
		// Soft and hard ICMP errors, an abort.
		fuzzCat([]byte{opWrite, 10, opICMP, 1, 0x80 | opICMP, 2, opAbort}),
		// SYNs and SYN-ACKs with options (a new handshake from LISTEN or
		// SYN_SENT), completed by an ACK.
		fuzzCat(synOpts(false), synOpts(true), fuzzSeg(ack, 1, 1, 65535, 0), []byte{0x80 | opAbort, opRead, 1}),
	}
	var seeds [][]byte
	for start := range fuzzStarts {
		for _, o := range []byte{0, 0x80} {
			seeds = append(seeds, fuzzCat([]byte{byte(start) | o}, scripts[(start+int(o>>7))%len(scripts)]))
		}
	}
	return append(seeds, fuzzCat([]byte{3}, scripts[0]), fuzzCat([]byte{3}, scripts[4]), fuzzCat([]byte{0}, scripts[7]), fuzzCat([]byte{1}, scripts[7]))
}
