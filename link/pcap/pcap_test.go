package pcap

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/internal/tsharktest"
	"github.com/synack-net/synack/link"
	"github.com/synack-net/synack/link/pipe"
)

// TCP flags used by the test packets.
const (
	flagFIN = 0x01
	flagSYN = 0x02
	flagACK = 0x10
)

// checksum is the Internet checksum (RFC 1071) of b, folded, seeded with sum.
func checksum(sum uint32, b []byte) uint16 {
	for len(b) >= 2 {
		sum += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint32(b[0]) << 8
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

// tcpv4 builds an IPv4/TCP segment with correct checksums, independently of
// the project's wire package.
func tcpv4(src, dst [4]byte, sport, dport uint16, seq, ack uint32, flags byte, payload string) []byte {
	const ipLen, tcpLen = 20, 20
	p := make([]byte, ipLen+tcpLen+len(payload))
	be := binary.BigEndian
	p[0] = 0x45
	be.PutUint16(p[2:], uint16(len(p)))
	p[8] = 64 // TTL
	p[9] = 6  // TCP
	copy(p[12:], src[:])
	copy(p[16:], dst[:])
	be.PutUint16(p[10:], checksum(0, p[:ipLen]))

	t := p[ipLen:]
	be.PutUint16(t[0:], sport)
	be.PutUint16(t[2:], dport)
	be.PutUint32(t[4:], seq)
	be.PutUint32(t[8:], ack)
	t[12] = tcpLen / 4 << 4
	t[13] = flags
	be.PutUint16(t[14:], 65535)
	copy(t[tcpLen:], payload)
	var pseudo uint32
	for i := 0; i < 4; i += 2 {
		pseudo += uint32(be.Uint16(src[i:])) + uint32(be.Uint16(dst[i:]))
	}
	pseudo += 6 + uint32(len(t))
	be.PutUint16(t[16:], checksum(pseudo, t))
	return p
}

var (
	client = [4]byte{10, 0, 0, 1}
	server = [4]byte{10, 0, 0, 2}
)

// handshake is a three-way handshake and a little data, with the virtual
// times at which each segment crosses the tap and who sends it.
var handshake = []struct {
	at       time.Duration
	byClient bool
	pkt      []byte
}{
	{0, true, tcpv4(client, server, 40000, 80, 1000, 0, flagSYN, "")},
	{1500 * time.Microsecond, false, tcpv4(server, client, 80, 40000, 5000, 1001, flagSYN|flagACK, "")},
	{3 * time.Millisecond, true, tcpv4(client, server, 40000, 80, 1001, 5001, flagACK, "")},
	{3*time.Millisecond + 7, true, tcpv4(client, server, 40000, 80, 1001, 5001, flagACK, "GET / HTTP/1.0\r\n\r\n")},
	{2 * time.Second, true, tcpv4(client, server, 40000, 80, 1019, 5001, flagFIN|flagACK, "")},
}

// captureHandshake runs the handshake through a tap on the client's end of
// a pipe and returns the capture.
func captureHandshake(t *testing.T, base time.Time) []byte {
	t.Helper()
	var file bytes.Buffer
	w, err := NewWriter(&file)
	if err != nil {
		t.Fatalf("NewWriter: %v", err)
	}
	clk := clock.NewVirtual()
	c, s := pipe.New(1500, 8)
	tap := NewTapAt(c, w, clk, base)
	buf := make([]byte, 1500)
	for _, seg := range handshake {
		clk.AdvanceTo(clock.Instant(seg.at))
		if seg.byClient {
			if err := tap.WritePacket(seg.pkt); err != nil {
				t.Fatalf("tap write: %v", err)
			}
			if _, err := s.ReadPacket(buf); err != nil {
				t.Fatalf("server read: %v", err)
			}
			continue
		}
		if err := s.WritePacket(seg.pkt); err != nil {
			t.Fatalf("server write: %v", err)
		}
		n, err := tap.ReadPacket(buf)
		if err != nil || !bytes.Equal(buf[:n], seg.pkt) {
			t.Fatalf("tap read = %d, %v; want the server's segment", n, err)
		}
	}
	if tap.MTU() != 1500 {
		t.Fatalf("tap MTU() = %d", tap.MTU())
	}
	if err := tap.Close(); err != nil || tap.Err() != nil {
		t.Fatalf("Close = %v, Err = %v", err, tap.Err())
	}
	return file.Bytes()
}

func TestFileHeader(t *testing.T) {
	var file bytes.Buffer
	if _, err := NewWriter(&file); err != nil {
		t.Fatal(err)
	}
	want := []byte{
		0x4d, 0x3c, 0xb2, 0xa1, // nanosecond magic, little-endian
		2, 0, 4, 0, // version 2.4
		0, 0, 0, 0, 0, 0, 0, 0, // zone, sigfigs
		0, 0, 4, 0, // snaplen 262144
		101, 0, 0, 0, // LINKTYPE_RAW
	}
	if !bytes.Equal(file.Bytes(), want) {
		t.Fatalf("header % x, want % x", file.Bytes(), want)
	}
}

func TestGopacketReadsCapture(t *testing.T) {
	base := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	r, err := pcapgo.NewReader(bytes.NewReader(captureHandshake(t, base)))
	if err != nil {
		t.Fatalf("pcapgo.NewReader: %v", err)
	}
	if r.LinkType() != layers.LinkTypeRaw {
		t.Fatalf("link type %v, want raw", r.LinkType())
	}
	if r.Snaplen() != SnapLen {
		t.Fatalf("snaplen %d", r.Snaplen())
	}
	if r.Resolution() != gopacket.TimestampResolutionNanosecond {
		t.Fatalf("resolution %v, want nanosecond", r.Resolution())
	}
	for i, seg := range handshake {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if want := base.Add(seg.at); !ci.Timestamp.Equal(want) {
			t.Errorf("record %d at %v, want %v", i, ci.Timestamp.UTC(), want)
		}
		if ci.CaptureLength != len(seg.pkt) || ci.Length != len(seg.pkt) || !bytes.Equal(data, seg.pkt) {
			t.Errorf("record %d: %d/%d bytes, not the segment sent", i, ci.CaptureLength, ci.Length)
		}
		p := gopacket.NewPacket(data, layers.LinkTypeRaw, gopacket.Default)
		if el := p.ErrorLayer(); el != nil {
			t.Fatalf("record %d does not decode: %v", i, el.Error())
		}
		tcp, ok := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if !ok {
			t.Fatalf("record %d has no TCP layer", i)
		}
		seq := binary.BigEndian.Uint32(seg.pkt[24:])
		if tcp.Seq != seq || tcp.SYN != (seg.pkt[33]&flagSYN != 0) || tcp.FIN != (seg.pkt[33]&flagFIN != 0) {
			t.Errorf("record %d decodes as seq %d SYN %v FIN %v", i, tcp.Seq, tcp.SYN, tcp.FIN)
		}
	}
	if _, _, err := r.ReadPacketData(); err != io.EOF {
		t.Fatalf("after the last record: %v, want io.EOF", err)
	}
}

func TestTshark(t *testing.T) {
	tshark := tsharktest.Find(t)
	path := filepath.Join(t.TempDir(), "handshake.pcap")
	if err := os.WriteFile(path, captureHandshake(t, time.Unix(1_700_000_000, 0)), 0o644); err != nil {
		t.Fatal(err)
	}
	rows := tsharktest.Fields(t, tshark, path, nil,
		"frame.time_epoch", "ip.src", "tcp.flags.str",
		"ip.checksum.status", "tcp.checksum.status", "_ws.expert.severity")
	if len(rows) != len(handshake) {
		t.Fatalf("tshark printed %d packets, want %d: %q", len(rows), len(handshake), rows)
	}
	for i, f := range rows {
		at := time.Unix(1_700_000_000, 0).Add(handshake[i].at)
		if want := fmt.Sprintf("%d.%09d", at.Unix(), at.Nanosecond()); f[0] != want {
			t.Errorf("packet %d at %s, want %s", i, f[0], want)
		}
		src := "10.0.0.1"
		if !handshake[i].byClient {
			src = "10.0.0.2"
		}
		if f[1] != src {
			t.Errorf("packet %d from %s, want %s", i, f[1], src)
		}
		// Checksum status 1 is "Good" in tshark's field encoding.
		if f[3] != "1" || f[4] != "1" {
			t.Errorf("packet %d checksum status ip %s tcp %s, want good (1): %q", i, f[3], f[4], f)
		}
		// Expert info at warning level (0x600000) or above means tshark
		// found something wrong; chat and notes are normal for TCP.
		for sev := range strings.SplitSeq(f[5], ",") {
			if n, _ := strconv.Atoi(sev); n >= 0x600000 {
				t.Errorf("packet %d: tshark expert severity %#x: %q", i, n, f)
			}
		}
	}
}

func TestSnapLenTruncates(t *testing.T) {
	var file bytes.Buffer
	w, _ := NewWriter(&file)
	big := make([]byte, SnapLen+100)
	big[0] = 0x45
	if err := w.WritePacket(time.Unix(1, 5), big); err != nil {
		t.Fatal(err)
	}
	r, err := pcapgo.NewReader(&file)
	if err != nil {
		t.Fatal(err)
	}
	data, ci, err := r.ReadPacketData()
	if err != nil {
		t.Fatal(err)
	}
	if len(data) != SnapLen || ci.CaptureLength != SnapLen || ci.Length != SnapLen+100 {
		t.Fatalf("captured %d of %d bytes (data %d)", ci.CaptureLength, ci.Length, len(data))
	}
	if !ci.Timestamp.Equal(time.Unix(1, 5)) {
		t.Fatalf("timestamp %v", ci.Timestamp)
	}
}

func TestConcurrentWritesKeepRecordsWhole(t *testing.T) {
	var file bytes.Buffer
	w, _ := NewWriter(&file)
	const writers, each = 8, 200
	var wg sync.WaitGroup
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pkt := bytes.Repeat([]byte{byte(g)}, 20+g)
			for i := range each {
				if err := w.WritePacket(time.Unix(int64(i), 0), pkt); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	r, err := pcapgo.NewReader(&file)
	if err != nil {
		t.Fatal(err)
	}
	count := 0
	for {
		data, _, err := r.ReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("record %d: %v", count, err)
		}
		g := int(data[0])
		if len(data) != 20+g || !bytes.Equal(data, bytes.Repeat([]byte{byte(g)}, 20+g)) {
			t.Fatalf("record %d interleaved with another", count)
		}
		count++
	}
	if count != writers*each {
		t.Fatalf("%d records, want %d", count, writers*each)
	}
}

// failAfter is an io.Writer that fails once it has accepted n writes.
type failAfter struct{ n int }

var errDiskFull = errors.New("disk full")

func (f *failAfter) Write(p []byte) (int, error) {
	if f.n == 0 {
		return 0, errDiskFull
	}
	f.n--
	return len(p), nil
}

func TestTapKeepsTrafficFlowingWhenCaptureFails(t *testing.T) {
	w, err := NewWriter(&failAfter{n: 1}) // the file header only
	if err != nil {
		t.Fatal(err)
	}
	c, s := pipe.New(1500, 4)
	tap := NewTap(c, w, clock.NewVirtual())
	pkt := handshake[0].pkt
	if err := tap.WritePacket(pkt); err != nil {
		t.Fatalf("WritePacket: %v", err)
	}
	buf := make([]byte, 1500)
	if n, err := s.ReadPacket(buf); err != nil || !bytes.Equal(buf[:n], pkt) {
		t.Fatalf("peer read %d, %v", n, err)
	}
	if !errors.Is(tap.Err(), errDiskFull) {
		t.Fatalf("Err() = %v, want the capture error", tap.Err())
	}
}

func TestNewWriterReportsError(t *testing.T) {
	if _, err := NewWriter(&failAfter{}); !errors.Is(err, errDiskFull) {
		t.Fatalf("NewWriter = %v, want the write error", err)
	}
}

// flushCounter is a link that counts its Flush calls.
type flushCounter struct {
	link.Link
	flushes int
}

func (f *flushCounter) Flush() error { f.flushes++; return nil }

func TestTapForwardsFlush(t *testing.T) {
	w, err := NewWriter(io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := pipe.New(1500, 4)
	fc := &flushCounter{Link: c}
	if err := NewTap(fc, w, clock.NewVirtual()).Flush(); err != nil || fc.flushes != 1 {
		t.Errorf("Flush through the tap: %v, %d flushes of the link; want nil, 1", err, fc.flushes)
	}
	// A link that holds nothing back has nothing to flush.
	if err := NewTap(c, w, clock.NewVirtual()).Flush(); err != nil {
		t.Errorf("Flush of a tap on a plain link: %v", err)
	}
}
