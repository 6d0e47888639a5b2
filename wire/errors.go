package wire

import "errors"

// Validation errors. They are sentinel values so that a caller can count
// drops by reason with errors.Is (or ==) and no allocation.
var (
	// ErrTruncated means the buffer ends before a header that must be there.
	ErrTruncated = errors.New("wire: truncated header")
	// ErrBadVersion means the IP version field is not the expected one.
	ErrBadVersion = errors.New("wire: bad IP version")
	// ErrBadHeaderLen means an IPv4 IHL or a TCP data offset is below the minimum.
	ErrBadHeaderLen = errors.New("wire: bad header length")
	// ErrBadTotalLen means the IPv4 total length or IPv6 payload length
	// does not fit the header or the buffer.
	ErrBadTotalLen = errors.New("wire: bad total length")
	// ErrBadChecksum means a header checksum does not verify.
	ErrBadChecksum = errors.New("wire: bad checksum")
	// ErrBadOption means the TCP options are malformed.
	ErrBadOption = errors.New("wire: malformed TCP option")
	// ErrBadExtHeader means the IPv6 extension header chain is malformed.
	ErrBadExtHeader = errors.New("wire: malformed IPv6 extension header")
	// ErrFragment means the packet is an IP fragment, which synack does not
	// reassemble; the caller counts and drops it.
	ErrFragment = errors.New("wire: IP fragment")
)
