package drill

import (
	"encoding/binary"
	"net/netip"

	"github.com/synack-net/synack/stack"
	"github.com/synack-net/synack/wire"
)

// inboundICMP injects an ICMP error about a segment of the connection
// under test, from the peer's address. The quoted sequence number is
// relative to our ISN, as on the lines of our segments other than the
// SYN (packetdrill maps it so, since Linux ignores a message quoting a
// number outside SND.UNA..SND.NXT).
func (r *runner) inboundICMP(ev *Event) {
	pk := ev.Packet
	s := r.sut
	switch {
	case s == nil || !s.hasTuple:
		r.fail(ev.Line, formatPacket(pk), "", "no connection under test for an ICMP message to quote")
		return
	case s.state == sockConnecting || s.state == sockPassiveRcvd:
		r.fail(ev.Line, formatPacket(pk), "", "an ICMP message before the script's line for our SYN or SYN-ACK, so our ISN is not known")
		return
	}
	typ, code, rest, err := pk.ICMP.resolve(r.fam)
	if err != nil {
		r.fail(ev.Line, formatPacket(pk), "", "%v", err)
		return
	}
	pkt := buildICMP(s.tuple, typ, code, rest, pk.Seq+s.liveLocalISN, int(pk.Len))
	r.logf("line %d: inject %s", ev.Line, formatPacket(pk))
	r.host().Deliver(r.now, pkt)
	r.settle()
}

// buildICMP builds an ICMP (ICMPv6 for an IPv6 tuple) error message of
// type typ and code code from the remote end of t to its local end,
// quoting a TCP segment the local end sent with sequence number seq and
// n bytes of payload: the IP header (local to remote), the first 8 bytes
// of the TCP header (ports and sequence number, all an error message is
// sure to carry; RFC 792, RFC 5927 §4.1) and then n zero bytes, as
// packetdrill builds it. rest is the header's four type-specific bytes.
func buildICMP(t stack.Tuple, typ, code uint8, rest, seq uint32, n int) []byte {
	local, remote := t.Local.Addr(), t.Remote.Addr()
	ipLen, proto := wire.IPv4MinHeaderLen, wire.ProtoICMPv4
	if local.Is6() {
		ipLen, proto = wire.IPv6HeaderLen, wire.ProtoICMPv6
	}
	quoted := make([]byte, ipLen+8+n)
	putIPHeader(quoted, local, remote, wire.ProtoTCP, wire.TCPMinHeaderLen+n)
	q := quoted[ipLen:]
	binary.BigEndian.PutUint16(q[0:], t.Local.Port())
	binary.BigEndian.PutUint16(q[2:], t.Remote.Port())
	binary.BigEndian.PutUint32(q[4:], seq)

	msgLen := wire.ICMPHeaderLen + len(quoted)
	pkt := make([]byte, ipLen+msgLen)
	putIPHeader(pkt, remote, local, proto, msgLen)
	if proto == wire.ProtoICMPv4 {
		wire.PutICMPv4(pkt[ipLen:], typ, code, rest, quoted)
	} else {
		wire.PutICMPv6(pkt[ipLen:], remote, local, typ, code, rest, quoted)
	}
	return pkt
}

// putIPHeader writes an IPv4 or IPv6 header (after the addresses) for a
// payload of payloadLen bytes of protocol proto.
func putIPHeader(b []byte, src, dst netip.Addr, proto uint8, payloadLen int) {
	if src.Is6() {
		wire.PutIPv6Header(b, src, dst, proto, 64, payloadLen)
		return
	}
	wire.PutIPv4Header(b, src, dst, proto, 64, 0, payloadLen)
}
