// Package tun attaches a synack stack to a Linux TUN device: a network
// interface of the kernel whose packets are read and written by this
// process as raw IP packets (IFF_TUN | IFF_NO_PI, no link-layer header).
//
// The kernel side of the interface (its address and routes) is configured
// with the usual tools, for example
//
//	ip tuntap add dev synack0 mode tun
//	ip addr add 10.99.0.1/24 dev synack0
//	ip link set synack0 up
//
// and a stack given another address of the prefix, say 10.99.0.2/24, then
// speaks TCP with the kernel (and, with forwarding, with the world) through
// it. Open needs CAP_NET_ADMIN.
//
// A Device reads and writes through the Go runtime's poller, without
// allocating: one packet per system call, or, with Config.Offload, up to
// 64 KiB of TCP per read and per write. ReadPacketBuffer (which a
// synack.Stack uses) lends such a read whole, as one TCP segment, the way
// Linux's GRO hands its TCP merged segments; ReadPacket splits it into
// segments of the MSS. WritePacket joins segments into 64 KiB packets.
package tun
