package wire

import "strings"

// TCPFlags is the control-bits byte of a TCP header (RFC 9293 §3.1).
type TCPFlags uint8

// The TCP control bits.
const (
	FlagFIN TCPFlags = 1 << iota
	FlagSYN
	FlagRST
	FlagPSH
	FlagACK
	FlagURG
	FlagECE
	FlagCWR
)

// Has reports whether all bits of g are set in f.
func (f TCPFlags) Has(g TCPFlags) bool { return f&g == g }

var flagNames = [...]string{"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"}

// String lists the set bits in the conventional order, joined by commas,
// e.g. "SYN,ACK"; an empty set is "none".
func (f TCPFlags) String() string {
	if f == 0 {
		return "none"
	}
	order := [...]TCPFlags{FlagSYN, FlagFIN, FlagRST, FlagPSH, FlagACK, FlagURG, FlagECE, FlagCWR}
	var parts []string
	for _, b := range order {
		if f&b != 0 {
			for i := range flagNames {
				if TCPFlags(1)<<i == b {
					parts = append(parts, flagNames[i])
				}
			}
		}
	}
	return strings.Join(parts, ",")
}
