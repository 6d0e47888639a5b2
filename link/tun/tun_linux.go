package tun

import (
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/synack-net/synack/link"
)

// cloneDevice is the TUN/TAP clone device: each open of it is a new queue,
// which TUNSETIFF attaches to an interface.
const cloneDevice = "/dev/net/tun"

// Device is an open TUN interface. It implements link.Link: one goroutine
// may read while another writes, and Close may be called from any
// goroutine.
type Device struct {
	name string
	mtu  int
	// f holds the non-blocking descriptor; its reads and writes park in
	// the runtime's poller, and Close wakes them.
	f *os.File
	// vnet and tx are set when the device carries virtio-net headers
	// for segmentation offload (Config.Offload): vnet splits what the
	// kernel sends, tx coalesces what we send.
	vnet *offload
	tx   *coalescer
	// lend holds the packets ReadPacketBuffer lends; done, closed by
	// Close, wakes a ReadPacketBuffer waiting for one to be released.
	lend *lender
	done chan struct{}

	closeOnce sync.Once
	closed    atomic.Bool // set by Close, for a split in progress
	dropped   atomic.Uint64
	split     atomic.Uint64
	large     atomic.Uint64
}

var (
	_ link.Link         = (*Device)(nil)
	_ link.Flusher      = (*Device)(nil)
	_ link.BufferReader = (*Device)(nil)
)

// Config says how OpenConfig sets up a device.
type Config struct {
	// Name is the interface's name. The kernel chooses one for a
	// pattern such as "tun%d".
	Name string
	// MTU, if not 0, becomes the interface's MTU; 0 keeps the
	// interface's own (1500 for a new one).
	MTU int
	// Offload turns on segmentation offload both ways (IFF_VNET_HDR,
	// TUNSETOFFLOAD), as a NIC with TSO and GRO would have it.
	//
	// The kernel hands over TCP segments of up to 64 KiB: one read, and
	// one pass through the kernel's output path, per 64 KiB instead of
	// per segment. ReadPacketBuffer lends each whole, its checksum
	// completed, so that the stack takes in and acknowledges 64 KiB at
	// once (as Linux's TCP does behind GRO); ReadPacket, which copies
	// into a buffer of the MTU, splits it into segments of the MSS it
	// carries.
	//
	// WritePacket holds TCP segments back and joins consecutive ones of
	// a flow into one packet of up to 64 KiB, which Flush (or the next
	// packet that does not join) hands to the kernel with GSO: one write,
	// and one pass through the kernel's input path, per 64 KiB. A writer
	// must call Flush after each burst, as synack.Stack does.
	//
	// The bench module's BenchmarkTUNBulk measures both directions with
	// and without it; the README gives the figures.
	Offload bool
}

// Open attaches to the TUN interface called name, creating it if there is
// none, with mtu as in Config.MTU and no offload. See OpenConfig.
func Open(name string, mtu int) (*Device, error) {
	return OpenConfig(Config{Name: name, MTU: mtu})
}

// OpenConfig attaches to the TUN interface cfg.Name, creating it if there
// is none (a created interface disappears when the Device closes; one made
// persistent beforehand, with `ip tuntap add`, stays), sets its MTU and
// brings it up.
//
// The interface is looked up and created in the network namespace of the
// calling OS thread; the descriptor stays in that namespace wherever it is
// used afterwards. A caller that has switched its thread's namespace must
// hold runtime.LockOSThread across the call.
//
// Errors wrap the errno of the failing call, so errors.Is(err,
// syscall.EPERM) tells a missing CAP_NET_ADMIN and errors.Is(err,
// syscall.EBUSY) an interface that another process has open.
func OpenConfig(cfg Config) (*Device, error) {
	name, mtu := cfg.Name, cfg.MTU
	if mtu < 0 || mtu > 65535 {
		return nil, fmt.Errorf("tun: open %s: MTU %d out of range", name, mtu)
	}
	// The clone device and the control socket must be opened in the same
	// namespace: keep this goroutine on one thread.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	fd, err := unix.Open(cloneDevice, unix.O_RDWR|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, openError(name, "open "+cloneDevice, err)
	}
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		unix.Close(fd)
		return nil, openError(name, "interface name", err)
	}
	flags := uint16(unix.IFF_TUN | unix.IFF_NO_PI)
	if cfg.Offload {
		flags |= unix.IFF_VNET_HDR
	}
	ifr.SetUint16(flags)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		unix.Close(fd)
		return nil, openError(name, "ioctl TUNSETIFF", err)
	}
	// The kernel fills in the name it chose (for a pattern like "tun%d").
	name = ifr.Name()
	if cfg.Offload {
		if err := unix.IoctlSetInt(fd, unix.TUNSETOFFLOAD, tunFCsum|tunFTSO4|tunFTSO6|tunFTSOECN); err != nil {
			unix.Close(fd)
			return nil, openError(name, "ioctl TUNSETOFFLOAD", err)
		}
	}
	mtu, err = configure(name, mtu)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	// os.NewFile registers a non-blocking descriptor with the runtime's
	// poller, which lets Close interrupt a blocked read.
	d := &Device{name: name, mtu: mtu, f: os.NewFile(uintptr(fd), cloneDevice), done: make(chan struct{})}
	d.lend = newLender(mtu, 0)
	if cfg.Offload {
		d.vnet, d.tx = newOffload(), newCoalescer()
		d.lend = newLender(maxGSO, vnetHdrLen)
	}
	return d, nil
}

