package cluster_test

import (
	"context"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/actors/actorstest"
	"github.com/towns-node/node/internal/cluster"
)

// TestNetworkReplicaLearnsFromChain: a replica that misses the creator's
// wake-up learns of the new stream from the chain's allocation log and
// adopts it (the genesis fetched from a peer, checked against the chain).
func TestNetworkReplicaLearnsFromChain(t *testing.T) {
	nw := cluster.New(t, 3, cluster.Options{})
	u := actorstest.NewUser(t)
	a, deaf := nw.Nodes[0], nw.Nodes[2]
	deaf.Drop(func(kind string, _ common.Address) bool { return kind == "status" })
	space, evs := u.SpaceGenesisRF(t, 3)
	genesis, nodes, err := a.CreateStream(ctxT(t), space, evs)
	require.NoError(t, err)
	require.Contains(t, nodes, deaf.Address())
	// Nothing is posted and nobody reads at the deaf node: only the chain
	// tells it.
	require.Eventually(t, func() bool {
		rec, err := deaf.Store.StreamRecord(context.Background(), space[:])
		return err == nil && common.BytesToHash(rec.GenesisHash) == genesis.Hash
	}, 20*time.Second, 20*time.Millisecond, "the deaf replica adopts the stream")
	blocks := deaf.Blocks(t, space)
	require.Len(t, blocks, 1)
	require.Equal(t, genesis.Hash, blocks[0].Hash)
}
