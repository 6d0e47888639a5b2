package wire

import "encoding/binary"

// TCPHeader holds the fixed fields of a TCP header to be written by
// PutTCPHeader (RFC 9293 §3.1). The data offset and checksum are not
// included: PutTCPHeader derives the first, SetChecksum stores the second.
type TCPHeader struct {
	SrcPort, DstPort uint16
	Seq, Ack         uint32
	Flags            TCPFlags
	Window           uint16
	Urgent           uint16
}

// PutTCPHeader writes h and the options o (nil for none) into the start of
// b and returns the header length, 20 + o.Len(). The checksum field is left
// zero; compute it over the whole segment with TransportChecksum and store
// it with SetChecksum. b must hold at least the header length.
func PutTCPHeader(b []byte, h TCPHeader, o *TCPOptions) int {
	n := TCPMinHeaderLen
	if o != nil {
		n += o.Len()
	}
	t := b[:n]
	binary.BigEndian.PutUint16(t[tcpSrcPort:], h.SrcPort)
	binary.BigEndian.PutUint16(t[tcpDstPort:], h.DstPort)
	binary.BigEndian.PutUint32(t[tcpSeq:], h.Seq)
	binary.BigEndian.PutUint32(t[tcpAck:], h.Ack)
	t[tcpDataOffset] = byte(n/4) << 4
	t[tcpFlags] = byte(h.Flags)
	binary.BigEndian.PutUint16(t[tcpWindow:], h.Window)
	binary.BigEndian.PutUint16(t[tcpChecksum:], 0)
	binary.BigEndian.PutUint16(t[tcpUrgent:], h.Urgent)
	if o != nil {
		o.put(t[TCPMinHeaderLen:])
	}
	return n
}
