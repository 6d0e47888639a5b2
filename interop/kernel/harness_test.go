//go:build linux

package kernel

import (
	"context"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/synack-net/synack"
	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/internal/netns"
	"github.com/synack-net/synack/link"
	"github.com/synack-net/synack/link/pcap"
	"github.com/synack-net/synack/link/tun"
	"github.com/synack-net/synack/stack"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/trace"
)

// The addresses on each test's TUN device: the kernel's end and synack's.
// Every test has its own namespace, so they can all use the same ones.
var (
	kernelPrefix = netip.MustParsePrefix("10.99.0.1/24")
	synackPrefix = netip.MustParsePrefix("10.99.0.2/24")
	kernelIP     = kernelPrefix.Addr()
	synackIP     = synackPrefix.Addr()
)

// tunName is the TUN device in each namespace.
const tunName = "synack0"

// firstPort is the first port synack listens on in each test.
const firstPort = 5000

// ioTimeout bounds every read and write of a test connection, so that a
// stuck connection fails the test instead of hanging it.
const ioTimeout = 60 * time.Second

// env is one test's world: a namespace, a TUN device in it with the
// kernel's address on its kernel side, and a synack stack on the device.
type env struct {
	t   *testing.T
	ns  *netns.NS
	dev *tun.Device
	st  *synack.Stack
	rec *recorder

	nextPort atomic.Uint32
}

// envOptions tune newEnv.
type envOptions struct {
	plain   bool         // open the device without segmentation offload
	capture *pcap.Writer // if set, every packet the stack sends or receives
	record  []trace.Kind // the trace events to keep; nil: state and timer
	host    stack.Config // the stack's host settings
}

// newEnv makes a test's world with the default options.
func newEnv(t *testing.T) *env { return newEnvWith(t, envOptions{}) }

