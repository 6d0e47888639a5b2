package stack

import (
	"syscall"

	"github.com/synack-net/synack/wire"
)

// The errno an ICMP error about a connection or datagram stands for, as
// Linux converts them (icmp_err_convert for ICMPv4, icmpv6_err_convert for
// ICMPv6). Path MTU messages (RFC 1191, RFC 8201) are handled before and
// are not in these tables; source quench (RFC 6633 §1) and redirects are
// ignored as on Linux.

// icmpClass is what one ICMP error means to a socket.
type icmpClass struct {
	errno syscall.Errno
	// fatal is Linux's hard error (RFC 1122 §4.2.3.9): a connected UDP
	// socket reports it at once.
	fatal bool
	// dropRequest is whether the message, quoting a half-open request's
	// SYN-ACK, ends the request. Linux's tcp_v4_err drops a request only
	// on net or host unreachable, time exceeded and parameter problem
	// (since "tcp: do not drop syn_recv on all icmp reports", so that a
	// redirect or an admin filter cannot kill a handshake); tcp_v6_err
	// drops it on every ICMPv6 error that icmpv6_err_convert calls fatal.
	dropRequest bool
	// revertBackoff is whether the message may undo a doubling of the RTO
	// (RFC 6069): Linux's tcp_v4_err takes net and host unreachable for
	// it, tcp_v6_err no route.
	revertBackoff bool
}

// icmpv4Unreachable is Linux's icmp_err_convert, indexed by the RFC 792 and
// RFC 1812 §5.2.7.1 destination-unreachable code.
var icmpv4Unreachable = [...]icmpClass{
	0:  {errno: syscall.ENETUNREACH},               // network unreachable
	1:  {errno: syscall.EHOSTUNREACH},              // host unreachable
	2:  {errno: syscall.ENOPROTOOPT, fatal: true},  // protocol unreachable
	3:  {errno: syscall.ECONNREFUSED, fatal: true}, // port unreachable
	4:  {errno: syscall.EMSGSIZE},                  // fragmentation needed (an MTU of 0)
	5:  {errno: syscall.EOPNOTSUPP},                // source route failed
	6:  {errno: syscall.ENETUNREACH, fatal: true},  // destination network unknown
	7:  {errno: syscall.EHOSTDOWN, fatal: true},    // destination host unknown
	8:  {errno: errNoNet, fatal: true},             // source host isolated
	9:  {errno: syscall.ENETUNREACH, fatal: true},  // network administratively prohibited
	10: {errno: syscall.EHOSTUNREACH, fatal: true}, // host administratively prohibited
	11: {errno: syscall.ENETUNREACH},               // network unreachable for TOS
	12: {errno: syscall.EHOSTUNREACH},              // host unreachable for TOS
	13: {errno: syscall.EHOSTUNREACH, fatal: true}, // communication administratively prohibited
	14: {errno: syscall.EHOSTUNREACH, fatal: true}, // host precedence violation
	15: {errno: syscall.EHOSTUNREACH, fatal: true}, // precedence cutoff in effect
}

// icmpv6Unreachable is icmpv6_err_convert's table for destination
// unreachable (RFC 4443 §3.1); every code is fatal there.
var icmpv6Unreachable = [...]icmpClass{
	wire.ICMPv6CodeNoRoute:            {errno: syscall.ENETUNREACH, fatal: true, dropRequest: true},
	wire.ICMPv6CodeAdminProhibited:    {errno: syscall.EACCES, fatal: true, dropRequest: true},
	wire.ICMPv6CodeBeyondScope:        {errno: syscall.EHOSTUNREACH, fatal: true, dropRequest: true},
	wire.ICMPv6CodeAddressUnreachable: {errno: syscall.EHOSTUNREACH, fatal: true, dropRequest: true},
	wire.ICMPv6CodePortUnreachable:    {errno: syscall.ECONNREFUSED, fatal: true, dropRequest: true},
	wire.ICMPv6CodePolicyFailed:       {errno: syscall.EACCES, fatal: true, dropRequest: true},
	wire.ICMPv6CodeRejectRoute:        {errno: syscall.EACCES, fatal: true, dropRequest: true},
}

// classifyICMP returns what an ICMP error of type typ and code means, or
// false for a message that is no error about a socket (and is dropped).
func classifyICMP(proto, typ, code uint8) (icmpClass, bool) {
	if proto == wire.ProtoICMPv4 {
		switch typ {
		case wire.ICMPv4TypeDestUnreachable:
			if int(code) >= len(icmpv4Unreachable) || code == wire.ICMPv4CodeFragmentationNeeded {
				return icmpClass{}, false // Linux ignores codes past NR_ICMP_UNREACH
			}
			c := icmpv4Unreachable[code]
			c.dropRequest = code == wire.ICMPv4CodeNetUnreachable || code == wire.ICMPv4CodeHostUnreachable
			c.revertBackoff = c.dropRequest
			return c, true
		case wire.ICMPv4TypeTimeExceeded:
			return icmpClass{errno: syscall.EHOSTUNREACH, dropRequest: true}, true
		case wire.ICMPv4TypeParamProblem:
			return icmpClass{errno: syscall.EPROTO, fatal: true, dropRequest: true}, true
		}
		return icmpClass{}, false
	}
	switch typ {
	case wire.ICMPv6TypeDestUnreachable:
		if int(code) < len(icmpv6Unreachable) {
			c := icmpv6Unreachable[code]
			c.revertBackoff = code == wire.ICMPv6CodeNoRoute
			return c, true
		}
		// icmpv6_err_convert: an unknown code keeps its default, EPROTO.
		return icmpClass{errno: syscall.EPROTO, fatal: true, dropRequest: true}, true
	case wire.ICMPv6TypeTimeExceeded:
		return icmpClass{errno: syscall.EHOSTUNREACH}, true
	case wire.ICMPv6TypeParamProblem:
		return icmpClass{errno: syscall.EPROTO, fatal: true, dropRequest: true}, true
	}
	return icmpClass{}, false
}
