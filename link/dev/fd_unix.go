//go:build unix

package dev

import (
	"os"
	"syscall"
)

// FromFD returns a File link over the descriptor fd (one raw IP packet per
// read and write), made non-blocking so that the Go runtime's poller
// serves it and Close ends a blocked read. The link owns fd. On Android,
// fd is VpnService.Builder.establish()'s ParcelFileDescriptor, detached
// with detachFd().
func FromFD(fd int, mtu int) (*File, error) {
	if err := syscall.SetNonblock(fd, true); err != nil {
		return nil, os.NewSyscallError("setnonblock", err)
	}
	return NewFile(os.NewFile(uintptr(fd), "tun"), mtu), nil
}
