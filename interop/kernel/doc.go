// Package kernel tests synack against the Linux kernel's TCP: each test
// makes its own network namespace, a TUN device in it whose kernel side
// has an address, runs a synack stack on the device, and uses the kernel's
// sockets in the same namespace as the peer, in both roles (the kernel as
// client and synack as server, and the reverse). Nothing is sent outside
// the test's namespace.
//
// The tests need root and /dev/net/tun; without them they skip, unless
// SYNACK_REQUIRE_NETNS=1 is set (as CI does), which turns the skip into a
// failure. The loss test also needs nft(8), and the capture test tshark
// (SYNACK_REQUIRE_TSHARK=1 makes its absence a failure too).
//
//	go test -race ./interop/kernel/
package kernel
