// Package wire provides zero-allocation views and builders for the headers
// synack reads and writes: IPv4 (RFC 791), IPv6 (RFC 8200), TCP and its
// options (RFC 9293, RFC 7323, RFC 2018), ICMPv4 (RFC 792) and ICMPv6
// (RFC 4443), plus the Internet checksum (RFC 1071).
//
// Each header type is a named []byte (IPv4, IPv6, TCP, ICMPv4, ICMPv6) with a
// single validation gate, Validate. Accessors are plain big-endian loads at
// fixed offsets and do no checking of their own: call them only after
// Validate has returned nil, and then none of them can panic, whatever the
// bytes were. Validation reports malformed input with one of the sentinel
// errors (ErrTruncated, ErrBadOption, ...), never with a panic, and allocates
// nothing.
//
// Builders (PutIPv4Header, PutIPv6Header, PutTCPHeader, PutICMPv4,
// PutICMPv6, TCPOptions.AppendTo) write into a buffer the caller owns. A
// view aliases the packet it was made from; TCPOptions, the decoded form of
// the TCP options, holds no reference to the packet.
package wire
