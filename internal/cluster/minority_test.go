package cluster_test

import (
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/actors/actorstest"
	"github.com/towns-node/node/chainlink"
	"github.com/towns-node/node/internal/cluster"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// TestNetworkMinorityBlockRejected: the replica elected for the next
// height is replaced by a bare host on its key. It seals an event that
// only its own vote holds (a minority of three), registers the block on
// chain, as only the elected leader can, and sends it to the other two.
// They check the votes the block carries, reject it BAD_VOTES, never
// apply it, and keep going: another channel on the same three nodes keeps
// acking and sealing.
//
// The chain checks who registers, not what the block holds, so the stream
// itself cannot move past the registered block (docs/protocol.md, "A
// lying leader"): the honest replicas only refuse to follow it.
func TestNetworkMinorityBlockRejected(t *testing.T) {
	const R = 4
	nw := cluster.New(t, 3, cluster.Options{RoundBlocks: R})
	u := actorstest.NewUser(t)
	a := nw.Nodes[0]
	space, evs := u.SpaceGenesisRF(t, 3)
	_, _, err := a.CreateStream(ctxT(t), space, evs)
	require.NoError(t, err)
	ch, reps := nw.Channel(t, a, u, space, 3)
	other, _ := nw.Channel(t, a, u, space, 3)
	acked := post(t, u, ch, reps, 0, 3)
	cluster.WaitConverged(t, ch, reps, 30*time.Second)
	checkSealed(t, cluster.SameBlocks(t, ch, reps), acked)

	// The next height of ch, as the chain has it; the liar is the replica
	// elected for its first round that another would not take first.
	cl := nw.Chain.Client(reps[0].Address())
	t.Cleanup(func() { _ = cl.Close() })
	rec, err := cl.Stream(ctxT(t), ch)
	require.NoError(t, err)
	last := reps[0].Last(t, ch)
	num := last.Num() + 1
	var liar *cluster.Node
	var round uint32
	for r := uint32(0); liar == nil; r++ {
		require.Less(t, r, uint32(64))
		liar, round = nw.Node(streams.ElectLeader(rec.Randao, ch, num, r, rec.Nodes)), r
	}
	var honest []*cluster.Node
	for _, n := range reps {
		if n != liar {
			honest = append(honest, n)
		}
	}
	bad := nw.Bare(liar)
	for _, n := range honest {
		require.NoError(t, bad.Connect(ctxT(t), n.Address()))
	}

	// The block: one new event, held by the liar's vote alone. Propose
	// refuses to seal what a minority holds, so the liar proposes it as
	// if it were the only replica; the header names the real round and
	// randao, so the election and the registration check out.
	v, _, err := honest[0].View(ctxT(t), ch)
	require.NoError(t, err)
	require.Equal(t, last.Hash, v.LastBlock().Hash)
	ev := u.Event(t, ch, last, actorstest.Message("held by the liar alone"))
	forged, err := v.AddEvent(ev).Propose(streams.DefaultConfig(), streams.Proposal{
		Key: liar.Key, Replicas: []common.Address{liar.Address()},
		ChainBlock: rec.LastRegisteredAt, Randao: rec.Randao, Round: round, Now: time.Now(),
	})
	require.NoError(t, err)
	require.Len(t, forged.Events, 1)
	require.Len(t, forged.Proto.Votes, 1, "one vote of three")
	for _, n := range honest {
		_ = bad.Deliver(ctxT(t), n.Address(), blockMsg(forged.Proto))
	}
	lcl := nw.Chain.Client(liar.Address())
	t.Cleanup(func() { _ = lcl.Close() })
	require.Eventually(t, func() bool {
		res, err := lcl.RegisterMiniblocks(ctxT(t), []chainlink.Registration{{
			StreamID: ch, PrevNum: last.Num(), PrevHash: last.Hash, Hash: forged.Hash, Round: round,
		}})
		return err == nil && len(res) == 1 && res[0].OK
	}, 30*time.Second, 50*time.Millisecond, "the elected liar registers its block (round %d)", round)

	for _, n := range honest {
		require.Eventually(t, func() bool {
			return testutil.ToFloat64(n.Metrics.BlocksRejected.WithLabelValues(pb.ErrorCode_BAD_VOTES.String())) > 0
		}, 30*time.Second, 10*time.Millisecond, "%s rejects the block BAD_VOTES", n)
	}

	// Keeps going: another channel on the same nodes acks and seals.
	acked2 := post(t, u, other, honest, 0, 4)
	cluster.WaitConverged(t, other, honest, 30*time.Second)
	checkSealed(t, cluster.SameBlocks(t, other, honest), acked2)
	// And never applied the forged block: ch still ends at its parent.
	for _, n := range honest {
		blocks := n.Blocks(t, ch)
		require.Equal(t, last.Hash, blocks[len(blocks)-1].Hash, "%s ends at the forged block's parent", n)
		for _, mb := range blocks {
			require.NotEqual(t, forged.Hash, mb.Hash, "%s applied the forged block", n)
		}
	}
}
