package tcp

import "github.com/synack-net/synack/clock"

// minPathMSS is the smallest MSS path MTU discovery lowers us to, whatever
// an ICMP message claims: Linux's tcp_min_snd_mss (48) guards against a
// forged "fragmentation needed" that would make us send tiny segments.
const minPathMSS = 48

// PathMTU reports an ICMP "fragmentation needed" (RFC 1191 §4) or "packet
// too big" (RFC 8201 §4) message about the connection: the path carries IP
// packets of at most mtu bytes, and our packets carry ipHeader bytes of IP
// header. seq is the quoted sequence number; as for other ICMP errors, one
// outside SND.UNA..SND.MAX is ignored (RFC 5927 §4.1). When the message
// lowers the MSS, the segments in flight, which were too big and dropped,
// are resent at the new size without a congestion response, since the
// loss was not caused by congestion (RFC 1191 §6.5). It reports whether
// the message was accepted.
func (t *TCB) PathMTU(now clock.Instant, seq Seq, mtu, ipHeader int) bool {
	if !t.state.IsSynchronized() && t.state != SynSent && t.state != SynReceived ||
		!seq.InRange(t.snd.una, t.snd.max.Add(1)) {
		return false
	}
	mss := mtu - ipHeader - 20 // the TCP header without options
	if t.tsOK {
		mss -= 12 // RFC 7323 §3.2: the timestamps option, padded
	}
	mss = max(mss, minPathMSS)
	if uint32(mss) >= t.mss {
		return true // no news: our segments already fit
	}
	t.mss = uint32(mss)
	t.cc.changeMSS(t.mss)
	t.coldStats().PathMTUChanges++
	if t.state.IsSynchronized() && t.snd.nxt.GreaterThan(t.snd.una) {
		t.snd.nxt = t.snd.una
		t.tm.retransmit = now.Add(t.rtt.rto())
	}
	return true
}
