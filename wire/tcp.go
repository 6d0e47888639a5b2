package wire

import "encoding/binary"

// TCP is a view of a TCP segment, header and data (RFC 9293 §3.1). Its
// length is set by the IP layer. Call Validate before any accessor.
type TCP []byte

// TCPMinHeaderLen is the length of a TCP header without options.
const TCPMinHeaderLen = 20

// TCPMaxHeaderLen is the longest TCP header: a data offset of 15 words.
const TCPMaxHeaderLen = 60

// Field offsets of the TCP header (RFC 9293 §3.1).
const (
	tcpSrcPort    = 0
	tcpDstPort    = 2
	tcpSeq        = 4
	tcpAck        = 8
	tcpDataOffset = 12
	tcpFlags      = 13
	tcpWindow     = 14
	tcpChecksum   = 16
	tcpUrgent     = 18
)

// Validate checks that b holds a TCP header whose data offset is at least 5
// words and fits in b, and whose options are well-formed (see
// ParseTCPOptions). It does not check the checksum, which needs the IP
// addresses: see TransportChecksumValid.
func (b TCP) Validate() error {
	if len(b) < TCPMinHeaderLen {
		return ErrTruncated
	}
	off := b.DataOffset()
	if off < TCPMinHeaderLen {
		return ErrBadHeaderLen
	}
	if off > len(b) {
		return ErrTruncated
	}
	var o TCPOptions
	return ParseTCPOptions(b[TCPMinHeaderLen:off], &o)
}

// SrcPort is the source port.
func (b TCP) SrcPort() uint16 { return binary.BigEndian.Uint16(b[tcpSrcPort:]) }

// DstPort is the destination port.
func (b TCP) DstPort() uint16 { return binary.BigEndian.Uint16(b[tcpDstPort:]) }

// Seq is the sequence number.
func (b TCP) Seq() uint32 { return binary.BigEndian.Uint32(b[tcpSeq:]) }

// Ack is the acknowledgment number, meaningful when the ACK flag is set.
func (b TCP) Ack() uint32 { return binary.BigEndian.Uint32(b[tcpAck:]) }

// DataOffset is the header length in bytes, options included.
func (b TCP) DataOffset() int { return int(b[tcpDataOffset]>>4) * 4 }

// Flags are the control bits. The reserved bits, including the former NS
// bit (RFC 3540, made historic by RFC 8311), are not reported.
func (b TCP) Flags() TCPFlags { return TCPFlags(b[tcpFlags]) }

// Window is the unscaled window field.
func (b TCP) Window() uint16 { return binary.BigEndian.Uint16(b[tcpWindow:]) }

// Checksum is the checksum field.
func (b TCP) Checksum() uint16 { return binary.BigEndian.Uint16(b[tcpChecksum:]) }

// Urgent is the urgent pointer, meaningful when the URG flag is set.
func (b TCP) Urgent() uint16 { return binary.BigEndian.Uint16(b[tcpUrgent:]) }

// Options are the raw option bytes between the fixed header and the data.
func (b TCP) Options() []byte { return b[TCPMinHeaderLen:b.DataOffset()] }

// Payload is the segment's data.
func (b TCP) Payload() []byte { return b[b.DataOffset():] }

// ParseOptions decodes the options into o, as ParseTCPOptions does.
func (b TCP) ParseOptions(o *TCPOptions) error { return ParseTCPOptions(b.Options(), o) }

// SetChecksum stores v in the checksum field.
func (b TCP) SetChecksum(v uint16) { binary.BigEndian.PutUint16(b[tcpChecksum:], v) }
