//go:build unix

package netstack

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time the process has used, user and system, both
// ends of a tunnel and wireguard-go included; ok is false where it is
// unknown.
func cpuTime() (d time.Duration, ok bool) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
