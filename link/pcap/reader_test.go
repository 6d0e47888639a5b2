package pcap

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// readAll reads every record of a capture, copying the data.
func readAll(t *testing.T, b []byte) []Record {
	t.Helper()
	r, err := NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	var out []Record
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("Next after %d records: %v", len(out), err)
		}
		rec.Data = bytes.Clone(rec.Data)
		out = append(out, rec)
	}
}

func TestReaderReadsWhatWriterWrote(t *testing.T) {
	var buf bytes.Buffer
	w, _ := NewWriter(&buf)
	t0 := time.Unix(1700000000, 123456789)
	w.WritePacket(t0, []byte{0x45, 1, 2})
	w.WritePacket(t0.Add(time.Second), []byte{0x60})
	recs := readAll(t, buf.Bytes())
	if len(recs) != 2 {
		t.Fatalf("%d records, want 2", len(recs))
	}
	if !recs[0].Time.Equal(t0) || !bytes.Equal(recs[0].Data, []byte{0x45, 1, 2}) || recs[0].LinkType != LinkTypeRaw {
		t.Errorf("record 0 = %+v", recs[0])
	}
	if !recs[1].Time.Equal(t0.Add(time.Second)) || recs[1].Offset != 24+16+3 {
		t.Errorf("record 1 = %+v", recs[1])
	}
}

// classicFile builds a classic pcap file by hand in the given byte order
// and timestamp unit, with one record per packet, 1.5 s apart.
func classicFile(order orderer, nanos bool, linkType uint32, pkts ...[]byte) []byte {
	var b []byte
	magic := uint32(magicMicros)
	if nanos {
		magic = magicNanos
	}
	b = order.AppendUint32(b, magic)
	b = order.AppendUint16(b, 2)
	b = order.AppendUint16(b, 4)
	b = append(b, make([]byte, 8)...)
	b = order.AppendUint32(b, 65535)
	b = order.AppendUint32(b, linkType)
	for i, p := range pkts {
		frac := uint32(500000)
		if nanos {
			frac = 500000000
		}
		b = order.AppendUint32(b, uint32(100+i*2))
		b = order.AppendUint32(b, frac)
		b = order.AppendUint32(b, uint32(len(p)))
		b = order.AppendUint32(b, uint32(len(p)+10))
		b = append(b, p...)
	}
	return b
}

func TestReaderClassicByteOrdersAndUnits(t *testing.T) {
	for _, order := range []orderer{binary.LittleEndian, binary.BigEndian} {
		for _, nanos := range []bool{false, true} {
			recs := readAll(t, classicFile(order, nanos, LinkTypeEthernet, []byte("abc"), []byte("de")))
			if len(recs) != 2 {
				t.Fatalf("%v nanos=%v: %d records", order, nanos, len(recs))
			}
			want := time.Unix(102, 500000000)
			if got := recs[1]; !got.Time.Equal(want) || string(got.Data) != "de" || got.OrigLen != 12 || got.LinkType != LinkTypeEthernet {
				t.Errorf("%v nanos=%v: record 1 = %+v, want time %v", order, nanos, got, want)
			}
		}
	}
}

func TestReaderPcapngFromGopacket(t *testing.T) {
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriterInterface(&buf, pcapgo.NgInterface{Name: "eth0", LinkType: layers.LinkTypeEthernet, SnapLength: 65535},
		pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{Application: "test"}})
	if err != nil {
		t.Fatal(err)
	}
	id, err := w.AddInterface(pcapgo.NgInterface{Name: "any", LinkType: layers.LinkType(LinkTypeLinuxSLL2), TimestampResolution: 9})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Unix(1700000000, 987654321)
	w.WritePacket(gopacket.CaptureInfo{Timestamp: t0, CaptureLength: 3, Length: 3}, []byte("one"))
	w.WritePacket(gopacket.CaptureInfo{Timestamp: t0.Add(time.Millisecond), CaptureLength: 5, Length: 9, InterfaceIndex: id}, []byte("two22"))
	w.Flush()
	recs := readAll(t, buf.Bytes())
	if len(recs) != 2 {
		t.Fatalf("%d records, want 2", len(recs))
	}
	if r := recs[0]; !r.Time.Equal(t0) || string(r.Data) != "one" || r.LinkType != LinkTypeEthernet || r.Interface != 0 {
		t.Errorf("record 0 = %+v", r)
	}
	if r := recs[1]; !r.Time.Equal(t0.Add(time.Millisecond)) || string(r.Data) != "two22" || r.OrigLen != 9 || r.LinkType != LinkTypeLinuxSLL2 || r.Interface != 1 {
		t.Errorf("record 1 = %+v", r)
	}
}

