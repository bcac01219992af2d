package actors_test

import (
	"context"
	"fmt"
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
// store synced them. Reports events/s and ack-to-sealed latency in block
// times (p50, p99).
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

	b.ResetTimer()
	cpu := actorstest.StartCPU()
	acked := actorstest.RunClients(b, clients, len(envs), func(_, i int) error {
		ev, err := streams.ParseEnvelope(envs[i])
		if err == nil {
			_, err = n.AddEvent(context.Background(), ev)
		}
		return err
	})
	cpu.Report(b, b.N)
	b.StopTimer()
	seals.ReportLatency(b, envs, acked, benchBlockTime)
}
