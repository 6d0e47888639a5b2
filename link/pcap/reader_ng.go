package pcap

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"time"
)

// pcapng block types and option codes (draft-ietf-opsawg-pcapng §4, §11).
const (
	ngBlockSHB = 0x0a0d0d0a // section header (a palindrome: the same in either byte order)
	ngBlockIDB = 1          // interface description
	ngBlockOPB = 2          // packet block, obsolete
	ngBlockSPB = 3          // simple packet
	ngBlockEPB = 6          // enhanced packet

	ngByteOrderMagic = 0x1a2b3c4d
	ngOptEnd         = 0
	ngOptTSResol     = 9  // if_tsresol: timestamp resolution
	ngOptTSOffset    = 14 // if_tsoffset: seconds added to every timestamp

	ngMinBlockLen = 12 // type, length, length again
	ngSHBMinLen   = 28 // plus byte-order magic, version and section length
)

// ngFormat is the state of a pcapng file: the current section's byte order
// and the interfaces it has described so far.
type ngFormat struct {
	order  binary.ByteOrder
	ifaces []ngInterface
	// last is the time of the last packet read, given to simple packet
	// blocks, which carry none.
	last time.Time
}

// ngInterface is what an interface description block says about the
// packets captured on that interface.
type ngInterface struct {
	linkType uint16
	snapLen  uint32
	perSec   uint64 // timestamp units per second (if_tsresol; 10^6 by default)
	offset   int64  // seconds added to each timestamp (if_tsoffset)
}

// ngSection reads the rest of a section header block that starts at start,
// whose type and length fields (length, still undecoded) have been read, and
// starts a new section: its byte order, no interfaces yet.
func (rd *Reader) ngSection(start int64, length [4]byte) error {
	h, err := rd.read(4, "section header block")
	if err != nil {
		return &FormatError{Offset: start, What: "truncated section header block"}
	}
	var order binary.ByteOrder
	switch binary.LittleEndian.Uint32(h) {
	case ngByteOrderMagic:
		order = binary.LittleEndian
	case bits.ReverseBytes32(ngByteOrderMagic):
		order = binary.BigEndian
	default:
		return &FormatError{Offset: start, What: "bad pcapng byte-order magic"}
	}
	n := order.Uint32(length[:])
	if n < ngSHBMinLen || n%4 != 0 || n > maxRecordLen {
		return &FormatError{Offset: start, What: fmt.Sprintf("section header block of bad length %d", n)}
	}
	body, err := rd.read(int(n)-12, "section header block")
	if err != nil {
		return &FormatError{Offset: start, What: "truncated section header block"}
	}
	if major := order.Uint16(body[0:]); major != 1 {
		return &FormatError{Offset: start, What: fmt.Sprintf("unsupported pcapng version %d", major)}
	}
	if order.Uint32(body[len(body)-4:]) != n {
		return &FormatError{Offset: start, What: "section header block lengths differ"}
	}
	rd.ng.order, rd.ng.ifaces = order, rd.ng.ifaces[:0]
	return nil
}

// ngNext reads blocks until one holds a packet, and returns it.
func (rd *Reader) ngNext() (Record, error) {
	for {
		start := rd.off
		h, err := rd.read(8, "block")
		if errors.Is(err, errCleanEOF) {
			return Record{}, io.EOF
		}
		if err != nil {
			return Record{}, err
		}
		typ := rd.ng.order.Uint32(h[0:])
		if typ == ngBlockSHB {
			// A new section, perhaps in the other byte order: the
			// length is decoded once its byte-order magic is read.
			if err := rd.ngSection(start, [4]byte(h[4:8])); err != nil {
				return Record{}, err
			}
			continue
		}
		n := rd.ng.order.Uint32(h[4:])
		if n < ngMinBlockLen || n%4 != 0 || n > maxRecordLen {
			return Record{}, &FormatError{Offset: start, What: fmt.Sprintf("block of bad length %d", n)}
		}
		body, err := rd.read(int(n)-8, "block")
		if err != nil {
			return Record{}, &FormatError{Offset: start, What: "truncated block"}
		}
		if rd.ng.order.Uint32(body[len(body)-4:]) != n {
			return Record{}, &FormatError{Offset: start, What: "block lengths differ"}
		}
		rec, ok, err := rd.ngBlock(typ, body[:len(body)-4], start)
		if err != nil || ok {
			return rec, err
		}
	}
}

// ngBlock decodes the body of one block (without its trailing length). It
// reports whether the block held a packet.
func (rd *Reader) ngBlock(typ uint32, body []byte, start int64) (Record, bool, error) {
	switch typ {
	case ngBlockIDB:
		return Record{}, false, rd.ngInterface(body, start)
	case ngBlockEPB, ngBlockOPB:
		return rd.ngPacket(typ, body, start)
	case ngBlockSPB:
		return rd.ngSimplePacket(body, start)
	}
	return Record{}, false, nil // a block we do not need: skipped
}

