package drill

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/synack-net/synack/wire"
)

// The dialect lays options out on the wire exactly in the written order,
// so the runner encodes them itself rather than through wire.TCPOptions,
// whose layout is fixed.

// optionLen is the number of bytes o takes on the wire.
func optionLen(o TCPOption) int {
	switch o.Kind {
	case OptEOL, OptNOP:
		return 1
	case OptMSS:
		return wire.TCPOptionMSSLen
	case OptWScale:
		return wire.TCPOptionWScaleLen
	case OptSACKOK:
		return wire.TCPOptionSACKPermittedLen
	case OptSACK:
		return 2 + 8*len(o.Blocks)
	case OptTS:
		return wire.TCPOptionTimestampsLen
	}
	return 0
}

// optionsLen is the number of bytes opts take on the wire.
func optionsLen(opts []TCPOption) int {
	n := 0
	for _, o := range opts {
		n += optionLen(o)
	}
	return n
}

// appendOptions appends the wire form of opts to b.
func appendOptions(b []byte, opts []TCPOption) []byte {
	for _, o := range opts {
		switch o.Kind {
		case OptEOL:
			b = append(b, wire.TCPOptionEOL)
		case OptNOP:
			b = append(b, wire.TCPOptionNOP)
		case OptMSS:
			b = append(b, wire.TCPOptionMSS, wire.TCPOptionMSSLen)
			b = binary.BigEndian.AppendUint16(b, o.Value)
		case OptWScale:
			b = append(b, wire.TCPOptionWScale, wire.TCPOptionWScaleLen, byte(o.Value))
		case OptSACKOK:
			b = append(b, wire.TCPOptionSACKPermitted, wire.TCPOptionSACKPermittedLen)
		case OptSACK:
			b = append(b, wire.TCPOptionSACK, byte(2+8*len(o.Blocks)))
			for _, s := range o.Blocks {
				b = binary.BigEndian.AppendUint32(b, s.Left)
				b = binary.BigEndian.AppendUint32(b, s.Right)
			}
		case OptTS:
			b = append(b, wire.TCPOptionTimestamps, wire.TCPOptionTimestampsLen)
			b = binary.BigEndian.AppendUint32(b, o.TSVal)
			b = binary.BigEndian.AppendUint32(b, o.TSEcr)
		}
	}
	return b
}

// rawOption is one option as found in a header: its kind, its length
// byte (1 for EOL and NOP) and its data after the kind and length bytes.
type rawOption struct {
	kind byte
	len  int
	data []byte
}

// splitOptions cuts the option bytes of a header into options. Everything
// after an EOL is padding and is not returned. A length that runs past
// the end is an error.
func splitOptions(b []byte) ([]rawOption, error) {
	var out []rawOption
	for i := 0; i < len(b); {
		k := b[i]
		if k == wire.TCPOptionEOL || k == wire.TCPOptionNOP {
			out = append(out, rawOption{kind: k, len: 1})
			i++
			if k == wire.TCPOptionEOL {
				return out, nil
			}
			continue
		}
		if i+1 >= len(b) || int(b[i+1]) < 2 || i+int(b[i+1]) > len(b) {
			return out, fmt.Errorf("option %d at offset %d has a bad length", k, i)
		}
		n := int(b[i+1])
		out = append(out, rawOption{kind: k, len: n, data: b[i+2 : i+n]})
		i += n
	}
	return out, nil
}

// tsOf returns the TS option's value and echo reply, if present.
func tsOf(opts []rawOption) (val, ecr uint32, ok bool) {
	for _, o := range opts {
		if o.kind == wire.TCPOptionTimestamps && len(o.data) == 8 {
			return binary.BigEndian.Uint32(o.data), binary.BigEndian.Uint32(o.data[4:]), true
		}
	}
	return 0, 0, false
}

// formatRawOptions renders options in the dialect's notation, with SACK
// blocks moved by sackOffset and the TS value replaced by tsVal when
// mapTS is set.
func formatRawOptions(opts []rawOption, sackOffset uint32, tsVal uint32, mapTS bool) string {
	parts := make([]string, 0, len(opts))
	for _, o := range opts {
		parts = append(parts, formatRawOption(o, sackOffset, tsVal, mapTS))
	}
	return "<" + strings.Join(parts, ",") + ">"
}

func formatRawOption(o rawOption, sackOffset uint32, tsVal uint32, mapTS bool) string {
	d := o.data
	switch {
	case o.kind == wire.TCPOptionEOL:
		return "eol"
	case o.kind == wire.TCPOptionNOP:
		return "nop"
	case o.kind == wire.TCPOptionMSS && len(d) == 2:
		return fmt.Sprintf("mss %d", binary.BigEndian.Uint16(d))
	case o.kind == wire.TCPOptionWScale && len(d) == 1:
		return fmt.Sprintf("wscale %d", d[0])
	case o.kind == wire.TCPOptionSACKPermitted && len(d) == 0:
		return "sackOK"
	case o.kind == wire.TCPOptionSACK && len(d)%8 == 0:
		var b strings.Builder
		b.WriteString("sack")
		for i := 0; i+8 <= len(d); i += 8 {
			fmt.Fprintf(&b, " %d:%d", binary.BigEndian.Uint32(d[i:])-sackOffset, binary.BigEndian.Uint32(d[i+4:])-sackOffset)
		}
		return b.String()
	case o.kind == wire.TCPOptionTimestamps && len(d) == 8:
		val := binary.BigEndian.Uint32(d)
		if mapTS {
			val = tsVal
		}
		return fmt.Sprintf("TS val %d ecr %d", val, binary.BigEndian.Uint32(d[4:]))
	}
	return fmt.Sprintf("opt%d len %d", o.kind, o.len)
}

// formatOptions renders script options in the dialect's notation.
func formatOptions(opts []TCPOption) string {
	parts := make([]string, 0, len(opts))
	for _, o := range opts {
		switch o.Kind {
		case OptEOL:
			parts = append(parts, "eol")
		case OptNOP:
			parts = append(parts, "nop")
		case OptMSS:
			parts = append(parts, fmt.Sprintf("mss %d", o.Value))
		case OptWScale:
			parts = append(parts, fmt.Sprintf("wscale %d", o.Value))
		case OptSACKOK:
			parts = append(parts, "sackOK")
		case OptSACK:
			var b strings.Builder
			b.WriteString("sack")
			for _, s := range o.Blocks {
				fmt.Fprintf(&b, " %d:%d", s.Left, s.Right)
			}
			parts = append(parts, b.String())
		case OptTS:
			parts = append(parts, fmt.Sprintf("TS val %d ecr %d", o.TSVal, o.TSEcr))
		}
	}
	return "<" + strings.Join(parts, ",") + ">"
}
