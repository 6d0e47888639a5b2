// Package pcap writes packet captures in the classic libpcap file format,
// which Wireshark, tshark and tcpdump read, taps a link.Link to capture
// its traffic, and reads captures in the pcap and pcapng formats.
package pcap

import (
	"encoding/binary"
	"io"
	"sync"
	"time"
)

// File format constants: the classic libpcap format with nanosecond
// timestamps (https://www.tcpdump.org/manpages/pcap-savefile.5.html).
const (
	magicNanos   = 0xa1b23c4d
	versionMajor = 2
	versionMinor = 4
	// SnapLen is the most bytes of each packet a capture keeps.
	SnapLen = 262144
	// LinkTypeRaw is LINKTYPE_RAW: each record is a raw IPv4 or IPv6
	// packet with no link-layer header.
	LinkTypeRaw = 101

	fileHeaderLen   = 24
	recordHeaderLen = 16
)

// Writer writes packets to a pcap stream. It is safe for concurrent use.
type Writer struct {
	mu  sync.Mutex
	w   io.Writer
	hdr [recordHeaderLen]byte // reused record header, guarded by mu
}

// NewWriter writes the pcap file header to w and returns a Writer that
// appends packets to it. The caller owns w: flushing or closing it is left
// to the caller.
func NewWriter(w io.Writer) (*Writer, error) {
	var h [fileHeaderLen]byte
	le := binary.LittleEndian
	le.PutUint32(h[0:], magicNanos)
	le.PutUint16(h[4:], versionMajor)
	le.PutUint16(h[6:], versionMinor)
	// h[8:16]: time zone offset and timestamp accuracy, both zero.
	le.PutUint32(h[16:], SnapLen)
	le.PutUint32(h[20:], LinkTypeRaw)
	if _, err := w.Write(h[:]); err != nil {
		return nil, err
	}
	return &Writer{w: w}, nil
}

// WritePacket appends pkt, captured at t, as one record. A packet longer
// than SnapLen is cut to SnapLen bytes, its original length recorded. The
// format cannot represent times before 1970; they are written as 1970.
func (w *Writer) WritePacket(t time.Time, pkt []byte) error {
	return w.writeAt(func() time.Time { return t }, pkt)
}

// writeAt appends pkt as one record, stamped with the time now returns.
// It calls now with the writer locked, so that records whose callers read
// one clock are written in the order of their times whatever the
// goroutines they come from.
func (w *Writer) writeAt(now func() time.Time, pkt []byte) error {
	captured := pkt[:min(len(pkt), SnapLen)]
	w.mu.Lock()
	defer w.mu.Unlock()
	ns := max(now().UnixNano(), 0)
	le := binary.LittleEndian
	le.PutUint32(w.hdr[0:], uint32(ns/1e9))
	le.PutUint32(w.hdr[4:], uint32(ns%1e9))
	le.PutUint32(w.hdr[8:], uint32(len(captured)))
	le.PutUint32(w.hdr[12:], uint32(len(pkt)))
	if _, err := w.w.Write(w.hdr[:]); err != nil {
		return err
	}
	_, err := w.w.Write(captured)
	return err
}
