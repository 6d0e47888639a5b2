package stack

import (
	"fmt"
	"io"

	"github.com/synack-net/synack/tcp"
)

// Counters are a host's MIB counters, named as Linux's `netstat -s` and
// /proc/net/snmp name them (RFC 4022 for the Tcp group, Linux's TcpExt for
// the rest). Each counts since the host was created.
type Counters struct {
	ActiveOpens  uint64 // Tcp: connections that went CLOSED -> SYN_SENT
	PassiveOpens uint64 // Tcp: connections that went LISTEN -> SYN_RCVD
	AttemptFails uint64 // Tcp: SYN_SENT/SYN_RCVD -> CLOSED, and SYN_RCVD -> LISTEN
	EstabResets  uint64 // Tcp: ESTABLISHED/CLOSE_WAIT -> CLOSED by a reset
	CurrEstab    uint64 // Tcp: connections now in ESTABLISHED or CLOSE_WAIT
	InSegs       uint64 // Tcp: segments received, including those in error
	OutSegs      uint64 // Tcp: segments sent, excluding retransmissions
	RetransSegs  uint64 // Tcp: segments retransmitted
	InErrs       uint64 // Tcp: segments received in error (bad checksum, header)
	OutRsts      uint64 // Tcp: segments sent with RST

	OutRstsSuppressed uint64 // resets for strays not sent because the output batch was full

	ListenOverflows    uint64 // TcpExt: SYNs dropped because an accept queue was full
	ListenDrops        uint64 // TcpExt: SYNs dropped by a listener for any reason
	SyncookiesSent     uint64 // TcpExt: SYN-ACKs sent with a SYN cookie
	SyncookiesRecv     uint64 // TcpExt: valid SYN cookies received
	SyncookiesFailed   uint64 // TcpExt: ACKs to a listener whose cookie did not check out
	TimeWaited         uint64 // TcpExt TW: connections that finished TIME_WAIT
	TimeWaitRecycled   uint64 // TcpExt TWRecycled: TIME_WAIT pairs reused by a new SYN (RFC 6191)
	TimeWaitReused     uint64 // TIME_WAIT pairs reused by an active open (tcp_tw_reuse; Linux counts them in TWRecycled)
	TimeWaitOverflow   uint64 // TcpExt TCPTimeWaitOverflow: connections closed for want of room in the TIME_WAIT table
	CurrTimeWait       uint64 // entries now in the TIME_WAIT table (ss -s "timewait")
	TCPTimeouts        uint64 // TcpExt: retransmission timer expiries
	TCPFastRetrans     uint64 // TcpExt: fast retransmits
	TCPChallengeACK    uint64 // TcpExt: challenge ACKs sent (RFC 5961)
	PAWSEstab          uint64 // TcpExt: segments rejected by PAWS (RFC 7323 §5)
	OutOfWindow        uint64 // segments outside the window, answered with an ACK
	InvalidAcksLimited uint64 // ACKs to unacceptable segments suppressed by the rate limit (TcpExt TCPACKSkipped*)
	PathMTUChanges     uint64 // ICMP messages that lowered a connection's MSS (path MTU discovery)
	ConnLimit          uint64 // connections refused because MaxConns was reached
	EphemeralExhausted uint64 // connects and UDP binds that found no free ephemeral port
	TCPMemoryPressures uint64 // TcpExt: times the host entered memory pressure (Config.Memory)
	TCPRcvQDrop        uint64 // TcpExt: segments whose in-order data was dropped over the memory limit
	TCPOFODrop         uint64 // TcpExt: segments whose out-of-order data was dropped over the memory limit
	TCPAbortOnMemory   uint64 // TcpExt: connections reset because of too many orphans (Config.MaxOrphans)
	TCPAbortOnTimeout  uint64 // TcpExt: connections given up by the retransmission, probe, keep-alive or user timeout
	MemoryAllocated    uint64 // bytes of buffer storage the connections hold now (sockstat "mem", in pages there)
	CurrOrphans        uint64 // connections closed by their users and still closing now (sockstat "orphan")
	ForwardRequests    uint64 // SYNs that became a forwarding request
	ForwardDrops       uint64 // SYNs to forward dropped because MaxPending requests were unanswered
	ForwardExpired     uint64 // forwarding requests forgotten unanswered after their Timeout
	ForwardResets      uint64 // forwarding requests the client's RST cancelled before they were applied
	UDPForwardFlows    uint64 // UDP flows a UDPForwardListener started
	UDPForwardDrops    uint64 // datagrams that would have started a flow beyond MaxFlows or Backlog
	UDPForwardExpired  uint64 // UDP flows ended by their idle timeout

	// Tail loss probes (RFC 8985 §7), as Linux's TcpExt counts them.
	TCPLossProbes        uint64 // TcpExt: tail loss probes sent
	TCPLossProbeRecovery uint64 // TcpExt: losses a tail loss probe repaired

	// Udp (RFC 4113, as /proc/net/snmp names them; IPv4 and IPv6
	// together, which Linux counts apart as Udp and Udp6).
	UDPInDatagrams  uint64 // datagrams queued on a socket
	UDPNoPorts      uint64 // datagrams for a port with no socket
	UDPInErrors     uint64 // datagrams dropped for a bad header or checksum or a full queue
	UDPRcvbufErrors uint64 // of those, dropped because a socket's receive queue was full
	UDPInCsumErrors uint64 // of those, dropped for a bad checksum
	UDPOutDatagrams uint64 // datagrams sent

	// Icmp (RFC 2011 and Linux's /proc/net/snmp; IPv4 and ICMPv6 together).
	ICMPInEchos            uint64 // echo requests received
	ICMPInEchoReps         uint64 // echo replies received
	ICMPOutEchos           uint64 // echo requests sent by ping sockets
	ICMPOutEchoReps        uint64 // echo replies sent
	ICMPOutDestUnreachs    uint64 // destination unreachable messages sent (port unreachable)
	ICMPOutRateLimitGlobal uint64 // messages not sent because of the host-wide rate limit
	ICMPOutRateLimitHost   uint64 // errors not sent because of the per-destination rate limit
	ICMPOutSuppressed      uint64 // messages not sent because the output batch was full

	// Drops counts dropped packets by reason.
	Drops [numDropReasons]uint64
}

