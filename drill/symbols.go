package drill

import "syscall"

// linuxSymbols are the values of the symbols scripts pass to calls, as
// Linux defines them (the scripts are Linux programs, whatever the host).
var linuxSymbols = map[string]int64{
	"AF_INET": 2, "AF_INET6": 10, "AF_UNSPEC": 0,
	"SOCK_STREAM": 1, "SOCK_DGRAM": 2, "SOCK_NONBLOCK": 0x800,
	"IPPROTO_IP": 0, "IPPROTO_TCP": 6, "IPPROTO_UDP": 17, "IPPROTO_IPV6": 41,
	"SOL_SOCKET": 1, "SOL_TCP": 6, "SOL_IP": 0, "SOL_IPV6": 41,
	"SO_REUSEADDR": 2, "SO_ERROR": 4, "SO_SNDBUF": 7, "SO_RCVBUF": 8,
	"SO_KEEPALIVE": 9, "SO_LINGER": 13, "SO_REUSEPORT": 15, "SO_RCVLOWAT": 18,
	"SO_SNDLOWAT": 19, "SO_RCVTIMEO": 20, "SO_SNDTIMEO": 21, "SO_TIMESTAMPING": 37,
	"SO_MAX_PACING_RATE": 47, "SO_ZEROCOPY": 60,
	"TCP_NODELAY": 1, "TCP_MAXSEG": 2, "TCP_CORK": 3, "TCP_KEEPIDLE": 4,
	"TCP_KEEPINTVL": 5, "TCP_KEEPCNT": 6, "TCP_SYNCNT": 7, "TCP_LINGER2": 8,
	"TCP_DEFER_ACCEPT": 9, "TCP_WINDOW_CLAMP": 10, "TCP_INFO": 11, "TCP_QUICKACK": 12,
	"TCP_CONGESTION": 13, "TCP_MD5SIG": 14, "TCP_USER_TIMEOUT": 18, "TCP_FASTOPEN": 23,
	"TCP_TIMESTAMP": 24, "TCP_NOTSENT_LOWAT": 25, "TCP_CC_INFO": 26, "TCP_SAVE_SYN": 27,
	"TCP_FASTOPEN_CONNECT": 30, "TCP_ULP": 31, "TCP_INQ": 36, "TCP_TX_DELAY": 37,
	"F_GETFL": 3, "F_SETFL": 4, "O_RDONLY": 0, "O_WRONLY": 1, "O_RDWR": 2, "O_NONBLOCK": 0x800,
	"SHUT_RD": 0, "SHUT_WR": 1, "SHUT_RDWR": 2,
	"SIOCINQ": 0x541b, "FIONREAD": 0x541b, "SIOCOUTQ": 0x5411, "TIOCOUTQ": 0x5411, "SIOCOUTQNSD": 0x894b,
	"POLLIN": 0x1, "POLLPRI": 0x2, "POLLOUT": 0x4, "POLLERR": 0x8, "POLLHUP": 0x10,
	"POLLNVAL": 0x20, "POLLRDNORM": 0x40, "POLLRDBAND": 0x80, "POLLWRNORM": 0x100,
	"POLLWRBAND": 0x200, "POLLRDHUP": 0x2000,
	"MSG_OOB": 0x1, "MSG_PEEK": 0x2, "MSG_DONTWAIT": 0x40, "MSG_EOR": 0x80,
	"MSG_WAITALL": 0x100, "MSG_NOSIGNAL": 0x4000, "MSG_MORE": 0x8000,
	"MSG_ZEROCOPY": 0x4000000, "MSG_FASTOPEN": 0x20000000,
	"NULL": 0,
}

// errnos maps the errno names scripts write to the errno values synack
// reports (syscall.Errno, which errors.Is matches).
var errnos = map[string]syscall.Errno{
	"EPERM": syscall.EPERM, "ENOENT": syscall.ENOENT, "EINTR": syscall.EINTR,
	"EBADF": syscall.EBADF, "EAGAIN": syscall.EAGAIN, "EWOULDBLOCK": syscall.EWOULDBLOCK,
	"ENOMEM": syscall.ENOMEM, "EACCES": syscall.EACCES, "EFAULT": syscall.EFAULT,
	"EINVAL": syscall.EINVAL, "EPIPE": syscall.EPIPE, "ENOBUFS": syscall.ENOBUFS,
	"ENOPROTOOPT": syscall.ENOPROTOOPT, "EOPNOTSUPP": syscall.EOPNOTSUPP,
	"EADDRINUSE": syscall.EADDRINUSE, "EADDRNOTAVAIL": syscall.EADDRNOTAVAIL,
	"ENETUNREACH": syscall.ENETUNREACH, "ECONNABORTED": syscall.ECONNABORTED,
	"ECONNRESET": syscall.ECONNRESET, "EISCONN": syscall.EISCONN, "ENOTCONN": syscall.ENOTCONN,
	"ETIMEDOUT": syscall.ETIMEDOUT, "ECONNREFUSED": syscall.ECONNREFUSED,
	"EHOSTUNREACH": syscall.EHOSTUNREACH, "EALREADY": syscall.EALREADY,
	"EHOSTDOWN": syscall.EHOSTDOWN, "EPROTO": syscall.EPROTO,
	"EINPROGRESS": syscall.EINPROGRESS, "EMSGSIZE": syscall.EMSGSIZE,
	"ENOTSOCK": syscall.ENOTSOCK, "ESHUTDOWN": syscall.ESHUTDOWN,
	"EPROTONOSUPPORT": syscall.EPROTONOSUPPORT, "EAFNOSUPPORT": syscall.EAFNOSUPPORT,
}

// errnoName returns the name scripts use for e ("EAGAIN" rather than
// "EWOULDBLOCK").
func errnoName(e syscall.Errno) string {
	if e == syscall.EAGAIN {
		return "EAGAIN"
	}
	for n, v := range errnos {
		if v == e && n != "EWOULDBLOCK" {
			return n
		}
	}
	return e.Error()
}
