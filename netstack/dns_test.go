package netstack

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// dnsServer answers queries on p's UDP port 53 from a fixed zone:
//
//	svc.test     A 10.99.0.2, AAAA fd99::2
//	v4.test      A 10.99.0.2 (AAAA: no records)
//	spoof.test   a response with the wrong ID first (A 192.0.2.66),
//	             then the right one (A 10.99.0.2)
//	trunc.test   an empty response with TC set
//	silent.test  no response
//	anything else NXDOMAIN
func dnsServer(t *testing.T, p *peer) {
	pc, err := p.listenUDP(netip.AddrPortFrom(p.addrs[0], 53))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { pc.Close(); <-done })
	go func() {
		defer close(done)
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			for _, resp := range answer(buf[:n]) {
				pc.WriteTo(resp, from)
			}
		}
	}()
}

// answer builds the responses to one query.
func answer(query []byte) [][]byte {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil {
		return nil
	}
	q, err := p.Question()
	if err != nil {
		return nil
	}
	hdr := dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionDesired: h.RecursionDesired}
	var a [][4]byte
	var aaaa [][16]byte
	switch strings.ToLower(q.Name.String()) {
	case "svc.test.":
		a, aaaa = [][4]byte{addrsB[0].As4()}, [][16]byte{addrsB[1].As16()}
	case "v4.test.":
		a = [][4]byte{addrsB[0].As4()}
	case "spoof.test.":
		a = [][4]byte{addrsB[0].As4()}
		if q.Type == dnsmessage.TypeA {
			bad := hdr
			bad.ID++
			return [][]byte{build(bad, q, [][4]byte{{192, 0, 2, 66}}, nil), build(hdr, q, a, nil)}
		}
	case "trunc.test.":
		hdr.Truncated = true
	case "silent.test.":
		return nil
	default:
		hdr.RCode = dnsmessage.RCodeNameError
	}
	if q.Type != dnsmessage.TypeA {
		a = nil
	}
	if q.Type != dnsmessage.TypeAAAA {
		aaaa = nil
	}
	return [][]byte{build(hdr, q, a, aaaa)}
}

func build(h dnsmessage.Header, q dnsmessage.Question, a [][4]byte, aaaa [][16]byte) []byte {
	b := dnsmessage.NewBuilder(nil, h)
	b.StartQuestions()
	b.Question(q)
	b.StartAnswers()
	rh := dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60}
	for _, x := range a {
		b.AResource(rh, dnsmessage.AResource{A: x})
	}
	for _, x := range aaaa {
		b.AAAAResource(rh, dnsmessage.AAAAResource{AAAA: x})
	}
	msg, err := b.Finish()
	if err != nil {
		panic(err)
	}
	return msg
}

func TestDNS(t *testing.T) {
	s, g, n := tunnel(t)
	dnsServer(t, g)
	serveHTTP(t, listen(t, g, 80), g.name)

	for _, c := range []struct {
		host string
		want []string
	}{
		{"svc.test", []string{"fd99::2", "10.99.0.2"}},
		{"SVC.test.", []string{"fd99::2", "10.99.0.2"}},
		{"v4.test", []string{"10.99.0.2"}},
		{"spoof.test", []string{"10.99.0.2"}},
		{"192.0.2.1", []string{"192.0.2.1"}},
		{"2001:db8::1", []string{"2001:db8::1"}},
	} {
		got, err := n.LookupContextHost(timeout(t), c.host)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("LookupHost(%q) = %q, %v; want %q", c.host, got, err, c.want)
		}
	}

	for _, c := range []struct {
		host             string
		notFound, tmeout bool
		err              string
	}{
		{host: "nope.test", notFound: true},
		{host: "bad..name", notFound: true},
		{host: "-bad.test", notFound: true},
		{host: "trunc.test", err: "truncated"},
		{host: "silent.test", tmeout: true},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := n.LookupContextHost(ctx, c.host)
		cancel()
		var de *net.DNSError
		if !errors.As(err, &de) || de.IsNotFound != c.notFound || de.IsTimeout != c.tmeout || !strings.Contains(de.Err, c.err) {
			t.Errorf("LookupHost(%q): %#v, want not found %v, timeout %v, %q", c.host, err, c.notFound, c.tmeout, c.err)
		}
	}

	// Names in Dial, on *Net and on the stack (its synack.Resolver).
	if body := httpGet(t, s, "http://svc.test/"); !strings.HasPrefix(string(body), g.name+" says hello to [fd99::1]") {
		t.Errorf("GET http://svc.test/: %q", body)
	}
	c, err := n.Stack().DialContext(timeout(t), "tcp4", "svc.test:80")
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("GET / HTTP/1.0\r\n\r\n"))
	c.SetDeadline(time.Now().Add(tunnelTimeout))
	resp, err := io.ReadAll(c)
	c.Close()
	if err != nil || !strings.Contains(string(resp), g.name+" says hello to 10.99.0.1") {
		t.Errorf("stack Dial svc.test: %q, %v", resp, err)
	}
	pingHost(t, s, "ping4", "svc.test")
	pingHost(t, s, "ping", "svc.test") // IPv6 first
}
