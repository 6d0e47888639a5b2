//go:build linux

package kernel

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"

	"github.com/synack-net/synack/internal/netns"
)

// TestPingKernelToSynack: ping(8) in the namespace gets synack's echo
// replies, three of three, in both families.
func TestPingKernelToSynack(t *testing.T) {
	netns.Require(t)
	if _, err := exec.LookPath("ping"); err != nil {
		if os.Getenv(netns.RequireEnv) == "1" {
			t.Fatalf("ping(8) not installed, and %s=1", netns.RequireEnv)
		}
		t.Skip("ping(8) not installed (apt-get install iputils-ping)")
	}
	for _, f := range udpFamilies {
		t.Run(f.name, func(t *testing.T) {
			e := newFamilyEnv(t, f)
			// -w: wait until all three replies are in (up to 10 s);
			// with only -W, ping waits two RTTs for the last reply once
			// others came back, and a loaded machine misses that.
			out, err := e.ns.Run("ping", "-n", "-c", "3", "-i", "0.2", "-w", "10", f.synack.String())
			if err != nil {
				t.Fatalf("ping: %v\n%s", err, out)
			}
			if !strings.Contains(out, "3 packets transmitted, 3 received") {
				t.Fatalf("ping output:\n%s", out)
			}
			if k := e.st.Counters(); k.ICMPInEchos != 3 || k.ICMPOutEchoReps != 3 {
				t.Errorf("synack InEchos %d, OutEchoReps %d", k.ICMPInEchos, k.ICMPOutEchoReps)
			}
		})
	}
}

// TestPingSynackToKernel: a synack ping socket pings the kernel's
// address; the kernel's replies come back with the socket's identifier
// and the sequence numbers and data sent, as x/net/icmp decodes them.
func TestPingSynackToKernel(t *testing.T) {
	for _, f := range udpFamilies {
		t.Run(f.name, func(t *testing.T) {
			e := newFamilyEnv(t, f)
			network, proto := "ping4", 1
			var request, reply icmp.Type = ipv4.ICMPTypeEcho, ipv4.ICMPTypeEchoReply
			if f.network == "udp6" {
				network, proto = "ping6", 58
				request, reply = ipv6.ICMPTypeEchoRequest, ipv6.ICMPTypeEchoReply
			}
			c, err := e.st.DialPing(network, f.kernel.String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(ioTimeout))
			buf := make([]byte, 1500)
			for seq := 1; seq <= 3; seq++ {
				data := bytes.Repeat([]byte{byte(seq)}, 56)
				msg, _ := (&icmp.Message{Type: request, Body: &icmp.Echo{Seq: seq, Data: data}}).Marshal(nil)
				if _, err := c.Write(msg); err != nil {
					t.Fatal(err)
				}
				n, from, err := c.ReadFrom(buf)
				if err != nil {
					t.Fatalf("echo %d: %v", seq, err)
				}
				m, err := icmp.ParseMessage(proto, buf[:n])
				if err != nil || m.Type != reply {
					t.Fatalf("echo %d: not a reply: %x (%v)", seq, buf[:n], err)
				}
				e := m.Body.(*icmp.Echo)
				if e.ID != int(c.ID()) || e.Seq != seq || !bytes.Equal(e.Data, data) || from.(*net.IPAddr).IP.String() != f.kernel.String() {
					t.Fatalf("echo %d: reply id %#x seq %d from %v, socket id %#x", seq, e.ID, e.Seq, from, c.ID())
				}
			}
		})
	}
}
