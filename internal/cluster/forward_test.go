package cluster_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/actors/actorstest"
	"github.com/towns-node/node/internal/cluster"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// TestNetworkForwardsAtNonReplica: four nodes, a channel on three. The
// fourth node forwards AddEvent, GetStream and GetMiniblocks to a replica
// and relays the answers: its posts are acked by a majority and sealed,
// its reads are the replicas' stream, and a refusal comes back as it is.
// SyncStreams there is refused NOT_REPLICA, naming the replicas.
func TestNetworkForwardsAtNonReplica(t *testing.T) {
	nw := cluster.New(t, 4, cluster.Options{})
	u := actorstest.NewUser(t)
	ch, reps := nw.Replicated(t, u, 3)
	var outside *cluster.Node
	for _, nd := range nw.Nodes {
		if !slices.Contains(reps, nd) {
			outside = nd
		}
	}
	require.NotNil(t, outside)

	var acked []common.Hash
	var first *streams.ParsedEvent
	for i := range 6 {
		ev := u.Event(t, ch, reps[i%3].Last(t, ch), actorstest.Message(fmt.Sprint("via the outside node ", i)))
		_, held, err := outside.AddEventHeld(ctxT(t), ev)
		require.NoError(t, err, "post %d at the non-replica", i)
		require.GreaterOrEqual(t, held, 2, "post %d acked at a majority", i)
		acked = append(acked, ev.Hash)
		if first == nil {
			first = ev
		}
	}
	require.Equal(t, 6.0, testutil.ToFloat64(outside.Metrics.Forwards.WithLabelValues("ok")))

	cluster.WaitConverged(t, ch, reps, 30*time.Second)
	blocks := cluster.SameBlocks(t, ch, reps)
	checkSealed(t, blocks, acked)

	// Reads at the non-replica are a replica's.
	gs, err := outside.GetStream(ctxT(t), ch)
	require.NoError(t, err)
	var nodes []common.Address
	for _, b := range gs.Nodes {
		nodes = append(nodes, common.BytesToAddress(b))
	}
	for _, r := range reps {
		require.Contains(t, nodes, r.Address())
	}
	require.NotEmpty(t, gs.Miniblocks)
	last := gs.Miniblocks[len(gs.Miniblocks)-1]
	require.Equal(t, blocks[len(blocks)-1].Hash, common.BytesToHash(last.Hash), "GetStream at the non-replica ends at the replicas' last block")

	gm, err := outside.GetMiniblocks(ctxT(t), &pb.GetMiniblocksRequest{StreamId: ch.Bytes()})
	require.NoError(t, err)
	require.Len(t, gm.Miniblocks, len(blocks))
	for i, mb := range gm.Miniblocks {
		require.Equal(t, blocks[i].Hash, common.BytesToHash(mb.Hash), "block %d", i)
	}

	// SyncStreams is not forwarded: the non-replica refuses it, naming
	// the replicas to subscribe at; a replica subscribes.
	_, _, err = outside.SubscribeViews(ctxT(t), []streams.StreamID{ch})
	require.Equal(t, pb.ErrorCode_NOT_REPLICA, streams.CodeOf(err), "%v", err)
	for _, r := range reps {
		require.Contains(t, err.Error(), r.Address().Hex(), "the refusal names replica %s", r)
	}
	sub, views, err := reps[0].SubscribeViews(ctxT(t), []streams.StreamID{ch})
	require.NoError(t, err)
	require.Equal(t, blocks[len(blocks)-1].Hash, views[0].LastBlock().Hash)
	sub.Close()

	// A replica's refusal is relayed with its code.
	_, _, err = outside.AddEventHeld(ctxT(t), first)
	require.Equal(t, pb.ErrorCode_DUPLICATE_EVENT, streams.CodeOf(err), "%v", err)
	require.Equal(t, 1.0, testutil.ToFloat64(outside.Metrics.Forwards.WithLabelValues("refused")))
}
