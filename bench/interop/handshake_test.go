package interop

import (
	"net"
	"net/netip"
	"slices"
	"testing"

	"github.com/synack-net/synack/tcp"
)

// addrPort converts a net.Conn address to a comparable form.
func addrPort(t *testing.T, a net.Addr) netip.AddrPort {
	t.Helper()
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		t.Fatalf("address %v is a %T, not a *net.TCPAddr", a, a)
	}
	ap := ta.AddrPort()
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

func TestHandshake(t *testing.T) {
	for _, r := range roles {
		t.Run(r.name, func(t *testing.T) {
			p := connect(t, 1500, r)
			cl, cr := addrPort(t, p.client.LocalAddr()), addrPort(t, p.client.RemoteAddr())
			sl, sr := addrPort(t, p.server.LocalAddr()), addrPort(t, p.server.RemoteAddr())
			serverIP, clientIP := gvisorAddr.Addr(), synackAddr.Addr()
			if !r.synackDials {
				serverIP, clientIP = clientIP, serverIP
			}
			if want := netip.AddrPortFrom(serverIP, serverPort); sl != want || cr != want {
				t.Errorf("server local %v, client's remote %v; want both %v", sl, cr, want)
			}
			if cl.Addr() != clientIP || sr != cl {
				t.Errorf("client local %v, server's remote %v; want the same address on %v", cl, sr, clientIP)
			}
			if cl.Port() == 0 {
				t.Errorf("client local port is 0")
			}
			if s := p.sy.State(); s != tcp.Established {
				t.Errorf("synack state %v, want ESTABLISHED", s)
			}
			if h, want := p.watch.history(p.ends()), r.opening(); !slices.Equal(h, want) {
				t.Errorf("synack went through %v, want %v", h, want)
			}
		})
	}
}
