package main

import "github.com/synack-net/synack/link/tun"

// openDevice opens (or creates) the TUN device of o with segmentation
// offload both ways.
func openDevice(o netOptions) (device, error) {
	dev, err := tun.OpenConfig(tun.Config{Name: o.tun, MTU: o.mtu, Offload: true})
	if err != nil {
		return nil, err
	}
	return dev, nil
}
