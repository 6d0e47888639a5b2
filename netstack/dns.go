package netstack

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"strings"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// resolver looks names up with the DNS servers given to CreateNetTUN,
// over the stack's own UDP: one query per address family the interface
// has (A, AAAA; RFC 1035 §4, RFC 3596), the servers tried in turn, twice,
// each with a bounded wait. A truncated answer (TC, RFC 1035 §4.1.1) is
// an error: there is no retry over TCP. It is the stack's
// synack.Resolver, so Dial on the *synack.Stack uses it too.
type resolver struct {
	n       *Net
	servers []netip.Addr
}

// Bounds of a lookup: each attempt waits at most attemptTimeout (5 s, as
// the resolv.conf default), and each server is tried at most attempts
// times (resolv.conf's default is 2).
const (
	attemptTimeout = 5 * time.Second
	attempts       = 2
	dnsPort        = 53
)

// Errors a lookup reports in a *net.DNSError.
var (
	errNoSuchHost  = errors.New("no such host")
	errNoServers   = errors.New("no DNS servers")
	errTruncated   = errors.New("truncated DNS response")
	errServFail    = errors.New("server failure")
	errRefused     = errors.New("server misbehaving")
	errBadResponse = errors.New("cannot unmarshal DNS message")
)

// LookupHost looks up host and returns its addresses: a literal IP
// itself, else the A and AAAA records the DNS servers give, IPv6 first
// if the interface has an IPv6 address.
func (n *Net) LookupHost(host string) ([]string, error) {
	return n.LookupContextHost(context.Background(), host)
}

// LookupContextHost is LookupHost with a context, whose cancellation or
// deadline ends the lookup.
func (n *Net) LookupContextHost(ctx context.Context, host string) ([]string, error) {
	ips, err := n.dns.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(ips))
	for i, ip := range ips {
		out[i] = ip.String()
	}
	return out, nil
}

// LookupNetIP implements synack.Resolver: network "ip" asks for the
// families the interface has, "ip4" and "ip6" for one.
func (r *resolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip.Unmap()}, nil
	}
	notFound := &net.DNSError{Err: errNoSuchHost.Error(), Name: host, IsNotFound: true}
	if !isDomainName(host) {
		return nil, notFound
	}
	var types []dnsmessage.Type
	if r.n.hasV6 && network != "ip4" {
		types = append(types, dnsmessage.TypeAAAA)
	}
	if r.n.hasV4 && network != "ip6" {
		types = append(types, dnsmessage.TypeA)
	}
	if len(types) == 0 {
		return nil, notFound
	}
	if len(r.servers) == 0 {
		return nil, &net.DNSError{Err: errNoServers.Error(), Name: host}
	}
	type result struct {
		ips []netip.Addr
		err error
	}
	results := make([]chan result, len(types))
	for i, t := range types {
		results[i] = make(chan result, 1)
		go func() {
			ips, err := r.query(ctx, host, t)
			results[i] <- result{ips, err}
		}()
	}
	var ips []netip.Addr
	var first error
	for _, c := range results {
		res := <-c
		ips = append(ips, res.ips...)
		if first == nil {
			first = res.err
		}
	}
	if len(ips) == 0 {
		if first == nil {
			first = notFound
		}
		return nil, first
	}
	return ips, nil
}

