package cluster_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/actors"
	"github.com/towns-node/node/actors/actorstest"
	"github.com/towns-node/node/internal/cluster"
	"github.com/towns-node/node/p2p/p2ptest"
	"github.com/towns-node/node/store"
	"github.com/towns-node/node/streams"
)

// restartBehind: a 3-replica stream of 5 blocks; one replica is killed,
// the other two seal 20 more; then nothing more is posted. It returns the
// network, the stream, the killed replica and the head it missed. tune,
// if not nil, changes the nodes' config (VoteAt 0 already set).
func restartBehind(t *testing.T, tune func(*actors.Config)) (*cluster.Network, streams.StreamID, *cluster.Node, []*cluster.Node, *streams.ParsedMiniblock) {
	cfg := actors.DefaultConfig()
	cfg.VoteAt = 0
	if tune != nil {
		tune(&cfg)
	}
	nw := cluster.New(t, 3, cluster.Options{Config: cfg, BlockTime: 10 * time.Millisecond})
	u := actorstest.NewUser(t)
	ch, reps := nw.Replicated(t, u, 3)
	build(t, u, ch, reps, 5)
	cluster.WaitConverged(t, ch, reps, 30*time.Second)
	down, live := reps[2], reps[:2]
	nw.Kill(down)
	build(t, u, ch, live, 25)
	cluster.WaitConverged(t, ch, live, 30*time.Second)
	return nw, ch, down, live, live[0].Last(t, ch)
}

// storedHead is the last block of id in nd's store, read without waking
// its stream actor (which would be the traffic this test goes without).
func storedHead(t *testing.T, nd *cluster.Node, id streams.StreamID) store.Miniblock {
	last, err := nd.Store.LastMiniblock(ctxT(t), id[:])
	require.NoError(t, err)
	return last
}

// TestNetworkRestartQuietCatchesUp: a replica restarted behind a stream
// that nobody writes to any more finds, at start, that the chain is past
// its stored head and syncs, with no traffic to wake the stream.
func TestNetworkRestartQuietCatchesUp(t *testing.T) {
	nw, ch, down, _, head := restartBehind(t, nil)
	require.Less(t, storedHead(t, down, ch).Num, head.Num()-8, "far enough behind to sync by ranges")
	nw.Restart(down)
	p2ptest.WaitFor(t, 60*time.Second, "the restarted replica reaches the head", func() bool {
		last := storedHead(t, down, ch)
		return last.Num == head.Num() && common.BytesToHash(last.Hash) == head.Hash
	})
	// The metric follows the write's answer to the actor.
	missed := float64(head.Num() - 5)
	p2ptest.WaitFor(t, 10*time.Second, "the missed blocks counted as synced by ranges", func() bool {
		return testutil.ToFloat64(down.Metrics.Sync.Applied) >= missed-8
	})
	require.Empty(t, down.SyncStatus().Bans)
}

// TestNetworkRestartFromStaging: the blocks a replica had staged when it
// stopped are written from its staging after the restart, not fetched
// again: here its peers refuse it every range, and it asks none.
func TestNetworkRestartFromStaging(t *testing.T) {
	nw, ch, down, live, head := restartBehind(t, nil)
	from := storedHead(t, down, ch).Num + 1
	// What a catch-up cut short by a crash leaves: the missed blocks,
	// accepted and staged, not written.
	for _, mb := range live[0].Blocks(t, ch)[from:] {
		data, err := proto.Marshal(mb.Proto)
		require.NoError(t, err)
		require.NoError(t, down.Store.StageBlock(ctxT(t), store.StagedBlock{
			StreamID: ch[:], Num: mb.Num(), Hash: mb.Hash.Bytes(), Parent: mb.Header.PrevMiniblockHash, Data: data,
		}))
	}
	for _, r := range live {
		r.Drop(func(kind string, from common.Address) bool { return kind == "range" && from == down.Address() })
	}
	nw.Restart(down)
	p2ptest.WaitFor(t, 60*time.Second, "the restarted replica reaches the head from its staging", func() bool {
		last := storedHead(t, down, ch)
		return last.Num == head.Num() && common.BytesToHash(last.Hash) == head.Hash
	})
	p2ptest.WaitFor(t, 10*time.Second, "every missed block counted as written by the sync", func() bool {
		return testutil.ToFloat64(down.Metrics.Sync.Applied) == float64(head.Num()-from+1)
	})
	require.Zero(t, down.Fetches("sync"), "no range asked of a peer")
	staged, err := down.Store.StagedRange(ctxT(t), ch[:], 0, head.Num()+1, 0)
	require.NoError(t, err)
	require.Empty(t, staged, "staging emptied by the writes")
	require.Empty(t, down.SyncStatus().Bans)
}

