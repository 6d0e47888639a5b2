package bench

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime returns the CPU time (user + kernel) the whole process has used.
func cpuTime(tb testing.TB) time.Duration {
	h, err := syscall.GetCurrentProcess()
	if err != nil {
		tb.Fatalf("GetCurrentProcess: %v", err)
	}
	var created, exited, kernel, user syscall.Filetime
	if err := syscall.GetProcessTimes(h, &created, &exited, &kernel, &user); err != nil {
		tb.Fatalf("GetProcessTimes: %v", err)
	}
	return filetimeDuration(kernel) + filetimeDuration(user)
}

// filetimeDuration reads a FILETIME that holds a duration in 100 ns units.
func filetimeDuration(f syscall.Filetime) time.Duration {
	return time.Duration(int64(f.HighDateTime)<<32|int64(f.LowDateTime)) * 100
}
