package wire

import (
	"bytes"
	"net/netip"
	"testing"
)

// FuzzUDP feeds arbitrary bytes to the UDP view as the payload of an IPv4
// or IPv6 packet: Validate must never panic, and a datagram it accepts
// must survive every accessor and a rebuild by the encoder, whose checksum
// then verifies.
func FuzzUDP(f *testing.F) {
	for i, p := range [][]byte{nil, []byte("q"), []byte("a DNS query, say"), bytes.Repeat([]byte{0}, 300)} {
		f.Add(buildUDP(udpSrc4, udpDst4, p), i%2 == 0)
		f.Add(buildUDP(udpSrc6, udpDst6, p), i%2 == 1)
	}
	f.Add([]byte{0, 53, 0, 53, 0, 8, 0, 0}, true)
	f.Fuzz(func(t *testing.T, b []byte, v6 bool) {
		src, dst := udpSrc4, udpDst4
		if v6 {
			src, dst = udpSrc6, udpDst6
		}
		d := UDP(b)
		if d.Validate() != nil {
			return
		}
		err := d.VerifyChecksum(src.Addr(), dst.Addr())
		if err != nil && err != ErrBadChecksum && err != ErrZeroChecksum {
			t.Fatalf("VerifyChecksum: unexpected error %v", err)
		}
		if err == ErrZeroChecksum && (!v6 || d.Checksum() != 0) {
			t.Fatalf("ErrZeroChecksum for v6=%v checksum %#x", v6, d.Checksum())
		}
		payload := d.Payload()
		if len(payload)+UDPHeaderLen != d.Length() || d.Length() > len(b) {
			t.Fatalf("payload %d, length %d, buffer %d", len(payload), d.Length(), len(b))
		}
		s, r := netip.AddrPortFrom(src.Addr(), d.SrcPort()), netip.AddrPortFrom(dst.Addr(), d.DstPort())
		re := UDP(buildUDP(s, r, payload))
		if re.Validate() != nil || re.VerifyChecksum(s.Addr(), r.Addr()) != nil {
			t.Fatal("rebuilt datagram does not validate")
		}
		if re.SrcPort() != d.SrcPort() || re.DstPort() != d.DstPort() || !bytes.Equal(re.Payload(), payload) {
			t.Fatalf("rebuilt %x, from %x", []byte(re), b)
		}
		// A checksum that verified is the encoder's, except that a sum
		// of zero may arrive as 0 only in the form all ones (RFC 768),
		// which the encoder writes too.
		if err == nil && d.Checksum() != 0 && re.Checksum() != d.Checksum() {
			t.Fatalf("verified checksum %#x, encoder's %#x", d.Checksum(), re.Checksum())
		}
	})
}
