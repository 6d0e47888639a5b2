package wire

import (
	"bytes"
	"errors"
	"testing"
)

func TestTCPOptionsLinuxLayout(t *testing.T) {
	tests := []struct {
		name string
		o    TCPOptions
		want []byte
	}{
		{"none", TCPOptions{}, nil},
		{"linux SYN", TCPOptions{MSS: 1460, HasMSS: true, SACKPermitted: true, HasTS: true, TSVal: 0x01020304, TSEcr: 0, WScale: 7, HasWScale: true}, []byte{
			2, 4, 0x05, 0xb4,
			4, 2, 8, 10, 1, 2, 3, 4, 0, 0, 0, 0,
			1, 3, 3, 7,
		}},
		{"SYN without timestamps", TCPOptions{MSS: 1440, HasMSS: true, SACKPermitted: true, WScale: 14, HasWScale: true}, []byte{
			2, 4, 0x05, 0xa0,
			1, 1, 4, 2,
			1, 3, 3, 14,
		}},
		{"established ACK", TCPOptions{HasTS: true, TSVal: 9, TSEcr: 10}, []byte{
			1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 10,
		}},
		{"ACK with SACK", TCPOptions{HasTS: true, TSVal: 9, TSEcr: 10, NumSACK: 2, SACK: [MaxSACKBlocks]SACKBlock{{100, 200}, {300, 400}}}, []byte{
			1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 10,
			1, 1, 5, 18, 0, 0, 0, 100, 0, 0, 0, 200, 0, 0, 1, 0x2c, 0, 0, 1, 0x90,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.o.AppendTo(nil)
			if !bytes.Equal(got, tt.want) {
				t.Fatalf("AppendTo = % x, want % x", got, tt.want)
			}
			if tt.o.Len() != len(tt.want) || len(got)%4 != 0 {
				t.Fatalf("Len = %d, encoded %d bytes", tt.o.Len(), len(got))
			}
			var p TCPOptions
			if err := ParseTCPOptions(got, &p); err != nil || p != tt.o {
				t.Fatalf("ParseTCPOptions = %+v, %v; want %+v", p, err, tt.o)
			}
		})
	}
}

func TestTCPOptionsAppendKeepsPrefix(t *testing.T) {
	o := TCPOptions{MSS: 1, HasMSS: true}
	got := o.AppendTo([]byte{0xaa, 0xbb})
	if want := []byte{0xaa, 0xbb, 2, 4, 0, 1}; !bytes.Equal(got, want) {
		t.Fatalf("AppendTo = % x, want % x", got, want)
	}
}

func TestTCPOptionsSACKLimit(t *testing.T) {
	four := [MaxSACKBlocks]SACKBlock{{1, 2}, {3, 4}, {5, 6}, {7, 8}}
	tests := []struct {
		name  string
		o     TCPOptions
		wantN int // blocks encoded
	}{
		{"four alone", TCPOptions{NumSACK: 4, SACK: four}, 4},
		{"three beside timestamps", TCPOptions{HasTS: true, NumSACK: 4, SACK: four}, 3},
		{"two beside every option", TCPOptions{HasMSS: true, HasWScale: true, SACKPermitted: true, HasTS: true, NumSACK: 4, SACK: four}, 2},
		{"NumSACK above the array", TCPOptions{NumSACK: 99, SACK: four}, 4},
		{"negative NumSACK", TCPOptions{NumSACK: -1, SACK: four}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.o.AppendTo(nil)
			if len(b) > TCPMaxOptionsLen || len(b) != tt.o.Len() {
				t.Fatalf("encoded %d bytes, Len %d", len(b), tt.o.Len())
			}
			var p TCPOptions
			if err := ParseTCPOptions(b, &p); err != nil {
				t.Fatalf("ParseTCPOptions: %v", err)
			}
			var want [MaxSACKBlocks]SACKBlock
			copy(want[:], four[:tt.wantN])
			if p.NumSACK != tt.wantN || p.SACK != want {
				t.Fatalf("decoded %d blocks %v, want the first %d", p.NumSACK, p.SACK, tt.wantN)
			}
		})
	}
}

