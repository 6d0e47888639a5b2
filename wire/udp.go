package wire

import (
	"encoding/binary"
	"errors"
	"net/netip"
)

// ProtoUDP is UDP (RFC 768).
const ProtoUDP uint8 = 17

// UDPHeaderLen is the length of the UDP header: source port, destination
// port, length and checksum, 16 bits each (RFC 768).
const UDPHeaderLen = 8

// Field offsets of the UDP header (RFC 768).
const (
	udpSrcPort  = 0
	udpDstPort  = 2
	udpLength   = 4
	udpChecksum = 6
)

// ErrZeroChecksum means a UDP datagram carried in IPv6 has a zero checksum
// field, which RFC 8200 §8.1 forbids (RFC 6935 and RFC 6936 allow it only
// for tunnel endpoints that ask for it; the caller decides).
var ErrZeroChecksum = errors.New("wire: zero UDP checksum in IPv6")

// UDP is a view of a UDP datagram, header and data (RFC 768), as the IP
// layer delivered it: the IP payload, which may run past the datagram's
// Length field. Call Validate before any accessor.
type UDP []byte

// Validate checks that b holds the 8-byte header and that the Length field
// covers at least the header and at most b. Bytes after Length are not
// part of the datagram (Payload leaves them out), as Linux trims them. The
// checksum needs the IP addresses: see VerifyChecksum.
func (b UDP) Validate() error {
	if len(b) < UDPHeaderLen {
		return ErrTruncated
	}
	if l := b.Length(); l < UDPHeaderLen || l > len(b) {
		return ErrBadTotalLen
	}
	return nil
}

// SrcPort is the source port (0 when the sender expects no reply).
func (b UDP) SrcPort() uint16 { return binary.BigEndian.Uint16(b[udpSrcPort:]) }

// DstPort is the destination port.
func (b UDP) DstPort() uint16 { return binary.BigEndian.Uint16(b[udpDstPort:]) }

// Length is the Length field: header plus data, in bytes.
func (b UDP) Length() int { return int(binary.BigEndian.Uint16(b[udpLength:])) }

// Checksum is the checksum field; 0 means the sender computed none
// (RFC 768, allowed in IPv4 only).
func (b UDP) Checksum() uint16 { return binary.BigEndian.Uint16(b[udpChecksum:]) }

// Payload is the datagram's data, up to the Length field.
func (b UDP) Payload() []byte { return b[UDPHeaderLen:b.Length()] }

// SetChecksum stores v in the checksum field.
func (b UDP) SetChecksum(v uint16) { binary.BigEndian.PutUint16(b[udpChecksum:], v) }

// VerifyChecksum checks the checksum of a datagram received from src for
// dst over the pseudo-header and the Length bytes (RFC 768; RFC 8200 §8.1
// for IPv6). A zero field means no checksum: accepted in IPv4, and
// ErrZeroChecksum in IPv6. A wrong sum is ErrBadChecksum.
func (b UDP) VerifyChecksum(src, dst netip.Addr) error {
	if b.Checksum() == 0 {
		if src.Unmap().Is4() {
			return nil
		}
		return ErrZeroChecksum
	}
	if !TransportChecksumValid(src, dst, ProtoUDP, b[:b.Length()]) {
		return ErrBadChecksum
	}
	return nil
}

// UDPChecksum returns the checksum to store in datagram (header and data,
// checksum field zero) sent from src to dst. A sum that comes out as zero
// is sent as all ones, since zero means "no checksum" (RFC 768).
func UDPChecksum(src, dst netip.Addr, datagram []byte) uint16 {
	if c := TransportChecksum(src, dst, ProtoUDP, datagram); c != 0 {
		return c
	}
	return 0xffff
}

// PutUDPHeader writes the header of a datagram from src to dst into b[:8],
// where b[8:8+payloadLen] already holds the data, and stores the checksum
// over the pseudo-header and the whole datagram. It returns the datagram
// length, 8+payloadLen, which must be at most 65535; b must hold that many
// bytes. To send without a checksum (IPv4, or an RFC 6935 tunnel), store 0
// with SetChecksum afterwards.
func PutUDPHeader(b []byte, src, dst netip.AddrPort, payloadLen int) int {
	n := UDPHeaderLen + payloadLen
	d := b[:n]
	binary.BigEndian.PutUint16(d[udpSrcPort:], src.Port())
	binary.BigEndian.PutUint16(d[udpDstPort:], dst.Port())
	binary.BigEndian.PutUint16(d[udpLength:], uint16(n))
	binary.BigEndian.PutUint16(d[udpChecksum:], 0)
	binary.BigEndian.PutUint16(d[udpChecksum:], UDPChecksum(src.Addr(), dst.Addr(), d))
	return n
}
