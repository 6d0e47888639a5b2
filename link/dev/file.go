package dev

import (
	"errors"
	"io/fs"
	"net"
	"os"
	"sync/atomic"

	"github.com/synack-net/synack/link"
)

// File is a link.Link over a file that carries one raw IP packet per
// read and per write, with no header: a TUN descriptor opened with
// IFF_TUN | IFF_NO_PI, such as the one Android's VpnService gives.
// Reads and writes go through the Go runtime's poller when the
// descriptor is non-blocking (FromFD makes it so); then Close also ends a
// blocked read.
type File struct {
	f       *os.File
	mtu     int
	dropped atomic.Uint64
}

var _ link.Link = (*File)(nil)

// NewFile returns a link over f carrying packets of up to mtu bytes. The
// link owns f: its Close closes f.
func NewFile(f *os.File, mtu int) *File { return &File{f: f, mtu: mtu} }

// MTU implements link.Link.
func (l *File) MTU() int { return l.mtu }

// ReadPacket implements link.Link: one read of the file is one packet.
func (l *File) ReadPacket(buf []byte) (int, error) {
	n, err := l.f.Read(buf)
	if err != nil {
		return 0, closedErr(err)
	}
	return n, nil
}

// WritePacket implements link.Link: one write of the file is one packet.
// A packet over the MTU, or one the device refuses (its queue full, say),
// is dropped and counted.
func (l *File) WritePacket(pkt []byte) error {
	if len(pkt) > l.mtu {
		l.dropped.Add(1)
		return nil
	}
	if _, err := l.f.Write(pkt); err != nil {
		if err = closedErr(err); errors.Is(err, net.ErrClosed) {
			return err
		}
		l.dropped.Add(1)
	}
	return nil
}

// Dropped returns the packets dropped on the way out.
func (l *File) Dropped() uint64 { return l.dropped.Load() }

// Close implements link.Link: it closes the file.
func (l *File) Close() error {
	if err := l.f.Close(); err != nil && !errors.Is(err, fs.ErrClosed) {
		return err
	}
	return nil
}

// closedErr turns the file's "file already closed" into net.ErrClosed,
// which link.Link promises after Close.
func closedErr(err error) error {
	if errors.Is(err, fs.ErrClosed) {
		return net.ErrClosed
	}
	return err
}
