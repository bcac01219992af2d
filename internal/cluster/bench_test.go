package cluster_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/towns-node/node/actors/actorstest"
	"github.com/towns-node/node/internal/cluster"
	"github.com/towns-node/node/streams"
)

const benchBlockTime = 200 * time.Millisecond

// BenchmarkNetwork measures replicated ingest over real libp2p hosts on
// loopback in one process: k nodes on a memchain, memory stores, one
// channel with k replicas, 256 clients posting round-robin at the
// replicas. Every replica checks every event's signature, so it reports
// the signature-check ceiling measured in the same run, cores ×
// recoveries/s ÷ k (ceiling-events/s). nodes=1 is the same harness on one
// node (k = 1, nothing on the wire).
func BenchmarkNetwork(b *testing.B) {
	for _, k := range []int{1, 3} {
		b.Run(fmt.Sprintf("nodes=%d", k), func(b *testing.B) { benchNetwork(b, k) })
	}
}

func benchNetwork(b *testing.B, k int) {
	nw := cluster.New(b, k, cluster.Options{BlockTime: benchBlockTime})
	u := actorstest.NewUser(b)
	ch, reps := nw.Replicated(b, u, k)
	a := reps[0]
	prev := a.Last(b, ch)
	seals := a.WatchSeals(b, []streams.StreamID{ch})
	envs := u.Messages(b, []streams.StreamID{ch}, []*streams.ParsedMiniblock{prev}, b.N)

	sample := envs[:min(len(envs), 2000)]
	t0 := time.Now()
	for _, env := range sample {
		_, _ = streams.ParseEnvelope(env)
	}
	perCore := float64(len(sample)) / time.Since(t0).Seconds()

	b.ResetTimer()
	cpu := actorstest.StartCPU()
	acked := actorstest.RunClients(b, 256, len(envs), func(_, i int) error {
		ev, err := streams.ParseEnvelope(envs[i])
		if err == nil {
			_, err = reps[i%k].AddEvent(context.Background(), ev)
		}
		return err
	})
	cpu.Report(b, b.N)
	b.StopTimer()
	b.ReportMetric(perCore*float64(runtime.NumCPU())/float64(k), "ceiling-events/s")
	seals.ReportLatency(b, envs, acked, benchBlockTime)
}
