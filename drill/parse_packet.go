package drill

import (
	"strings"

	"github.com/synack-net/synack/wire"
)

// maxPayload bounds the payload length of a packet line: an inbound one
// must fit in an IP packet, an outbound one may stand for many segments.
const (
	maxInboundPayload  = 65535 - 40 - 60
	maxOutboundPayload = 1 << 24
)

// unsupportedPacketWords are words that may follow the direction of a
// packet line and introduce a form the runner does not implement.
var unsupportedPacketWords = map[string]string{
	"udp": "UDP packets", "udplite": "UDP-Lite packets",
	"sctp": "SCTP packets", "gre": "GRE encapsulation", "mpls": "MPLS encapsulation",
	"ipv4": "explicit IPv4 headers", "ipv6": "explicit IPv6 headers",
	"psp": "PSP encapsulation", "encap": "encapsulation",
}

// packet := ('<'|'>') (flags seq [ack N] [win N] [urg N] [options] | icmp)
func (p *parser) packet() (*Packet, error) {
	dirTok := p.next()
	pk := &Packet{Dir: Inbound}
	if dirTok.is(">") {
		pk.Dir = Outbound
	}
	t := p.peek()
	switch {
	case t.is("[") || t.is("("):
		return nil, p.unsupported(t, "IP field prefixes (ECN, TOS, TTL, flow label)")
	case t.kind == tokNumber && p.peekAt(1).is(">"):
		return nil, p.unsupported(t, "explicit port numbers on a packet line")
	case t.isWord("icmp"):
		return p.icmpPacket(pk)
	case t.kind == tokWord && unsupportedPacketWords[t.text] != "":
		return nil, p.unsupported(t, "%s", unsupportedPacketWords[t.text])
	}
	var err error
	if pk.Flags, err = p.flags(); err != nil {
		return nil, err
	}
	if err := p.seqRange(pk); err != nil {
		return nil, err
	}
	if p.peek().isWord("ack") {
		p.next()
		v, err := p.number(maxUint32, "acknowledgment number")
		if err != nil {
			return nil, err
		}
		pk.Ack, pk.HasAck = uint32(v), true
	}
	if p.peek().isWord("win") {
		p.next()
		v, err := p.number(0xffff, "window")
		if err != nil {
			return nil, err
		}
		pk.Win, pk.HasWin = uint16(v), true
	} else if pk.Dir == Inbound {
		return nil, p.errorf(dirTok, "an inbound packet needs a window (win N)")
	}
	if p.peek().isWord("urg") {
		p.next()
		v, err := p.number(0xffff, "urgent pointer")
		if err != nil {
			return nil, err
		}
		pk.Urg, pk.HasUrg = uint16(v), true
	}
	if p.peek().is("<") {
		if err := p.options(pk); err != nil {
			return nil, err
		}
	}
	return pk, nil
}

// flags reads the flags word: adjacent words, dots and dashes such as
// "S", "S.", "FP.", "." or "-".
func (p *parser) flags() (wire.TCPFlags, error) {
	first := p.peek()
	if first.kind != tokWord && !first.is(".") && !first.is("-") {
		return 0, p.errorf(first, "expected TCP flags, found %v", first)
	}
	var b strings.Builder
	end := first.pos
	for {
		t := p.peek()
		if t.pos != end || (t.kind != tokWord && !t.is(".") && !t.is("-")) {
			break
		}
		b.WriteString(t.text)
		end = t.end
		p.next()
	}
	word := b.String()
	if word == "-" {
		return 0, nil
	}
	var f wire.TCPFlags
	for i := 0; i < len(word); i++ {
		switch c := word[i]; c {
		case 'F':
			f |= wire.FlagFIN
		case 'S':
			f |= wire.FlagSYN
		case 'R':
			f |= wire.FlagRST
		case 'P':
			f |= wire.FlagPSH
		case '.':
			f |= wire.FlagACK
		case 'U':
			f |= wire.FlagURG
		case 'E':
			f |= wire.FlagECE
		case 'W':
			f |= wire.FlagCWR
		case 'A', '0', '1', '2', '3', '4', '5', '6', '7':
			return 0, p.unsupported(first, "AccECN flags (%q)", word)
		default:
			return 0, p.errorf(first, "bad TCP flags %q", word)
		}
	}
	return f, nil
}

