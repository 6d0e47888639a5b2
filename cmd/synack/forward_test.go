package main

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"strings"
	"syscall"
	"testing"
)

// TestForwardUsage checks forward's usage errors, found before any
// device is opened: each is one line and exit status 2.
func TestForwardUsage(t *testing.T) {
	tests := []struct {
		args   []string
		stderr string
	}{
		{[]string{"forward"}, "synack forward: --tun: a device name is required\n"},
		{[]string{"forward", "--tun", "t0"}, "synack forward: --addr: an IP/PREFIX is required\n"},
		{[]string{"forward", "--tun", "t0", "--addr", "10.0.0.2/24", "--socks5", "nohost"}, "synack forward: --socks5 \"nohost\": want HOST:PORT\n"},
		{[]string{"forward", "--tun", "t0", "--addr", "10.0.0.2/24", "--socks5", "127.0.0.1:0"}, "synack forward: --socks5 \"127.0.0.1:0\": want HOST:PORT\n"},
		{[]string{"forward", "--tun", "t0", "--addr", "10.0.0.2/24", "extra"}, "synack forward: unexpected argument \"extra\"\n"},
	}
	for _, tt := range tests {
		_, stderr, code := runArgs(tt.args...)
		if code != 2 || stderr != tt.stderr {
			t.Errorf("synack %v: exit %d, stderr %q; want 2 and %q", tt.args, code, stderr, tt.stderr)
		}
	}
	out, _, code := runArgs("help", "forward")
	if code != 0 || !strings.Contains(out, "Usage: synack forward --tun NAME --addr IP/PREFIX [--mtu N] [--socks5 HOST:PORT] [--pcap FILE]") {
		t.Errorf("synack help forward: exit %d:\n%s", code, out)
	}
}

// The SOCKS5 client's exchange, byte for byte (RFC 1928 §3, §4, §6):
// a CONNECT to an IPv6 destination, and the replies that fail it.
func TestSocksHandshake(t *testing.T) {
	dst := netip.MustParseAddrPort("[2001:db8::7]:443")
	var sent bytes.Buffer
	rw := struct {
		io.Reader
		io.Writer
	}{bytes.NewReader([]byte{5, 0, 5, 0, 0, 1, 127, 0, 0, 1, 0x04, 0x38}), &sent}
	bound, err := socksHandshake(rw, socksCmdConnect, dst)
	if err != nil || bound != netip.MustParseAddrPort("127.0.0.1:1080") {
		t.Fatalf("bound %v, %v", bound, err)
	}
	want := append([]byte{5, 1, 0, 5, 1, 0, 4}, dst.Addr().AsSlice()...)
	want = append(want, 0x01, 0xbb)
	if !bytes.Equal(sent.Bytes(), want) {
		t.Fatalf("sent %x, want %x", sent.Bytes(), want)
	}
	for _, c := range []struct {
		reply []byte
		errno syscall.Errno
		msg   string
	}{
		{[]byte{5, 0, 5, 5, 0}, syscall.ECONNREFUSED, "connection refused"},
		{[]byte{5, 0, 5, 4, 0}, syscall.EHOSTUNREACH, "host unreachable"},
		{[]byte{5, 0xff}, 0, "wants authentication"},
	} {
		rw := struct {
			io.Reader
			io.Writer
		}{bytes.NewReader(c.reply), io.Discard}
		_, err := socksHandshake(rw, socksCmdConnect, dst)
		if err == nil || !strings.Contains(err.Error(), c.msg) || (c.errno != 0 && !errors.Is(err, c.errno)) {
			t.Errorf("reply %x: %v, want %q (%v)", c.reply, err, c.msg, c.errno)
		}
	}
}

// The UDP header (RFC 1928 §7) round-trips for both families; short
// headers, fragments and domain names are refused.
func TestSocksUDPHeader(t *testing.T) {
	for _, a := range []string{"198.18.0.53:53", "[2001:db8::53]:5353"} {
		dst := netip.MustParseAddrPort(a)
		pkt := appendSocksUDP(nil, dst, []byte("query"))
		from, data, err := parseSocksUDP(pkt)
		if err != nil || from != dst || string(data) != "query" {
			t.Errorf("%v: %v %q %v", dst, from, data, err)
		}
	}
	for _, bad := range [][]byte{{0, 0}, {0, 0, 1, 1, 1, 2, 3, 4, 0, 53}, {0, 0, 0, 3, 1, 'a', 0, 53}, {0, 0, 0, 1, 1, 2}} {
		if _, _, err := parseSocksUDP(bad); err == nil {
			t.Errorf("%x parsed", bad)
		}
	}
}

// FuzzSocksUDP: no datagram from a relay makes the parser panic, and
// what it accepts the encoder writes back the same.
func FuzzSocksUDP(f *testing.F) {
	f.Add(appendSocksUDP(nil, netip.MustParseAddrPort("198.18.0.53:53"), []byte("answer")))
	f.Add(appendSocksUDP(nil, netip.MustParseAddrPort("[2001:db8::53]:53"), nil))
	f.Fuzz(func(t *testing.T, pkt []byte) {
		from, data, err := parseSocksUDP(pkt)
		if err != nil {
			return
		}
		again := appendSocksUDP(nil, from, data)
		if f2, d2, err := parseSocksUDP(again); err != nil || f2 != from || !bytes.Equal(d2, data) {
			t.Fatalf("%x: %v %x, again %v %x %v", pkt, from, data, f2, d2, err)
		}
	})
}
