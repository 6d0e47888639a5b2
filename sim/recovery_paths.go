package sim

import (
	"time"

	"github.com/synack-net/synack/link/netem"
)

// RecoveryPath is one path of the loss-recovery benchmarks: the
// simulation's BenchmarkLossRecovery, in virtual time, and
// interop/kernel's BenchmarkKernelLossRecovery, the same paths between
// kernels and synack on the wall clock.
type RecoveryPath struct {
	Name string
	// Impairment applies to each direction.
	Impairment netem.Impairment
}

// RecoveryPaths are the paths both benchmarks run: 5 ms each way with
// 1 ms of jitter (which alone reorders segments), without loss, with 2 %
// and 5 % loss, and with 5 % loss and 5 % of segments reordered by 3 ms.
var RecoveryPaths = []RecoveryPath{
	{"loss0", netem.Impairment{Delay: 5 * time.Millisecond, Jitter: time.Millisecond}},
	{"loss2", netem.Impairment{Loss: 0.02, Delay: 5 * time.Millisecond, Jitter: time.Millisecond}},
	{"loss5", netem.Impairment{Loss: 0.05, Delay: 5 * time.Millisecond, Jitter: time.Millisecond}},
	{"loss5-reorder5", netem.Impairment{Loss: 0.05, Reorder: 0.05, ReorderDelay: 3 * time.Millisecond,
		Delay: 5 * time.Millisecond, Jitter: time.Millisecond}},
}