// seqRange reads "start:end(len)" and checks end = start + len.
func (p *parser) seqRange(pk *Packet) error {
	t := p.peek()
	start, err := p.number(maxUint32, "sequence number")
	if err != nil {
		return err
	}
	if _, err := p.expect(":", "in a sequence range"); err != nil {
		return err
	}
	end, err := p.number(maxUint32, "sequence number")
	if err != nil {
		return err
	}
	if _, err := p.expect("(", "before the payload length"); err != nil {
		return err
	}
	max := uint64(maxOutboundPayload)
	if pk.Dir == Inbound {
		max = maxInboundPayload
	}
	n, err := p.number(max, "payload length")
	if err != nil {
		return err
	}
	if _, err := p.expect(")", "after the payload length"); err != nil {
		return err
	}
	if uint32(start+n) != uint32(end) {
		return p.errorf(t, "sequence range %d:%d does not match its length %d", start, end, n)
	}
	pk.Seq, pk.Len = uint32(start), uint32(n)
	return nil
}

// options reads "<...>" or "<opt, opt, ...>" and checks that the options
// fill a whole number of 32-bit words within the 40 option bytes.
func (p *parser) options(pk *Packet) error {
	open := p.next()
	if p.peek().kind == tokEllipsis {
		p.next()
		if _, err := p.expect(">", "after <..."); err != nil {
			return err
		}
		if pk.Dir == Inbound {
			return p.errorf(open, "<...> is allowed only on outbound packets")
		}
		pk.AnyOptions = true
		return nil
	}
	pk.Options = []TCPOption{}
	for {
		o, err := p.option()
		if err != nil {
			return err
		}
		pk.Options = append(pk.Options, o)
		t := p.next()
		if t.is(">") {
			break
		}
		if !t.is(",") {
			return p.errorf(t, "expected \",\" or \">\" in TCP options, found %v", t)
		}
	}
	n := optionsLen(pk.Options)
	if n%4 != 0 || n > wire.TCPMaxOptionsLen {
		return p.errorf(open, "TCP options take %d bytes: not a multiple of 4 or more than %d", n, wire.TCPMaxOptionsLen)
	}
	return nil
}

// option reads one TCP option.
func (p *parser) option() (TCPOption, error) {
	t := p.next()
	if t.kind != tokWord {
		return TCPOption{}, p.errorf(t, "expected a TCP option, found %v", t)
	}
	switch t.text {
	case "nop":
		return TCPOption{Kind: OptNOP}, nil
	case "eol":
		return TCPOption{Kind: OptEOL}, nil
	case "sackOK":
		return TCPOption{Kind: OptSACKOK}, nil
	case "mss":
		v, err := p.number(0xffff, "MSS")
		return TCPOption{Kind: OptMSS, Value: uint16(v)}, err
	case "wscale":
		v, err := p.number(0xff, "window scale")
		return TCPOption{Kind: OptWScale, Value: uint16(v)}, err
	case "sack":
		return p.sackOption()
	case "TS":
		return p.tsOption()
	case "md5", "FO", "FOEXP", "ECN", "exp", "mp_capable", "mp_join", "dss", "psp":
		return TCPOption{}, p.unsupported(t, "TCP option %s", t.text)
	}
	return TCPOption{}, p.errorf(t, "unknown TCP option %q", t.text)
}

// sackOption reads "sack a:b c:d ..." (up to 4 blocks).
func (p *parser) sackOption() (TCPOption, error) {
	o := TCPOption{Kind: OptSACK}
	for p.peek().kind == tokNumber {
		t := p.peek()
		l, err := p.number(maxUint32, "SACK block edge")
		if err != nil {
			return o, err
		}
		if _, err := p.expect(":", "in a SACK block"); err != nil {
			return o, err
		}
		r, err := p.number(maxUint32, "SACK block edge")
		if err != nil {
			return o, err
		}
		if len(o.Blocks) == wire.MaxSACKBlocks {
			return o, p.errorf(t, "more than %d SACK blocks", wire.MaxSACKBlocks)
		}
		o.Blocks = append(o.Blocks, wire.SACKBlock{Left: uint32(l), Right: uint32(r)})
	}
	return o, nil
}

// tsOption reads "TS val X ecr Y".
func (p *parser) tsOption() (TCPOption, error) {
	o := TCPOption{Kind: OptTS}
	if t := p.next(); !t.isWord("val") {
		return o, p.errorf(t, "expected \"val\" after TS, found %v", t)
	}
	v, err := p.number(maxUint32, "TS value")
	if err != nil {
		return o, err
	}
	if t := p.next(); !t.isWord("ecr") {
		return o, p.errorf(t, "expected \"ecr\" in TS, found %v", t)
	}
	e, err := p.number(maxUint32, "TS echo reply")
	if err != nil {
		return o, err
	}
	o.TSVal, o.TSEcr = uint32(v), uint32(e)
	return o, nil
}
