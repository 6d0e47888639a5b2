package stack

import (
	"encoding/binary"
	"net/netip"
	"syscall"

	"github.com/synack-net/synack/wire"
)

// PingSocket is an ICMP echo socket, as Linux's ping sockets
// (socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP), and IPPROTO_ICMPV6): the
// user writes echo requests, header included, and reads the echo replies
// that carry the socket's identifier, header included. The socket
// chooses the identifier and writes it into every request; the sequence
// number and data are the user's. Its methods are non-blocking user
// calls, like UDPSocket's.
type PingSocket struct {
	dgramSock
	key    pingKey
	local  netip.Addr // an unspecified address takes replies to any of ours
	remote netip.Addr // the connected peer, or invalid
}

// pingKey finds a ping socket: its family and identifier.
type pingKey struct {
	v6 bool
	id uint16
}

// OpenPing opens a ping socket of one family (v6: ICMPv6) bound to local
// (invalid or unspecified: any of the host's addresses) and, if remote is
// valid, connected to it: it then takes replies from remote only and
// sends to it by default. The identifier is chosen like an ephemeral
// port (RFC 6056 Algorithm 3, over 1–65535), unique in the family.
func (h *Host) OpenPing(v6 bool, local, remote netip.Addr) (*PingSocket, error) {
	local, remote = local.Unmap(), remote.Unmap()
	if !local.IsValid() {
		local = unspecified(v6)
	}
	switch {
	case local.Is6() != v6 || remote.IsValid() && remote.Is6() != v6:
		return nil, syscall.EAFNOSUPPORT
	case !local.IsUnspecified() && !h.isLocal(local):
		return nil, syscall.EADDRNOTAVAIL
	case remote.IsValid() && remote.IsUnspecified():
		return nil, syscall.EINVAL
	}
	p := &PingSocket{local: local, remote: remote}
	p.init(h)
	d := &h.dgram
	d.mu.Lock()
	defer d.mu.Unlock()
	peer := netip.AddrPortFrom(unspecified(v6), 0)
	if remote.IsValid() {
		peer = netip.AddrPortFrom(remote, 0)
	}
	id, ok := h.pickPort(local, peer, 1, 0xffff, &d.pingNext, func(id uint16) bool {
		return d.pings[pingKey{v6: v6, id: id}] == nil
	})
	if !ok {
		return nil, syscall.EADDRINUSE
	}
	p.key = pingKey{v6: v6, id: id}
	if d.pings == nil {
		d.pings = make(map[pingKey]*PingSocket)
	}
	d.pings[p.key] = p
	return p, nil
}

// ID returns the identifier the socket writes into its echo requests.
func (p *PingSocket) ID() uint16 { return p.key.id }

// LocalAddr returns the bound address (unspecified for any).
func (p *PingSocket) LocalAddr() netip.Addr { return p.local }

// RemoteAddr returns the connected peer, or the zero Addr.
func (p *PingSocket) RemoteAddr() netip.Addr { return p.remote }

// accepts reports whether a reply from src to our dst is the socket's.
func (p *PingSocket) accepts(src, dst netip.Addr) bool {
	return (p.local.IsUnspecified() || p.local == dst) && (!p.remote.IsValid() || p.remote == src)
}

// SendTo sends msg, an ICMP echo request (type 8, or 128 for ICMPv6;
// code 0; the identifier and checksum are replaced), to to, or to the
// connected peer when to is the zero Addr. Other messages are EINVAL, as
// Linux's ping_common_sendmsg has it; the other errors are those of
// UDPSocket.SendTo.
func (p *PingSocket) SendTo(msg []byte, to netip.Addr) error {
	to = to.Unmap()
	if !to.IsValid() {
		if !p.remote.IsValid() {
			return syscall.EDESTADDRREQ
		}
		to = p.remote
	}
	request, _ := echoTypes(p.key.v6)
	switch {
	case to.IsUnspecified() || len(msg) < wire.ICMPHeaderLen || msg[0] != request || msg[1] != 0:
		return syscall.EINVAL
	case to.Is6() != p.key.v6:
		return syscall.EAFNOSUPPORT
	}
	src, hl, buf, err := p.prepare(p.local, to, len(msg))
	if err != nil {
		return err
	}
	n := hl + len(msg)
	pkt := (*buf)[:n]
	rest := uint32(p.key.id)<<16 | uint32(binary.BigEndian.Uint16(msg[icmpEchoSeq:]))
	ttl := p.h.cfg.TTL
	if p.key.v6 {
		wire.PutICMPv6(pkt[hl:], src, to, request, 0, rest, msg[wire.ICMPHeaderLen:])
		wire.PutIPv6Header(pkt, src, to, wire.ProtoICMPv6, ttl, len(msg))
	} else {
		wire.PutICMPv4(pkt[hl:], request, 0, rest, msg[wire.ICMPHeaderLen:])
		wire.PutIPv4Header(pkt, src, to, wire.ProtoICMPv4, ttl, uint16(p.ipID.Add(1)), len(msg))
	}
	p.h.queueDatagram(outDatagram{owner: &p.dgramSock, buf: buf, n: n, echo: true})
	return nil
}

// RecvFrom takes the next echo reply (ICMP header and data) into p,
// truncated to len(p), and returns its length and sender; EAGAIN means
// none has arrived, EBADF that the socket is closed.
func (p *PingSocket) RecvFrom(b []byte) (int, netip.Addr, error) {
	n, from, err := p.recv(b)
	return n, from.Addr(), err
}

// Close closes the socket and frees its identifier.
func (p *PingSocket) Close() {
	if !p.shut() {
		return
	}
	d := &p.h.dgram
	d.mu.Lock()
	if d.pings[p.key] == p {
		delete(d.pings, p.key)
	}
	d.mu.Unlock()
	p.wake()
}
