package netstack

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"

	"golang.org/x/crypto/curve25519"
	"golang.zx2c4.com/wireguard/conn"
	"golang.zx2c4.com/wireguard/device"
	"golang.zx2c4.com/wireguard/tun"
	wgnetstack "golang.zx2c4.com/wireguard/tun/netstack"
)

// The tunnel's inner addresses: they exist only inside the two
// in-process stacks. The devices' UDP goes to 127.0.0.1.
var (
	addrsA = []netip.Addr{netip.MustParseAddr("10.99.0.1"), netip.MustParseAddr("fd99::1")}
	addrsB = []netip.Addr{netip.MustParseAddr("10.99.0.2"), netip.MustParseAddr("fd99::2")}
)

const tunnelMTU = 1420

// peer is one end of a tunnel: the methods both netstacks have, with the
// net types they return.
type peer struct {
	name      string
	addrs     []netip.Addr // IPv4, IPv6
	dial      func(ctx context.Context, network, address string) (net.Conn, error)
	listen    func(netip.AddrPort) (net.Listener, error)
	listenUDP func(netip.AddrPort) (net.PacketConn, error)
	lookup    func(ctx context.Context, host string) ([]string, error)
}

func synackPeer(tb testing.TB, addrs, dns []netip.Addr) (tun.Device, *peer, *Net) {
	dev, n, err := CreateNetTUN(addrs, dns, tunnelMTU)
	if err != nil {
		tb.Fatal(err)
	}
	return dev, &peer{
		name:      "synack",
		addrs:     addrs,
		dial:      n.DialContext,
		listen:    func(a netip.AddrPort) (net.Listener, error) { return n.ListenTCPAddrPort(a) },
		listenUDP: func(a netip.AddrPort) (net.PacketConn, error) { return n.ListenUDPAddrPort(a) },
		lookup:    n.LookupContextHost,
	}, n
}

func gvisorPeer(tb testing.TB, addrs, dns []netip.Addr) (tun.Device, *peer, *wgnetstack.Net) {
	dev, n, err := wgnetstack.CreateNetTUN(addrs, dns, tunnelMTU)
	if err != nil {
		tb.Fatal(err)
	}
	return dev, &peer{
		name:      "gvisor",
		addrs:     addrs,
		dial:      n.DialContext,
		listen:    func(a netip.AddrPort) (net.Listener, error) { return n.ListenTCPAddrPort(a) },
		listenUDP: func(a netip.AddrPort) (net.PacketConn, error) { return n.ListenUDPAddrPort(a) },
		lookup:    n.LookupContextHost,
	}, n
}

// connect runs a wireguard-go device on each tun.Device, over UDP on
// 127.0.0.1, each the other's only peer with the other's addresses as
// allowed IPs. The devices are closed at the end of the test.
func connect(tb testing.TB, devA, devB tun.Device, addrsA, addrsB []netip.Addr) {
	privA, pubA := keyPair(tb)
	privB, pubB := keyPair(tb)
	a := startDevice(tb, devA, privA)
	b := startDevice(tb, devB, privB)
	setPeer(tb, a, pubB, listenPort(tb, b), addrsB)
	setPeer(tb, b, pubA, listenPort(tb, a), addrsA)
}

func keyPair(tb testing.TB) (priv, pub []byte) {
	priv = make([]byte, curve25519.ScalarSize)
	if _, err := rand.Read(priv); err != nil {
		tb.Fatal(err)
	}
	pub, err := curve25519.X25519(priv, curve25519.Basepoint)
	if err != nil {
		tb.Fatal(err)
	}
	return priv, pub
}

func startDevice(tb testing.TB, dev tun.Device, priv []byte) *device.Device {
	d := device.NewDevice(dev, conn.NewDefaultBind(), device.NewLogger(device.LogLevelError, ""))
	tb.Cleanup(d.Close)
	if err := d.IpcSet("private_key=" + hex.EncodeToString(priv) + "\nlisten_port=0\n"); err != nil {
		tb.Fatal(err)
	}
	if err := d.Up(); err != nil {
		tb.Fatal(err)
	}
	return d
}

func listenPort(tb testing.TB, d *device.Device) string {
	cfg, err := d.IpcGet()
	if err != nil {
		tb.Fatal(err)
	}
	sc := bufio.NewScanner(strings.NewReader(cfg))
	for sc.Scan() {
		if p, ok := strings.CutPrefix(sc.Text(), "listen_port="); ok {
			return p
		}
	}
	tb.Fatalf("no listen_port in %q", cfg)
	return ""
}

func setPeer(tb testing.TB, d *device.Device, pub []byte, port string, allowed []netip.Addr) {
	cfg := fmt.Sprintf("public_key=%s\nendpoint=127.0.0.1:%s\n", hex.EncodeToString(pub), port)
	for _, a := range allowed {
		cfg += "allowed_ip=" + netip.PrefixFrom(a, a.BitLen()).String() + "\n"
	}
	if err := d.IpcSet(cfg); err != nil {
		tb.Fatal(err)
	}
}
