// Package tcp is synack's Transmission Control Block: a sans-IO, deterministic
// implementation of one TCP connection as RFC 9293 describes it.
//
// A TCB never reads a clock, starts a goroutine, takes a lock or performs I/O.
// The caller hands it the current time and inbound segments, asks it for
// outbound segments, and wakes it at the deadline it reports. The same inputs
// always produce the same outputs.
package tcp

// State is one of the eleven states of the RFC 9293 §3.3.2 state diagram.
type State uint8

// The connection states (RFC 9293 §3.3.2).
const (
	Closed State = iota
	Listen
	SynSent
	SynReceived
	Established
	FinWait1
	FinWait2
	CloseWait
	Closing
	LastAck
	TimeWait
)

var stateNames = [...]string{
	Closed:      "CLOSED",
	Listen:      "LISTEN",
	SynSent:     "SYN_SENT",
	SynReceived: "SYN_RCVD",
	Established: "ESTABLISHED",
	FinWait1:    "FIN_WAIT_1",
	FinWait2:    "FIN_WAIT_2",
	CloseWait:   "CLOSE_WAIT",
	Closing:     "CLOSING",
	LastAck:     "LAST_ACK",
	TimeWait:    "TIME_WAIT",
}

// String returns the state's name as netstat and ss print it, e.g. "SYN_SENT".
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "UNKNOWN"
}

// IsSynchronized reports whether the state is one of the synchronized states
// of RFC 9293 §3.5.2 (ESTABLISHED and everything after it).
func (s State) IsSynchronized() bool { return s >= Established }
