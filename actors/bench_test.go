package actors_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/actors"
	"github.com/towns-node/node/actors/actorstest"
	"github.com/towns-node/node/store"
	"github.com/towns-node/node/streams"
)

const benchBlockTime = 200 * time.Millisecond

// BenchmarkAddEvent measures the node without the HTTP layer: N goroutines
// parse pre-signed envelopes (hash and signature check, as the API handler
// does) and hand them to the stream actors, which ack once the badger
// store synced them. The envelopes are signed before the timer starts, so
// the CPU measured is the node's (the parse is the API's own recovery)
// plus the bench's seal watcher (a subscription, as a client's). Reports
// events/s, ack-to-sealed latency in block times (p50, p99), and the
// signature ceiling measured in the same run with the share of it reached
// (actorstest.Ceiling).
func BenchmarkAddEvent(b *testing.B) {
	for _, bc := range []struct{ clients, channels int }{
		{64, 1}, {256, 1}, {256, 16},
	} {
		b.Run(fmt.Sprintf("clients=%d/channels=%d", bc.clients, bc.channels), func(b *testing.B) {
			benchAddEvent(b, bc.clients, bc.channels)
		})
	}
}

func benchAddEvent(b *testing.B, clients, channels int) {
	st, err := store.OpenBadger(b.TempDir(), store.BadgerOptions{})
	require.NoError(b, err)
	n := actorstest.StartNode(b, actorstest.Options{Store: st, BlockTime: benchBlockTime, Config: actors.DefaultConfig()})
	u := actorstest.NewUser(b)
	chans, prevs := n.Channels(b, u, channels)
	seals := n.WatchSeals(b, chans)
	envs := u.Messages(b, chans, prevs, b.N)
	ceiling := actorstest.MeasureCeiling(b, envs)

	b.ResetTimer()
	cpu := actorstest.StartCPU()
	acked := actorstest.RunClients(b, clients, len(envs), func(_, i int) error {
		ev, err := streams.ParseEnvelope(envs[i])
		if err == nil {
			_, err = n.AddEvent(context.Background(), ev)
		}
		return err
	})
	ceiling.Report(b, cpu.Report(b, b.N))
	b.StopTimer()
	seals.ReportLatency(b, envs, acked, benchBlockTime)
}

// BenchmarkCluster measures replicated ingest in one process: k nodes on a
// memchain, connected by actorstest.Hub (no libp2p), memory stores, one
// channel with k replicas, 256 clients posting round-robin at the nodes.
// Every replica checks every event's signature, so it also reports the
// signature-check ceiling measured in the same run: cores × recoveries/s
// ÷ k (ceiling-events/s). k=1 is the same harness on one node.
func BenchmarkCluster(b *testing.B) {
	for _, k := range []int{1, 3} {
		b.Run(fmt.Sprintf("nodes=%d", k), func(b *testing.B) { benchCluster(b, k) })
	}
}

func benchCluster(b *testing.B, k int) {
	c := actorstest.StartCluster(b, k, actorstest.Options{BlockTime: benchBlockTime})
	u := actorstest.NewUser(b)
	a := c.Nodes[0]
	space, evs := u.SpaceGenesisRF(b, uint32(k))
	_, _, err := a.CreateStream(context.Background(), space, evs)
	require.NoError(b, err)
	ch, evs := u.ChannelGenesisRF(b, space, uint32(k))
	_, _, err = a.CreateStream(context.Background(), ch, evs)
	require.NoError(b, err)
	for _, n := range c.Nodes {
		require.Eventually(b, func() bool {
			_, _, err := n.View(context.Background(), ch)
			return err == nil
		}, 10*time.Second, 10*time.Millisecond)
	}
	prev := a.Last(b, ch)
	seals := a.WatchSeals(b, []streams.StreamID{ch})
	envs := u.Messages(b, []streams.StreamID{ch}, []*streams.ParsedMiniblock{prev}, b.N)

	// The ceiling: signature recoveries/s on one core, in this run.
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
			_, err = c.Nodes[i%k].AddEvent(context.Background(), ev)
		}
		return err
	})
	cpu.Report(b, b.N)
	b.StopTimer()
	b.ReportMetric(perCore*float64(runtime.NumCPU())/float64(k), "ceiling-events/s")
	seals.ReportLatency(b, envs, acked, benchBlockTime)
}
