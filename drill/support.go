package drill

import (
	"fmt"

	"github.com/synack-net/synack/tcp"
)

// optKey identifies a socket option by its Linux level and name.
type optKey struct{ level, name int64 }

// The socket options the runner maps onto synack.
var (
	optReuseAddr = optKey{1, 2}
	optError     = optKey{1, 4}
	optKeepAlive = optKey{1, 9}
	optLinger    = optKey{1, 13}
	optNoDelay   = optKey{6, 1}
	optMaxSeg    = optKey{6, 2}
	optKeepIdle  = optKey{6, 4}
	optKeepIntvl = optKey{6, 5}
	optKeepCnt   = optKey{6, 6}
	// optUserTimeout is TCP_USER_TIMEOUT (RFC 5482), in milliseconds.
	optUserTimeout = optKey{6, 18}
)

// settable and gettable list the options setsockopt and getsockopt
// support.
var (
	settable = map[optKey]bool{optReuseAddr: true, optKeepAlive: true, optLinger: true,
		optNoDelay: true, optKeepIdle: true, optKeepIntvl: true, optKeepCnt: true, optMaxSeg: true,
		optUserTimeout: true, optCongestion: true}
	gettable = map[optKey]bool{optReuseAddr: true, optError: true, optKeepAlive: true,
		optNoDelay: true, optMaxSeg: true, optKeepIdle: true, optKeepIntvl: true, optKeepCnt: true,
		optUserTimeout: true, optCongestion: true}
)

// supportedCalls are the system calls the runner implements.
var supportedCalls = map[string]bool{
	"socket": true, "bind": true, "listen": true, "accept": true, "connect": true,
	"read": true, "write": true, "send": true, "recv": true, "close": true,
	"shutdown": true, "setsockopt": true, "getsockopt": true, "fcntl": true,
	"ioctl": true, "poll": true,
}

// preflight decides, before anything runs, whether the runner can run the
// script: it returns the TCP configuration the init command asks for, or
// an *UnsupportedError naming the first thing it cannot do.
func preflight(s *Script) (tcp.Config, error) {
	cfg := LinuxProfile()
	unsupported := func(line int, format string, args ...any) error {
		return &UnsupportedError{Path: s.Path, Line: line, Reason: fmt.Sprintf(format, args...)}
	}
	if s.Init != nil && !isDefaultsInclude(s.Init.Text) {
		if err := applyCommand(&cfg, s.Init.Text); err != nil {
			return cfg, unsupported(s.Init.Line, "%v", err)
		}
	}
	if s.Cleanup != nil && !isSysctlRestore(s.Cleanup.Text) {
		if _, err := parseSysctls(s.Cleanup.Text); err != nil {
			return cfg, unsupported(s.Cleanup.Line, "%v", err)
		}
	}
	started := false // whether a connection or listener may exist yet
	scratch := cfg
	for _, ev := range s.Events {
		switch ev.Kind {
		case EventCommand:
			if err := applyCommand(&scratch, ev.Text); err != nil {
				return cfg, unsupported(ev.Line, "%v", err)
			}
			if started {
				return cfg, unsupported(ev.Line, "a sysctl after the first connection or listener (a synack host's tcp.Config is fixed once it has connections)")
			}
		case EventPacket:
			started = true
		case EventSyscall:
			if err := checkCall(ev.Call); err != nil {
				return cfg, unsupported(ev.Line, "%v", err)
			}
			if ev.Call.Name == "listen" || ev.Call.Name == "connect" {
				started = true
			}
		}
	}
	return cfg, nil
}

// applyCommand applies a shell command that only sets sysctls.
func applyCommand(cfg *tcp.Config, text string) error {
	ss, err := parseSysctls(text)
	if err != nil {
		return err
	}
	for _, s := range ss {
		if err := applySysctl(cfg, s); err != nil {
			return err
		}
	}
	return nil
}

// checkCall reports the first thing in a call the runner cannot map onto
// synack. Malformed calls are left to the run, which fails them.
func checkCall(c *Syscall) error {
	if !supportedCalls[c.Name] {
		return fmt.Errorf("system call %s", c.Name)
	}
	intArg := func(i int) (int64, bool) {
		if i >= len(c.Args) {
			return 0, false
		}
		v, err := evalInt(c.Args[i])
		return v, err == nil
	}
	switch c.Name {
	case "socket":
		if v, ok := intArg(1); ok && v&^linuxSymbols["SOCK_NONBLOCK"] != linuxSymbols["SOCK_STREAM"] {
			return fmt.Errorf("socket type %s (only SOCK_STREAM)", formatExpr(c.Args[1]))
		}
	case "send", "recv":
		if v, ok := intArg(3); ok && v&^(linuxSymbols["MSG_DONTWAIT"]|linuxSymbols["MSG_NOSIGNAL"]) != 0 {
			return fmt.Errorf("%s flags %s", c.Name, formatExpr(c.Args[3]))
		}
	case "setsockopt", "getsockopt":
		level, ok1 := intArg(1)
		name, ok2 := intArg(2)
		if !ok1 || !ok2 {
			return fmt.Errorf("%s option %s", c.Name, formatExprs(c.Args[min(1, len(c.Args)):min(3, len(c.Args))]))
		}
		k := optKey{level, name}
		if k.level == linuxSymbols["IPPROTO_TCP"] {
			k.level = linuxSymbols["SOL_TCP"]
		}
		if c.Name == "setsockopt" && !settable[k] || c.Name == "getsockopt" && !gettable[k] {
			return fmt.Errorf("%s(%s)", c.Name, formatExprs(c.Args[1:3]))
		}
	case "fcntl":
		if v, ok := intArg(1); ok && v != linuxSymbols["F_GETFL"] && v != linuxSymbols["F_SETFL"] {
			return fmt.Errorf("fcntl command %s", formatExpr(c.Args[1]))
		}
	case "ioctl":
		if v, ok := intArg(1); ok && v != linuxSymbols["SIOCINQ"] && v != linuxSymbols["SIOCOUTQ"] {
			return fmt.Errorf("ioctl request %s", formatExpr(c.Args[1]))
		}
	}
	return nil
}
