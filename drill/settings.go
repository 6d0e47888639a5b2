package drill

import (
	"strconv"
	"time"
)

// settings are the run's options, from the script's option lines and the
// harness's (which override them), as packetdrill's command line does.
type settings struct {
	// tolerance and percent give the timing tolerance of an event:
	// max(tolerance, percent% of the time since the previous event).
	tolerance time.Duration
	percent   float64
	// tsTick is the TS clock period outbound TS values are checked at;
	// 0 means they are not checked (--tcp_ts_tick_usecs).
	tsTick time.Duration
	// ecrScaled interpolates inbound TS echo replies that match no
	// outbound TS value (--tcp_ts_ecr_scaled).
	ecrScaled bool
	// strict turns off the aggregation of outbound segments
	// (--strict_segments).
	strict bool
	// family, when forced, is the only IP version the script runs as
	// (--ip_version).
	family       Family
	familyForced bool
}

// defaultSettings are packetdrill's defaults: 4 ms and 12.5%.
func defaultSettings() settings {
	return settings{tolerance: 4 * time.Millisecond, percent: 12.5}
}

// apply sets one option; an option the runner does not implement is an
// *UnsupportedError, a bad value a *ParseError.
func (s *settings) apply(path string, o Option) error {
	bad := &ParseError{Path: path, Line: o.Line, Msg: "bad value for --" + o.Name + ": " + strconv.Quote(o.Value)}
	num := func(max int64) (int64, error) {
		v, err := strconv.ParseInt(o.Value, 10, 64)
		if err != nil || v < 0 || v > max {
			return 0, bad
		}
		return v, nil
	}
	switch o.Name {
	case "tolerance_usecs":
		v, err := num(int64(maxScriptTime / time.Microsecond))
		s.tolerance = time.Duration(v) * time.Microsecond
		return err
	case "tolerance_percent":
		v, err := strconv.ParseFloat(o.Value, 64)
		if err != nil || v < 0 || v > 100 {
			return bad
		}
		s.percent = v
		return nil
	case "tcp_ts_tick_usecs":
		v, err := num(int64(time.Second / time.Microsecond))
		s.tsTick = time.Duration(v) * time.Microsecond
		return err
	case "tcp_ts_ecr_scaled":
		s.ecrScaled = true
		return nil
	case "strict_segments":
		s.strict = true
		return nil
	case "ip_version":
		switch o.Value {
		case "ipv4", "ipv4-mapped-ipv6":
			s.family, s.familyForced = IPv4, true
		case "ipv6":
			s.family, s.familyForced = IPv6, true
		default:
			return bad
		}
		return nil
	}
	return &UnsupportedError{Path: path, Line: o.Line, Reason: "option --" + o.Name}
}

// tolerance returns the timing tolerance of an event scripted at t whose
// predecessor was scripted at prev (no predecessor: hasPrev false).
func (s *settings) toleranceFor(t, prev time.Duration, hasPrev bool) time.Duration {
	tol := s.tolerance
	if hasPrev && t > prev {
		if d := time.Duration(float64(t-prev) * s.percent / 100); d > tol {
			tol = d
		}
	}
	return tol
}