// newEnvWith makes a test's world; everything in it is closed or deleted
// when the test ends.
func newEnvWith(t *testing.T, o envOptions) *env {
	t.Helper()
	ns := netns.New(t)
	// No IPv6 on the device: the kernel would send router solicitations
	// and MLD reports, noise in the captures.
	ns.MustRun(t, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
	// Offload is how synack serve and dial open their devices.
	cfg := tun.Config{Name: tunName, MTU: 1500, Offload: !o.plain}
	var dev *tun.Device
	if err := ns.Do(func() (err error) { dev, err = tun.OpenConfig(cfg); return err }); err != nil {
		t.Fatalf("tun.OpenConfig in %s: %v", ns.Name(), err)
	}
	t.Cleanup(func() { dev.Close() })
	ns.MustIP(t, "addr", "add", kernelPrefix.String(), "dev", tunName)

	if o.record == nil {
		o.record = []trace.Kind{trace.KindState, trace.KindTimer}
	}
	e := &env{t: t, ns: ns, dev: dev, rec: newRecorder(o.record...)}
	clk := clock.NewReal()
	var l link.Link = dev
	if o.capture != nil {
		l = pcap.NewTapAt(dev, o.capture, clk, time.Now())
	}
	st, err := synack.New(synack.Config{
		Name:     "synack",
		Links:    []synack.Link{{Link: l, Addrs: []netip.Prefix{synackPrefix}}},
		Clock:    clk,
		Recorder: e.rec,
		Host:     o.host,
	})
	if err != nil {
		t.Fatalf("synack.New: %v", err)
	}
	e.st = st
	t.Cleanup(func() { st.Close() })
	return e
}

// synackListen listens on synack's next free port with the given backlog
// (0: the default).
func (e *env) synackListen(backlog int) *synack.Listener {
	e.t.Helper()
	port := firstPort + e.nextPort.Add(1) - 1
	ln, err := e.st.ListenBacklog("tcp", netip.AddrPortFrom(synackIP, uint16(port)).String(), backlog)
	if err != nil {
		e.t.Fatalf("synack Listen: %v", err)
	}
	e.t.Cleanup(func() { ln.Close() })
	return ln
}

// dialTimeout bounds every connection attempt: a lost handshake fails the
// test instead of waiting out the SYN retries.
const dialTimeout = 10 * time.Second

// synackDial connects synack to the kernel's port.
func (e *env) synackDial(port uint16) (*synack.Conn, error) {
	ctx, cancel := context.WithTimeout(e.t.Context(), dialTimeout)
	defer cancel()
	return e.st.DialTCP(ctx, "tcp", netip.AddrPort{}, netip.AddrPortFrom(kernelIP, port))
}

// kernelListen makes a kernel listening socket on an ephemeral port of
// the kernel's address, inside the namespace.
func (e *env) kernelListen() *net.TCPListener {
	e.t.Helper()
	var ln *net.TCPListener
	err := e.ns.Do(func() (err error) {
		ln, err = net.ListenTCP("tcp4", net.TCPAddrFromAddrPort(netip.AddrPortFrom(kernelIP, 0)))
		return err
	})
	if err != nil {
		e.t.Fatalf("kernel listen: %v", err)
	}
	e.t.Cleanup(func() { ln.Close() })
	return ln
}

// kernelDial connects a kernel socket, made inside the namespace, to
// synack's port.
func (e *env) kernelDial(port uint16) (*net.TCPConn, error) {
	var c net.Conn
	err := e.ns.Do(func() (err error) {
		d := net.Dialer{Timeout: dialTimeout}
		c, err = d.Dial("tcp4", netip.AddrPortFrom(synackIP, port).String())
		return err
	})
	if err != nil {
		return nil, err
	}
	return c.(*net.TCPConn), nil
}

// role says which end opens the connection.
type role struct {
	name        string
	kernelDials bool
}

// roles are both ways round: each test runs in each.
var roles = []role{{"kernel-client", true}, {"synack-client", false}}

// pair is the two ends of one connection.
type pair struct {
	kernel *net.TCPConn
	sy     *synack.Conn
}

// connect opens a connection between the kernel and synack, the client
// as r says, with both ends' I/O bounded by ioTimeout and closed when the
// test ends.
func (e *env) connect(r role) pair {
	e.t.Helper()
	var p pair
	var err error
	if r.kernelDials {
		ln := e.synackListen(0)
		if p.kernel, err = e.kernelDial(addrPort(ln.Addr()).Port()); err != nil {
			e.t.Fatalf("kernel dial: %v", err)
		}
		if p.sy, err = ln.AcceptTCP(); err != nil {
			e.t.Fatalf("synack accept: %v", err)
		}
		ln.Close()
	} else {
		ln := e.kernelListen()
		if p.sy, err = e.synackDial(addrPort(ln.Addr()).Port()); err != nil {
			e.t.Fatalf("synack dial: %v", err)
		}
		if p.kernel, err = ln.AcceptTCP(); err != nil {
			e.t.Fatalf("kernel accept: %v", err)
		}
		ln.Close()
	}
	e.t.Cleanup(func() { p.kernel.Close(); p.sy.Close() })
	deadline := time.Now().Add(ioTimeout)
	p.kernel.SetDeadline(deadline)
	p.sy.SetDeadline(deadline)
	return p
}

func addrPort(a net.Addr) netip.AddrPort { return a.(*net.TCPAddr).AddrPort() }

// kernelSockets returns the states (as ss prints them: ESTAB, TIME-WAIT,
// …) of the kernel's TCP sockets in the namespace whose local or peer end
// is local.
func (e *env) kernelSockets(local netip.AddrPort) []string {
	e.t.Helper()
	out := e.ns.MustRun(e.t, "ss", "-Htan")
	var states []string
	for line := range strings.Lines(out) {
		f := strings.Fields(line)
		if len(f) >= 5 && (f[3] == local.String() || f[4] == local.String()) {
			states = append(states, f[0])
		}
	}
	return states
}

// quiesce waits (for at most a second) until synack's host has no output
// pending on two polls in a row, that is until its event loop has
// processed what it received and flushed.
func (e *env) quiesce() {
	quiet := 0
	for deadline := time.Now().Add(time.Second); quiet < 2 && time.Now().Before(deadline); {
		if e.st.HasPendingOutput() {
			quiet = 0
		} else {
			quiet++
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// waitFor polls cond every few milliseconds until it holds, and fails the
// test if it still does not after limit. The kernel runs in real time, so
// this is how the tests wait for it.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", limit, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// recorder keeps the trace events of the kinds it was made for. It is safe
// for concurrent use: the stack records from its event loop while the test
// reads.
type recorder struct {
	kinds uint32 // bit k set: keep Kind k

	mu     sync.Mutex
	events []trace.Event
}

func newRecorder(kinds ...trace.Kind) *recorder {
	r := &recorder{}
	for _, k := range kinds {
		r.kinds |= 1 << k
	}
	return r
}

// Record keeps e if its kind was asked for.
func (r *recorder) Record(e trace.Event) {
	if r.kinds&(1<<e.Kind) == 0 {
		return
	}
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

// of returns the kept events about the connection whose synack end is
// local.
func (r *recorder) of(local netip.AddrPort) []trace.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []trace.Event
	for _, e := range r.events {
		if e.Local == local {
			out = append(out, e)
		}
	}
	return out
}

// states returns the states the connection whose synack end is local went
// through, in order.
func (r *recorder) states(local netip.AddrPort) []tcp.State {
	var s []tcp.State
	for _, e := range r.of(local) {
		if e.Kind == trace.KindState {
			s = append(s, e.To)
		}
	}
	return s
}

// halfCloser is a connection that can shut down its sending direction:
// *net.TCPConn and *synack.Conn.
type halfCloser interface {
	io.ReadWriteCloser
	CloseWrite() error
}
