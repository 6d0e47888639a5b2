package wire

// IP protocol numbers (the IPv4 Protocol and IPv6 Next Header fields) that
// synack handles or must step over, from the IANA "Assigned Internet Protocol
// Numbers" registry.
const (
	// ProtoIPv6HopByHop is the IPv6 Hop-by-Hop Options header (RFC 8200 §4.3).
	ProtoIPv6HopByHop uint8 = 0
	// ProtoICMPv4 is ICMP for IPv4 (RFC 792).
	ProtoICMPv4 uint8 = 1
	// ProtoTCP is TCP (RFC 9293).
	ProtoTCP uint8 = 6
	// ProtoIPv6Routing is the IPv6 Routing header (RFC 8200 §4.4).
	ProtoIPv6Routing uint8 = 43
	// ProtoIPv6Fragment is the IPv6 Fragment header (RFC 8200 §4.5).
	ProtoIPv6Fragment uint8 = 44
	// ProtoICMPv6 is ICMP for IPv6 (RFC 4443).
	ProtoICMPv6 uint8 = 58
	// ProtoIPv6NoNext means nothing follows the header (RFC 8200 §4.7).
	ProtoIPv6NoNext uint8 = 59
	// ProtoIPv6DestOpts is the IPv6 Destination Options header (RFC 8200 §4.6).
	ProtoIPv6DestOpts uint8 = 60
)
