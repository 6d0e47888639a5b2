package synack

import (
	"net"
	"net/netip"
	"os"
	"syscall"
)

// opError wraps err the way the net package does: a *net.OpError around an
// *os.SyscallError around the errno, so that both err.Error() reads like
// Go's ("dial tcp 10.0.0.2:80: connect: connection refused") and
// errors.Is(err, syscall.ECONNREFUSED) holds.
func opError(op string, local, remote netip.AddrPort, err error) error {
	if err == nil {
		return nil
	}
	if errno, ok := err.(syscall.Errno); ok {
		err = os.NewSyscallError(syscallName(op), errno)
	}
	oe := &net.OpError{Op: op, Net: "tcp", Err: err}
	if local.IsValid() {
		oe.Source = net.TCPAddrFromAddrPort(local)
	}
	if remote.IsValid() {
		oe.Addr = net.TCPAddrFromAddrPort(remote)
	}
	return oe
}

// syscallName is the system call a kernel socket would have failed in.
func syscallName(op string) string {
	switch op {
	case "dial":
		return "connect"
	case "write", "readfrom":
		return "write"
	case "read", "writeto":
		return "read"
	case "accept":
		return "accept"
	case "listen":
		return "bind"
	}
	return op
}

var netipZero netip.AddrPort
