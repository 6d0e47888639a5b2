// Package netstack is a drop-in for wireguard-go's
// golang.zx2c4.com/wireguard/tun/netstack on synack: CreateNetTUN returns
// a tun.Device for a wireguard-go device.Device and a *Net whose Dial,
// Listen and Lookup methods run TCP, UDP and ping over synack's userspace
// stack instead of gVisor's. A program switches by changing the import
// path.
//
// The methods keep wireguard-go's names and parameters. Where
// wireguard-go returns a gVisor adapter type, this package returns
// synack's equivalent, with the same net.Conn, net.Listener and
// net.PacketConn methods: *synack.Conn for *gonet.TCPConn,
// *synack.Listener for *gonet.TCPListener and *synack.UDPConn for
// *gonet.UDPConn. PingConn and PingAddr are this package's own, as in
// wireguard-go.
//
// Host names given to Dial and LookupHost are looked up with the DNS
// servers given to CreateNetTUN, over the stack's own UDP (RFC 1035).
package netstack
