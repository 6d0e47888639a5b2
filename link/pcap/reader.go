package pcap

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// Link types (https://www.tcpdump.org/linktypes.html) that captures of
// TCP/IP traffic carry, besides LinkTypeRaw.
const (
	// LinkTypeEthernet is LINKTYPE_ETHERNET: an Ethernet II frame.
	LinkTypeEthernet = 1
	// LinkTypeLinuxSLL is LINKTYPE_LINUX_SLL, Linux "cooked" capture v1,
	// which tcpdump -i any writes.
	LinkTypeLinuxSLL = 113
	// LinkTypeIPv4 is LINKTYPE_IPV4: a raw IPv4 packet.
	LinkTypeIPv4 = 228
	// LinkTypeIPv6 is LINKTYPE_IPV6: a raw IPv6 packet.
	LinkTypeIPv6 = 229
	// LinkTypeLinuxSLL2 is LINKTYPE_LINUX_SLL2, Linux "cooked" capture v2.
	LinkTypeLinuxSLL2 = 276
)

// Magic numbers of the classic format: microsecond and nanosecond
// timestamps, read in the file's own byte order.
const (
	magicMicros = 0xa1b2c3d4
	// maxRecordLen bounds one record or block so that a corrupt length
	// cannot make the reader allocate without limit; it is far above any
	// snapshot length tcpdump or dumpcap use.
	maxRecordLen = 16 << 20
)

// Record is one captured packet.
type Record struct {
	// Time is when the packet was captured.
	Time time.Time
	// LinkType says how Data starts (LinkTypeEthernet, LinkTypeRaw, ...).
	LinkType uint16
	// Interface is the index of the capture interface in a pcapng
	// section (0 in a classic pcap file).
	Interface int
	// Data is the captured bytes. It is only valid until the next call to
	// Next, which reuses its storage.
	Data []byte
	// OrigLen is the length of the packet on the wire; more than len(Data)
	// when the capture cut it to its snapshot length.
	OrigLen int
	// Offset is where the record starts in the file.
	Offset int64
}

// FormatError reports a capture file that cannot be read: what is wrong
// and the offset in the file where it was found.
type FormatError struct {
	Offset int64
	What   string // e.g. "truncated packet record"
}

// Error returns e.g. "pcap: truncated packet record at offset 1234".
func (e *FormatError) Error() string {
	return fmt.Sprintf("pcap: %s at offset %d", e.What, e.Offset)
}

// Reader reads the packets of a capture file in the classic libpcap format
// (either byte order, microsecond or nanosecond timestamps) or in pcapng
// (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-03.html; section
// header, interface description, enhanced, simple and obsolete packet
// blocks, any number of interfaces with their own link types and timestamp
// resolutions; other blocks are skipped). It is not safe for concurrent use.
type Reader struct {
	r   io.Reader
	off int64 // bytes consumed so far
	buf []byte
	// Exactly one of classic and ng is set.
	classic *classicFormat
	ng      *ngFormat
}

// classicFormat is the state of a classic pcap file: its byte order, the
// unit of its fractional timestamps and its one link type.
type classicFormat struct {
	order    binary.ByteOrder
	nanos    bool
	linkType uint16
}

// NewReader reads the file header from r and returns a Reader of the
// packets that follow. It fails with a *FormatError on a file that is
// neither pcap nor pcapng.
func NewReader(r io.Reader) (*Reader, error) {
	rd := &Reader{r: r}
	head, err := rd.read(4, "file header")
	if errors.Is(err, errCleanEOF) {
		return nil, &FormatError{Offset: 0, What: "empty file"}
	}
	if err != nil {
		return nil, err
	}
	if binary.LittleEndian.Uint32(head) == ngBlockSHB {
		rd.ng = &ngFormat{}
		length, err := rd.read(4, "section header block")
		if err != nil {
			return nil, &FormatError{Offset: 0, What: "truncated section header block"}
		}
		if err := rd.ngSection(0, [4]byte(length)); err != nil {
			return nil, err
		}
		return rd, nil
	}
	if err := rd.classicHeader(head); err != nil {
		return nil, err
	}
	return rd, nil
}

// classicHeader reads the rest of a classic file header whose first four
// bytes, the magic number, are magic.
func (rd *Reader) classicHeader(magic []byte) error {
	f := &classicFormat{}
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		switch order.Uint32(magic) {
		case magicMicros:
			f.order = order
		case magicNanos:
			f.order, f.nanos = order, true
		}
	}
	if f.order == nil {
		return &FormatError{Offset: 0, What: fmt.Sprintf("not a pcap or pcapng file (magic %#08x)", binary.BigEndian.Uint32(magic))}
	}
	h, err := rd.read(fileHeaderLen-4, "file header")
	if err != nil {
		return err
	}
	if major := f.order.Uint16(h[0:]); major != versionMajor {
		return &FormatError{Offset: 4, What: fmt.Sprintf("unsupported pcap version %d", major)}
	}
	// The low 16 bits of the last field are the link type; the upper
	// bits may describe a frame check sequence, which we do not need.
	f.linkType = uint16(f.order.Uint32(h[16:]))
	rd.classic = f
	return nil
}

// Next returns the next packet, or io.EOF after the last one. A file that
// ends inside a record, or holds an impossible one, gives a *FormatError.
func (rd *Reader) Next() (Record, error) {
	if rd.ng != nil {
		return rd.ngNext()
	}
	return rd.classicNext()
}

// classicNext reads one record of a classic pcap file.
func (rd *Reader) classicNext() (Record, error) {
	f := rd.classic
	start := rd.off
	h, err := rd.read(recordHeaderLen, "packet record")
	if errors.Is(err, errCleanEOF) {
		return Record{}, io.EOF
	}
	if err != nil {
		return Record{}, err
	}
	sec, frac := f.order.Uint32(h[0:]), f.order.Uint32(h[4:])
	incl, orig := f.order.Uint32(h[8:]), f.order.Uint32(h[12:])
	if incl > maxRecordLen {
		return Record{}, &FormatError{Offset: start, What: fmt.Sprintf("packet record of %d bytes", incl)}
	}
	data, err := rd.read(int(incl), "packet record")
	if err != nil {
		return Record{}, &FormatError{Offset: start, What: "truncated packet record"}
	}
	ns := int64(frac) * 1000
	if f.nanos {
		ns = int64(frac)
	}
	return Record{
		Time:     time.Unix(int64(sec), ns),
		LinkType: f.linkType,
		Data:     data,
		OrigLen:  max(int(orig), len(data)),
		Offset:   start,
	}, nil
}

// errCleanEOF is read's error for a file that ends exactly where a record
// or block would start: the normal end of a capture.
var errCleanEOF = errors.New("pcap: end of file")

// read reads exactly n bytes into the reader's buffer and returns them; what
// names the structure being read for the error. At the end of the file
// before any byte it returns errCleanEOF; inside it, a truncation error.
func (rd *Reader) read(n int, what string) ([]byte, error) {
	if cap(rd.buf) < n {
		rd.buf = make([]byte, n)
	}
	b := rd.buf[:n]
	got, err := io.ReadFull(rd.r, b)
	start := rd.off
	rd.off += int64(got)
	switch {
	case err == nil:
		return b, nil
	case errors.Is(err, io.EOF):
		return nil, errCleanEOF
	case errors.Is(err, io.ErrUnexpectedEOF):
		return nil, &FormatError{Offset: start, What: "truncated " + what}
	}
	return nil, err
}
