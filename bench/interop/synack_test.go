package interop

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/synack-net/synack"
	"github.com/synack-net/synack/bench/gvnet"
	"github.com/synack-net/synack/tcp"
)

// The two hosts of every interop test, on one link/pipe pair.
var (
	synackAddr = netip.MustParsePrefix("10.1.0.1/24")
	gvisorAddr = netip.MustParsePrefix("10.1.0.2/24")
)

// serverPort is where the server end listens; closedPort has no listener.
const (
	serverPort = 80
	closedPort = 81
)

// safety bounds every blocking call of a test; reaching it is a failure.
const safety = 60 * time.Second

// testNet is a synack stack and a gVisor host joined by a link/pipe pair.
type testNet struct {
	st    *synack.Stack // synack, at synackAddr
	peer  *gvnet.Host   // gVisor, at gvisorAddr
	watch *stateWatcher // synack's state changes
}

// newTestNet builds the two hosts on a pipe with the given MTU; both are
// closed when the test ends.
func newTestNet(t *testing.T, mtu int) *testNet {
	t.Helper()
	peer, far := GVisorOnLink(t, mtu, 1024, gvisorAddr)
	watch := newStateWatcher()
	st, err := synack.New(synack.Config{
		Name:     "synack",
		Links:    []synack.Link{{Link: far, Addrs: []netip.Prefix{synackAddr}}},
		Recorder: watch,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &testNet{st: st, peer: peer, watch: watch}
}

// role says which end opens the connection.
type role struct {
	name        string
	synackDials bool
}

// opening is the states synack's end goes through to be established.
func (r role) opening() []tcp.State {
	if r.synackDials {
		return []tcp.State{tcp.SynSent, tcp.Established}
	}
	return []tcp.State{tcp.SynReceived, tcp.Established}
}

// then is r.opening() followed by more states.
func (r role) then(more ...tcp.State) []tcp.State { return append(r.opening(), more...) }

var roles = []role{
	{"synack-client", true},
	{"gvisor-client", false},
}

// pair is one established connection between synack and gVisor.
type pair struct {
	*testNet
	sy             *synack.Conn
	gv             *gvnet.Conn
	client, server net.Conn
}

// connect opens a connection in the given role on a new testNet. Both ends
// get a safety deadline and are closed when the test ends.
func connect(t *testing.T, mtu int, r role) *pair {
	t.Helper()
	p := &pair{testNet: newTestNet(t, mtu)}
	ctx, cancel := context.WithTimeout(context.Background(), safety)
	defer cancel()
	if r.synackDials {
		ln, err := p.peer.ListenConns(serverPort)
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		c, err := p.st.DialContext(ctx, "tcp", netip.AddrPortFrom(gvisorAddr.Addr(), serverPort).String())
		if err != nil {
			t.Fatalf("synack dial: %v", err)
		}
		p.sy = c.(*synack.Conn)
		if p.gv, err = ln.AcceptConn(); err != nil {
			t.Fatalf("gVisor accept: %v", err)
		}
		p.client, p.server = p.sy, p.gv
	} else {
		ln, err := p.st.Listen("tcp", netip.AddrPortFrom(synackAddr.Addr(), serverPort).String())
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		if p.gv, err = p.peer.DialConn(ctx, netip.AddrPortFrom(synackAddr.Addr(), serverPort)); err != nil {
			t.Fatalf("gVisor dial: %v", err)
		}
		if p.sy, err = ln.AcceptTCP(); err != nil {
			t.Fatalf("synack accept: %v", err)
		}
		p.client, p.server = p.gv, p.sy
	}
	for _, c := range []net.Conn{p.sy, p.gv} {
		c.SetDeadline(time.Now().Add(safety))
		t.Cleanup(func() { c.Close() })
	}
	return p
}

// ends is the connection's key in synack's state history.
func (p *pair) ends() ends {
	return ends{
		local:  p.sy.LocalAddr().(*net.TCPAddr).AddrPort(),
		remote: p.sy.RemoteAddr().(*net.TCPAddr).AddrPort(),
	}
}