// ngBlock builds a pcapng block of type typ around body, padded.
func ngBlockBytes(order orderer, typ uint32, body []byte) []byte {
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	n := uint32(12 + len(body))
	b := order.AppendUint32(nil, typ)
	b = order.AppendUint32(b, n)
	b = append(b, body...)
	return order.AppendUint32(b, n)
}

// ngFile builds a pcapng section by hand: a section header, an interface
// with the given tsresol and link type, then the blocks.
func ngFile(order orderer, linkType uint16, tsresol byte, blocks ...[]byte) []byte {
	shb := order.AppendUint32(nil, ngByteOrderMagic)
	shb = order.AppendUint16(shb, 1)
	shb = order.AppendUint16(shb, 0)
	shb = order.AppendUint64(shb, ^uint64(0))
	idb := order.AppendUint16(nil, linkType)
	idb = order.AppendUint16(idb, 0)
	idb = order.AppendUint32(idb, 0)
	idb = order.AppendUint16(idb, ngOptTSResol)
	idb = order.AppendUint16(idb, 1)
	idb = append(idb, tsresol, 0, 0, 0)
	idb = order.AppendUint16(idb, ngOptEnd)
	idb = order.AppendUint16(idb, 0)
	b := append(ngBlockBytes(order, ngBlockSHB, shb), ngBlockBytes(order, ngBlockIDB, idb)...)
	for _, blk := range blocks {
		b = append(b, blk...)
	}
	return b
}

// epb builds an enhanced packet block for interface 0 at timestamp ts.
func epb(order orderer, ts uint64, data string) []byte {
	b := order.AppendUint32(nil, 0)
	b = order.AppendUint32(b, uint32(ts>>32))
	b = order.AppendUint32(b, uint32(ts))
	b = order.AppendUint32(b, uint32(len(data)))
	b = order.AppendUint32(b, uint32(len(data)))
	return ngBlockBytes(order, ngBlockEPB, append(b, data...))
}

func TestReaderPcapngByHand(t *testing.T) {
	for _, order := range []orderer{binary.LittleEndian, binary.BigEndian} {
		spb := ngBlockBytes(order, ngBlockSPB, append(order.AppendUint32(nil, 4), "simp"...))
		unknown := ngBlockBytes(order, 0x0bad, []byte("whatever"))
		// tsresol 2^-10: 1024 units per second.
		file := ngFile(order, LinkTypeRaw, 0x80|10, epb(order, 3*1024+512, "epb!"), unknown, spb)
		recs := readAll(t, file)
		if len(recs) != 2 {
			t.Fatalf("%v: %d records, want 2", order, len(recs))
		}
		want := time.Unix(3, 500000000)
		if !recs[0].Time.Equal(want) || string(recs[0].Data) != "epb!" || recs[0].LinkType != LinkTypeRaw {
			t.Errorf("%v: EPB record = %+v", order, recs[0])
		}
		if !recs[1].Time.Equal(want) || string(recs[1].Data) != "simp" {
			t.Errorf("%v: SPB record = %+v (want the time of the packet before)", order, recs[1])
		}
	}
}

