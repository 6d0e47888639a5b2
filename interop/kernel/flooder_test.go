//go:build linux

package kernel

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/synack-net/synack/internal/netns"
	"github.com/synack-net/synack/wire"
	"golang.org/x/sys/unix"
)

// floodSources is where the flood's SYNs claim to come from: the
// benchmarking range (RFC 2544 §C.2.2, RFC 6890), which no host in the
// namespace owns, so synack's SYN-ACKs to them go nowhere.
var floodSources = netip.MustParsePrefix("198.18.0.0/15")

// flooder sends SYNs from random sources in floodSources to one port,
// through a raw socket made in a test's namespace, whose kernel routes
// them to the TUN device and so to synack.
type flooder struct {
	fd  int
	dst netip.AddrPort
	rng *rand.Rand
}

// newFlooder opens the raw socket in ns (IPPROTO_RAW: the flooder writes
// the IP header itself, IP_HDRINCL). The caller closes it.
func newFlooder(ns *netns.NS, dst netip.AddrPort, seed uint64) (*flooder, error) {
	var fd int
	err := ns.Do(func() (err error) {
		fd, err = unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_RAW)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &flooder{fd: fd, dst: dst, rng: rand.New(rand.NewPCG(seed, seed^0x5eed))}, nil
}

func (f *flooder) close() { unix.Close(f.fd) }

// floodResult is what a flood did.
type floodResult struct {
	sent    int           // SYNs the kernel took
	refused int           // SYNs the kernel refused (a full queue: ENOBUFS, EAGAIN)
	took    time.Duration // from the first SYN to the last
}

// flood sends count SYNs at rate a second, and stops by itself when it has
// sent them or after limit, whichever comes first, or at the first error
// other than a full queue. It paces itself on a 1 ms tick, sending each
// tick what the rate allows since the start.
func (f *flooder) flood(count, rate int, limit time.Duration) (floodResult, error) {
	var r floodResult
	start := time.Now()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	to := &unix.SockaddrInet4{Addr: f.dst.Addr().As4()}
	pkt := make([]byte, wire.IPv4MinHeaderLen+wire.TCPMinHeaderLen+4)
	for n := 0; n < count; {
		now := <-tick.C
		elapsed := now.Sub(start)
		if elapsed > limit {
			break
		}
		due := min(count, int(elapsed.Seconds()*float64(rate))+1)
		for ; n < due; n++ {
			f.syn(pkt)
			err := unix.Sendto(f.fd, pkt, unix.MSG_DONTWAIT, to)
			switch {
			case err == nil:
				r.sent++
			case errors.Is(err, unix.ENOBUFS), errors.Is(err, unix.EAGAIN):
				r.refused++
			default:
				r.took = time.Since(start)
				return r, err
			}
		}
	}
	r.took = time.Since(start)
	return r, nil
}

// syn writes into pkt (44 bytes) an IPv4 header and a TCP SYN with an MSS
// option, from a random address in floodSources and a random port, with a
// random initial sequence number, to f.dst.
func (f *flooder) syn(pkt []byte) {
	a := floodSources.Addr().As4()
	host := f.rng.Uint32() & (1<<(32-floodSources.Bits()) - 1)
	binary.BigEndian.PutUint32(a[:], binary.BigEndian.Uint32(a[:])|host)
	src := netip.AddrFrom4(a)
	seg := pkt[wire.IPv4MinHeaderLen:]
	n := wire.PutTCPHeader(seg, wire.TCPHeader{
		SrcPort: uint16(1024 + f.rng.IntN(65536-1024)),
		DstPort: f.dst.Port(),
		Seq:     f.rng.Uint32(),
		Flags:   wire.FlagSYN,
		Window:  64240,
	}, &wire.TCPOptions{MSS: 1460, HasMSS: true})
	wire.TCP(seg).SetChecksum(wire.TransportChecksum(src, f.dst.Addr(), wire.ProtoTCP, seg[:n]))
	// With IP_HDRINCL the kernel fills in an identification left 0 (raw(7)).
	wire.PutIPv4Header(pkt, src, f.dst.Addr(), wire.ProtoTCP, 64, 0, n)
}
