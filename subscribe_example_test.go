package synack_test

import (
	"fmt"
	"io"

	"github.com/synack-net/synack"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/trace"
)

// Watching a stack's connections change state while it runs: the client's
// side of a connection it opens and closes.
func ExampleStack_Subscribe() {
	client, server, stop := dualPair(synack.Config{})
	defer stop()
	ln, _ := server.Listen("tcp", "10.0.0.2:80")
	go func() {
		c, _ := ln.Accept()
		io.Copy(io.Discard, c) // until the client's FIN
		c.Close()
	}()

	sub := trace.NewSubscription(256) // room for 256 events not yet read
	defer sub.Close()
	cancel := client.Subscribe(sub)
	defer cancel()

	c, _ := client.Dial("tcp", "10.0.0.2:80")
	c.Close()
	for e := range sub.Events() {
		if e.Kind == trace.KindState {
			fmt.Printf("%s %v -> %v\n", e.Host, e.From, e.To)
		}
		if e.To == tcp.TimeWait {
			break
		}
	}
	fmt.Println("dropped:", sub.Dropped())
	// Output:
	// client CLOSED -> SYN_SENT
	// client SYN_SENT -> ESTABLISHED
	// client ESTABLISHED -> FIN_WAIT_1
	// client FIN_WAIT_1 -> FIN_WAIT_2
	// client FIN_WAIT_2 -> TIME_WAIT
	// dropped: 0
}
