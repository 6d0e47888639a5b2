package wire

import "encoding/binary"

// Lengths of the option groups AppendTo writes, each a multiple of 4 so that
// no trailing padding is needed.
const (
	optGroupMSS    = TCPOptionMSSLen               // MSS
	optGroupTS     = 2 + TCPOptionTimestampsLen    // NOP NOP TS, or SACK-OK TS
	optGroupSACKOK = 2 + TCPOptionSACKPermittedLen // NOP NOP SACK-OK
	optGroupWScale = 1 + TCPOptionWScaleLen        // NOP WS
	optGroupSACK   = 4                             // NOP NOP kind len, then 8 per block
	sackBlockLen   = 8                             // RFC 2018 §3
)

// Len is the number of bytes AppendTo writes for o: always a multiple of 4
// and at most TCPMaxOptionsLen.
func (o *TCPOptions) Len() int {
	n := o.baseLen()
	if k := o.sackBlocks(n); k > 0 {
		n += optGroupSACK + sackBlockLen*k
	}
	return n
}

// baseLen is the length of every group but the SACK blocks.
func (o *TCPOptions) baseLen() int {
	n := 0
	if o.HasMSS {
		n += optGroupMSS
	}
	if o.HasTS {
		n += optGroupTS
	} else if o.SACKPermitted {
		n += optGroupSACKOK
	}
	if o.HasWScale {
		n += optGroupWScale
	}
	return n
}

// sackBlocks is how many of the NumSACK blocks are encoded after base bytes
// of other options: as many as fit in the 40 option bytes, as Linux's
// tcp_established_options does (RFC 2018 §3 allows 3 next to timestamps).
func (o *TCPOptions) sackBlocks(base int) int {
	k := min(max(o.NumSACK, 0), MaxSACKBlocks)
	room := TCPMaxOptionsLen - base - optGroupSACK
	if room < sackBlockLen {
		return 0
	}
	return min(k, room/sackBlockLen)
}

// AppendTo appends the encoded options to b and returns the extended slice;
// it allocates only if b lacks capacity for Len() more bytes. The layout is
// Linux's (tcp_options_write): MSS; then SACK-permitted and timestamps
// together, or each after two NOPs; then NOP and window scale; then two NOPs
// and the SACK blocks. NOPs keep each option aligned and make the total a
// multiple of 4 (RFC 9293 §3.1, RFC 7323 Appendix A).
func (o *TCPOptions) AppendTo(b []byte) []byte {
	n := o.Len()
	if cap(b)-len(b) < n {
		nb := make([]byte, len(b), len(b)+n)
		copy(nb, b)
		b = nb
	}
	b = b[:len(b)+n]
	o.put(b[len(b)-n:])
	return b
}

// put writes the encoded options into b[:o.Len()].
func (o *TCPOptions) put(b []byte) {
	i := 0
	if o.HasMSS {
		b[i], b[i+1] = TCPOptionMSS, TCPOptionMSSLen
		binary.BigEndian.PutUint16(b[i+2:], o.MSS)
		i += optGroupMSS
	}
	if o.HasTS {
		if o.SACKPermitted {
			b[i], b[i+1] = TCPOptionSACKPermitted, TCPOptionSACKPermittedLen
		} else {
			b[i], b[i+1] = TCPOptionNOP, TCPOptionNOP
		}
		b[i+2], b[i+3] = TCPOptionTimestamps, TCPOptionTimestampsLen
		binary.BigEndian.PutUint32(b[i+4:], o.TSVal)
		binary.BigEndian.PutUint32(b[i+8:], o.TSEcr)
		i += optGroupTS
	} else if o.SACKPermitted {
		b[i], b[i+1] = TCPOptionNOP, TCPOptionNOP
		b[i+2], b[i+3] = TCPOptionSACKPermitted, TCPOptionSACKPermittedLen
		i += optGroupSACKOK
	}
	if o.HasWScale {
		b[i], b[i+1], b[i+2], b[i+3] = TCPOptionNOP, TCPOptionWScale, TCPOptionWScaleLen, o.WScale
		i += optGroupWScale
	}
	if k := o.sackBlocks(i); k > 0 {
		b[i], b[i+1] = TCPOptionNOP, TCPOptionNOP
		b[i+2], b[i+3] = TCPOptionSACK, byte(2+sackBlockLen*k)
		i += optGroupSACK
		for _, s := range o.SACK[:k] {
			binary.BigEndian.PutUint32(b[i:], s.Left)
			binary.BigEndian.PutUint32(b[i+4:], s.Right)
			i += sackBlockLen
		}
	}
}
