package cluster_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/actors/actorstest"
	"github.com/towns-node/node/internal/cluster"
)

// TestNetworkDebugView: a replica's /debug/actors/{stream} view names the
// stream's replicas, those in its gossip topic, and where its last block
// came from.
func TestNetworkDebugView(t *testing.T) {
	nw := cluster.New(t, 3, cluster.Options{})
	u := actorstest.NewUser(t)
	ch, reps := nw.Replicated(t, u, 3)
	post(t, u, ch, reps, 0, 3)
	cluster.WaitConverged(t, ch, reps, 30*time.Second)
	for _, r := range reps {
		require.Eventually(t, func() bool {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			info, err := r.Actor(ctx, ch.String())
			if err != nil || len(info.Replicas) != 3 || info.LastBlockFrom == "" {
				return false
			}
			for _, a := range info.InTopic {
				if a == r.Address().Hex() {
					return false // itself is never "in the topic"
				}
			}
			return len(info.InTopic) == 2
		}, 20*time.Second, 20*time.Millisecond, "debug view of %s", r)
	}
}
