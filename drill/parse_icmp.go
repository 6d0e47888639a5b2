package drill

// icmpPacket := 'icmp' type [code] ['mtu' N] ['[' start:end(len) ']']
//
// after the direction, which must be "<": the peer (or a router on the
// way) reports an error about a segment we sent.
func (p *parser) icmpPacket(pk *Packet) (*Packet, error) {
	kw := p.next() // "icmp"
	if pk.Dir == Outbound {
		return nil, p.unsupported(kw, "outbound ICMP packets (synack sends no ICMP about TCP)")
	}
	m := &ICMPMessage{}
	t := p.next()
	if t.kind != tokWord {
		return nil, p.errorf(t, "expected an ICMP type, found %v", t)
	}
	if icmpQueries[t.text] {
		return nil, p.unsupported(t, "ICMP %s messages (only error messages, which quote a TCP segment, are injected)", t.text)
	}
	m.Type = t.text
	if c := p.peek(); c.kind == tokWord && !c.isWord("mtu") && !c.isWord("id") {
		p.next()
		m.Code = c.text
	}
	if p.peek().isWord("mtu") {
		p.next()
		v, err := p.number(maxUint32, "MTU")
		if err != nil {
			return nil, err
		}
		m.MTU, m.HasMTU = uint32(v), true
	}
	if id := p.peek(); id.isWord("id") {
		return nil, p.unsupported(id, "ICMP echo identifiers")
	}
	if p.peek().is("[") {
		p.next()
		if w := p.peek(); w.isWord("udp") || w.isWord("raw") {
			return nil, p.unsupported(w, "ICMP messages quoting a %s packet", w.text)
		}
		if err := p.seqRange(pk); err != nil {
			return nil, err
		}
		if _, err := p.expect("]", "after the quoted segment"); err != nil {
			return nil, err
		}
		m.Quoted = true
	}
	// A name must exist in one family at least; whether it exists in the
	// family of a run is checked when the script runs (checkICMP).
	if _, _, _, err := m.resolve(IPv4); err != nil {
		if _, _, _, err6 := m.resolve(IPv6); err6 != nil {
			return nil, p.errorf(t, "%v; %v", err, err6)
		}
	}
	pk.ICMP = m
	return pk, nil
}
