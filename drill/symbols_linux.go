package drill

import "syscall"

// ENONET exists on Linux only; synack reports it there for ICMPv4's
// "source host isolated", as Linux does.
func init() { errnos["ENONET"] = syscall.ENONET }
