package stack

import "syscall"

// errNoNet is Linux's ENONET ("machine is not on the network"), the errno
// of ICMPv4 "source host isolated".
const errNoNet = syscall.ENONET
