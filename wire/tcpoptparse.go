package wire

import "encoding/binary"

// TCP option kinds (RFC 9293 §3.2, RFC 7323, RFC 2018).
const (
	TCPOptionEOL           = 0
	TCPOptionNOP           = 1
	TCPOptionMSS           = 2
	TCPOptionWScale        = 3
	TCPOptionSACKPermitted = 4
	TCPOptionSACK          = 5
	TCPOptionTimestamps    = 8
)

// Lengths of the fixed-size TCP options, kind and length bytes included.
const (
	TCPOptionMSSLen           = 4  // RFC 9293 §3.2
	TCPOptionWScaleLen        = 3  // RFC 7323 §2.2
	TCPOptionSACKPermittedLen = 2  // RFC 2018 §2
	TCPOptionTimestampsLen    = 10 // RFC 7323 §3.2
)

// TCPMaxOptionsLen is the most option bytes a header can carry: a data
// offset of 15 words less the 20-byte fixed header (RFC 9293 §3.1).
const TCPMaxOptionsLen = TCPMaxHeaderLen - TCPMinHeaderLen

// ParseTCPOptions decodes the option bytes of a TCP header into o, which it
// zeroes first. End of Option List stops parsing (RFC 9293 §3.2); NOPs and
// options of unknown kinds are stepped over. It returns ErrBadOption, and
// leaves o zero, when an option's length byte is missing or below 2, when
// an option runs past the end of opts, or when an MSS, window scale,
// SACK-permitted, SACK or timestamps option has a length its definition does
// not allow. A later option of a kind overrides an earlier one. The window
// scale is stored as sent, even above 14: clamping is the receiver's job
// (RFC 7323 §2.3).
func ParseTCPOptions(opts []byte, o *TCPOptions) error {
	*o = TCPOptions{}
	if err := parseTCPOptions(opts, o); err != nil {
		*o = TCPOptions{}
		return err
	}
	return nil
}

func parseTCPOptions(opts []byte, o *TCPOptions) error {
	for i := 0; i < len(opts); {
		kind := opts[i]
		switch kind {
		case TCPOptionEOL:
			return nil
		case TCPOptionNOP:
			i++
			continue
		}
		// RFC 9293 §3.2: every other option has a length byte counting
		// the kind and length bytes, and an illegal length (e.g. zero)
		// must be handled, here by rejecting the segment (MUST-7).
		if len(opts)-i < 2 {
			return ErrBadOption
		}
		n := int(opts[i+1])
		if n < 2 || n > len(opts)-i {
			return ErrBadOption
		}
		v := opts[i+2 : i+n]
		switch kind {
		case TCPOptionMSS: // RFC 9293 §3.2
			if n != TCPOptionMSSLen {
				return ErrBadOption
			}
			o.MSS, o.HasMSS = binary.BigEndian.Uint16(v), true
		case TCPOptionWScale: // RFC 7323 §2.2
			if n != TCPOptionWScaleLen {
				return ErrBadOption
			}
			o.WScale, o.HasWScale = v[0], true
		case TCPOptionSACKPermitted: // RFC 2018 §2
			if n != TCPOptionSACKPermittedLen {
				return ErrBadOption
			}
			o.SACKPermitted = true
		case TCPOptionSACK: // RFC 2018 §3: 2 + 8n bytes, 1 <= n <= 4
			if err := parseSACK(v, o); err != nil {
				return err
			}
		case TCPOptionTimestamps: // RFC 7323 §3.2
			if n != TCPOptionTimestampsLen {
				return ErrBadOption
			}
			o.TSVal, o.TSEcr, o.HasTS = binary.BigEndian.Uint32(v), binary.BigEndian.Uint32(v[4:]), true
		}
		i += n
	}
	return nil
}

// parseSACK decodes the blocks v of a SACK option (RFC 2018 §3).
func parseSACK(v []byte, o *TCPOptions) error {
	if len(v) == 0 || len(v)%8 != 0 || len(v)/8 > MaxSACKBlocks {
		return ErrBadOption
	}
	o.SACK = [MaxSACKBlocks]SACKBlock{}
	o.NumSACK = len(v) / 8
	for k := range o.NumSACK {
		o.SACK[k] = SACKBlock{
			Left:  binary.BigEndian.Uint32(v[8*k:]),
			Right: binary.BigEndian.Uint32(v[8*k+4:]),
		}
	}
	return nil
}
