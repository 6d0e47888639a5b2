package stack

import (
	"net/netip"
	"sync/atomic"
	"syscall"
)

// UDPSocket is a UDP socket of a host (RFC 768): bound to a local address
// and port, and, when made by ConnectUDP, connected to one remote address
// and port, from which alone it then receives. Its methods are
// non-blocking user calls; a caller that must wait does so until the
// function set with SetWaker is called.
type UDPSocket struct {
	dgramSock
	local  netip.AddrPort // an unspecified address receives for all of its family
	dual   bool           // bound to both families' unspecified addresses
	remote netip.AddrPort // the connected peer; invalid when not connected
	keys   []netip.AddrPort

	noCheck6Tx atomic.Bool // RFC 6935: send IPv6 datagrams with a zero checksum
	noCheck6Rx atomic.Bool // RFC 6936: accept zero-checksum IPv6 datagrams
}

// BindUDP opens a UDP socket bound to local, as socket(2) and bind(2) do.
// An unspecified address receives datagrams for all of the host's
// addresses of its family; dual (with an unspecified local address) binds
// both families, like Go's "udp" network with no address. Port 0 picks an
// ephemeral port. A port taken by another socket of the family, on the
// same address or an unspecified one, is EADDRINUSE (there is no
// SO_REUSEADDR); an address that is not the host's, EADDRNOTAVAIL.
func (h *Host) BindUDP(local netip.AddrPort, dual bool) (*UDPSocket, error) {
	local = netip.AddrPortFrom(local.Addr().Unmap(), local.Port())
	if !local.Addr().IsValid() {
		local = netip.AddrPortFrom(unspecified(dual), local.Port())
	}
	if dual && !local.Addr().IsUnspecified() {
		return nil, syscall.EINVAL
	}
	if dual {
		local = netip.AddrPortFrom(netip.IPv6Unspecified(), local.Port())
	}
	if !local.Addr().IsUnspecified() && !h.isLocal(local.Addr()) {
		return nil, syscall.EADDRNOTAVAIL
	}
	s := &UDPSocket{local: local, dual: dual}
	s.init(h)
	return s, h.bindUDP(s)
}

// ConnectUDP opens a UDP socket connected to remote, as socket(2) and
// connect(2) do: local as in BindUDP, except that an unspecified address
// is replaced by the host's source address for remote (Linux binds a
// connected socket to it).
func (h *Host) ConnectUDP(local, remote netip.AddrPort) (*UDPSocket, error) {
	remote = netip.AddrPortFrom(remote.Addr().Unmap(), remote.Port())
	local = netip.AddrPortFrom(local.Addr().Unmap(), local.Port())
	if !remote.Addr().IsValid() || remote.Addr().IsUnspecified() || remote.Port() == 0 {
		return nil, syscall.EINVAL
	}
	src := local.Addr()
	switch {
	case !src.IsValid() || src.IsUnspecified():
		var ok bool
		if src, ok = h.sourceFor(remote.Addr()); !ok {
			return nil, syscall.ENETUNREACH
		}
	case src.Is4() != remote.Addr().Is4():
		return nil, syscall.EAFNOSUPPORT
	case !h.isLocal(src):
		return nil, syscall.EADDRNOTAVAIL
	}
	s := &UDPSocket{local: netip.AddrPortFrom(src, local.Port()), remote: remote}
	s.init(h)
	return s, h.bindUDP(s)
}

// LocalAddr returns the bound address and port.
func (s *UDPSocket) LocalAddr() netip.AddrPort { return s.local }

// RemoteAddr returns the connected peer, or the zero AddrPort.
func (s *UDPSocket) RemoteAddr() netip.AddrPort { return s.remote }

// Dual reports whether the socket is bound to both address families.
func (s *UDPSocket) Dual() bool { return s.dual }

// SetZeroChecksum6 sets what RFC 6935 and RFC 6936 allow a tunnel
// endpoint: send IPv6 datagrams without a checksum, and accept those
// that carry none (Linux's UDP_NO_CHECK6_TX and UDP_NO_CHECK6_RX). Both
// are off by default, as RFC 8200 §8.1 requires.
func (s *UDPSocket) SetZeroChecksum6(send, receive bool) {
	s.noCheck6Tx.Store(send)
	s.noCheck6Rx.Store(receive)
}

// RecvFrom takes the next datagram into p (truncated to len(p), the rest
// discarded, as recvfrom(2) does) and returns its length and sender. A
// pending error (ECONNREFUSED after a port unreachable on a connected
// socket) is returned first and cleared; syscall.EAGAIN means nothing has
// arrived; syscall.EBADF, that the socket is closed.
func (s *UDPSocket) RecvFrom(p []byte) (int, netip.AddrPort, error) { return s.recv(p) }

// Close unbinds the socket and drops what it had received. Datagrams it
// sent that still wait for the link go out.
func (s *UDPSocket) Close() {
	if !s.shut() {
		return
	}
	d := &s.h.dgram
	d.mu.Lock()
	for _, k := range s.keys {
		if d.udp[k] == s {
			delete(d.udp, k)
			if fp := familyPortOf(k); d.udpPorts[fp] <= 1 {
				delete(d.udpPorts, fp)
			} else {
				d.udpPorts[fp]--
			}
		}
	}
	d.mu.Unlock()
	s.wake()
}