// Offloads TUNSETOFFLOAD enables (include/uapi/linux/if_tun.h).
const (
	tunFCsum   = 0x01 // the kernel may leave checksums partial
	tunFTSO4   = 0x02 // and send TCP/IPv4 segments of up to 64 KiB
	tunFTSO6   = 0x04 // and TCP/IPv6 ones
	tunFTSOECN = 0x08 // with CWR set
)

// Name returns the interface's name.
func (d *Device) Name() string { return d.name }

// MTU returns the interface's MTU as set or found by Open.
func (d *Device) MTU() int { return d.mtu }

// Dropped returns how many packets WritePacket dropped because the kernel
// refused them (for instance EIO while the interface is down, or EINVAL for
// a packet it cannot parse), as a NIC drops what it cannot send.
func (d *Device) Dropped() uint64 { return d.dropped.Load() }

// Split returns how many TCP segments of more than one MSS the kernel
// handed over with Config.Offload and ReadPacket split (ReadPacketBuffer
// lends them whole; see Large).
func (d *Device) Split() uint64 { return d.split.Load() }

// ReadPacket blocks until the kernel sends a packet into the interface,
// copies it into buf and returns its length, at most len(buf): a longer
// packet is truncated. After Close it returns a *net.OpError wrapping
// net.ErrClosed.
func (d *Device) ReadPacket(buf []byte) (int, error) {
	if d.vnet != nil {
		if d.closed.Load() {
			return 0, d.opError("read", net.ErrClosed)
		}
		n, err := d.vnet.read(d.f, buf, &d.dropped, &d.split)
		if err != nil {
			return 0, d.opError("read", err)
		}
		return n, nil
	}
	n, err := d.f.Read(buf)
	if err != nil {
		return 0, d.opError("read", err)
	}
	// With IFF_NO_PI the kernel fills the buffer and reports the whole
	// packet's length even when it did not fit.
	return min(n, len(buf)), nil
}

// WritePacket hands one IP packet to the kernel, as if the interface had
// received it; with Config.Offload a TCP segment may wait for Flush, to be
// joined with the segments that follow it. A packet the kernel refuses is
// dropped and counted (see Dropped); only a closed Device returns an
// error, a *net.OpError wrapping net.ErrClosed.
func (d *Device) WritePacket(pkt []byte) error {
	if d.tx != nil {
		return d.writeResult(d.tx.write(d.f, pkt))
	}
	_, err := d.f.Write(pkt)
	return d.writeResult(err)
}

// Flush hands the kernel the segments WritePacket holds back (only with
// Config.Offload; otherwise there are none). Its errors are WritePacket's.
func (d *Device) Flush() error {
	if d.tx == nil {
		return nil
	}
	return d.writeResult(d.tx.flush(d.f))
}

// Coalesced returns how many packets of more than one TCP segment
// WritePacket and Flush have handed the kernel with Config.Offload.
func (d *Device) Coalesced() uint64 {
	if d.tx == nil {
		return 0
	}
	return d.tx.coalesced.Load()
}

// writeResult counts a refused write as a drop and reports only a closed
// descriptor.
func (d *Device) writeResult(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, os.ErrClosed) {
		return d.opError("write", err)
	}
	d.dropped.Add(1)
	return nil
}

// Close releases the descriptor. Blocked and later reads and writes return
// net.ErrClosed; an interface that Open created disappears. Closing twice
// returns net.ErrClosed.
func (d *Device) Close() error {
	err := error(net.ErrClosed)
	d.closeOnce.Do(func() {
		d.closed.Store(true)
		close(d.done)
		err = d.f.Close()
	})
	if err != nil {
		return d.opError("close", err)
	}
	return nil
}

// opError wraps err as the net package would, mapping the os package's
// "file already closed" to net.ErrClosed as link.Link asks.
func (d *Device) opError(op string, err error) error {
	if errors.Is(err, os.ErrClosed) {
		err = net.ErrClosed
	} else {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = os.NewSyscallError(pe.Op, pe.Err)
		}
	}
	return &net.OpError{Op: op, Net: "tun", Source: ifaceAddr(d.name), Err: err}
}

// ifaceAddr names an interface as a net.Addr, for error messages.
type ifaceAddr string

func (a ifaceAddr) Network() string { return "tun" }
func (a ifaceAddr) String() string  { return string(a) }

// openError describes a failure of Open, wrapping the errno.
func openError(name, step string, err error) error {
	var errno unix.Errno
	if errors.As(err, &errno) {
		err = os.NewSyscallError(step, errno)
	}
	return fmt.Errorf("tun: open %s: %w", name, err)
}
