package main

import (
	"bytes"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal of cols columns: the terminal side, which
// the command writes to, and the controlling side, which the test reads.
func openPTY(t *testing.T, cols uint16) (term, ctl *os.File) {
	t.Helper()
	ctl, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	fd := int(ctl.Fd())
	var unlock int32
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		ctl.Close()
		t.Skipf("unlockpt: %v", e)
	}
	n, err := unix.IoctlGetUint32(fd, unix.TIOCGPTN)
	if err != nil {
		ctl.Close()
		t.Skipf("ptsname: %v", err)
	}
	term, err = os.OpenFile("/dev/pts/"+strconv.Itoa(int(n)), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		ctl.Close()
		t.Skipf("open the terminal side: %v", err)
	}
	if err := unix.IoctlSetWinsize(int(term.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Col: cols, Row: 50}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { term.Close(); ctl.Close() })
	return term, ctl
}

// runOnTerminal runs the command line with its standard output on a
// pseudo-terminal of cols columns and returns what the terminal received.
func runOnTerminal(t *testing.T, cols uint16, args ...string) string {
	t.Helper()
	term, ctl := openPTY(t, cols)
	got := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(ctl) // ends with EIO once the terminal side is closed
		got <- b
	}()
	var errOut bytes.Buffer
	code := run(args, term, &errOut)
	term.Close()
	out := <-got
	if code != 0 || errOut.Len() > 0 {
		t.Fatalf("%v: exit status %d, stderr %q", args, code, errOut.String())
	}
	// The terminal's line discipline writes each newline as CR LF.
	return strings.ReplaceAll(string(out), "\r\n", "\n")
}

// TestTerminalWidthAndColour runs the demo and the ladder command on a
// terminal 132 columns wide: the text fills it, and it is in colour unless
// NO_COLOR is set.
func TestTerminalWidthAndColour(t *testing.T) {
	t.Setenv("COLUMNS", "90") // the terminal's own width wins
	for _, args := range [][]string{{"demo", "--loss", "0.3", "--seed", "6"}, {"ladder", lossTrace}} {
		out := runOnTerminal(t, 132, args...)
		plain := stripANSI(out)
		checkWidth(t, plain, 132)
		if !strings.Contains(out, "\x1b[0;1;32mESTABLISHED") || !strings.Contains(out, "\x1b[0;31m") {
			t.Errorf("%v: no colour on a terminal:\n%s", args, out)
		}
		wide := false
		for _, line := range strings.Split(plain, "\n") {
			wide = wide || len(line) > 100
		}
		if !wide {
			t.Errorf("%v: no line wider than 100 columns on a terminal of 132:\n%s", args, plain)
		}
	}
	t.Setenv("NO_COLOR", "1")
	if out := runOnTerminal(t, 132, "ladder", lossTrace); strings.Contains(out, "\x1b[") {
		t.Errorf("colour with NO_COLOR set:\n%s", out)
	}
}
