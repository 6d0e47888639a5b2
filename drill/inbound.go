package drill

import (
	"net/netip"
	"time"

	"github.com/synack-net/synack/stack"
	"github.com/synack-net/synack/wire"
)

// maxChildren bounds the sockets inbound packets may create.
const maxChildren = 1 << 12

// inbound injects a "<" packet at its time.
func (r *runner) inbound(ev *Event, start time.Duration) {
	if !r.arrive(ev, start, "inbound packet") {
		return
	}
	pk := ev.Packet
	if pk.ICMP != nil {
		r.inboundICMP(ev)
		return
	}
	s := r.sockForInbound(pk)
	if s == nil {
		r.fail(ev.Line, formatPacket(pk), "", "no socket for an inbound packet: the socket under test is neither listening nor connected")
		return
	}
	if s.state == sockSynSent && pk.Flags&(wire.FlagSYN|wire.FlagACK) == wire.FlagSYN|wire.FlagACK {
		// The peer's SYN-ACK tells its ISN, used as written.
		s.remoteISN, s.state = pk.Seq, sockSynAcked
	}
	pkt, ok := r.buildInbound(ev, s, pk)
	if !ok {
		return
	}
	r.logf("line %d: inject %s", ev.Line, formatPacket(pk))
	r.host().Deliver(r.now, pkt)
	r.settle()
}

// sockForInbound returns the socket an inbound packet is for. A packet
// that finds a listener (or no socket at all) as the socket under test
// opens a new connection from a new remote port, which becomes the
// socket under test; the peer's ISN is the packet's sequence number.
func (r *runner) sockForInbound(pk *Packet) *sock {
	s := r.sut
	if s != nil && s.state != sockListening {
		if !s.hasTuple {
			return nil
		}
		return s
	}
	if len(r.children) == maxChildren {
		return nil
	}
	local, remote := r.fam.addrs()
	child := &sock{state: sockPassiveRcvd, remoteISN: pk.Seq, hasTuple: true,
		tuple: stack.Tuple{Local: netip.AddrPortFrom(local, scriptPort), Remote: netip.AddrPortFrom(remote, r.nextPort)}}
	r.nextPort++
	r.children = append(r.children, child)
	r.sut = child
	return child
}

// buildInbound maps an inbound line to the wire (section 3.5): the
// peer's sequence number is relative to its ISN except on a SYN; the
// acknowledgment (when the ACK bit is set) and SACK blocks are relative
// to our ISN, or absolute-but-shifted on a SYN; a TS echo reply on an
// ACK-bearing segment becomes the TS value the host actually sent for
// that script value.
func (r *runner) buildInbound(ev *Event, s *sock, pk *Packet) ([]byte, bool) {
	syn := pk.Flags&wire.FlagSYN != 0
	seq, ackOff := pk.Seq, s.liveLocalISN
	if syn {
		ackOff = s.liveLocalISN - s.scriptLocalISN
	} else {
		seq += s.remoteISN
	}
	ack := pk.Ack
	if pk.Flags&wire.FlagACK != 0 {
		ack += ackOff
	}
	opts := make([]TCPOption, len(pk.Options))
	for i, o := range pk.Options {
		switch o.Kind {
		case OptSACK:
			blocks := make([]wire.SACKBlock, len(o.Blocks))
			for j, b := range o.Blocks {
				blocks[j] = wire.SACKBlock{Left: b.Left + ackOff, Right: b.Right + ackOff}
			}
			o.Blocks = blocks
		case OptTS:
			if pk.Flags&wire.FlagACK != 0 {
				live, ok := s.ts.liveEcr(o.TSEcr, r.set.ecrScaled)
				if !ok {
					r.fail(ev.Line, formatPacket(pk), "", "TS ecr %d echoes no TS val of an earlier outbound line", o.TSEcr)
					return nil, false
				}
				o.TSEcr = live
			}
		}
		opts[i] = o
	}
	h := tcpHeader{src: s.tuple.Remote, dst: s.tuple.Local, seq: seq, ack: ack, flags: pk.Flags,
		win: pk.Win, urg: pk.Urg, opts: appendOptions(nil, opts)}
	return buildPacket(h, int(pk.Len)), true
}
