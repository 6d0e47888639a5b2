package drill

// tsMap remembers, for one connection, the TS values the host sent for
// the values the script wrote on outbound lines (section 3.6 of the
// corpus README): inbound TS echo replies are translated through it, and
// the first pair anchors the translation of later outbound TS values.
type tsMap struct {
	m                      map[uint32]uint32
	anchored               bool
	firstScript, firstLive uint32
}

// record notes that the script's value script was sent as live.
func (t *tsMap) record(script, live uint32) {
	if t.m == nil {
		t.m = map[uint32]uint32{}
	}
	if len(t.m) < maxEvents {
		t.m[script] = live
	}
	if !t.anchored {
		t.anchored, t.firstScript, t.firstLive = true, script, live
	}
}

// toScript maps a live TS value into the script's clock.
func (t *tsMap) toScript(live uint32) uint32 {
	return t.firstScript + (live - t.firstLive)
}

// liveEcr returns the live value for a script TS echo reply: the value
// sent for that script value, else (when scaled) an interpolation from
// the first pair.
func (t *tsMap) liveEcr(script uint32, scaled bool) (uint32, bool) {
	if v, ok := t.m[script]; ok {
		return v, true
	}
	if scaled && t.anchored {
		return script - t.firstScript + t.firstLive, true
	}
	return 0, false
}
