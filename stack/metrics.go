package stack

import (
	"fmt"
	"io"
	"reflect"
	"strings"
	"unicode"
)

// WritePrometheus writes the counters in the Prometheus text exposition
// format (version 0.0.4): each field of Counters as synack_GROUP_NAME,
// GROUP being tcp, udp or icmp and NAME the field's name in snake case,
// a counter ending in _total or, for the Curr* fields and
// MemoryAllocated, a gauge; and the drops as synack_drops_total with a
// reason label. Each metric has its HELP and TYPE lines.
func (c *Counters) WritePrometheus(w io.Writer) error {
	var b strings.Builder
	v := reflect.ValueOf(c).Elem()
	for i := range v.NumField() {
		f := v.Type().Field(i)
		if f.Type.Kind() != reflect.Uint64 {
			continue
		}
		name, gauge := metricName(f.Name)
		kind := "counter"
		if gauge {
			kind = "gauge"
		}
		help := counterHelp[f.Name]
		if help == "" {
			help = "stack.Counters." + f.Name + "." // a new counter TestWritePrometheusNamesEveryCounter asks to describe
		}
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n%s %d\n", name, help, name, kind, name, v.Field(i).Uint())
	}
	b.WriteString("# HELP synack_drops_total Inbound packets dropped, by reason.\n# TYPE synack_drops_total counter\n")
	for r, n := range c.Drops {
		fmt.Fprintf(&b, "synack_drops_total{reason=%q} %d\n", DropReason(r).String(), n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// metricName is the Prometheus name of the Counters field f, and whether
// it is a gauge.
func metricName(f string) (name string, gauge bool) {
	group := "tcp"
	for _, g := range []string{"TCP", "UDP", "ICMP"} {
		if rest, ok := strings.CutPrefix(f, g); ok {
			group, f = strings.ToLower(g), rest
		}
	}
	gauge = strings.HasPrefix(f, "Curr") || f == "MemoryAllocated"
	r := []rune(f)
	var b strings.Builder
	for i, c := range r {
		// A word starts at an upper-case letter after a lower-case one,
		// or at the last capital of an acronym followed by lower case
		// ("PathMTUChanges": path, mtu, changes).
		if i > 0 && unicode.IsUpper(c) && (unicode.IsLower(r[i-1]) ||
			i+1 < len(r) && unicode.IsLower(r[i+1]) && unicode.IsUpper(r[i-1])) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToLower(c))
	}
	name = "synack_" + group + "_" + b.String()
	switch {
	case f == "MemoryAllocated":
		name += "_bytes"
	case !gauge:
		name += "_total"
	}
	return name, gauge
}

// counterHelp is the HELP text of each field of Counters.
var counterHelp = map[string]string{
	"ActiveOpens":            "Tcp: connections that went CLOSED -> SYN_SENT.",
	"PassiveOpens":           "Tcp: connections that went LISTEN -> SYN_RCVD.",
	"AttemptFails":           "Tcp: SYN_SENT/SYN_RCVD -> CLOSED, and SYN_RCVD -> LISTEN.",
	"EstabResets":            "Tcp: ESTABLISHED/CLOSE_WAIT -> CLOSED by a reset.",
	"CurrEstab":              "Tcp: connections now in ESTABLISHED or CLOSE_WAIT.",
	"InSegs":                 "Tcp: segments received, including those in error.",
	"OutSegs":                "Tcp: segments sent, excluding retransmissions.",
	"RetransSegs":            "Tcp: segments retransmitted.",
	"InErrs":                 "Tcp: segments received in error (bad checksum, header).",
	"OutRsts":                "Tcp: segments sent with RST.",
	"OutRstsSuppressed":      "Resets for strays not sent because the output batch was full.",
	"ListenOverflows":        "TcpExt: SYNs dropped because an accept queue was full.",
	"ListenDrops":            "TcpExt: SYNs dropped by a listener for any reason.",
	"SyncookiesSent":         "TcpExt: SYN-ACKs sent with a SYN cookie.",
	"SyncookiesRecv":         "TcpExt: valid SYN cookies received.",
	"SyncookiesFailed":       "TcpExt: ACKs to a listener whose cookie did not check out.",
	"TimeWaited":             "TcpExt TW: connections that finished TIME_WAIT.",
	"TimeWaitRecycled":       "TcpExt TWRecycled: TIME_WAIT pairs reused by a new SYN (RFC 6191).",
	"TimeWaitReused":         "TIME_WAIT pairs reused by an active open (tcp_tw_reuse; Linux counts them in TWRecycled).",
	"TimeWaitOverflow":       "TcpExt TCPTimeWaitOverflow: connections closed for want of room in the TIME_WAIT table.",
	"CurrTimeWait":           "Entries now in the TIME_WAIT table (ss -s \"timewait\").",
	"TCPTimeouts":            "TcpExt: retransmission timer expiries.",
	"TCPFastRetrans":         "TcpExt: fast retransmits.",
	"TCPChallengeACK":        "TcpExt: challenge ACKs sent (RFC 5961).",
	"PAWSEstab":              "TcpExt: segments rejected by PAWS (RFC 7323 §5).",
	"OutOfWindow":            "Segments outside the window, answered with an ACK.",
	"InvalidAcksLimited":     "ACKs to unacceptable segments suppressed by the rate limit (TcpExt TCPACKSkipped*).",
	"PathMTUChanges":         "ICMP messages that lowered a connection's MSS (path MTU discovery).",
	"ConnLimit":              "Connections refused because MaxConns was reached.",
	"EphemeralExhausted":     "Connects and UDP binds that found no free ephemeral port.",
	"TCPMemoryPressures":     "TcpExt: times the host entered memory pressure (Config.Memory).",
	"TCPRcvQDrop":            "TcpExt: segments whose in-order data was dropped over the memory limit.",
	"TCPOFODrop":             "TcpExt: segments whose out-of-order data was dropped over the memory limit.",
	"TCPAbortOnTimeout":      "TcpExt: connections given up by the retransmission, probe, keep-alive or user timeout.",
	"TCPLossProbes":          "TcpExt: tail loss probes sent.",
	"TCPLossProbeRecovery":   "TcpExt: losses a tail loss probe repaired.",
	"TCPAbortOnMemory":       "TcpExt: connections reset because of too many orphans (Config.MaxOrphans).",
	"MemoryAllocated":        "Bytes of buffer storage the connections hold now (sockstat \"mem\", in pages there).",
	"CurrOrphans":            "Connections closed by their users and still closing now (sockstat \"orphan\").",
	"ForwardRequests":        "SYNs that became a forwarding request.",
	"ForwardDrops":           "SYNs to forward dropped because MaxPending requests were unanswered.",
	"ForwardResets":          "Forwarding requests the client's RST cancelled before they were applied.",
	"UDPForwardFlows":        "UDP flows a UDPForwardListener started.",
	"UDPForwardDrops":        "Datagrams that would have started a flow beyond MaxFlows or Backlog.",
	"UDPForwardExpired":      "UDP flows ended by their idle timeout.",
	"ForwardExpired":         "Forwarding requests forgotten unanswered after their Timeout.",
	"UDPInDatagrams":         "Datagrams queued on a socket.",
	"UDPNoPorts":             "Datagrams for a port with no socket.",
	"UDPInErrors":            "Datagrams dropped for a bad header or checksum or a full queue.",
	"UDPRcvbufErrors":        "Of those, dropped because a socket's receive queue was full.",
	"UDPInCsumErrors":        "Of those, dropped for a bad checksum.",
	"UDPOutDatagrams":        "Datagrams sent.",
	"ICMPInEchos":            "Echo requests received.",
	"ICMPInEchoReps":         "Echo replies received.",
	"ICMPOutEchos":           "Echo requests sent by ping sockets.",
	"ICMPOutEchoReps":        "Echo replies sent.",
	"ICMPOutDestUnreachs":    "Destination unreachable messages sent (port unreachable).",
	"ICMPOutRateLimitGlobal": "Messages not sent because of the host-wide rate limit.",
	"ICMPOutRateLimitHost":   "Errors not sent because of the per-destination rate limit.",
	"ICMPOutSuppressed":      "Messages not sent because the output batch was full.",
}
