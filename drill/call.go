package drill

import (
	"fmt"
	"syscall"
	"time"

	"github.com/synack-net/synack/clock"
)

// outcome is what one attempt at a call did.
type outcome struct {
	// done is false when the call would block.
	done  bool
	ret   int64
	errno syscall.Errno
	// mismatch describes an output argument that differs from the
	// script's ("" when all match).
	mismatch string
}

// returned is a call that returned ret; errored one that failed with e.
func returned(ret int64) outcome      { return outcome{done: true, ret: ret} }
func errored(e syscall.Errno) outcome { return outcome{done: true, ret: -1, errno: e} }

// wouldBlock is a call that cannot complete now: EAGAIN when it must not
// block, else an outcome that is not done.
func wouldBlock(nonblock bool) outcome { return outcomeIf(nonblock, errored(syscall.EAGAIN)) }

// outcomeIf is o when b holds, else "would block".
func outcomeIf(b bool, o outcome) outcome {
	if b {
		return o
	}
	return outcome{}
}

// attempt tries a call once. It changes nothing when the call would
// block, except what it remembers itself (the bytes a write queued).
type attempt func() outcome

// blocking is a call "A...B" in progress.
type blocking struct {
	ev  *Event
	try attempt
	// end is when the call must return, within tol.
	end, tol time.Duration
	// lateAt is the first instant at which the call is late.
	lateAt clock.Instant
}

// syscall runs a call line.
func (r *runner) syscall(ev *Event, start time.Duration) {
	if ev.Time.Blocking && r.block != nil {
		// packetdrill waits up to a second for the previous one.
		r.advanceUntil(r.now.Add(blockingWait), func() bool { return r.block == nil })
		if r.failed != nil {
			return
		}
		if r.block != nil {
			r.fail(ev.Line, "", "", "blocking system call while another blocking system call (line %d) is in progress", r.block.ev.Line)
			return
		}
	}
	if !r.arrive(ev, start, "system call") {
		return
	}
	try, err := r.prepare(ev.Call)
	if err != nil {
		if u, ok := err.(*UnsupportedError); ok {
			r.skip(ev.Line, u.Reason)
		} else {
			r.fail(ev.Line, formatCall(ev.Call), "", "%s: %v", ev.Call.Name, err)
		}
		return
	}
	r.logf("line %d: %s(%s)", ev.Line, ev.Call.Name, formatExprs(ev.Call.Args))
	o := try()
	r.settle()
	if r.failed != nil {
		return
	}
	if !ev.Time.Blocking {
		if !o.done {
			r.fail(ev.Line, formatCall(ev.Call), "", "the call would block (only a call written A...B may block)")
			return
		}
		r.logf("line %d: returned %s", ev.Line, formatOutcome(ev.Call, o))
		r.check(ev, o)
		return
	}
	end := endOf(ev.Time, start, ev.Time.BlockEnd)
	tol := r.set.toleranceFor(end, start, true)
	b := &blocking{ev: ev, try: try, end: end, tol: tol, lateAt: clock.Instant(end + tol + 1)}
	if o.done {
		r.finishBlocking(b, o)
		return
	}
	r.block = b
}

// pollBlocking retries the blocking call in progress, and fails it once
// it is late.
func (r *runner) pollBlocking() {
	b := r.block
	if b == nil || r.failed != nil {
		return
	}
	o := b.try()
	if o.done {
		r.block = nil
		r.flush()
		r.finishBlocking(b, o)
		return
	}
	if r.now >= b.lateAt {
		r.block = nil
		r.fail(b.ev.Line, formatCall(b.ev.Call), "", "timing error: the blocking call had not returned by %s (expected at %s, tolerance %s)",
			seconds(b.end+b.tol), seconds(b.end), seconds(b.tol))
	}
}

// finishBlocking checks a blocking call that returned now.
func (r *runner) finishBlocking(b *blocking, o outcome) {
	r.logf("line %d: returned %s", b.ev.Line, formatOutcome(b.ev.Call, o))
	if !r.check(b.ev, o) {
		return
	}
	at := time.Duration(r.now)
	if d := at - b.end; d > b.tol || -d > b.tol {
		r.fail(b.ev.Line, "", "", "timing error: expected the %s call to return at %s but it returned at %s (tolerance %s)",
			b.ev.Call.Name, seconds(b.end), seconds(at), seconds(b.tol))
	}
}

// check compares a call's outcome with the script's expectation.
func (r *runner) check(ev *Event, o outcome) bool {
	c := ev.Call
	exp, act := formatCall(c), formatOutcome(c, o)
	if c.Result < 0 || c.Errno != "" {
		want, known := errnos[c.Errno]
		switch {
		case c.Errno != "" && !known:
			r.fail(ev.Line, exp, act, "unknown errno %s", c.Errno)
		case o.errno == 0:
			r.fail(ev.Line, exp, act, "%s succeeded; expected it to fail", c.Name)
		case c.Errno != "" && o.errno != want:
			r.fail(ev.Line, exp, act, "%s failed with the wrong errno", c.Name)
		case o.ret != c.Result:
			r.fail(ev.Line, exp, act, "%s returned the wrong value", c.Name)
		}
		return r.failed == nil
	}
	switch {
	case o.errno != 0:
		r.fail(ev.Line, exp, act, "%s failed; expected it to succeed", c.Name)
	case c.Name != "socket" && c.Name != "accept" && o.ret != c.Result:
		r.fail(ev.Line, exp, act, "%s returned the wrong value", c.Name)
	case o.mismatch != "":
		r.fail(ev.Line, exp, act, "%s: %s", c.Name, o.mismatch)
	}
	return r.failed == nil
}

// formatCall renders a call line as the script writes it.
func formatCall(c *Syscall) string {
	s := fmt.Sprintf("%s(%s) = %d", c.Name, formatExprs(c.Args), c.Result)
	if c.Errno != "" {
		s += " " + c.Errno
	}
	return s
}

// formatOutcome renders what a call did, in the same form.
func formatOutcome(c *Syscall, o outcome) string {
	s := fmt.Sprintf("%s(%s) = %d", c.Name, formatExprs(c.Args), o.ret)
	if o.errno != 0 {
		s += " " + errnoName(o.errno)
	}
	return s
}
