//go:build linux

// Package netns gives tests their own Linux network namespaces, so that
// TUN devices, addresses, routes, firewall rules and kernel sockets of a
// test never touch the host's network.
//
// A namespace is made with `ip netns add` and removed when the test ends.
// Code runs inside it through Do, on an OS thread that enters the namespace
// and is never handed back to other goroutines; sockets and TUN descriptors
// made there stay in the namespace wherever they are used afterwards.
package netns

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"
)

// RequireEnv names the environment variable that turns Require's skip into
// a failure: CI sets it to 1 so that the kernel tests cannot silently
// vanish.
const RequireEnv = "SYNACK_REQUIRE_NETNS"

// Require skips tb unless this process can make network namespaces and
// TUN devices (it runs as root, /dev/net/tun exists, ip(8) is installed),
// or fails it when RequireEnv is set to 1.
func Require(tb testing.TB) {
	tb.Helper()
	if why := unavailable(); why != "" {
		if os.Getenv(RequireEnv) == "1" {
			tb.Fatalf("network namespace tests cannot run (%s), and %s=1", why, RequireEnv)
		}
		tb.Skipf("network namespace tests need root, /dev/net/tun and ip(8): %s", why)
	}
}

func unavailable() string {
	switch {
	case runtime.GOOS != "linux":
		return "not Linux"
	case os.Geteuid() != 0:
		return "not running as root"
	}
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		return err.Error()
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return "ip(8) not found"
	}
	return ""
}

// NS is a network namespace made for one test.
type NS struct {
	name string
	fd   int // open on /run/netns/<name>, for setns(2)
}

var serial atomic.Uint64

// New makes a network namespace with its loopback interface up, and
// deletes it (with every interface, address, rule and socket left in it)
// when tb ends, whether it passed or not. It calls Require first.
func New(tb testing.TB) *NS {
	tb.Helper()
	Require(tb)
	name := fmt.Sprintf("synack-test-%d-%d", os.Getpid(), serial.Add(1))
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		tb.Fatalf("ip netns add %s: %v: %s", name, err, out)
	}
	ns := &NS{name: name, fd: -1}
	tb.Cleanup(ns.remove)
	fd, err := unix.Open("/run/netns/"+name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		tb.Fatalf("open namespace %s: %v", name, err)
	}
	ns.fd = fd
	ns.MustIP(tb, "link", "set", "lo", "up")
	return ns
}

func (ns *NS) remove() {
	if ns.fd >= 0 {
		unix.Close(ns.fd)
	}
	// Deleting the name drops the last reference once the test's sockets
	// and devices are closed; the kernel then frees the namespace.
	exec.Command("ip", "netns", "del", ns.name).Run()
}

// Name returns the namespace's name, as `ip netns` knows it.
func (ns *NS) Name() string { return ns.name }

// Do runs f on an OS thread that has entered the namespace, and returns
// f's error. Goroutines that f starts do not run in the namespace. The
// thread is never returned to the Go scheduler's pool: it stays locked and
// exits with the goroutine that Do starts.
func (ns *NS) Do(f func() error) error {
	errc := make(chan error, 1)
	go func() {
		// No UnlockOSThread: a locked thread whose goroutine exits is
		// terminated, so no other goroutine ever runs in this namespace
		// by accident.
		runtime.LockOSThread()
		if err := unix.Setns(ns.fd, unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %w", ns.name, err)
			return
		}
		errc <- f()
	}()
	return <-errc
}

// Command returns a command that runs name with args inside the namespace
// (through `ip netns exec`).
func (ns *NS) Command(name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", ns.name, name}, args...)...)
}

// Run runs a command inside the namespace and returns its standard output;
// the error includes its standard error.
func (ns *NS) Run(name string, args ...string) (string, error) {
	cmd := ns.Command(name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, bytes.TrimSpace(stderr.Bytes()))
	}
	return string(out), nil
}

// MustRun is Run that fails tb on error.
func (ns *NS) MustRun(tb testing.TB, name string, args ...string) string {
	tb.Helper()
	out, err := ns.Run(name, args...)
	if err != nil {
		tb.Fatalf("in namespace %s: %v", ns.name, err)
	}
	return out
}

// MustIP runs `ip -n <namespace> args...` and fails tb on error.
func (ns *NS) MustIP(tb testing.TB, args ...string) {
	tb.Helper()
	cmd := exec.Command("ip", append([]string{"-n", ns.name}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("ip -n %s %s: %v: %s", ns.name, strings.Join(args, " "), err, out)
	}
}
