package tun

import (
	"golang.org/x/sys/unix"
)

// configure sets an interface's MTU (or reads it, when mtu is 0) and brings
// the interface up, through ioctls on a datagram socket of the calling
// thread's network namespace, as ip(8) and ifconfig(8) do. It returns the
// MTU in force.
func configure(name string, mtu int) (int, error) {
	s, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, openError(name, "socket", err)
	}
	defer unix.Close(s)

	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return 0, openError(name, "interface name", err)
	}
	if mtu > 0 {
		ifr.SetUint32(uint32(mtu))
		if err := unix.IoctlIfreq(s, unix.SIOCSIFMTU, ifr); err != nil {
			return 0, openError(name, "ioctl SIOCSIFMTU", err)
		}
	} else {
		if err := unix.IoctlIfreq(s, unix.SIOCGIFMTU, ifr); err != nil {
			return 0, openError(name, "ioctl SIOCGIFMTU", err)
		}
		mtu = int(ifr.Uint32())
	}

	ifr, _ = unix.NewIfreq(name)
	if err := unix.IoctlIfreq(s, unix.SIOCGIFFLAGS, ifr); err != nil {
		return 0, openError(name, "ioctl SIOCGIFFLAGS", err)
	}
	if flags := ifr.Uint16(); flags&unix.IFF_UP == 0 {
		ifr.SetUint16(flags | unix.IFF_UP)
		if err := unix.IoctlIfreq(s, unix.SIOCSIFFLAGS, ifr); err != nil {
			return 0, openError(name, "ioctl SIOCSIFFLAGS", err)
		}
	}
	return mtu, nil
}
