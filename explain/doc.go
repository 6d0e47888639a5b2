// Package explain reads packet captures (pcap and pcapng, as tcpdump,
// dumpcap and tshark write them) and explains the TCP connections in them:
// the states each end went through, in the names synack prints, a ladder
// diagram of the conversation, and verdicts in plain words ("refused: RST
// from 10.0.0.2:80", "10.0.0.1:40000 in TIME_WAIT at the end").
//
// # A passive observer
//
// The capture point sees segments, not states. For each connection (a
// 4-tuple; a SYN that opens it again starts the next one) the observer
// keeps a model of both ends and infers their states by the rules of RFC
// 9293 §3.10, with every inferred transition checked against synack's own
// state diagram (tcp.ValidTransition) and driven by the cause synack would
// record (tcp.Cause):
//
//   - what an end sends reveals its user calls: a SYN is an OPEN (CLOSED ->
//     SYN_SENT), a FIN a CLOSE (ESTABLISHED -> FIN_WAIT_1, CLOSE_WAIT ->
//     LAST_ACK), an RST in a connected state an ABORT;
//   - its acknowledgment number reveals which of the peer's SYNs and FINs
//     reached it: a peer's FIN moves it (to CLOSE_WAIT, CLOSING or
//     TIME_WAIT) when it acknowledges that FIN, not when the FIN passes
//     the capture point, so a FIN lost after the capture point, or two
//     FINs crossing (a simultaneous close), come out right; a listener is
//     known to have been in LISTEN when it answers a SYN with a SYN-ACK;
//   - what it receives and cannot acknowledge (the ACK of its SYN or FIN,
//     an RST) changes its state on arrival, tentatively: if its next
//     segment shows it never got it (it resends its FIN or SYN-ACK, or
//     goes on talking after an RST), the change is taken back.
//
// The TCB of package tcp is not driven for this: it would accept and
// send by its own buffers, windows, congestion control and MSS, while an
// observer must take whatever the two real stacks did, seen from a point
// between them that both may disagree with about what arrived.
//
// A capture that starts mid-connection (its first segment is not a SYN)
// takes both ends as ESTABLISHED and says so. Real captures carry what a
// textbook trace does not, and the observer accepts it and says so:
// checksums left to offload (wrong on the wire: counted, not rejected),
// segments larger than the MSS (TSO, GSO and GRO on the capturing host),
// packets captured twice (`tcpdump -i any`), IPv6, VLAN tags, Linux cooked
// headers, and packets cut by the snapshot length.
package explain
