package drill

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/stack"
	"github.com/synack-net/synack/tcp"
)

// Bounds of one run.
const (
	// maxSteps bounds the timer and packet steps of one run.
	maxSteps = 1 << 20
	// maxQueued bounds the outbound packets waiting to be compared.
	maxQueued = 1 << 16
	// sniffGrace is how long past an outbound packet's window the runner
	// keeps looking, so that a late packet is reported as late rather
	// than as missing (packetdrill waits the scripted gap plus 2 s).
	sniffGrace = 2 * time.Second
	// blockingWait is how long a call waits for a blocking call still in
	// progress, and the end of the script for the last one (packetdrill
	// waits 1 s).
	blockingWait = time.Second
)

// Options configure a run.
type Options struct {
	// Family is the IP version to run the script as.
	Family Family
	// Harness holds options given by the corpus's harness (or a command
	// line); they override the script's own option lines.
	Harness []Option
	// Log, if not nil, receives a trace of the run: each event, each
	// packet injected and each packet the stack sent.
	Log io.Writer
}

// RunFile parses and runs the script at path.
func RunFile(path string, o Options) Result {
	s, err := ParseFile(path)
	if err != nil {
		if _, ok := err.(*ParseError); ok || IsUnsupported(err) {
			return resultOf(path, o.Family, err)
		}
		return Result{Path: path, Family: o.Family, Status: Fail, Reason: err.Error()}
	}
	return Run(s, o)
}

// Run runs a parsed script against a fresh synack host on virtual time.
func Run(s *Script, o Options) Result {
	r := &runner{s: s, fam: o.Family, log: o.Log, set: defaultSettings(),
		socks: map[int]*sock{}, prevTime: -1, nextPort: firstRemotePort}
	for _, opt := range append(append([]Option(nil), s.Options...), o.Harness...) {
		if err := r.set.apply(s.Path, opt); err != nil {
			return resultOf(s.Path, o.Family, err)
		}
	}
	only, forced := familyOf(s.Path)
	if r.set.familyForced {
		only, forced = r.set.family, true
	}
	if forced && only != o.Family {
		return Result{Path: s.Path, Family: o.Family, Status: Skip,
			Reason: "the script is for " + only.String() + " only"}
	}
	cfg, err := preflight(s)
	if err == nil {
		err = checkICMP(s, o.Family)
	}
	if err != nil {
		return resultOf(s.Path, o.Family, err)
	}
	r.cfg = cfg
	r.run()
	return r.result()
}

// firstRemotePort is the first port the script's peer uses for a passive
// open; each new one gets the next.
const firstRemotePort = 40000

// runner is one run of one script.
type runner struct {
	s   *Script
	fam Family
	set settings
	log io.Writer
	cfg tcp.Config

	h     *stack.Host   // created on first use, so that sysctls apply first
	now   clock.Instant // virtual time since the script's start
	steps int

	out []sniffed // packets the host sent, not yet compared

	socks    map[int]*sock // by script file descriptor
	sut      *sock         // the socket under test
	children []*sock       // sockets made by inbound packets to a listener
	nextPort uint16
	scratch  [1 << 16]byte // where reads put the data they discard

	block *blocking // the blocking call in progress, if any

	// prevTime is the scripted time of the previous event (-1 before
	// the first), prevInbound whether it was an inbound packet.
	prevTime    time.Duration
	prevInbound bool

	failed  *Result
	notes   []string
	current *Event
	start   time.Duration // the scripted start of the current event
}

// sniffed is a packet the host sent, with the instant it left.
type sniffed struct {
	at  clock.Instant
	pkt []byte
}

// host returns the host under test, creating it on first use.
func (r *runner) host() *stack.Host {
	if r.h == nil {
		cfg := r.cfg
		r.h = stack.NewHost(hostConfig(r.fam, &cfg))
	}
	return r.h
}

// logf writes a line of the trace.
func (r *runner) logf(format string, args ...any) {
	if r.log != nil {
		fmt.Fprintf(r.log, "%11s ", seconds(time.Duration(r.now)))
		fmt.Fprintf(r.log, format, args...)
		fmt.Fprintln(r.log)
	}
}

// fail records the first failure, at the current event's line unless
// line is given.
func (r *runner) fail(line int, expected, actual string, format string, args ...any) {
	if r.failed != nil {
		return
	}
	if line == 0 && r.current != nil {
		line = r.current.Line
	}
	r.failed = &Result{Status: Fail, Line: line, Reason: fmt.Sprintf(format, args...),
		Expected: expected, Actual: actual}
	r.logf("FAIL at line %d: %s", line, r.failed.Reason)
}

