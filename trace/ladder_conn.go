package trace

import "net/netip"

// connection is the connection a ladder shows: its two hosts, side 0 on the
// left and side 1 on the right, and each host's end of it.
type connection struct {
	host [2]string
	addr [2]netip.AddrPort
}

// findConnection picks the first connection between hosts left and right:
// preferably one both hosts reported, else the first one either reported.
func findConnection(events []Event, left, right string) (connection, bool) {
	for _, e := range events {
		if e.Host != left || !e.Remote.IsValid() {
			continue
		}
		for _, f := range events {
			if f.Host == right && f.Local == e.Remote && f.Remote == e.Local {
				return connection{host: [2]string{left, right}, addr: [2]netip.AddrPort{e.Local, e.Remote}}, true
			}
		}
	}
	for _, e := range events {
		if !e.Remote.IsValid() {
			continue
		}
		switch e.Host {
		case left:
			return connection{host: [2]string{left, right}, addr: [2]netip.AddrPort{e.Local, e.Remote}}, true
		case right:
			return connection{host: [2]string{left, right}, addr: [2]netip.AddrPort{e.Remote, e.Local}}, true
		}
	}
	return connection{}, false
}

// side returns 0 if e is the left host's event about the connection, 1 if it
// is the right host's, and -1 otherwise.
func (c connection) side(e Event) int {
	for s := range 2 {
		if e.Host == c.host[s] && e.Local == c.addr[s] &&
			(e.Remote == c.addr[1-s] || !e.Remote.IsValid()) {
			return s
		}
	}
	return -1
}

// events returns a new slice of the events about the connection, in their
// original order.
func (c connection) events(events []Event) []Event {
	var out []Event
	for _, e := range events {
		if c.side(e) >= 0 {
			out = append(out, e)
		}
	}
	return out
}
