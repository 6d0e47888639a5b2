package interop

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"syscall"
	"testing"
)

// TestRefusedBySynack: gVisor dials a synack port with no listener; synack
// answers the SYN with a RST and gVisor's dial fails.
func TestRefusedBySynack(t *testing.T) {
	n := newTestNet(t, 1500)
	ctx, cancel := context.WithTimeout(context.Background(), safety)
	defer cancel()
	c, err := n.peer.DialConn(ctx, netip.AddrPortFrom(synackAddr.Addr(), closedPort))
	if err == nil {
		c.Close()
		t.Fatal("gVisor dial to a closed synack port succeeded")
	}
	if !strings.Contains(err.Error(), "connection was refused") {
		t.Errorf("gVisor dial: %v; want connection refused", err)
	}
	if got := n.st.Counters().OutRsts; got != 1 {
		t.Errorf("synack sent %d RSTs, want 1", got)
	}
}

// TestRefusedByGVisor: synack dials a gVisor port with no listener and
// gets ECONNREFUSED.
func TestRefusedByGVisor(t *testing.T) {
	n := newTestNet(t, 1500)
	ctx, cancel := context.WithTimeout(context.Background(), safety)
	defer cancel()
	c, err := n.st.DialContext(ctx, "tcp", netip.AddrPortFrom(gvisorAddr.Addr(), closedPort).String())
	if err == nil {
		c.Close()
		t.Fatal("synack dial to a closed gVisor port succeeded")
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("synack dial: %v; want ECONNREFUSED", err)
	}
	if k := n.st.Counters(); k.ActiveOpens != 1 || k.AttemptFails != 1 {
		t.Errorf("synack ActiveOpens %d, AttemptFails %d; want 1 and 1", k.ActiveOpens, k.AttemptFails)
	}
}
