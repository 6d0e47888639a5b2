//go:build !linux

package stack

import "syscall"

// errNoNet stands for Linux's ENONET, which this system lacks: the
// nearest errno it has for ICMPv4 "source host isolated".
const errNoNet = syscall.EHOSTUNREACH
