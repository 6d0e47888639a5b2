//go:build !linux

package main

import "errors"

// errNoTUN is what serve and dial report where link/tun has no devices.
var errNoTUN = errors.New("TUN is supported on Linux")

// openDevice fails: TUN devices are supported on Linux only.
func openDevice(netOptions) (device, error) { return nil, errNoTUN }
