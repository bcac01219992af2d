package actorstest

import (
	"testing"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/towns-node/node/proto/pb"
)

// Ceiling is the signature ceiling measured in a benchmark's own run:
// bare secp256k1 recoveries (crypto.Ecrecover, what ParseEnvelope costs at
// least) per CPU-second of one core, timed by this process's CPU time, not
// the wall clock (on a shared machine the wall clock counts waiting too).
type Ceiling struct {
	RecoveriesPerCPUSecond float64
}

// MeasureCeiling recovers the signers of up to 10,000 of envs on one
// goroutine. Call it while the node under test is idle.
func MeasureCeiling(tb testing.TB, envs []*pb.Envelope) Ceiling {
	tb.Helper()
	sample := envs[:min(len(envs), 10000)]
	c0 := cpuTime()
	for _, env := range sample {
		if _, err := crypto.Ecrecover(env.Hash, env.Signature); err != nil {
			tb.Fatal(err)
		}
	}
	return Ceiling{RecoveriesPerCPUSecond: float64(len(sample)) / (cpuTime() - c0).Seconds()}
}

// Report reports the ceiling (recoveries/cpu-s) and what share of it the
// run's CPU per event reached (ceiling-share, in percent): events per
// CPU-second of the whole process over recoveries per CPU-second, so 100%
// would be a node that does nothing but one recovery per event.
func (c Ceiling) Report(b *testing.B, cpuMicrosPerEvent float64) {
	b.ReportMetric(c.RecoveriesPerCPUSecond, "recoveries/cpu-s")
	if cpuMicrosPerEvent > 0 && c.RecoveriesPerCPUSecond > 0 {
		b.ReportMetric(100*(1e6/cpuMicrosPerEvent)/c.RecoveriesPerCPUSecond, "ceiling-%")
	}
}
