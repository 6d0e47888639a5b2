package tcp

import (
	"encoding/binary"
	"net/netip"
	"time"

	"github.com/synack-net/synack/clock"
)

// SYN cookies (RFC 4987 §3.6) as Linux encodes them (net/ipv4/syncookies.c):
// a listener whose SYN queue is full answers a SYN with a SYN-ACK whose
// ISN carries, instead of state kept on our side, what the handshake's
// final ACK needs to rebuild the connection:
//
//	cookie = H1 + SEQ + (count << 24) + ((H2(count) + mssIndex) mod 2^24)
//
// where SEQ is the peer's ISN, count a minute counter, mssIndex the MSS
// from a small table, and H1, H2 keyed SipHash of the 4-tuple (H2 also of
// count). The final ACK acknowledges cookie+1: one whose count is more than
// a minute old or whose MSS index does not decode is not ours. When the SYN
// carries timestamps, the low 6 bits of our TSval carry the peer's window
// scale and whether it offered SACK, and come back in its TSecr.

// cookieBits is how many bits of the cookie hold the MAC and MSS index.
const cookieBits = 24

const cookieMask = 1<<cookieBits - 1

// cookieCountMask keeps the 8 bits of the minute counter a cookie holds.
const cookieCountMask = 1<<(32-cookieBits) - 1

// cookieMaxAge is how many minute counts a cookie lives: the one it was
// made in and the next (Linux's MAX_SYNCOOKIE_AGE).
const cookieMaxAge = 2

// The MSS values a cookie can carry (Linux's msstab and msstab6): an index
// chooses the largest that does not exceed the peer's MSS.
var (
	cookieMSS4 = [...]uint16{536, 1300, 1440, 1460}
	cookieMSS6 = [...]uint16{1220, 1420, 1440, 8940}
)

// CookieJar makes and checks SYN cookies with a host's secret. It holds no
// mutable state and is safe for concurrent use.
type CookieJar struct {
	k0, k1 uint64
}

// NewCookieJar returns a jar keyed with key, which must not be the key of
// the ISN generator (the host derives one from its secret).
func NewCookieJar(key [16]byte) *CookieJar {
	return &CookieJar{k0: binary.LittleEndian.Uint64(key[0:8]), k1: binary.LittleEndian.Uint64(key[8:16])}
}

// cookieCount is the minute counter a cookie made at now carries.
func cookieCount(now clock.Instant) uint32 { return uint32(int64(now) / int64(time.Minute)) }

// hash is SipHash of the 4-tuple and count, as 32 bits.
func (j *CookieJar) hash(local, remote netip.AddrPort, count uint32) uint32 {
	var msg [42]byte
	isnPutEnd(msg[0:19], local)
	isnPutEnd(msg[19:38], remote)
	binary.BigEndian.PutUint32(msg[38:42], count)
	return uint32(sipHash24(j.k0, j.k1, msg[:]))
}

// Make returns the cookie to use as our ISS in the SYN-ACK that answers a
// SYN from remote to local with sequence number peerISN offering peerMSS,
// and the MSS the connection will use, from the table of the family.
func (j *CookieJar) Make(now clock.Instant, local, remote netip.AddrPort, peerISN Seq, peerMSS uint16) (Seq, uint16) {
	table := cookieMSSTable(remote)
	idx := 0
	for i := len(table) - 1; i > 0; i-- {
		if peerMSS >= table[i] {
			idx = i
			break
		}
	}
	count := cookieCount(now)
	c := j.hash(local, remote, 0) + uint32(peerISN) + count<<cookieBits +
		(j.hash(local, remote, count)+uint32(idx))&cookieMask
	return Seq(c), table[idx]
}

// Check decodes the cookie an ACK acknowledges (SEG.ACK-1) for the
// connection from remote (whose ISN is SEG.SEQ-1) to local, and returns
// the MSS it carries, or ok=false for a cookie that is forged, mangled or
// older than a minute's count.
func (j *CookieJar) Check(now clock.Instant, local, remote netip.AddrPort, peerISN, cookie Seq) (mss uint16, ok bool) {
	c := uint32(cookie) - j.hash(local, remote, 0) - uint32(peerISN)
	count := c >> cookieBits
	if (cookieCount(now)-count)&cookieCountMask >= cookieMaxAge {
		return 0, false
	}
	idx := (c - j.hash(local, remote, count)) & cookieMask
	table := cookieMSSTable(remote)
	if idx >= uint32(len(table)) {
		return 0, false
	}
	return table[idx], true
}

func cookieMSSTable(remote netip.AddrPort) []uint16 {
	if remote.Addr().Is4() {
		return cookieMSS4[:]
	}
	return cookieMSS6[:]
}

// The low bits of a cookie SYN-ACK's TSval (Linux's TSBITS and TS_OPT_*):
// the peer's window scale, 15 for none, and SACK permitted. Linux's ECN
// bit is never set: synack does not negotiate ECN.
const (
	cookieTSBits      = 6
	cookieTSWScale    = 0xf
	cookieTSSACK      = 1 << 4
	cookieTSOptsMask  = 1<<cookieTSBits - 1
	cookieTSNoWScale  = cookieTSWScale
	cookieTSWScaleMax = 14 // RFC 7323 §2.3
)

// CookieOptions are the options of the SYN that a cookie SYN-ACK's TSval
// keeps for the final ACK.
type CookieOptions struct {
	WScaleOK bool
	WScale   uint8 // the peer's shift, when WScaleOK
	SACKOK   bool
}

// CookieTSVal returns the TSval for a cookie SYN-ACK sent when our
// timestamp clock reads tsNow: tsNow with its low bits replaced by o, and
// never ahead of tsNow (Linux's cookie_init_timestamp).
func CookieTSVal(tsNow uint32, o CookieOptions) uint32 {
	opts := uint32(cookieTSNoWScale)
	if o.WScaleOK {
		opts = uint32(min(o.WScale, cookieTSWScaleMax))
	}
	if o.SACKOK {
		opts |= cookieTSSACK
	}
	ts := tsNow&^cookieTSOptsMask | opts
	if int32(ts-tsNow) > 0 {
		ts -= 1 << cookieTSBits
	}
	return ts
}

// DecodeCookieTS reads the options back from the TSecr of the final ACK.
// An echo from the future (later than tsNow) is no echo of ours.
func DecodeCookieTS(tsecr, tsNow uint32) (CookieOptions, bool) {
	if int32(tsecr-tsNow) > 0 {
		return CookieOptions{}, false
	}
	opts := tsecr & cookieTSOptsMask
	o := CookieOptions{SACKOK: opts&cookieTSSACK != 0}
	if ws := uint8(opts & cookieTSWScale); ws != cookieTSNoWScale {
		if ws > cookieTSWScaleMax {
			return CookieOptions{}, false
		}
		o.WScaleOK, o.WScale = true, ws
	}
	return o, true
}

// TSValue is our TSval clock at now for a connection whose timestamp
// offset is offset (RFC 7323 §5.4): what a host needs to check a cookie's
// echoed timestamp without a TCB.
func TSValue(now clock.Instant, offset uint32) uint32 { return tsValue(now, offset) }
