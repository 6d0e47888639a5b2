package synack_test

import (
	"errors"
	"fmt"
	"net"
	"syscall"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"

	"github.com/synack-net/synack"
)

// UDP between two stacks: a request and its answer, a closed port
// reported to a connected socket as ECONNREFUSED, and a ping.
func ExampleStack_ListenUDP() {
	client, server, stop := dualPair(synack.Config{})
	defer stop()

	srv, _ := server.ListenUDP("udp", &net.UDPAddr{Port: 53})
	go func() {
		buf := make([]byte, 1500)
		n, from, _ := srv.ReadFromUDPAddrPort(buf)
		srv.WriteToUDPAddrPort(append([]byte("answer to "), buf[:n]...), from)
	}()
	c, _ := client.DialUDP("udp", nil, &net.UDPAddr{IP: net.IPv4(10, 0, 0, 2), Port: 53})
	c.Write([]byte("query"))
	buf := make([]byte, 1500)
	n, _ := c.Read(buf)
	fmt.Println(string(buf[:n]))

	closed, _ := client.DialUDP("udp", nil, &net.UDPAddr{IP: net.IPv4(10, 0, 0, 2), Port: 9})
	closed.Write([]byte("anyone?"))
	_, err := closed.Read(buf)
	fmt.Println(errors.Is(err, syscall.ECONNREFUSED))

	p, _ := client.DialPing("ping4", "10.0.0.2")
	req, _ := (&icmp.Message{Type: ipv4.ICMPTypeEcho, Body: &icmp.Echo{Seq: 1, Data: []byte("hi")}}).Marshal(nil)
	p.Write(req)
	n, _ = p.Read(buf)
	m, _ := icmp.ParseMessage(1, buf[:n])
	fmt.Println(m.Type, m.Body.(*icmp.Echo).Seq, m.Body.(*icmp.Echo).ID == int(p.ID()))
	// Output:
	// answer to query
	// true
	// echo reply 1 true
}
