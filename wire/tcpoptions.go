package wire

// MaxSACKBlocks is the largest number of SACK blocks a TCP header can carry
// (RFC 2018 §3: at most 4 in 40 option bytes, 3 when timestamps are also used).
const MaxSACKBlocks = 4

// SACKBlock is one block of a SACK option: the sequence numbers of the first
// byte received and of the byte just after the last (RFC 2018 §3).
type SACKBlock struct {
	Left, Right uint32
}

// TCPOptions is the decoded form of a TCP header's options. A zero value means
// "no options". It holds no references to the packet it was parsed from.
type TCPOptions struct {
	// MSS is the Maximum Segment Size option (RFC 9293 §3.7.1); valid when HasMSS.
	MSS    uint16
	HasMSS bool
	// WScale is the window scale shift count (RFC 7323 §2); valid when HasWScale.
	WScale    uint8
	HasWScale bool
	// SACKPermitted is the SACK-permitted option (RFC 2018 §2).
	SACKPermitted bool
	// SACK holds NumSACK blocks of a SACK option (RFC 2018 §3).
	SACK    [MaxSACKBlocks]SACKBlock
	NumSACK int
	// TSVal and TSEcr are the timestamps option (RFC 7323 §3); valid when HasTS.
	TSVal, TSEcr uint32
	HasTS        bool
}
