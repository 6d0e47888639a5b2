package stack

import (
	"net/netip"
	"sync"
	"sync/atomic"
)

// datagrams is a host's datagram state: the UDP and ping socket tables,
// the queue of packets their users have written, and the ICMP rate
// limiter. Its zero value is ready to use.
type datagrams struct {
	mu       sync.Mutex // guards the tables and counters below; before a socket's mu
	udp      map[netip.AddrPort]*UDPSocket
	udpPorts map[familyPort]int // sockets bound to each port, per family
	udpNext  uint32             // RFC 6056 next_ephemeral for UDP
	pings    map[pingKey]*PingSocket
	pingNext uint32              // RFC 6056 next_ephemeral for ping identifiers
	ufl      *UDPForwardListener // udp_forward.go
	uflOn    atomic.Bool         // ufl != nil, for Deliver without the lock

	out dgramOut

	limit icmpLimiter // guarded by Host.mu, like the output queue it gates
}

// familyPort is a port of one address family.
type familyPort struct {
	v6   bool
	port uint16
}

func familyPortOf(a netip.AddrPort) familyPort {
	return familyPort{v6: a.Addr().Is6(), port: a.Port()}
}

// unspecified returns the unspecified address of a's family.
func unspecified(v6 bool) netip.Addr {
	if v6 {
		return netip.IPv6Unspecified()
	}
	return netip.IPv4Unspecified()
}

// crashDatagrams forgets every UDP and ping socket and every packet
// queued for output, as a reboot does; users blocked on a socket are
// woken and find it closed.
func (h *Host) crashDatagrams() {
	d := &h.dgram
	d.mu.Lock()
	var socks []*dgramSock
	for _, s := range d.udp {
		socks = append(socks, &s.dgramSock)
	}
	for _, p := range d.pings {
		socks = append(socks, &p.dgramSock)
	}
	socks = append(socks, d.crashForwardUDP()...)
	d.udp, d.udpPorts, d.pings = nil, nil, nil
	d.mu.Unlock()
	d.out.reset()
	for _, s := range socks {
		if s.shut() {
			s.wake()
		}
	}
}
