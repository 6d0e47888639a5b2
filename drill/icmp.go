package drill

import (
	"fmt"
	"strconv"
	"strings"
)

// The ICMP messages a script may inject, by the names packetdrill gives
// them (its icmp_packet.c tables): the error messages, which quote a
// packet we sent (RFC 792, RFC 4443 §3). ICMP and ICMPv6 number them
// differently, so a name means the message of the family the script
// runs in.

// icmpKind is one message type of one family and its codes by name.
type icmpKind struct {
	typ   uint8
	codes map[string]uint8
}

// icmpv4Unreachable are the Destination Unreachable codes (RFC 792, RFC
// 1122 §3.2.2.1, RFC 1812 §5.2.7.1).
var icmpv4Unreachable = map[string]uint8{
	"net_unreachable": 0, "host_unreachable": 1, "protocol_unreachable": 2,
	"port_unreachable": 3, "frag_needed": 4, "source_route_failed": 5,
	"net_unknown": 6, "host_unknown": 7, "source_host_isolated": 8,
	"net_prohibited": 9, "host_prohibited": 10, "net_unreachable_for_tos": 11,
	"host_unreachable_for_tos": 12, "packet_filtered": 13,
	"precedence_violation": 14, "precedence_cutoff": 15,
}

// icmpv6Unreachable are the ICMPv6 Destination Unreachable codes (RFC 4443
// §3.1); packetdrill also accepts net_unreachable for code 0.
var icmpv6Unreachable = map[string]uint8{
	"net_unreachable": 0, "no_route": 0, "admin_prohibited": 1, "not_neighbour": 2,
	"address_unreachable": 3, "port_unreachable": 4,
}

// icmpKinds are the error messages of each family by type name.
var icmpKinds = [...]map[string]icmpKind{
	IPv4: {
		"unreachable":       {typ: 3, codes: icmpv4Unreachable},
		"source_quench":     {typ: 4},
		"redirect":          {typ: 5},
		"time_exceeded":     {typ: 11},
		"parameter_problem": {typ: 12},
	},
	IPv6: {
		"unreachable":    {typ: 1, codes: icmpv6Unreachable},
		"packet_too_big": {typ: 2},
		"time_exceeded":  {typ: 3, codes: map[string]uint8{"exceeded_hop_limit": 0, "exceeded_frag_time": 1}},
		"parameter_problem": {typ: 4, codes: map[string]uint8{
			"header_field": 0, "unknown_next_header": 1, "unknown_option": 2}},
	},
}

// icmpQueries are the message types packetdrill names that are not
// errors: they quote nothing of ours, and answering them (echo) is not
// what a TCP script tests.
var icmpQueries = map[string]bool{
	"echo_reply": true, "echo_request": true, "timestamp_request": true, "timestamp_reply": true,
	"information_request": true, "information_reply": true,
	"address_mask_request": true, "address_mask_reply": true,
}

// mtuMessage reports whether type typ, code code of family f carries an
// MTU: ICMP's "fragmentation needed" (RFC 1191 §4), 16 bits, or ICMPv6's
// "packet too big" (RFC 4443 §3.2), 32 bits.
func mtuMessage(f Family, typ, code uint8) (ok bool, max uint64) {
	if f == IPv6 {
		return typ == 2 && code == 0, maxUint32
	}
	return typ == 3 && code == 4, 0xffff
}

// resolve returns the message's type and code in family f, and the four
// type-specific bytes of its header (the MTU, or zero).
func (m *ICMPMessage) resolve(f Family) (typ, code uint8, rest uint32, err error) {
	kind, ok := icmpKinds[f][m.Type]
	if n, numeric := numbered(m.Type, "type_"); numeric {
		kind, ok = icmpKind{typ: n}, true
	}
	if !ok {
		return 0, 0, 0, fmt.Errorf("ICMP type %s does not exist in %s", m.Type, f)
	}
	typ = kind.typ
	if m.Code != "" {
		c, ok := kind.codes[m.Code]
		if n, numeric := numbered(m.Code, "code_"); numeric {
			c, ok = n, true
		}
		if !ok {
			return 0, 0, 0, fmt.Errorf("ICMP code %s does not exist for %s in %s", m.Code, m.Type, f)
		}
		code = c
	}
	if m.HasMTU {
		carries, max := mtuMessage(f, typ, code)
		switch {
		case !carries:
			return 0, 0, 0, fmt.Errorf("an MTU is only for unreachable frag_needed (ipv4) or packet_too_big (ipv6), not %s %s in %s", m.Type, m.Code, f)
		case uint64(m.MTU) > max:
			return 0, 0, 0, fmt.Errorf("MTU %d out of range (at most %d in %s)", m.MTU, max, f)
		}
		rest = m.MTU
	}
	return typ, code, rest, nil
}

// numbered parses "type_N" or "code_N" (N at most 255), packetdrill's
// way of writing a number it has no name for.
func numbered(s, prefix string) (uint8, bool) {
	digits, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(digits, 10, 8)
	return uint8(n), err == nil
}

// checkICMP resolves the ICMP lines of a script in family f, so that a
// name the family does not have fails the script before it runs, as it
// fails packetdrill's parser.
func checkICMP(s *Script, f Family) error {
	for _, ev := range s.Events {
		if ev.Kind != EventPacket || ev.Packet.ICMP == nil {
			continue
		}
		if _, _, _, err := ev.Packet.ICMP.resolve(f); err != nil {
			return &ParseError{Path: s.Path, Line: ev.Line, Msg: err.Error()}
		}
	}
	return nil
}