// isDomainName reports whether s is a host name a query may carry
// (RFC 1035 §2.3.1, with the underscores and leading digits that RFC 2181
// §11 and RFC 1123 §2.1 allow): labels of 1 to 63 letters, digits, '-'
// and '_', not beginning or ending with '-', at most 253 characters
// without the optional final dot.
func isDomainName(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if len(s) == 0 || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// query asks the servers in turn for host's records of type t. A name
// error (NXDOMAIN) or an answer without records of the type (NODATA) ends
// the lookup as not found; a failure moves to the next server.
func (r *resolver) query(ctx context.Context, host string, t dnsmessage.Type) ([]netip.Addr, error) {
	fqdn := host
	if !strings.HasSuffix(fqdn, ".") {
		fqdn += "."
	}
	name, err := dnsmessage.NewName(fqdn)
	if err != nil {
		return nil, &net.DNSError{Err: err.Error(), Name: host}
	}
	q := dnsmessage.Question{Name: name, Type: t, Class: dnsmessage.ClassINET}
	var last error
	for range attempts {
		for _, server := range r.servers {
			ips, err := r.exchange(ctx, server, q)
			if err == nil {
				return ips, nil
			}
			dnsErr := &net.DNSError{Err: err.Error(), Name: host, Server: server.String()}
			var ne net.Error
			switch {
			case errors.Is(err, errNoSuchHost):
				dnsErr.IsNotFound = true
				return nil, dnsErr
			case errors.As(err, &ne) && ne.Timeout():
				dnsErr.IsTimeout = true
			case errors.Is(err, errServFail):
				dnsErr.IsTemporary = true
			}
			last = dnsErr
			if ctx.Err() != nil {
				return nil, last
			}
		}
	}
	return nil, last
}

// exchange sends q to server and returns the addresses in its answer.
// Datagrams that are not the answer to q (another ID, not a response, or
// another question) are skipped until the attempt's time is up.
func (r *resolver) exchange(ctx context.Context, server netip.Addr, q dnsmessage.Question) ([]netip.Addr, error) {
	var idb [2]byte
	if _, err := rand.Read(idb[:]); err != nil {
		return nil, err
	}
	id := binary.BigEndian.Uint16(idb[:])
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: id, RecursionDesired: true})
	if err := b.StartQuestions(); err != nil {
		return nil, err
	}
	if err := b.Question(q); err != nil {
		return nil, err
	}
	req, err := b.Finish()
	if err != nil {
		return nil, err
	}
	c, err := r.n.st.DialUDPAddrPort("udp", netip.AddrPort{}, netip.AddrPortFrom(server.Unmap(), dnsPort))
	if err != nil {
		return nil, err
	}
	defer c.Close()
	deadline := time.Now().Add(attemptTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	c.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := c.Write(req); err != nil {
		return nil, err
	}
	buf := make([]byte, r.n.st.Host().MTU())
	for {
		m, err := c.Read(buf)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, err
		}
		ips, ok, err := parseAnswer(buf[:m], id, q)
		if ok {
			return ips, err
		}
	}
}

// parseAnswer reads a response to question q with identifier id. ok is
// false for a message that is not that response (RFC 1035 §7.3: match
// the ID and the question).
func parseAnswer(msg []byte, id uint16, q dnsmessage.Question) (ips []netip.Addr, ok bool, err error) {
	var p dnsmessage.Parser
	h, err := p.Start(msg)
	if err != nil || !h.Response || h.ID != id {
		return nil, false, nil
	}
	rq, err := p.Question()
	if err != nil || rq.Type != q.Type || rq.Class != q.Class || !strings.EqualFold(rq.Name.String(), q.Name.String()) {
		return nil, false, nil
	}
	switch {
	case h.Truncated:
		return nil, true, errTruncated
	case h.RCode == dnsmessage.RCodeNameError:
		return nil, true, errNoSuchHost
	case h.RCode == dnsmessage.RCodeServerFailure:
		return nil, true, errServFail
	case h.RCode != dnsmessage.RCodeSuccess:
		return nil, true, errRefused
	}
	if err := p.SkipAllQuestions(); err != nil {
		return nil, true, errBadResponse
	}
	for {
		ah, err := p.AnswerHeader()
		if errors.Is(err, dnsmessage.ErrSectionDone) {
			break
		}
		if err != nil {
			return nil, true, errBadResponse
		}
		switch {
		case ah.Class != dnsmessage.ClassINET || ah.Type != q.Type:
			err = p.SkipAnswer()
		case ah.Type == dnsmessage.TypeA:
			var a dnsmessage.AResource
			if a, err = p.AResource(); err == nil {
				ips = append(ips, netip.AddrFrom4(a.A))
			}
		default:
			var a dnsmessage.AAAAResource
			if a, err = p.AAAAResource(); err == nil {
				ips = append(ips, netip.AddrFrom16(a.AAAA))
			}
		}
		if err != nil {
			return nil, true, errBadResponse
		}
	}
	if len(ips) == 0 {
		return nil, true, errNoSuchHost
	}
	return ips, true, nil
}
