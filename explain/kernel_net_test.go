//go:build linux

package explain

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/synack-net/synack/internal/netns"
)

// kernelNet is the Linux kernel in two network namespaces the test made,
// client and server, joined by a veth pair: veth0 (client) and veth1.
type kernelNet struct {
	t              *testing.T
	client, server *netns.NS
	clientIP       netip.Addr
	serverIP       netip.Addr
}

// requireTool skips (or, with SYNACK_REQUIRE_NETNS=1, fails) a test that
// needs a program that is not installed.
func requireTool(t *testing.T, name, pkg string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv(netns.RequireEnv) == "1" {
			t.Fatalf("%s not installed (apt-get install %s), and %s=1", name, pkg, netns.RequireEnv)
		}
		t.Skipf("%s not installed (apt-get install %s)", name, pkg)
	}
}

// newKernelNet makes the two namespaces and the veth pair, with IPv4
// addresses 10.99.1.1 and 10.99.1.2, or IPv6 fd99::1 and fd99::2.
func newKernelNet(t *testing.T, v6 bool) *kernelNet {
	netns.Require(t)
	requireTool(t, "tcpdump", "tcpdump")
	k := &kernelNet{t: t, client: netns.New(t), server: netns.New(t)}
	k.client.MustIP(t, "link", "add", "veth0", "type", "veth", "peer", "name", "veth1", "netns", k.server.Name())
	prefix, ca, sa := "/24", "10.99.1.1", "10.99.1.2"
	if v6 {
		prefix, ca, sa = "/64", "fd99::1", "fd99::2"
	}
	k.clientIP, k.serverIP = netip.MustParseAddr(ca), netip.MustParseAddr(sa)
	k.client.MustIP(t, "addr", "add", ca+prefix, "dev", "veth0", "nodad")
	k.server.MustIP(t, "addr", "add", sa+prefix, "dev", "veth1", "nodad")
	k.client.MustIP(t, "link", "set", "veth0", "up")
	k.server.MustIP(t, "link", "set", "veth1", "up")
	return k
}

// serverAddr is the server's address with port.
func (k *kernelNet) serverAddr(port uint16) netip.AddrPort {
	return netip.AddrPortFrom(k.serverIP, port)
}

// capture runs tcpdump in ns with args (an interface and options) until
// the returned function is called, which returns the capture's file.
func (k *kernelNet) capture(ns *netns.NS, args ...string) (stop func() string) {
	t := k.t
	t.Helper()
	path := filepath.Join(t.TempDir(), "capture.pcap")
	cmd := ns.Command("tcpdump", append([]string{"-U", "--immediate-mode", "-B", "16384", "-n", "-w", path}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("tcpdump: %v", err)
	}
	// tcpdump says "listening on ..." once its capture is open.
	sc := bufio.NewScanner(stderr)
	var said []string
	for sc.Scan() {
		said = append(said, sc.Text())
		if strings.Contains(sc.Text(), "listening on") {
			break
		}
	}
	if len(said) == 0 || !strings.Contains(said[len(said)-1], "listening on") {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("tcpdump did not start: %s", strings.Join(said, "\n"))
	}
	go func() {
		for sc.Scan() {
		}
	}()
	stopped := false
	stop = func() string {
		if !stopped {
			stopped = true
			// SIGINT ends the capture without draining what tcpdump
			// has not yet taken off its ring: first wait for a marker
			// sent after everything else to be in the file.
			k.waitForMarker(path)
			cmd.Process.Signal(syscall.SIGINT)
			cmd.Wait()
		}
		return path
	}
	t.Cleanup(func() { stop() })
	return stop
}

// waitForMarker sends UDP datagrams from the client to the server, which
// explain skips as not TCP, until one is in the capture file at path
// (or 5 s have passed): then the file holds every packet sent before it.
func (k *kernelNet) waitForMarker(path string) {
	marker := []byte(fmt.Sprintf("synack-explain-marker-%d", time.Now().UnixNano()))
	for start := time.Now(); time.Since(start) < 5*time.Second; {
		k.client.Do(func() error {
			c, err := net.Dial("udp", k.serverAddr(9).String())
			if err != nil {
				return err
			}
			defer c.Close()
			_, err = c.Write(marker)
			return err
		})
		time.Sleep(50 * time.Millisecond)
		if b, err := os.ReadFile(path); err == nil && bytes.Contains(b, marker) {
			return
		}
	}
	k.t.Errorf("tcpdump did not capture the end marker in 5 s")
}

// listen makes a kernel listener in the server namespace, with the given
// receive buffer (0: the default), which accepted sockets inherit.
func (k *kernelNet) listen(port uint16, rcvbuf int) *net.TCPListener {
	k.t.Helper()
	var ln net.Listener
	err := k.server.Do(func() error {
		lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
			if rcvbuf == 0 {
				return nil
			}
			var serr error
			c.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, rcvbuf) })
			return serr
		}}
		var err error
		ln, err = lc.Listen(context.Background(), "tcp", k.serverAddr(port).String())
		return err
	})
	if err != nil {
		k.t.Fatalf("listen: %v", err)
	}
	k.t.Cleanup(func() { ln.Close() })
	return ln.(*net.TCPListener)
}