func TestParseTCPOptionsAccepted(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		want TCPOptions
	}{
		{"empty", nil, TCPOptions{}},
		{"EOL stops parsing", []byte{0, 2, 0}, TCPOptions{}},
		{"options after EOL ignored", []byte{2, 4, 0, 1, 0, 2, 1}, TCPOptions{MSS: 1, HasMSS: true}},
		{"NOPs only", []byte{1, 1, 1}, TCPOptions{}},
		{"unknown kind skipped", []byte{30, 6, 9, 9, 9, 9, 3, 3, 2}, TCPOptions{WScale: 2, HasWScale: true}},
		{"unknown kind length 2", []byte{254, 2, 4, 2}, TCPOptions{SACKPermitted: true}},
		{"window scale above 14 kept", []byte{3, 3, 200}, TCPOptions{WScale: 200, HasWScale: true}},
		{"later option wins", []byte{2, 4, 0, 1, 2, 4, 0, 2}, TCPOptions{MSS: 2, HasMSS: true}},
		{"one SACK block", []byte{5, 10, 0, 0, 0, 1, 0, 0, 0, 2}, TCPOptions{NumSACK: 1, SACK: [MaxSACKBlocks]SACKBlock{{1, 2}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := TCPOptions{MSS: 77, HasMSS: true, NumSACK: 3} // must be zeroed
			if err := ParseTCPOptions(tt.b, &o); err != nil || o != tt.want {
				t.Fatalf("ParseTCPOptions = %+v, %v; want %+v", o, err, tt.want)
			}
		})
	}
}

func TestParseTCPOptionsMalformed(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
	}{
		{"length 0", []byte{30, 0}},
		{"length 1", []byte{30, 1, 0, 0}},
		{"missing length byte", []byte{1, 2}},
		{"unknown past end", []byte{30, 5, 0, 0}},
		{"MSS past end", []byte{2, 4, 0}},
		{"MSS length 2", []byte{2, 2}},
		{"MSS length 5", []byte{2, 5, 0, 0, 0}},
		{"window scale length 4", []byte{3, 4, 0, 0}},
		{"SACK-permitted length 3", []byte{4, 3, 0}},
		{"timestamps length 8", []byte{8, 8, 0, 0, 0, 0, 0, 0}},
		{"timestamps length 12", append([]byte{8, 12}, make([]byte, 10)...)},
		{"SACK no blocks", []byte{5, 2}},
		{"SACK partial block", []byte{5, 6, 0, 0, 0, 0}},
		{"SACK 9 bytes", append([]byte{5, 11}, make([]byte, 9)...)},
		{"SACK five blocks", append([]byte{5, 42}, make([]byte, 40)...)},
		{"good then bad", []byte{2, 4, 5, 0xb4, 3, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var o TCPOptions
			if err := ParseTCPOptions(tt.b, &o); !errors.Is(err, ErrBadOption) {
				t.Fatalf("ParseTCPOptions = %v, want ErrBadOption", err)
			}
			if o != (TCPOptions{}) {
				t.Fatalf("options left set after an error: %+v", o)
			}
		})
	}
}

func TestTCPOptionsAllocs(t *testing.T) {
	o := TCPOptions{MSS: 1460, HasMSS: true, WScale: 7, HasWScale: true, SACKPermitted: true, TSVal: 1, TSEcr: 2, HasTS: true}
	buf := make([]byte, 0, TCPMaxOptionsLen)
	enc := o.AppendTo(nil)
	seg := buildTCP(TCPHeader{}, &o, nil)
	var p TCPOptions
	n := testing.AllocsPerRun(100, func() {
		buf = o.AppendTo(buf[:0])
		_ = ParseTCPOptions(enc, &p)
		_ = TCP(seg).Validate()
		_ = TCP(seg).ParseOptions(&p)
		PutTCPHeader(seg, TCPHeader{}, &o)
	})
	if n != 0 {
		t.Fatalf("%v allocations per run, want 0", n)
	}
}

func BenchmarkParseTCPOptions(b *testing.B) {
	o := TCPOptions{HasTS: true, TSVal: 1, TSEcr: 2, NumSACK: 3, SACK: [MaxSACKBlocks]SACKBlock{{1, 2}, {3, 4}, {5, 6}}}
	enc := o.AppendTo(nil)
	var p TCPOptions
	b.ReportAllocs()
	for b.Loop() {
		if err := ParseTCPOptions(enc, &p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendTCPOptions(b *testing.B) {
	o := TCPOptions{MSS: 1460, HasMSS: true, WScale: 7, HasWScale: true, SACKPermitted: true, TSVal: 1, TSEcr: 2, HasTS: true}
	buf := make([]byte, 0, TCPMaxOptionsLen)
	b.ReportAllocs()
	for b.Loop() {
		buf = o.AppendTo(buf[:0])
	}
}
