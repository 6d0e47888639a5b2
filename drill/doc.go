// Package drill runs scripts in the packetdrill dialect against one synack
// host on virtual time.
//
// A script is a list of timed events: packets the test's peer injects
// ("<"), packets the host must send (">"), socket calls with their
// expected results, sysctl commands and %{ }% code blocks. Parse reads
// one; Run plays it against a fresh stack.Host built from LinuxProfile,
// the Linux defaults the scripts were written for, and returns PASS, FAIL
// with the first mismatch (line, expected and actual, in the dialect's
// notation) or SKIP with what the script needs that synack or the runner
// does not offer. Nothing is ever half-run and passed.
//
// The runner follows the behaviour of packetdrill's own run loop:
//
//   - Time is virtual and moves only forward: to each event's time, to
//     each timer deadline of the host in order, and to the instant a
//     blocking call becomes late. "+T" counts from the previous event's
//     scripted time between two inbound packets, else from the moment the
//     previous event completed. An event is on time within
//     max(--tolerance_usecs, --tolerance_percent of the gap since the
//     previous event): 4 ms and 12.5% by default. Outbound packets are
//     compared in the order the host sent them, so an early packet fails
//     as surely as a late, missing, extra or different one.
//   - A call "A...B" starts at A and must return at B; other events go on
//     while it blocks. A call without "..." must not block.
//   - Sequence numbers are tcpdump-style: absolute on SYN lines (our
//     script ISN mapped to the live one), relative to each side's ISN
//     otherwise; acknowledgment numbers and SACK blocks likewise from the
//     other side, the acknowledgment field only when the ACK bit is set.
//     Inbound TS echo replies are replaced by the TS value the host sent
//     for that script value; outbound TS values are checked only with
//     --tcp_ts_tick_usecs.
//   - An outbound line longer than one segment stands for the segments
//     that continue each other (packetdrill's TSO/GSO aggregation) unless
//     --strict_segments; the last segment's flags and time count.
//   - An outbound line without options requires none; "<...>" checks none.
//     The window is checked only when the line gives one.
//   - An inbound ICMP line ("< icmp unreachable port_unreachable
//     [0:0(0)]", "< icmp packet_too_big mtu 1280 [1:1461(1460)]") injects
//     an ICMP error (ICMPv6 in IPv6 runs) from the peer's address about a
//     segment of the socket under test, named as packetdrill names types
//     and codes, for the family of the run. Like packetdrill's, it quotes
//     our IP header, the ports and the bracket's sequence number
//     (relative to our ISN, as on our own lines), then len zero bytes;
//     without a bracket it quotes 0:0(0).
//   - The host has the address 192.168.0.1 (fd3d:a0b:17d6::1 in IPv6,
//     MTU 1520), the peer 192.0.2.1 (fd3d:fa7b:d17d::1); bind and connect
//     use port 8080. Each packet that reaches a listener (or no socket at
//     all) opens a connection from a new remote port, which becomes the
//     socket under test.
//
// The socket calls map onto stack.Host and stack.Conn: socket, bind,
// listen, accept, connect, read, write, send, recv, close, shutdown,
// fcntl (O_NONBLOCK), ioctl (SIOCINQ, SIOCOUTQ), poll, and setsockopt and
// getsockopt for SO_REUSEADDR, SO_KEEPALIVE, SO_LINGER (linger 0),
// SO_ERROR, TCP_NODELAY, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT,
// TCP_USER_TIMEOUT (milliseconds) and (read only) TCP_MAXSEG; a listener's
// options are inherited by the connections it accepts. Errors are Linux's: EAGAIN for a non-blocking
// call that would block, EINPROGRESS then EALREADY for a non-blocking
// connect, a connection's error reported once (then end of file, or EPIPE
// for writes), EPIPE after shutdown(SHUT_WR).
//
// The init command "../common/defaults.sh" means the Linux profile; shell
// commands that only set sysctls with a synack equivalent change the
// profile before the host starts. Anything else makes the script
// unsupported.
package drill
