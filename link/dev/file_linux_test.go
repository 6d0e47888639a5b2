//go:build linux

package dev_test

import (
	"bytes"
	"errors"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/synack-net/synack/link/dev"
)

// TestFile runs a File link over one end of a SOCK_SEQPACKET socket pair,
// which keeps packet boundaries as a TUN descriptor does: packets cross
// both ways one per read and write, one over the MTU is dropped, and
// Close ends a blocked read with net.ErrClosed.
func TestFile(t *testing.T) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_SEQPACKET|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	l, err := dev.FromFD(fds[0], 100)
	if err != nil {
		t.Fatal(err)
	}
	peer := os.NewFile(uintptr(fds[1]), "peer")
	defer peer.Close()

	for _, p := range [][]byte{{0x45, 1}, {0x60, 2, 3}} {
		if _, err := peer.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	buf := make([]byte, 100)
	for _, want := range [][]byte{{0x45, 1}, {0x60, 2, 3}} {
		n, err := l.ReadPacket(buf)
		if err != nil || !bytes.Equal(buf[:n], want) {
			t.Fatalf("ReadPacket: % x, %v; want % x", buf[:n], err, want)
		}
	}

	if err := l.WritePacket(make([]byte, 101)); err != nil || l.Dropped() != 1 {
		t.Fatalf("WritePacket over the MTU: %v, dropped %d", err, l.Dropped())
	}
	if err := l.WritePacket([]byte{0x45, 9}); err != nil {
		t.Fatal(err)
	}
	n, err := peer.Read(buf)
	if err != nil || !bytes.Equal(buf[:n], []byte{0x45, 9}) {
		t.Fatalf("peer read % x, %v", buf[:n], err)
	}

	done := make(chan error)
	go func() {
		_, err := l.ReadPacket(buf)
		done <- err
	}()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, net.ErrClosed) {
		t.Fatalf("ReadPacket after Close: %v", err)
	}
	if err := l.WritePacket([]byte{0x45}); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("WritePacket after Close: %v", err)
	}
}