// ngInterface decodes an interface description block.
func (rd *Reader) ngInterface(body []byte, start int64) error {
	if len(body) < 8 {
		return &FormatError{Offset: start, What: "short interface description block"}
	}
	o := rd.ng.order
	ifc := ngInterface{linkType: o.Uint16(body[0:]), snapLen: o.Uint32(body[4:]), perSec: 1e6}
	opts := body[8:]
	for len(opts) >= 4 {
		code, n := o.Uint16(opts[0:]), int(o.Uint16(opts[2:]))
		if code == ngOptEnd {
			break
		}
		padded := (n + 3) &^ 3
		if 4+padded > len(opts) {
			return &FormatError{Offset: start, What: "interface option overruns its block"}
		}
		v := opts[4 : 4+n]
		switch {
		case code == ngOptTSResol && n == 1:
			perSec, ok := tsUnits(v[0])
			if !ok {
				return &FormatError{Offset: start, What: fmt.Sprintf("unsupported timestamp resolution %#x", v[0])}
			}
			ifc.perSec = perSec
		case code == ngOptTSOffset && n == 8:
			ifc.offset = int64(o.Uint64(v))
		}
		opts = opts[4+padded:]
	}
	rd.ng.ifaces = append(rd.ng.ifaces, ifc)
	if len(rd.ng.ifaces) > maxInterfaces {
		return &FormatError{Offset: start, What: "too many interfaces"}
	}
	return nil
}

// maxInterfaces bounds the interfaces of one section, so that a file of
// nothing but interface blocks cannot grow the reader without limit.
const maxInterfaces = 1 << 16

// tsUnits decodes if_tsresol: a negative power of ten, or of two when the
// top bit is set. It reports false for a unit finer than 64 bits can count.
func tsUnits(v byte) (uint64, bool) {
	if v&0x80 != 0 {
		if v&0x7f > 63 {
			return 0, false
		}
		return 1 << (v & 0x7f), true
	}
	if v > 19 {
		return 0, false
	}
	n := uint64(1)
	for range v {
		n *= 10
	}
	return n, true
}

// ngPacket decodes an enhanced or obsolete packet block (typ): the
// interface index (32 bits, or 16 bits and a drop count), the timestamp,
// both lengths, then the data.
func (rd *Reader) ngPacket(typ uint32, body []byte, start int64) (Record, bool, error) {
	const hdr = 20
	if len(body) < hdr {
		return Record{}, false, &FormatError{Offset: start, What: "short packet block"}
	}
	iface := int(rd.ng.order.Uint32(body[0:]))
	if typ == ngBlockOPB {
		iface = int(rd.ng.order.Uint16(body[0:]))
	}
	if iface < 0 || iface >= len(rd.ng.ifaces) {
		return Record{}, false, &FormatError{Offset: start, What: fmt.Sprintf("packet block for undescribed interface %d", iface)}
	}
	o := rd.ng.order
	ts := uint64(o.Uint32(body[hdr-16:]))<<32 | uint64(o.Uint32(body[hdr-12:]))
	incl, orig := o.Uint32(body[hdr-8:]), o.Uint32(body[hdr-4:])
	if uint64(incl) > uint64(len(body)-hdr) {
		return Record{}, false, &FormatError{Offset: start, What: "truncated packet block"}
	}
	ifc := rd.ng.ifaces[iface]
	rec := Record{
		Time:      ifc.time(ts),
		LinkType:  ifc.linkType,
		Interface: iface,
		Data:      body[hdr : hdr+int(incl)],
		OrigLen:   max(int(orig), int(incl)),
		Offset:    start,
	}
	rd.ng.last = rec.Time
	return rec, true, nil
}

// ngSimplePacket decodes a simple packet block, which belongs to the
// section's first interface and has no timestamp: it gets the time of the
// packet before it.
func (rd *Reader) ngSimplePacket(body []byte, start int64) (Record, bool, error) {
	if len(body) < 4 {
		return Record{}, false, &FormatError{Offset: start, What: "short simple packet block"}
	}
	if len(rd.ng.ifaces) == 0 {
		return Record{}, false, &FormatError{Offset: start, What: "simple packet block before any interface"}
	}
	ifc := rd.ng.ifaces[0]
	orig := int(rd.ng.order.Uint32(body[0:]))
	n := min(orig, len(body)-4)
	if ifc.snapLen > 0 {
		n = min(n, int(ifc.snapLen))
	}
	return Record{
		Time:     rd.ng.last,
		LinkType: ifc.linkType,
		Data:     body[4 : 4+n],
		OrigLen:  max(orig, n),
		Offset:   start,
	}, true, nil
}

// time converts a timestamp in the interface's units to a time.
func (ifc ngInterface) time(ts uint64) time.Time {
	sec, frac := ts/ifc.perSec, ts%ifc.perSec
	hi, lo := bits.Mul64(frac, 1e9)
	ns, _ := bits.Div64(hi, lo, ifc.perSec) // hi < perSec since frac < perSec
	return time.Unix(int64(sec)+ifc.offset, int64(ns))
}
