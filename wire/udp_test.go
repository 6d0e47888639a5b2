package wire

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"
)

// buildUDP builds a datagram from src to dst carrying payload.
func buildUDP(src, dst netip.AddrPort, payload []byte) []byte {
	b := make([]byte, UDPHeaderLen+len(payload))
	copy(b[UDPHeaderLen:], payload)
	return b[:PutUDPHeader(b, src, dst, len(payload))]
}

var (
	udpSrc4 = netip.AddrPortFrom(testSrc4, 40000)
	udpDst4 = netip.AddrPortFrom(testDst4, 53)
	udpSrc6 = netip.AddrPortFrom(testSrc6, 40000)
	udpDst6 = netip.AddrPortFrom(testDst6, 53)
)

func TestUDPRoundTrip(t *testing.T) {
	for _, ends := range [][2]netip.AddrPort{{udpSrc4, udpDst4}, {udpSrc6, udpDst6}} {
		for _, payload := range [][]byte{nil, []byte("x"), []byte("odd length!"), bytes.Repeat([]byte{0xff}, 1472)} {
			d := UDP(buildUDP(ends[0], ends[1], payload))
			if err := d.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if d.SrcPort() != 40000 || d.DstPort() != 53 || d.Length() != UDPHeaderLen+len(payload) || !bytes.Equal(d.Payload(), payload) {
				t.Fatalf("fields %d %d %d %q", d.SrcPort(), d.DstPort(), d.Length(), d.Payload())
			}
			if d.Checksum() == 0 {
				t.Fatal("PutUDPHeader left the checksum zero")
			}
			if err := d.VerifyChecksum(ends[0].Addr(), ends[1].Addr()); err != nil {
				t.Fatalf("VerifyChecksum: %v", err)
			}
			// Any flipped bit is caught, and so are the wrong addresses.
			d[len(d)-1] ^= 0x01
			if err := d.VerifyChecksum(ends[0].Addr(), ends[1].Addr()); err != ErrBadChecksum {
				t.Fatalf("flipped bit: %v, want ErrBadChecksum", err)
			}
			d[len(d)-1] ^= 0x01
			if err := d.VerifyChecksum(ends[1].Addr(), ends[1].Addr()); err != ErrBadChecksum {
				t.Fatalf("wrong source: %v, want ErrBadChecksum", err)
			}
		}
	}
}

func TestUDPValidate(t *testing.T) {
	good := buildUDP(udpSrc4, udpDst4, []byte("hello"))
	setLen := func(n uint16) []byte {
		b := append([]byte(nil), good...)
		binary.BigEndian.PutUint16(b[udpLength:], n)
		return b
	}
	cases := map[string]struct {
		b    []byte
		want error
	}{
		"empty":               {nil, ErrTruncated},
		"short header":        {good[:7], ErrTruncated},
		"length below 8":      {setLen(7), ErrBadTotalLen},
		"length past end":     {setLen(uint16(len(good) + 1)), ErrBadTotalLen},
		"header only":         {setLen(8), nil},
		"whole":               {good, nil},
		"trailing padding":    {append(append([]byte(nil), good...), 0, 0, 0), nil},
		"length zero (jumbo)": {setLen(0), ErrBadTotalLen},
	}
	for name, c := range cases {
		if err := UDP(c.b).Validate(); err != c.want {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	// Padding after Length is left out of the payload and the checksum.
	padded := UDP(append(append([]byte(nil), good...), 9, 9, 9))
	if !bytes.Equal(padded.Payload(), []byte("hello")) || padded.VerifyChecksum(testSrc4, testDst4) != nil {
		t.Fatalf("padded: payload %q, checksum %v", padded.Payload(), padded.VerifyChecksum(testSrc4, testDst4))
	}
}

// TestUDPZeroChecksum: zero means "none" in IPv4 (RFC 768) and is an
// error in IPv6 (RFC 8200 §8.1); a sum that comes out zero is sent as
// all ones.
func TestUDPZeroChecksum(t *testing.T) {
	for _, c := range []struct {
		src, dst netip.AddrPort
		want     error
	}{{udpSrc4, udpDst4, nil}, {udpSrc6, udpDst6, ErrZeroChecksum}} {
		d := UDP(buildUDP(c.src, c.dst, []byte("data")))
		d.SetChecksum(0)
		if err := d.VerifyChecksum(c.src.Addr(), c.dst.Addr()); err != c.want {
			t.Errorf("%v: zero checksum: %v, want %v", c.src, err, c.want)
		}
	}
	// Make the sum come out zero: a payload word equal to the checksum
	// of the datagram with that word zero cancels it.
	payload := []byte{0, 0, 'a', 'b'}
	first := UDP(buildUDP(udpSrc6, udpDst6, payload))
	binary.BigEndian.PutUint16(payload, first.Checksum())
	d := UDP(buildUDP(udpSrc6, udpDst6, payload))
	if d.Checksum() != 0xffff {
		t.Fatalf("checksum %#x, want 0xffff for a zero sum", d.Checksum())
	}
	if err := d.VerifyChecksum(testSrc6, testDst6); err != nil {
		t.Fatalf("all-ones checksum does not verify: %v", err)
	}
}

func TestUDPHotPathAllocs(t *testing.T) {
	d := buildUDP(udpSrc6, udpDst6, []byte("payload"))
	out := make([]byte, 64)
	n := testing.AllocsPerRun(100, func() {
		u := UDP(d)
		if u.Validate() != nil || u.VerifyChecksum(testSrc6, testDst6) != nil {
			t.Fatal("validation failed")
		}
		_, _ = u.SrcPort(), u.Payload()
		PutUDPHeader(out, udpSrc4, udpDst4, 16)
	})
	if n != 0 {
		t.Fatalf("%v allocations per run, want 0", n)
	}
}
