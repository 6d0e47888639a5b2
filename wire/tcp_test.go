package wire

import (
	"errors"
	"testing"
)

// buildTCP returns a segment with header h, options o and payload, its
// checksum computed for testSrc4 -> testDst4.
func buildTCP(h TCPHeader, o *TCPOptions, payload []byte) []byte {
	b := make([]byte, TCPMaxHeaderLen+len(payload))
	n := PutTCPHeader(b, h, o)
	b = append(b[:n], payload...)
	TCP(b).SetChecksum(TransportChecksum(testSrc4, testDst4, ProtoTCP, b))
	return b
}

func TestTCPRoundTrip(t *testing.T) {
	h := TCPHeader{
		SrcPort: 49152, DstPort: 443, Seq: 0xdeadbeef, Ack: 0x01020304,
		Flags: FlagSYN | FlagACK | FlagECE, Window: 65535, Urgent: 7,
	}
	o := TCPOptions{MSS: 1460, HasMSS: true, WScale: 7, HasWScale: true, SACKPermitted: true, TSVal: 1, TSEcr: 2, HasTS: true}
	b := TCP(buildTCP(h, &o, []byte("payload")))
	if err := b.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	got := TCPHeader{
		SrcPort: b.SrcPort(), DstPort: b.DstPort(), Seq: b.Seq(), Ack: b.Ack(),
		Flags: b.Flags(), Window: b.Window(), Urgent: b.Urgent(),
	}
	if got != h {
		t.Fatalf("header = %+v, want %+v", got, h)
	}
	if b.DataOffset() != 20+o.Len() || len(b.Options()) != o.Len() || string(b.Payload()) != "payload" {
		t.Fatalf("data offset %d options %d payload %q", b.DataOffset(), len(b.Options()), b.Payload())
	}
	var p TCPOptions
	if err := b.ParseOptions(&p); err != nil || p != o {
		t.Fatalf("ParseOptions = %+v, %v; want %+v", p, err, o)
	}
	if !TransportChecksumValid(testSrc4, testDst4, ProtoTCP, b) || b.Checksum() == 0 {
		t.Fatalf("checksum %#04x does not verify", b.Checksum())
	}
}

func TestTCPNoOptions(t *testing.T) {
	b := TCP(buildTCP(TCPHeader{SrcPort: 1, DstPort: 2, Flags: FlagRST}, nil, nil))
	if len(b) != TCPMinHeaderLen || b.DataOffset() != TCPMinHeaderLen {
		t.Fatalf("len %d data offset %d", len(b), b.DataOffset())
	}
	if err := b.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if len(b.Options()) != 0 || len(b.Payload()) != 0 || b.Flags() != FlagRST {
		t.Fatalf("options %x payload %x flags %v", b.Options(), b.Payload(), b.Flags())
	}
}

func TestTCPMalformed(t *testing.T) {
	good := buildTCP(TCPHeader{SrcPort: 1, DstPort: 2}, &TCPOptions{MSS: 536, HasMSS: true}, []byte("x"))
	tests := []struct {
		name string
		edit func(b []byte)
		want error
	}{
		{"data offset 4", func(b []byte) { b[12] = 4 << 4 }, ErrBadHeaderLen},
		{"data offset 0", func(b []byte) { b[12] = 0 }, ErrBadHeaderLen},
		{"data offset past end", func(b []byte) { b[12] = 7 << 4 }, ErrTruncated},
		{"MSS length 3", func(b []byte) { b[21] = 3 }, ErrBadOption},
		{"option length 0", func(b []byte) { b[21] = 0 }, ErrBadOption},
		{"option past end", func(b []byte) { b[20], b[21] = 99, 5 }, ErrBadOption},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := append([]byte(nil), good...)
			tt.edit(b)
			if err := TCP(b).Validate(); !errors.Is(err, tt.want) {
				t.Fatalf("Validate = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestTCPTruncatedEveryLength(t *testing.T) {
	good := buildTCP(TCPHeader{SrcPort: 1}, &TCPOptions{HasTS: true, TSVal: 5}, nil)
	for n := range len(good) {
		if err := TCP(good[:n]).Validate(); err == nil {
			t.Fatalf("Validate accepted a header cut to %d of %d bytes", n, len(good))
		}
	}
}
