package drill

import (
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/synack-net/synack/tcp"
)

// isDefaultsInclude reports whether an init command is the corpus's
// "apply the Linux default profile" include.
func isDefaultsInclude(cmd string) bool {
	c := strings.TrimSpace(cmd)
	return c == "../common/defaults.sh" || c == "../../common/defaults.sh"
}

// isSysctlRestore reports whether a cleanup command only undoes the
// sysctls of set_sysctls.py.
func isSysctlRestore(cmd string) bool {
	return strings.TrimSpace(cmd) == "/tmp/sysctl_restore_${PPID}.sh"
}

// sysctl is one "name=value" setting of a shell command.
type sysctl struct{ name, value string }

// parseSysctls reads a shell command that only sets sysctls: "sysctl [-q]
// [-w] name=value ...", "<dir>/set_sysctls.py name=value ..." or "echo V >
// /proc/sys/...", several of them joined by ";", "&&" or newlines. Names
// are returned without their "net.ipv4." prefix.
func parseSysctls(cmd string) ([]sysctl, error) {
	var out []sysctl
	norm := strings.NewReplacer("&&", "\n", ";", "\n").Replace(cmd)
	for _, part := range strings.Split(norm, "\n") {
		f := strings.Fields(part)
		if len(f) == 0 {
			continue
		}
		switch {
		case f[0] == "sysctl" || path.Base(f[0]) == "set_sysctls.py":
			for _, a := range f[1:] {
				if strings.HasPrefix(a, "-") {
					continue
				}
				name, value, ok := strings.Cut(a, "=")
				if !ok {
					return nil, fmt.Errorf("shell command %q", strings.TrimSpace(part))
				}
				out = append(out, sysctl{sysctlName(name), strings.Trim(value, `"'`)})
			}
		case f[0] == "echo" && len(f) == 4 && f[2] == ">":
			out = append(out, sysctl{sysctlName(f[3]), f[1]})
		default:
			return nil, fmt.Errorf("shell command %q", strings.TrimSpace(part))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("shell command %q", strings.TrimSpace(cmd))
	}
	return out, nil
}

// sysctlName turns "/proc/sys/net/ipv4/tcp_sack" or "net.ipv4.tcp_sack"
// into "tcp_sack"; names of other trees keep their full form.
func sysctlName(n string) string {
	n = strings.ReplaceAll(strings.TrimPrefix(n, "/proc/sys/"), "/", ".")
	return strings.TrimPrefix(n, "net.ipv4.")
}

// applySysctl sets the tcp.Config field equivalent to a Linux sysctl, or
// reports that synack has none.
func applySysctl(c *tcp.Config, s sysctl) error {
	v, err := strconv.Atoi(s.value)
	isInt := err == nil && v >= 0
	switch {
	case s.name == "tcp_congestion_control" && (s.value == "cubic" || s.value == "reno"):
		c.CongestionControl = s.value
		return nil
	case s.name == "tcp_ecn" && s.value == "0":
		return nil // synack never negotiates ECN, as tcp_ecn=0
	case !isInt:
	case s.name == "tcp_timestamps":
		c.Timestamps = v != 0
		return nil
	case s.name == "tcp_sack":
		c.SACK = v != 0
		return nil
	case s.name == "tcp_window_scaling":
		c.WindowScaling = v != 0
		return nil
	case s.name == "tcp_rfc1337":
		c.RFC1337 = v != 0
		return nil
	case s.name == "tcp_syn_retries":
		c.SynRetries = v
		return nil
	case s.name == "tcp_synack_retries":
		c.SynAckRetries = v
		return nil
	case s.name == "tcp_retries2":
		c.Retries = v
		return nil
	case s.name == "tcp_fin_timeout":
		c.FinWait2Timeout = time.Duration(v) * time.Second
		return nil
	case s.name == "tcp_keepalive_time":
		c.KeepAlive.Idle = time.Duration(v) * time.Second
		return nil
	case s.name == "tcp_keepalive_intvl":
		c.KeepAlive.Interval = time.Duration(v) * time.Second
		return nil
	case s.name == "tcp_keepalive_probes":
		c.KeepAlive.Count = v
		return nil
	}
	return fmt.Errorf("sysctl %s=%s has no synack equivalent", s.name, s.value)
}
