package drill

import (
	"net/netip"
	"strings"
	"time"

	"github.com/synack-net/synack/stack"
	"github.com/synack-net/synack/tcp"
)

// Linux's buffer sysctls as the corpus's defaults.sh sets them: tcp_rmem
// and tcp_wmem, default and maximum.
const (
	linuxRmemDefault = 540000
	linuxRmemMax     = 15 << 20 // 15728640: Linux advertises window scale 8
	linuxWmemDefault = 262144
	linuxWmemMax     = 4 << 20
)

// LinuxProfile returns the TCP configuration under which synack should
// send what the corpus expects of Linux with its defaults.sh: the initial
// RTO of 1 s and its 200 ms floor, 5 SYN and SYN-ACK retries, a 40 ms
// delayed-ACK timer, window scale 8 in the SYN and SYN-ACK, timestamps,
// SACK, CUBIC, Nagle on (Linux sockets start without TCP_NODELAY, Go's with
// it) and RFC 1337 off (tcp_rfc1337=0). The initial window of 10 segments
// and the 60 s TIME_WAIT are synack's defaults already. The buffers start
// at tcp_rmem's and tcp_wmem's defaults and autotune up to their maxima;
// the window scale is chosen for the receive maximum, as Linux does.
func LinuxProfile() tcp.Config {
	c := tcp.DefaultConfig()
	c.SendBufferSize, c.SendBufferMax = linuxWmemDefault, linuxWmemMax
	c.ReceiveBufferSize, c.ReceiveBufferMax = linuxRmemDefault, linuxRmemMax
	c.InitialRTO = time.Second
	c.MinRTO = 200 * time.Millisecond
	c.MaxRTO = 120 * time.Second
	c.SynRetries = 5
	c.SynAckRetries = 5
	c.Retries = 15
	c.TimeWait = 60 * time.Second
	c.FinWait2Timeout = 60 * time.Second
	c.DelayedAck = 40 * time.Millisecond
	c.NoDelay = false
	c.KeepAlive.Enable = false
	c.WindowScaling = true
	c.Timestamps = true
	c.SACK = true
	c.RFC1337 = false
	c.CongestionControl = "cubic"
	return c
}

// The test addresses of packetdrill's run_all.py (section 3.10 of the
// corpus README): the host under test is local, the script's peer remote.
var (
	localIPv4  = netip.MustParseAddr("192.168.0.1")
	remoteIPv4 = netip.MustParseAddr("192.0.2.1")
	localIPv6  = netip.MustParseAddr("fd3d:a0b:17d6::1")
	remoteIPv6 = netip.MustParseAddr("fd3d:fa7b:d17d::1")
)

// scriptPort is the port of bind() and connect() in every script.
const scriptPort = 8080

// Family is the IP version a script runs as.
type Family uint8

// The IP versions.
const (
	IPv4 Family = iota
	IPv6
)

// String returns "ipv4" or "ipv6", as packetdrill's --ip_version says.
func (f Family) String() string {
	if f == IPv6 {
		return "ipv6"
	}
	return "ipv4"
}

// addrs returns the local and remote test addresses of the family.
func (f Family) addrs() (local, remote netip.Addr) {
	if f == IPv6 {
		return localIPv6, remoteIPv6
	}
	return localIPv4, remoteIPv4
}

// mtu is the link MTU of the family's runs: 1500 for IPv4, and 1520 for
// IPv6 as run_all.py sets it, so that both advertise MSS 1460.
func (f Family) mtu() int {
	if f == IPv6 {
		return 1520
	}
	return 1500
}

// hostConfig returns the configuration of the host under test.
func hostConfig(f Family, cfg *tcp.Config) stack.Config {
	local, _ := f.addrs()
	bits := 24
	if f == IPv6 {
		bits = 64
	}
	c := stack.Config{
		Name:  "drill",
		Addrs: []netip.Prefix{netip.PrefixFrom(local, bits)},
		MTU:   f.mtu(),
		TCP:   cfg,
	}
	// A fixed secret makes every run of a script send the same ISNs,
	// timestamps and ports.
	copy(c.Secret[:], "synack drill run")
	return c
}

// Families returns the IP versions among want that the script at path
// runs in: a name ending in "v4.pkt" or "v6.pkt" runs only in that
// version, as packetdrill's run_all.py does. When none of want remains, it
// returns want, and Run skips the script with the reason.
func Families(path string, want []Family) []Family {
	only, ok := familyOf(path)
	if !ok {
		return want
	}
	for _, f := range want {
		if f == only {
			return []Family{f}
		}
	}
	return want
}

// familyOf returns the only IP version a script's name allows.
func familyOf(path string) (Family, bool) {
	switch {
	case strings.HasSuffix(path, "v4.pkt"):
		return IPv4, true
	case strings.HasSuffix(path, "v6.pkt"):
		return IPv6, true
	}
	return IPv4, false
}