// TestNetworkSyncStatusOnConnect: a restarted replica whose first status
// requests were refused learns its peers' status when they connect again,
// not at the next periodic ask (an hour here), and syncs.
func TestNetworkSyncStatusOnConnect(t *testing.T) {
	nw, ch, down, live, head := restartBehind(t, func(cfg *actors.Config) {
		cfg.SyncTune = func(c *streams.SyncConfig) { c.StatusEvery, c.NoProgress = time.Hour, time.Hour }
	})

	var refused [2]atomic.Int32
	for i, r := range live {
		r.Drop(func(kind string, from common.Address) bool {
			if kind == "status" && from == down.Address() {
				refused[i].Add(1)
				return true
			}
			return false
		})
	}
	nw.Restart(down)
	p2ptest.WaitFor(t, 30*time.Second, "both peers refused the first status requests", func() bool {
		return refused[0].Load() > 0 && refused[1].Load() > 0
	})
	for _, r := range live {
		r.Drop(nil)
	}
	require.Less(t, storedHead(t, down, ch).Num, head.Num(), "not synced without a status")
	// The peers connect again (as after a network blip).
	for _, r := range live {
		pid := r.Host.Libp2p().ID()
		require.NoError(t, down.Host.Libp2p().Network().ClosePeer(pid))
	}
	for _, r := range live {
		require.NoError(t, down.Host.Connect(ctxT(t), r.Address()))
	}
	p2ptest.WaitFor(t, 60*time.Second, "the restarted replica reaches the head", func() bool {
		last := storedHead(t, down, ch)
		return last.Num == head.Num() && common.BytesToHash(last.Hash) == head.Hash
	})
	require.Empty(t, down.SyncStatus().Bans)
}

// TestNetworkLiveGapBackToSync: a live replica that hears no block and can
// fetch none falls behind, leaves live production for sync mode (the path
// back from live to sync), and once its peers serve it again syncs by
// ranges and goes live at the head.
func TestNetworkLiveGapBackToSync(t *testing.T) {
	cfg := actors.DefaultConfig()
	cfg.VoteAt = 0
	nw := cluster.New(t, 3, cluster.Options{Config: cfg, BlockTime: 10 * time.Millisecond})
	u := actorstest.NewUser(t)
	ch, reps := nw.Replicated(t, u, 3)
	build(t, u, ch, reps, 3)
	cluster.WaitConverged(t, ch, reps, 30*time.Second)
	deaf, live := reps[2], reps[:2]
	deaf.Drop(func(kind string, _ common.Address) bool { return kind == "block" })
	for _, r := range live {
		r.Drop(func(kind string, from common.Address) bool { return kind == "range" && from == deaf.Address() })
	}
	build(t, u, ch, live, 25)
	p2ptest.WaitFor(t, 60*time.Second, "the deaf replica goes back to sync", func() bool {
		return testutil.ToFloat64(deaf.Metrics.Sync.Syncing) == 1
	})
	for _, r := range reps {
		r.Drop(nil)
	}
	head := live[0].Last(t, ch)
	p2ptest.WaitFor(t, 60*time.Second, "the deaf replica syncs to the head and goes live", func() bool {
		last := storedHead(t, deaf, ch)
		return last.Num >= head.Num() && testutil.ToFloat64(deaf.Metrics.Sync.Syncing) == 0
	})
	require.Positive(t, testutil.ToFloat64(deaf.Metrics.Sync.Applied), "caught up by range sync")
	// Live again: it takes part in the next block.
	build(t, u, ch, reps, live[0].Last(t, ch).Num()+1)
	cluster.WaitConverged(t, ch, reps, 30*time.Second)
	require.Empty(t, deaf.SyncStatus().Bans)
}
