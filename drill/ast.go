package drill

import (
	"time"

	"github.com/synack-net/synack/wire"
)

// Script is a parsed packetdrill script.
type Script struct {
	// Path is the file the script was read from, for messages.
	Path string
	// Options are the --name[=value] lines at the top, in order.
	Options []Option
	// Init is the backquoted command before the first event, or nil.
	Init *Command
	// Events are the timed lines, in order.
	Events []Event
	// Cleanup is the backquoted command after the last event, or nil.
	Cleanup *Command
}

// Option is one --name[=value] line.
type Option struct {
	Line  int
	Name  string
	Value string
}

// Command is a backquoted shell command with no time (init or cleanup).
type Command struct {
	Line int
	Text string
}

// TimeKind says how an event's time is written.
type TimeKind uint8

// The ways of writing an event's time.
const (
	// TimeAbsolute is "0.100": seconds since the script started.
	TimeAbsolute TimeKind = iota
	// TimeRelative is "+0.100": seconds after the previous event.
	TimeRelative
	// TimeAny is "*" (outbound packets only): any time at all.
	TimeAny
)

// Time is an event's scripted time. Offsets are relative to the script's
// start (TimeAbsolute) or to the base the runner computes (TimeRelative).
type Time struct {
	Kind TimeKind
	// At is the start: the packet's time, the call's start.
	At time.Duration
	// RangeEnd, when HasRange, ends the "T1~T2" range allowed for an
	// outbound packet.
	RangeEnd time.Duration
	HasRange bool
	// BlockEnd, when Blocking, is when the blocking call "A...B" must
	// return; it has the same base as At.
	BlockEnd time.Duration
	Blocking bool
}

// EventKind is what a timed line does.
type EventKind uint8

// The kinds of events.
const (
	EventPacket  EventKind = iota // a packet injected (<) or expected (>)
	EventSyscall                  // a socket call
	EventCommand                  // a backquoted shell command
	EventCode                     // a %{ }% code block
)

// Event is one timed line of a script.
type Event struct {
	Line   int
	Time   Time
	Kind   EventKind
	Packet *Packet  // EventPacket
	Call   *Syscall // EventSyscall
	// Text is the command line (EventCommand) or the code (EventCode).
	Text string
}

// Direction says whether a packet line is injected or expected.
type Direction uint8

// The directions of a packet line.
const (
	Inbound  Direction = iota // "<": the runner injects it into the stack
	Outbound                  // ">": the stack must send it
)

// Packet is a TCP packet line in script space: sequence and
// acknowledgment numbers as written (see the package documentation for
// how they map to the wire), or an ICMP line.
type Packet struct {
	Dir Direction
	// ICMP, when not nil, makes the line an ICMP error message about a
	// TCP segment the host sent ("< icmp unreachable port_unreachable
	// [0:0(0)]"); Seq and Len are then the quoted segment's, and the
	// other TCP fields are unused.
	ICMP  *ICMPMessage
	Flags wire.TCPFlags
	// Seq is the start of the "start:end(len)" range; Len is len.
	Seq, Len uint32
	// Ack is the acknowledgment field ("ack N"); 0 when not written.
	Ack    uint32
	HasAck bool
	// Win is the raw window field ("win N"), checked on outbound lines
	// only when HasWin.
	Win    uint16
	HasWin bool
	// Urg is the urgent pointer ("urg N").
	Urg    uint16
	HasUrg bool
	// Options are the TCP options in wire order; nil means none.
	Options []TCPOption
	// AnyOptions is "<...>" on an outbound line: options not checked.
	AnyOptions bool
}

// ICMPMessage is the ICMP part of an inbound line "icmp TYPE [CODE] [mtu
// N] [[start:end(len)]]", with the names packetdrill uses (or "type_N"
// and "code_N"). The names are resolved when the script runs, since ICMP
// and ICMPv6 number them differently.
type ICMPMessage struct {
	// Type and Code are the names as written; Code is "" when the line
	// gives none (code 0).
	Type, Code string
	// MTU is the next-hop MTU of a "fragmentation needed" or the MTU of
	// a "packet too big" message ("mtu N"), when HasMTU.
	MTU    uint32
	HasMTU bool
	// Quoted records that the line wrote the quoted segment's range;
	// without one it is 0:0(0), as in packetdrill.
	Quoted bool
}

// OptionKind is a TCP option kind the dialect can write.
type OptionKind uint8

// The TCP options of the dialect.
const (
	OptEOL    OptionKind = iota // eol
	OptNOP                      // nop
	OptMSS                      // mss N
	OptWScale                   // wscale N
	OptSACKOK                   // sackOK
	OptSACK                     // sack a:b c:d ...
	OptTS                       // TS val X ecr Y
)

// TCPOption is one TCP option of a packet line.
type TCPOption struct {
	Kind OptionKind
	// Value is the MSS or the window scale shift.
	Value uint16
	// Blocks are the SACK blocks, in script space.
	Blocks []wire.SACKBlock
	// TSVal and TSEcr are the timestamps.
	TSVal, TSEcr uint32
}

// Syscall is a socket call line: name(args) = result [ERRNO (note)].
type Syscall struct {
	Name string
	Args []Expr
	// Result is the expected return value.
	Result int64
	// Errno is the expected errno name ("" when none is written).
	Errno string
}

// ExprKind is the form of a call argument.
type ExprKind uint8

// The forms of call arguments.
const (
	ExprInt      ExprKind = iota // 42, 0x800, -1
	ExprSymbol                   // SOCK_STREAM, NULL
	ExprEllipsis                 // ...
	ExprString                   // "text"
	ExprList                     // [a, b]: a pointer to values
	ExprStruct                   // {name=value, ...}
	ExprOr                       // A|B
	ExprCall                     // htons(8080)
)

// Expr is a call argument.
type Expr struct {
	Kind ExprKind
	// Int is the value of an ExprInt.
	Int int64
	// Name is the symbol, the string's text, or the function's name.
	Name string
	// Elems are the elements of a list, the operands of an or, or the
	// arguments of a call.
	Elems []Expr
	// Fields are the fields of a struct.
	Fields []Field
}

// Field is one field of a struct argument: "name=value", "name(arg)=value"
// or a bare value (Name empty).
type Field struct {
	Name  string
	Arg   []Expr
	Value Expr
}