// dial connects from the client namespace.
func (k *kernelNet) dial(port uint16) (*net.TCPConn, error) {
	var c net.Conn
	err := k.client.Do(func() error {
		var err error
		c, err = net.Dial("tcp", k.serverAddr(port).String())
		return err
	})
	if err != nil {
		return nil, err
	}
	k.t.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn), nil
}

// connect dials the listener and accepts the connection.
func (k *kernelNet) connect(ln *net.TCPListener) (client, server *net.TCPConn) {
	k.t.Helper()
	client, err := k.dial(uint16(ln.Addr().(*net.TCPAddr).Port))
	if err != nil {
		k.t.Fatalf("dial: %v", err)
	}
	server, err = ln.AcceptTCP()
	if err != nil {
		k.t.Fatalf("accept: %v", err)
	}
	k.t.Cleanup(func() { server.Close() })
	// No scenario takes long: a hung one fails instead of stalling.
	deadline := time.Now().Add(30 * time.Second)
	client.SetDeadline(deadline)
	server.SetDeadline(deadline)
	return client, server
}

// nft loads nftables rules into ns.
func (k *kernelNet) nft(ns *netns.NS, rules string) {
	k.t.Helper()
	requireTool(k.t, "nft", "nftables")
	cmd := ns.Command("nft", "-f", "-")
	cmd.Stdin = strings.NewReader(rules)
	if out, err := cmd.CombinedOutput(); err != nil {
		k.t.Fatalf("nft -f: %v: %s", err, out)
	}
}

// ssState returns the state ss(8) shows in ns for the connection from
// local to remote, in synack's names, or CLOSED when there is none.
func (k *kernelNet) ssState(ns *netns.NS, local, remote netip.AddrPort) string {
	k.t.Helper()
	out := ns.MustRun(k.t, "ss", "-Htan")
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 5 && f[3] == sockAddr(local) && f[4] == sockAddr(remote) {
			return ssNames[f[0]]
		}
	}
	return "CLOSED"
}

// sockAddr writes an address as ss prints it: [v6]:port for IPv6.
func sockAddr(a netip.AddrPort) string {
	if a.Addr().Is6() {
		return fmt.Sprintf("[%s]:%d", a.Addr(), a.Port())
	}
	return a.String()
}

// ssNames maps ss's state names to synack's.
var ssNames = map[string]string{
	"ESTAB": "ESTABLISHED", "SYN-SENT": "SYN_SENT", "SYN-RECV": "SYN_RCVD",
	"FIN-WAIT-1": "FIN_WAIT_1", "FIN-WAIT-2": "FIN_WAIT_2", "TIME-WAIT": "TIME_WAIT",
	"CLOSE-WAIT": "CLOSE_WAIT", "LAST-ACK": "LAST_ACK", "CLOSING": "CLOSING", "LISTEN": "LISTEN",
}