// connStats sums tcp.ConnStats over connections.
type connStats tcp.ConnStats

func (s *connStats) add(c tcp.ConnStats) {
	s.RetransSegs += c.RetransSegs
	s.Timeouts += c.Timeouts
	s.FastRetrans += c.FastRetrans
	s.LossProbes += c.LossProbes
	s.LossProbeRecoveries += c.LossProbeRecoveries
	s.ChallengeAcks += c.ChallengeAcks
	s.OutOfWindow += c.OutOfWindow
	s.PAWSRejected += c.PAWSRejected
	s.InvalidAcksLimited += c.InvalidAcksLimited
	s.PathMTUChanges += c.PathMTUChanges
	s.RcvQDrop += c.RcvQDrop
	s.OFODrop += c.OFODrop
}

// addConnStats folds the per-connection sums into the MIB counters.
func (k *Counters) addConnStats(s *connStats) {
	k.RetransSegs += s.RetransSegs
	// OutSegs counts every segment built; RFC 4022 excludes retransmissions.
	k.OutSegs -= min(k.OutSegs, s.RetransSegs)
	k.TCPFastRetrans += s.FastRetrans
	k.TCPLossProbes += s.LossProbes
	k.TCPLossProbeRecovery += s.LossProbeRecoveries
	k.TCPChallengeACK += s.ChallengeAcks
	k.OutOfWindow += s.OutOfWindow
	k.PAWSEstab += s.PAWSRejected
	k.InvalidAcksLimited += s.InvalidAcksLimited
	k.PathMTUChanges += s.PathMTUChanges
	k.TCPRcvQDrop += s.RcvQDrop
	k.TCPOFODrop += s.OFODrop
}

// DropReason says why a host dropped an inbound packet.
type DropReason uint8

// The reasons a packet is dropped.
const (
	DropBadIPHeader    DropReason = iota // IPv4/IPv6 header failed validation
	DropFragment                         // IP fragments are not reassembled
	DropNotForUs                         // destination is none of our addresses
	DropNotTCP                           // a protocol other than TCP, UDP or ICMP
	DropBadTCPHeader                     // TCP header or options malformed
	DropBadChecksum                      // TCP or UDP checksum wrong (or zero in IPv6 UDP)
	DropBadICMP                          // ICMP message malformed or unknown
	DropNoSocket                         // no connection, listener or socket (answered with RST, or ICMP port unreachable for UDP)
	DropListenOverflow                   // accept queue full
	DropSynQueueFull                     // too many half-open connections
	DropConnLimit                        // host connection limit reached
	DropListenNonSYN                     // a listener got a segment that is neither SYN nor ACK
	DropBadUDPHeader                     // UDP header or length malformed
	DropRecvQueueFull                    // a UDP or ping socket's receive queue was full
	DropForwardFull                      // a SYN to forward found MaxPending requests unanswered
	DropForwardPending                   // a SYN repeated while its forwarding request waits for an answer
	numDropReasons
)

