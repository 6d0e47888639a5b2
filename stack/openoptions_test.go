package stack

import (
	"errors"
	"net/netip"
	"syscall"
	"testing"

	"github.com/synack-net/synack/tcp"
)

// OpenOptions.CongestionControl chooses the algorithm of a connection
// opened with ConnectWith, and of those a listener accepts (TCP_CONGESTION
// set before connect or on a listening socket); an unknown name is
// ENOENT, refused before anything is opened.
func TestOpenOptionsCongestionControl(t *testing.T) {
	p := newTestPair(t, nil)
	if err := p.ln.SetOptions(OpenOptions{CongestionControl: "vegas"}); !errors.Is(err, syscall.ENOENT) {
		t.Fatalf("SetOptions(vegas) = %v, want ENOENT", err)
	}
	if _, err := p.a.ConnectWith(p.now, netip.AddrPort{}, testPortB, OpenOptions{CongestionControl: "vegas"}); !errors.Is(err, syscall.ENOENT) {
		t.Fatalf("ConnectWith(vegas) = %v, want ENOENT", err)
	}
	if err := p.ln.SetOptions(OpenOptions{CongestionControl: "reno"}); err != nil {
		t.Fatal(err)
	}
	c, err := p.a.ConnectWith(p.now, netip.AddrPort{}, testPortB, OpenOptions{CongestionControl: "reno"})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := p.a.Connect(p.now, netip.AddrPort{}, testPortB)
	if err != nil {
		t.Fatal(err)
	}
	p.pump()
	name := func(c *Conn) string {
		var n string
		c.Configure(func(t *tcp.TCB) { n = t.CongestionControl() })
		return n
	}
	for range 2 {
		s, _ := p.ln.Accept()
		if s == nil {
			t.Fatal("not accepted")
		}
		if got := name(s); got != "reno" {
			t.Errorf("accepted connection uses %q, want the listener's reno", got)
		}
	}
	if name(c) != "reno" || name(plain) != "cubic" {
		t.Errorf("clients use %q and %q, want reno and the default cubic", name(c), name(plain))
	}
}