func TestReaderPcapngNewSectionInOtherByteOrder(t *testing.T) {
	le, be := binary.LittleEndian, binary.BigEndian
	file := append(ngFile(le, LinkTypeEthernet, 6, epb(le, 1e6, "le")), ngFile(be, LinkTypeRaw, 9, epb(be, 2e9, "be"))...)
	recs := readAll(t, file)
	if len(recs) != 2 || string(recs[1].Data) != "be" || recs[1].LinkType != LinkTypeRaw || !recs[1].Time.Equal(time.Unix(2, 0)) {
		t.Fatalf("records = %+v", recs)
	}
}

// readErr returns the first error reading b, or nil.
func readErr(b []byte) error {
	r, err := NewReader(bytes.NewReader(b))
	if err != nil {
		return err
	}
	for {
		if _, err := r.Next(); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
	}
}

func TestReaderBadInput(t *testing.T) {
	le := binary.LittleEndian
	good := classicFile(le, false, LinkTypeRaw, []byte("0123456789"), []byte("abcdef"))
	ng := ngFile(le, LinkTypeRaw, 6, epb(le, 1, "abcd"))
	cases := []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "pcap: empty file at offset 0"},
		{"not a capture", []byte("hello, world, this is text"), "pcap: not a pcap or pcapng file (magic 0x68656c6c) at offset 0"},
		{"short header", good[:10], "pcap: truncated file header at offset 4"},
		{"truncated record header", good[:24+16+10+5], "pcap: truncated packet record at offset 50"},
		{"truncated record data", good[:len(good)-1], "pcap: truncated packet record at offset 50"},
		{"huge record", append(classicFile(le, false, LinkTypeRaw), le.AppendUint32(le.AppendUint32(make([]byte, 8), 1<<30), 1<<30)...), "pcap: packet record of 1073741824 bytes at offset 24"},
		{"truncated block", ng[:len(ng)-3], "pcap: truncated block at offset 60"},
		{"undescribed interface", append(ng, ngBlockBytes(le, ngBlockEPB, append(le.AppendUint32(nil, 7), make([]byte, 16)...))...), "pcap: packet block for undescribed interface 7 at offset 96"},
		{"bad block length", append(ng, 6, 0, 0, 0, 5, 0, 0, 0), "pcap: block of bad length 5 at offset 96"},
	}
	for _, c := range cases {
		err := readErr(c.b)
		var fe *FormatError
		if err == nil || !errors.As(err, &fe) || err.Error() != c.want {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
	if err := readErr(good); err != nil {
		t.Errorf("good file: %v", err)
	}
}

// FuzzReader feeds arbitrary bytes to the reader: it returns records or an
// error, never panics, and never returns data longer than the input.
func FuzzReader(f *testing.F) {
	le, be := binary.LittleEndian, binary.BigEndian
	f.Add(classicFile(le, false, LinkTypeEthernet, []byte("abc")))
	f.Add(classicFile(be, true, LinkTypeRaw, []byte("abc"), []byte("xy")))
	f.Add(ngFile(le, LinkTypeRaw, 0x80|10, epb(le, 5, "epb!"), ngBlockBytes(le, ngBlockSPB, append(le.AppendUint32(nil, 4), "simp"...))))
	f.Add(ngFile(be, LinkTypeEthernet, 9, epb(be, 5, "x")))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := NewReader(bytes.NewReader(b))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "pcap: ") {
				t.Fatalf("error without prefix: %v", err)
			}
			return
		}
		for range len(b) + 1 {
			rec, err := r.Next()
			if err != nil {
				return
			}
			if len(rec.Data) > len(b) {
				t.Fatalf("record of %d bytes from %d bytes of input", len(rec.Data), len(b))
			}
		}
		t.Fatalf("more records than bytes")
	})
}

// orderer is a byte order that can also append (both of encoding/binary's
// byte orders are).
type orderer interface {
	binary.ByteOrder
	binary.AppendByteOrder
}
