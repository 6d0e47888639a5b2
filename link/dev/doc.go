// Package dev attaches a synack stack to a packet device it did not open:
// one with the batch Read and Write of wireguard-go's tun.Device (a
// wireguard-go TUN, a platform's userspace TUN driver), or a file
// descriptor that carries one raw IP packet per read and write (the TUN
// descriptor Android's VpnService.Builder.establish returns, or a Linux
// /dev/net/tun descriptor opened with IFF_TUN | IFF_NO_PI by another
// program).
//
//	l, err := dev.New(wgTun, dev.Options{})   // any Device
//	l, err := dev.FromFD(fd, 1500)             // Android: ParcelFileDescriptor.detachFd()
//	st, err := synack.New(synack.Config{Links: []synack.Link{{Link: l, Addrs: addrs}}})
//
// The package has no dependency on wireguard-go: Device is declared here,
// and a tun.Device satisfies it.
package dev
