package sim

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/synack-net/synack/trace"
	"github.com/synack-net/synack/wire"
)

// Transcript renders the segments the hosts sent, in order, one line
// each, in a compact form for tests: "A>B SYN,ACK seq=0 ack=1 len=0",
// prefixed by the virtual time when withTime is set. Sequence numbers are
// relative to the sender's ISN (the first SYN it sent on that connection)
// and acknowledgment numbers to the receiver's, as Wireshark shows them.
func Transcript(events []trace.Event, withTime bool) []string {
	isn := map[netip.AddrPort]map[netip.AddrPort]uint32{}
	lookup := func(from, to netip.AddrPort) uint32 {
		if m := isn[from]; m != nil {
			return m[to]
		}
		return 0
	}
	var lines []string
	names := hostNames(events)
	for _, e := range events {
		if e.Kind != trace.KindSend {
			continue
		}
		s := e.Segment
		if s.Flags&wire.FlagSYN != 0 {
			if isn[e.Local] == nil {
				isn[e.Local] = map[netip.AddrPort]uint32{}
			}
			if _, ok := isn[e.Local][e.Remote]; !ok {
				isn[e.Local][e.Remote] = s.Seq
			}
		}
		var b strings.Builder
		if withTime {
			fmt.Fprintf(&b, "%v ", e.Time)
		}
		fmt.Fprintf(&b, "%s>%s %s seq=%d", e.Host, names[e.Remote.Addr()], s.Flags, s.Seq-lookup(e.Local, e.Remote))
		if s.Flags&wire.FlagACK != 0 {
			fmt.Fprintf(&b, " ack=%d", s.Ack-lookup(e.Remote, e.Local))
		}
		fmt.Fprintf(&b, " len=%d", s.Len)
		lines = append(lines, b.String())
	}
	return lines
}

// hostNames maps each address seen in the events to its host's name.
func hostNames(events []trace.Event) map[netip.Addr]string {
	m := map[netip.Addr]string{}
	for _, e := range events {
		m[e.Local.Addr()] = e.Host
	}
	return m
}
