module github.com/synack-net/synack/netstack

go 1.25.0

require (
	github.com/synack-net/synack v0.0.0
	golang.org/x/crypto v0.51.0
	golang.org/x/net v0.55.0
	golang.zx2c4.com/wireguard v0.0.0-20260522210424-ecfc5a8d5446
)

require (
	github.com/google/btree v1.1.2 // indirect
	golang.org/x/sys v0.45.0 // indirect
	golang.org/x/time v0.7.0 // indirect
	golang.zx2c4.com/wintun v0.0.0-20230126152724-0fa3db229ce2 // indirect
	gvisor.dev/gvisor v0.0.0-20250503011706-39ed1f5ac29c // indirect
)

replace github.com/synack-net/synack => ../
