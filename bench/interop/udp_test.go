package interop

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
)

// udpPort is where the UDP echo server of each test listens.
const udpPort = 53

// echoDatagrams echoes every datagram that reaches c until c fails.
func echoDatagrams(c net.PacketConn) {
	buf := make([]byte, 65536)
	for {
		n, from, err := c.ReadFrom(buf)
		if err != nil {
			return
		}
		if _, err := c.WriteTo(buf[:n], from); err != nil {
			return
		}
	}
}

// TestUDPEcho: 200 datagrams of every size up to the MTU, each echoed
// whole, with synack as the client and as the server of a gVisor peer
// (gVisor's UDP endpoint through its gonet adapter).
func TestUDPEcho(t *testing.T) {
	for _, r := range roles {
		t.Run(r.name, func(t *testing.T) {
			n := newTestNet(t, 1500)
			var client net.Conn
			if r.synackDials {
				srv, err := n.peer.ListenUDP(udpPort)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { srv.Close() })
				go echoDatagrams(srv)
				c, err := n.st.DialUDPAddrPort("udp4", netip.AddrPort{}, netip.AddrPortFrom(gvisorAddr.Addr(), udpPort))
				if err != nil {
					t.Fatal(err)
				}
				client = c
			} else {
				srv, err := n.st.ListenUDPAddrPort("udp4", netip.AddrPortFrom(synackAddr.Addr(), udpPort))
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { srv.Close() })
				go echoDatagrams(srv)
				c, err := n.peer.DialUDP(netip.AddrPortFrom(synackAddr.Addr(), udpPort))
				if err != nil {
					t.Fatal(err)
				}
				client = c
			}
			t.Cleanup(func() { client.Close() })
			client.SetDeadline(time.Now().Add(safety))
			buf := make([]byte, 2048)
			for i := range 200 {
				msg := make([]byte, i*(1500-28)/199)
				for j := range msg {
					msg[j] = byte(i * j)
				}
				if _, err := client.Write(msg); err != nil {
					t.Fatalf("datagram %d: %v", i, err)
				}
				k, err := client.Read(buf)
				if err != nil || !bytes.Equal(buf[:k], msg) {
					t.Fatalf("datagram %d (%d bytes): echo of %d bytes, %v", i, len(msg), k, err)
				}
			}
			if k := n.st.Counters(); k.UDPInDatagrams != 200 || k.UDPOutDatagrams != 200 {
				t.Errorf("synack counters: in %d, out %d", k.UDPInDatagrams, k.UDPOutDatagrams)
			}
		})
	}
}

// TestUDPRefusedByGVisor: gVisor answers a datagram to a closed port with
// ICMP port unreachable, and synack's connected socket reads ECONNREFUSED.
func TestUDPRefusedByGVisor(t *testing.T) {
	n := newTestNet(t, 1500)
	c, err := n.st.DialUDPAddrPort("udp", netip.AddrPort{}, netip.AddrPortFrom(gvisorAddr.Addr(), closedPort))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(safety))
	c.Write([]byte("anyone?"))
	if _, err := c.Read(make([]byte, 16)); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("synack read: %v, want ECONNREFUSED", err)
	}
}

// TestUDPRefusedBySynack: synack's port unreachable makes gVisor's
// connected socket report the connection refused. gonet's Read waits for
// data only (an ICMP error does not wake it, though the endpoint's next
// read returns it), so the test reads with short deadlines until the
// error shows.
func TestUDPRefusedBySynack(t *testing.T) {
	n := newTestNet(t, 1500)
	c, err := n.peer.DialUDP(netip.AddrPortFrom(synackAddr.Addr(), closedPort))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("anyone?"))
	for start := time.Now(); ; {
		c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		_, err := c.Read(make([]byte, 16))
		if err != nil && strings.Contains(err.Error(), "refused") {
			break
		}
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() || time.Since(start) > safety {
			t.Fatalf("gVisor read: %v, want connection refused", err)
		}
	}
	if k := n.st.Counters(); k.UDPNoPorts != 1 || k.ICMPOutDestUnreachs != 1 {
		t.Errorf("synack NoPorts %d, OutDestUnreachs %d", k.UDPNoPorts, k.ICMPOutDestUnreachs)
	}
}

// TestPingGVisor: a synack ping socket pings gVisor, whose replies carry
// the socket's identifier and the sequence numbers sent.
func TestPingGVisor(t *testing.T) {
	n := newTestNet(t, 1500)
	c, err := n.st.DialPing("ping4", gvisorAddr.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(safety))
	buf := make([]byte, 1500)
	for seq := 1; seq <= 3; seq++ {
		msg, _ := (&icmp.Message{Type: ipv4.ICMPTypeEcho, Body: &icmp.Echo{Seq: seq, Data: []byte("synack")}}).Marshal(nil)
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		k, err := c.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		m, err := icmp.ParseMessage(1, buf[:k])
		if err != nil || m.Type != ipv4.ICMPTypeEchoReply {
			t.Fatalf("not an echo reply: %x (%v)", buf[:k], err)
		}
		if e := m.Body.(*icmp.Echo); e.ID != int(c.ID()) || e.Seq != seq || string(e.Data) != "synack" {
			t.Fatalf("reply id %#x seq %d data %q", e.ID, e.Seq, e.Data)
		}
	}
}
