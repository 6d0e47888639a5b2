package drill

import (
	"fmt"
	"strings"
)

// Status is a script's verdict.
type Status uint8

// The verdicts.
const (
	// Pass: every line happened as written.
	Pass Status = iota
	// Fail: a line did not (or the script is malformed).
	Fail
	// Skip: the script needs something unsupported; it was not run.
	Skip
)

// String returns "PASS", "FAIL" or "SKIP".
func (s Status) String() string {
	switch s {
	case Pass:
		return "PASS"
	case Fail:
		return "FAIL"
	}
	return "SKIP"
}

// Result is the outcome of one run of one script.
type Result struct {
	Path   string
	Family Family
	Status Status
	// Line is the script line of the failure or of the unsupported
	// feature (0 when not tied to a line).
	Line int
	// Reason says what went wrong or what is unsupported.
	Reason string
	// Expected and Actual are the scripted and the observed packet or
	// call, in the dialect's notation, when a packet or call mismatched
	// ("" otherwise).
	Expected, Actual string
	// Notes are remarks on a run that did not change its verdict, such
	// as code blocks skipped.
	Notes []string
}

// String renders the result on one line: "PASS path (ipv4)", "FAIL
// path:12 (ipv4): reason: expected ...; actual ..." or "SKIP path:3
// (ipv4): reason".
func (r Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", r.Status, r.Path)
	if r.Line > 0 && r.Status != Pass {
		fmt.Fprintf(&b, ":%d", r.Line)
	}
	fmt.Fprintf(&b, " (%s)", r.Family)
	if r.Status != Pass {
		fmt.Fprintf(&b, ": %s", r.Reason)
	}
	if r.Expected != "" || r.Actual != "" {
		fmt.Fprintf(&b, ": expected %s; actual %s", orNone(r.Expected), orNone(r.Actual))
	}
	if len(r.Notes) > 0 {
		fmt.Fprintf(&b, " [%s]", strings.Join(r.Notes, "; "))
	}
	return b.String()
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// resultOf turns a parse or preflight error into a result: SKIP for an
// unsupported feature, FAIL otherwise.
func resultOf(path string, f Family, err error) Result {
	r := Result{Path: path, Family: f, Status: Fail, Reason: err.Error()}
	switch e := err.(type) {
	case *UnsupportedError:
		r.Status, r.Line, r.Reason = Skip, e.Line, e.Reason
	case *ParseError:
		r.Line, r.Reason = e.Line, "parse error: "+e.Msg
	}
	return r
}
