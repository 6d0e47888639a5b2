package netstack

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"time"
)

// Dial is DialContext with context.Background().
func (n *Net) Dial(network, address string) (net.Conn, error) {
	return n.DialContext(context.Background(), network, address)
}

// DialContext connects to address on network "tcp", "udp" or "ping"
// (each with an optional 4 or 6), as wireguard-go's netstack does:
// address is "host:port" (for ping, a host alone), a host name is looked
// up with the DNS servers, and its addresses of the network's family
// (IPv6 first, if the interface has one) are tried in turn, each with an
// equal share of the time before ctx's deadline (at least 2 s), as
// net.Dialer does. If all fail, the first error is returned.
func (n *Net) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	proto, family, ok := splitNetwork(network)
	if !ok {
		return nil, &net.OpError{Op: "dial", Net: network, Err: net.UnknownNetworkError(network)}
	}
	host, port := address, 0
	if proto != "ping" {
		h, p, err := net.SplitHostPort(address)
		if err != nil {
			return nil, &net.OpError{Op: "dial", Net: network, Err: err}
		}
		pn, err := strconv.ParseUint(p, 10, 16)
		if err != nil {
			return nil, &net.OpError{Op: "dial", Net: network, Err: &net.AddrError{Err: "invalid port", Addr: address}}
		}
		host, port = h, int(pn)
	}
	ips, err := n.dns.LookupNetIP(ctx, family, host)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: err}
	}
	var addrs []netip.AddrPort
	for _, ip := range ips {
		if family == "ip" || (family == "ip4") == ip.Is4() {
			addrs = append(addrs, netip.AddrPortFrom(ip, uint16(port)))
		}
	}
	if len(addrs) == 0 {
		return nil, &net.OpError{Op: "dial", Net: network, Err: &net.AddrError{Err: "no suitable address found", Addr: host}}
	}
	var first error
	for i, a := range addrs {
		actx, cancel := partialDeadline(ctx, len(addrs)-i)
		c, err := n.dialOne(actx, proto, a)
		cancel()
		if err == nil {
			return c, nil
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, first
}

func (n *Net) dialOne(ctx context.Context, proto string, a netip.AddrPort) (net.Conn, error) {
	switch proto {
	case "tcp":
		return n.DialContextTCPAddrPort(ctx, a)
	case "udp":
		return n.DialUDPAddrPort(netip.AddrPort{}, a)
	default:
		return n.DialPingAddr(netip.Addr{}, a.Addr())
	}
}

// splitNetwork splits "tcp6" into "tcp" and the lookup family "ip6".
func splitNetwork(network string) (proto, family string, ok bool) {
	proto, family = network, "ip"
	if l := len(network); l > 0 && (network[l-1] == '4' || network[l-1] == '6') {
		proto, family = network[:l-1], "ip"+network[l-1:]
	}
	switch proto {
	case "tcp", "udp", "ping":
		return proto, family, true
	}
	return "", "", false
}

// partialDeadline gives one of n remaining attempts its share of the time
// before ctx's deadline, but at least 2 s (or all that is left), as
// net.Dialer does.
func partialDeadline(ctx context.Context, n int) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok || n <= 1 {
		return ctx, func() {}
	}
	left := time.Until(deadline)
	share := left / time.Duration(n)
	if share < 2*time.Second {
		share = min(2*time.Second, left)
	}
	return context.WithTimeout(ctx, share)
}
