package synack_test

import (
	"bytes"
	"errors"
	"net"
	"os"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"

	"github.com/synack-net/synack"
)

// echoRequest marshals an echo request with x/net/icmp, an independent
// encoder; the identifier is left for the socket to replace.
func echoRequest(t *testing.T, v6 bool, seq int, data []byte) []byte {
	t.Helper()
	var typ icmp.Type = ipv4.ICMPTypeEcho
	if v6 {
		typ = ipv6.ICMPTypeEchoRequest
	}
	b, err := (&icmp.Message{Type: typ, Body: &icmp.Echo{ID: 0xbeef, Seq: seq, Data: data}}).Marshal(nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// parseEchoReply decodes an echo reply with x/net/icmp.
func parseEchoReply(t *testing.T, v6 bool, b []byte) *icmp.Echo {
	t.Helper()
	proto, want := 1, icmp.Type(ipv4.ICMPTypeEchoReply)
	if v6 {
		proto, want = 58, ipv6.ICMPTypeEchoReply
	}
	m, err := icmp.ParseMessage(proto, b)
	if err != nil || m.Type != want {
		t.Fatalf("not an echo reply: %x (%v)", b, err)
	}
	return m.Body.(*icmp.Echo)
}

// TestPingBetweenStacks: a ping socket of one stack pings the other,
// whose echo replies come back with the socket's identifier and the
// caller's sequence numbers and data.
func TestPingBetweenStacks(t *testing.T) {
	for _, f := range []struct {
		network, target string
		v6              bool
	}{{"ping4", "10.0.0.2", false}, {"ping6", "fd00::2", true}} {
		t.Run(f.network, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cs, ss := dualStacks(t, synack.Config{})
				c, err := cs.ListenPing(f.network, "")
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				to := &net.IPAddr{IP: net.ParseIP(f.target)}
				for seq := 1; seq <= 3; seq++ {
					data := bytes.Repeat([]byte{byte(seq)}, 56)
					if _, err := c.WriteTo(echoRequest(t, f.v6, seq, data), to); err != nil {
						t.Fatal(err)
					}
					buf := make([]byte, 1500)
					n, from, err := c.ReadFrom(buf)
					if err != nil || from.String() != f.target {
						t.Fatalf("ReadFrom: %v from %v", err, from)
					}
					e := parseEchoReply(t, f.v6, buf[:n])
					if e.ID != int(c.ID()) || e.Seq != seq || !bytes.Equal(e.Data, data) {
						t.Fatalf("reply id %#x seq %d, want id %#x seq %d", e.ID, e.Seq, c.ID(), seq)
					}
				}
				if k := ss.Counters(); k.ICMPInEchos != 3 || k.ICMPOutEchoReps != 3 {
					t.Errorf("server InEchos %d OutEchoReps %d", k.ICMPInEchos, k.ICMPOutEchoReps)
				}
				if k := cs.Counters(); k.ICMPOutEchos != 3 || k.ICMPInEchoReps != 3 {
					t.Errorf("client OutEchos %d InEchoReps %d", k.ICMPOutEchos, k.ICMPInEchoReps)
				}
			})
		})
	}
}

// TestDialPing: a connected ping socket with Read and Write, and a read
// deadline when no reply comes (10.0.0.3 is nobody's).
func TestDialPing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cs, _ := dualStacks(t, synack.Config{})
		c, err := cs.DialPing("ping4", "10.0.0.2")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Write(echoRequest(t, false, 9, []byte("hi"))); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 64)
		n, err := c.Read(buf)
		if err != nil || parseEchoReply(t, false, buf[:n]).Seq != 9 {
			t.Fatalf("Read: %x, %v", buf[:n], err)
		}
		nobody, _ := cs.DialPing("ping4", "10.0.0.3")
		defer nobody.Close()
		nobody.Write(echoRequest(t, false, 1, nil))
		start := time.Now()
		nobody.SetReadDeadline(start.Add(time.Second))
		if _, err := nobody.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) || time.Since(start) != time.Second {
			t.Fatalf("Read with no reply: %v after %v", err, time.Since(start))
		}
	})
}

func TestPingErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cs, _ := dualStacks(t, synack.Config{})
		c, err := cs.ListenPing("ping4", "10.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		to := &net.IPAddr{IP: net.ParseIP("10.0.0.2")}
		reply, _ := (&icmp.Message{Type: ipv4.ICMPTypeEchoReply, Body: &icmp.Echo{}}).Marshal(nil)
		if _, err := c.WriteTo(reply, to); !errors.Is(err, syscall.EINVAL) {
			t.Errorf("writing an echo reply: %v, want EINVAL", err)
		}
		if _, err := c.WriteTo(echoRequest(t, false, 1, nil), &net.IPAddr{IP: net.ParseIP("fd00::2")}); !errors.Is(err, syscall.EAFNOSUPPORT) {
			t.Errorf("ping4 to an IPv6 address: %v, want EAFNOSUPPORT", err)
		}
		if _, err := c.Write(echoRequest(t, false, 1, nil)); !errors.Is(err, syscall.EDESTADDRREQ) {
			t.Errorf("Write unconnected: %v, want EDESTADDRREQ", err)
		}
		if _, err := cs.ListenPing("ping4", "10.9.9.9"); !errors.Is(err, syscall.EADDRNOTAVAIL) {
			t.Errorf("foreign address: %v", err)
		}
		var unknown net.UnknownNetworkError
		if _, err := cs.ListenPing("icmp", ""); !errors.As(err, &unknown) {
			t.Errorf("network icmp: %v", err)
		}
		c.Close()
		if _, _, err := c.ReadFrom(make([]byte, 8)); !errors.Is(err, net.ErrClosed) {
			t.Errorf("read after Close: %v", err)
		}
	})
}
