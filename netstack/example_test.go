package netstack_test

import (
	"io"
	"log"
	"net/http"
	"net/netip"

	"github.com/synack-net/synack/netstack"
	"golang.zx2c4.com/wireguard/conn"
	"golang.zx2c4.com/wireguard/device"
)

// A wireguard-go client on synack: the program wireguard-go's netstack
// examples show, with the import changed. The peer's key and endpoint
// are placeholders.
func ExampleCreateNetTUN() {
	tun, tnet, err := netstack.CreateNetTUN(
		[]netip.Addr{netip.MustParseAddr("10.99.0.1")},
		[]netip.Addr{netip.MustParseAddr("10.99.0.2")},
		1420)
	if err != nil {
		log.Fatal(err)
	}
	dev := device.NewDevice(tun, conn.NewDefaultBind(), device.NewLogger(device.LogLevelError, ""))
	defer dev.Close()
	err = dev.IpcSet(`private_key=...
public_key=...
endpoint=127.0.0.1:51820
allowed_ip=0.0.0.0/0
`)
	if err == nil {
		err = dev.Up()
	}
	if err != nil {
		log.Fatal(err)
	}
	client := http.Client{Transport: &http.Transport{DialContext: tnet.DialContext}}
	resp, err := client.Get("http://10.99.0.2/")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
}
