package sim

import (
	"testing"
	"time"
)

// recoverySeeds is how many seeded worlds each BenchmarkLossRecovery case
// averages over: one seed's loss pattern is one sample of a chaotic
// process, and a change to loss recovery can win on one and lose on the
// next.
const recoverySeeds = 20

// BenchmarkLossRecovery measures loss recovery in virtual time, where it
// is exact and free of the machine's noise: a 4 MiB transfer across a path
// with loss in both directions (5 ms each way, 1 ms of jitter), averaged
// over recoverySeeds seeds, and the same path without loss as the
// reference. It reports the mean virtual time, RTO expiries, retransmitted
// segments and tail loss probes per transfer; compare them before and
// after a change to recovery, in one run.
//
//	go test ./sim -run '^$' -bench LossRecovery -benchtime=1x
func BenchmarkLossRecovery(b *testing.B) {
	for _, c := range RecoveryPaths {
		b.Run(c.Name, func(b *testing.B) {
			var virtual time.Duration
			var rtos, retrans, probes uint64
			runs := 0
			for range b.N {
				for seed := range uint64(recoverySeeds) {
					p, k := lossyTransfer(b, seed+1, c.Impairment, 4<<20)
					virtual += p.w.Now().Sub(0)
					rtos += k.TCPTimeouts
					retrans += k.RetransSegs
					probes += k.TCPLossProbes
					runs++
				}
			}
			b.ReportMetric(virtual.Seconds()/float64(runs), "virtual-s/transfer")
			b.ReportMetric(float64(rtos)/float64(runs), "RTOs/transfer")
			b.ReportMetric(float64(retrans)/float64(runs), "retrans/transfer")
			b.ReportMetric(float64(probes)/float64(runs), "TLPs/transfer")
		})
	}
}
