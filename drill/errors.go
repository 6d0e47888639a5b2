package drill

import (
	"errors"
	"fmt"
)

// ParseError is a script that does not follow the dialect: a typo, a
// missing token, a range whose end is not start+len, options whose total
// length is not a multiple of 4.
type ParseError struct {
	Path string
	Line int
	Msg  string
}

// Error renders the error as "path:line: message".
func (e *ParseError) Error() string { return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg) }

// UnsupportedError is a script written in the dialect that needs something
// the runner or synack does not offer (a UDP line, an ECN prefix, a socket
// option without an equivalent). Such a script is skipped, never passed.
type UnsupportedError struct {
	Path   string
	Line   int
	Reason string
}

// Error renders the error as "path:line: unsupported: reason".
func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("%s:%d: unsupported: %s", e.Path, e.Line, e.Reason)
}

// IsUnsupported reports whether err is (or wraps) an *UnsupportedError.
func IsUnsupported(err error) bool {
	var u *UnsupportedError
	return errors.As(err, &u)
}
