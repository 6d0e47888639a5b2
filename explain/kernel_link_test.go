//go:build linux

package explain

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/synack-net/synack/link/pcap"
)

// closeIn4 plays the four-segment close of kernelCases[0].
var closeIn4 = kernelCases[0]

// TestKernelLinkTypes explains one conversation captured four ways at
// once: on the client's veth (Ethernet), and with `tcpdump -i any` on the
// server's side, which writes Linux cooked headers (v2, tcpdump's default
// since 4.99, and v1 with -y LINUX_SLL); and the Ethernet capture
// converted to pcapng.
func TestKernelLinkTypes(t *testing.T) {
	k := newKernelNet(t, false)
	stops := map[string]func() string{
		"ethernet": k.capture(k.client, "-i", "veth0"),
		"sll":      k.capture(k.server, "-i", "any", "-y", "LINUX_SLL"),
		"sll2":     k.capture(k.server, "-i", "any", "-y", "LINUX_SLL2"),
	}
	clientAddr := closeIn4.run(k)
	files := map[string]string{}
	for name, stop := range stops {
		files[name] = stop()
	}
	files["pcapng"] = toPcapng(t, files["ethernet"])
	wantLink := map[string]uint16{"ethernet": pcap.LinkTypeEthernet, "sll": pcap.LinkTypeLinuxSLL, "sll2": pcap.LinkTypeLinuxSLL2, "pcapng": pcap.LinkTypeEthernet}
	var first []string
	for _, name := range []string{"ethernet", "sll", "sll2", "pcapng"} {
		if lt := linkTypeOf(t, files[name]); lt != wantLink[name] {
			t.Errorf("%s capture has link type %d, want %d", name, lt, wantLink[name])
		}
		rep, err := ReadFile(files[name])
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		c := only(t, rep)
		checkKernelConnection(t, k, c, closeIn4, clientAddr)
		got := conversationVerdicts(t, c)
		if first == nil {
			first = got
		} else if !slices.Equal(got, first) {
			t.Errorf("%s capture: verdicts %q, the Ethernet one %q", name, got, first)
		}
	}
	// The pcapng file holds the same records: the same report, to the byte.
	a, b := jsonOf(t, files["ethernet"]), jsonOf(t, files["pcapng"])
	if !bytes.Equal(a, b) {
		t.Errorf("pcapng report differs from pcap's:\n%s\n%s", b, a)
	}
}

// toPcapng converts a pcap file to pcapng: with tshark where installed,
// else record by record with gopacket's writer.
func toPcapng(t *testing.T, path string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "capture.pcapng")
	if _, err := exec.LookPath("tshark"); err == nil {
		if b, err := exec.Command("tshark", "-r", path, "-F", "pcapng", "-w", out).CombinedOutput(); err != nil {
			t.Fatalf("tshark: %v: %s", err, b)
		}
		return out
	}
	r := openCapture(t, path)
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriter(&buf, layers.LinkTypeEthernet)
	if err != nil {
		t.Fatal(err)
	}
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		w.WritePacket(gopacket.CaptureInfo{Timestamp: rec.Time, CaptureLength: len(rec.Data), Length: rec.OrigLen}, rec.Data)
	}
	w.Flush()
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// linkTypeOf returns the link type of a capture's first record.
func linkTypeOf(t *testing.T, path string) uint16 {
	t.Helper()
	rec, err := openCapture(t, path).Next()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rec.LinkType
}

// openCapture opens a capture file for reading; it is closed when t ends.
func openCapture(t *testing.T, path string) *pcap.Reader {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	r, err := pcap.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// jsonOf returns the JSON report of a capture.
func jsonOf(t *testing.T, path string) []byte {
	t.Helper()
	rep, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	rep.WriteJSON(&b)
	return b.Bytes()
}

// TestKernelIPv6 is the four-segment close over IPv6.
func TestKernelIPv6(t *testing.T) {
	k := newKernelNet(t, true)
	stop := k.capture(k.client, "-i", "veth0")
	clientAddr := closeIn4.run(k)
	rep, err := ReadFile(stop())
	if err != nil {
		t.Fatal(err)
	}
	c := only(t, rep)
	if !c.Endpoints[0].Addr.Addr().Is6() {
		t.Errorf("client %s is not IPv6", c.Endpoints[0].Addr)
	}
	checkKernelConnection(t, k, c, closeIn4, clientAddr)
}

// TestKernelMidConnection: the capture starts after the handshake.
func TestKernelMidConnection(t *testing.T) {
	k := newKernelNet(t, false)
	c, s := k.connect(k.listen(80, 0))
	stop := k.capture(k.client, "-i", "veth0")
	c.Write([]byte("hello"))
	c.Close()
	readAll(s)
	time.Sleep(200 * time.Millisecond) // past the delayed ACK of the FIN
	s.Close()
	rep, err := ReadFile(stop())
	if err != nil {
		t.Fatal(err)
	}
	conn := only(t, rep)
	checkKernelConnection(t, k, conn, kernelCase{
		client: "ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT",
		server: "ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED",
		verdicts: []string{`capture starts mid-connection: both ends taken as ESTABLISHED`,
			`orderly close in 4 segments, %C closed first`, `%C in TIME_WAIT at the end`},
		ss: true,
	}, localOf(c))
}