var dropReasonNames = [numDropReasons]string{
	"bad-ip-header", "fragment", "not-for-us", "not-tcp", "bad-tcp-header", "bad-checksum",
	"bad-icmp", "no-socket", "listen-overflow", "syn-queue-full", "conn-limit", "listen-non-syn",
	"bad-udp-header", "recv-queue-full", "forward-full", "forward-pending",
}

// String returns the reason's name, e.g. "bad-checksum".
func (r DropReason) String() string {
	if r < numDropReasons {
		return dropReasonNames[r]
	}
	return "unknown"
}

// WriteTo prints the counters as `netstat -s` would, one per line.
func (c *Counters) WriteTo(w io.Writer) (int64, error) {
	var total int64
	p := func(format string, a ...any) {
		n, _ := fmt.Fprintf(w, format, a...)
		total += int64(n)
	}
	p("Tcp:\n")
	p("    %d active connection openings\n", c.ActiveOpens)
	p("    %d passive connection openings\n", c.PassiveOpens)
	p("    %d failed connection attempts\n", c.AttemptFails)
	p("    %d connection resets received\n", c.EstabResets)
	p("    %d connections established\n", c.CurrEstab)
	p("    %d segments received\n", c.InSegs)
	p("    %d segments sent out\n", c.OutSegs)
	p("    %d segments retransmitted\n", c.RetransSegs)
	p("    %d bad segments received\n", c.InErrs)
	p("    %d resets sent\n", c.OutRsts)
	p("TcpExt:\n")
	p("    %d times the listen queue of a socket overflowed\n", c.ListenOverflows)
	p("    %d SYNs to LISTEN sockets dropped\n", c.ListenDrops)
	p("    %d TCP sockets finished time wait\n", c.TimeWaited)
	p("    %d time wait sockets recycled\n", c.TimeWaitRecycled)
	p("    %d times the time wait table overflowed\n", c.TimeWaitOverflow)
	p("    %d sockets in time wait\n", c.CurrTimeWait)
	p("    %d timeouts\n", c.TCPTimeouts)
	p("    %d fast retransmits\n", c.TCPFastRetrans)
	p("    %d tail loss probes sent\n", c.TCPLossProbes)
	p("    %d losses repaired by a tail loss probe\n", c.TCPLossProbeRecovery)
	p("    %d challenge ACKs sent\n", c.TCPChallengeACK)
	p("    %d packets rejected in established connections because of timestamp\n", c.PAWSEstab)
	p("    %d ACKs to invalid segments skipped by the rate limit\n", c.InvalidAcksLimited)
	p("    %d path MTU reductions\n", c.PathMTUChanges)
	p("    %d times the host entered memory pressure\n", c.TCPMemoryPressures)
	p("    %d packets dropped from the receive queue over the memory limit\n", c.TCPRcvQDrop)
	p("    %d packets dropped from the out-of-order queue over the memory limit\n", c.TCPOFODrop)
	p("    %d connections aborted due to memory pressure or too many orphans\n", c.TCPAbortOnMemory)
	p("    %d connections aborted due to timeout\n", c.TCPAbortOnTimeout)
	p("    %d bytes of buffer memory allocated\n", c.MemoryAllocated)
	p("    %d orphaned connections\n", c.CurrOrphans)
	p("Udp:\n")
	p("    %d packets received\n", c.UDPInDatagrams)
	p("    %d packets to unknown port received\n", c.UDPNoPorts)
	p("    %d packet receive errors\n", c.UDPInErrors)
	p("    %d packets sent\n", c.UDPOutDatagrams)
	p("    %d receive buffer errors\n", c.UDPRcvbufErrors)
	p("    %d checksum errors\n", c.UDPInCsumErrors)
	p("Icmp:\n")
	p("    %d echo requests received\n", c.ICMPInEchos)
	p("    %d echo replies received\n", c.ICMPInEchoReps)
	p("    %d echo requests sent\n", c.ICMPOutEchos)
	p("    %d echo replies sent\n", c.ICMPOutEchoReps)
	p("    %d destination unreachable sent\n", c.ICMPOutDestUnreachs)
	p("    %d messages not sent (global rate limit)\n", c.ICMPOutRateLimitGlobal)
	p("    %d errors not sent (per-destination rate limit)\n", c.ICMPOutRateLimitHost)
	p("    %d messages not sent (output batch full)\n", c.ICMPOutSuppressed)
	for r := DropReason(0); r < numDropReasons; r++ {
		if c.Drops[r] > 0 {
			p("    %d packets dropped: %s\n", c.Drops[r], r)
		}
	}
	return total, nil
}
