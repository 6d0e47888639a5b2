//go:build linux

package kernel

import (
	"strconv"
	"strings"
	"testing"

	"github.com/synack-net/synack/stack"
)

// cookieTransfer is what each end sends in the SYN cookie tests.
const cookieTransfer = 16 << 20

// TestSynCookiesKernelClient: a synack listener that answers every SYN
// with a cookie (tcp_syncookies=2's behaviour) takes the kernel's
// connection from the cookie alone; 16 MiB go each way intact, and the
// options the cookie's timestamp carried are in effect: the kernel's
// window scale and SACK.
func TestSynCookiesKernelClient(t *testing.T) {
	e := newEnvWith(t, envOptions{host: stack.Config{SynCookies: stack.SynCookiesAlways}})
	p := e.connect(roles[0])
	// Read while the connection is established: once it is closed and in
	// TIME_WAIT it may be a compact entry, which keeps no window scale
	// or SACK (under -race that happened before the Info call).
	info := p.sy.Info()
	done := make(chan exchanged, 1)
	go func() { done <- exchange(p.kernel, cookieTransfer, 1) }()
	sy := exchange(p.sy, cookieTransfer, 2)
	k := <-done
	if sy.err != nil || k.err != nil || k.received != sy.sent || sy.received != k.sent || k.n != cookieTransfer || sy.n != cookieTransfer {
		t.Fatalf("transfer: synack %v (%d bytes), kernel %v (%d bytes), digests match %v %v",
			sy.err, sy.n, k.err, k.n, k.received == sy.sent, sy.received == k.sent)
	}
	c := e.st.Counters()
	if c.SyncookiesSent == 0 || c.SyncookiesRecv == 0 || c.SyncookiesFailed != 0 {
		t.Errorf("cookies sent %d, received %d, failed %d", c.SyncookiesSent, c.SyncookiesRecv, c.SyncookiesFailed)
	}
	if info.SndWScale == 0 || !info.SACK || !info.Timestamps {
		t.Errorf("window scale %d, SACK %v, timestamps %v: the cookie lost the kernel's options", info.SndWScale, info.SACK, info.Timestamps)
	}
	t.Logf("cookies sent %d, received %d; the kernel's window scale %d, SACK %v", c.SyncookiesSent, c.SyncookiesRecv, info.SndWScale, info.SACK)
}

// TestSynCookiesKernelListener: synack connects to a kernel listener that
// answers with cookies (net.ipv4.tcp_syncookies=2, set in the test's own
// namespace), and 16 MiB go each way intact; the kernel's counters show
// the cookie was sent and taken.
func TestSynCookiesKernelListener(t *testing.T) {
	e := newEnv(t)
	e.ns.MustRun(t, "sysctl", "-qw", "net.ipv4.tcp_syncookies=2")
	p := e.connect(roles[1])
	done := make(chan exchanged, 1)
	go func() { done <- exchange(p.kernel, cookieTransfer, 1) }()
	sy := exchange(p.sy, cookieTransfer, 2)
	k := <-done
	if sy.err != nil || k.err != nil || k.received != sy.sent || sy.received != k.sent {
		t.Fatalf("transfer: synack %v, kernel %v", sy.err, k.err)
	}
	sent, recv := kernelCounter(t, e, "SyncookiesSent"), kernelCounter(t, e, "SyncookiesRecv")
	if sent == 0 || recv == 0 {
		t.Errorf("the kernel sent %d cookies and took %d", sent, recv)
	}
	t.Logf("kernel: SyncookiesSent %d, SyncookiesRecv %d", sent, recv)
}

// kernelCounter reads one TcpExt counter of the namespace's kernel.
func kernelCounter(t *testing.T, e *env, name string) int {
	out := e.ns.MustRun(t, "cat", "/proc/net/netstat")
	lines := strings.Split(out, "\n")
	for i := 0; i+1 < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "TcpExt:") {
			continue
		}
		names, values := strings.Fields(lines[i]), strings.Fields(lines[i+1])
		for j, n := range names {
			if n == name && j < len(values) {
				v, _ := strconv.Atoi(values[j])
				return v
			}
		}
	}
	t.Fatalf("no TcpExt counter %s in /proc/net/netstat", name)
	return 0
}