// skip records that the script needs something unsupported, found only
// while running.
func (r *runner) skip(line int, reason string) {
	if r.failed == nil {
		r.failed = &Result{Status: Skip, Line: line, Reason: reason}
	}
}

// result is the run's verdict.
func (r *runner) result() Result {
	res := Result{Path: r.s.Path, Family: r.fam, Status: Pass, Notes: r.notes}
	if f := r.failed; f != nil {
		res.Status, res.Line, res.Reason, res.Expected, res.Actual = f.Status, f.Line, f.Reason, f.Expected, f.Actual
	}
	return res
}

// run executes the events in order, then waits for a blocking call still
// in progress.
func (r *runner) run() {
	for i := range r.s.Events {
		if r.failed != nil {
			return
		}
		ev := &r.s.Events[i]
		r.current = ev
		start, ok := r.startOf(ev)
		if !ok {
			return
		}
		r.start = start
		switch ev.Kind {
		case EventPacket:
			if ev.Packet.Dir == Inbound {
				r.inbound(ev, start)
			} else {
				r.outbound(ev, start)
			}
		case EventSyscall:
			r.syscall(ev, start)
		case EventCommand:
			r.command(ev, start)
		case EventCode:
			r.code(ev, start)
		}
		r.prevTime = start
		r.prevInbound = ev.Kind == EventPacket && ev.Packet.Dir == Inbound
	}
	r.current = nil
	if r.block != nil && r.failed == nil {
		r.advanceUntil(r.now.Add(blockingWait), func() bool { return r.block == nil })
		if r.block != nil {
			r.fail(r.block.ev.Line, "", "", "the script ended while a blocking %s call was still in progress", r.block.ev.Call.Name)
		}
	}
}

// startOf resolves an event's scripted start time. Relative times count
// from the previous event's scripted time between two inbound packets (so
// that they do not drift), else from the moment the previous event
// completed.
func (r *runner) startOf(ev *Event) (time.Duration, bool) {
	base := time.Duration(r.now)
	if r.prevInbound && ev.Kind == EventPacket && ev.Packet.Dir == Inbound {
		base = r.prevTime
	}
	switch ev.Time.Kind {
	case TimeAbsolute:
		return ev.Time.At, true
	case TimeRelative:
		t := base + ev.Time.At
		if t > maxScriptTime {
			r.fail(ev.Line, "", "", "the script runs past %v", maxScriptTime)
			return 0, false
		}
		return t, true
	}
	return base, true
}

// endOf resolves the end of an event's range or blocking call, which has
// the same base as its start.
func endOf(tm Time, start, end time.Duration) time.Duration {
	return start + (end - tm.At)
}

// tolerance is the timing tolerance of an event scripted at t.
func (r *runner) tolerance(t time.Duration) time.Duration {
	return r.set.toleranceFor(t, r.prevTime, r.prevTime >= 0)
}

// arrive advances the clock to an event's start for an inbound packet, a
// call, a command or a code block, and checks that the event is not late
// (it can be when a wait for an outbound packet went past it).
func (r *runner) arrive(ev *Event, start time.Duration, what string) bool {
	r.advanceTo(clock.Instant(start))
	if r.failed != nil {
		return false
	}
	if late := time.Duration(r.now) - start; late > r.tolerance(start) {
		r.fail(ev.Line, "", "", "timing error: expected %s at %s but it could only happen at %s", what, seconds(start), seconds(time.Duration(r.now)))
		return false
	}
	return true
}

// command applies a sysctl command (preflight checked it) to the
// configuration of the host to be created.
func (r *runner) command(ev *Event, start time.Duration) {
	if !r.arrive(ev, start, "command") {
		return
	}
	if r.h != nil {
		r.skip(ev.Line, "a sysctl after the host started")
		return
	}
	if err := applyCommand(&r.cfg, ev.Text); err != nil {
		r.skip(ev.Line, err.Error())
		return
	}
	r.logf("line %d: `%s` applied", ev.Line, strings.TrimSpace(ev.Text))
}

// code honours a %{ }% block's time and skips its assertions, which need
// Linux's tcp_info.
func (r *runner) code(ev *Event, start time.Duration) {
	if !r.arrive(ev, start, "code block") {
		return
	}
	n := strings.Count(ev.Text, "assert")
	r.notes = append(r.notes, fmt.Sprintf("line %d: %d assertion(s) skipped", ev.Line, n))
	r.logf("line %d: code block skipped (%d assertion(s))", ev.Line, n)
}
