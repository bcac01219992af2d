package streams

import (
	"encoding/binary"
	"slices"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/proto/pb"
)

func placementNodes(n int) []common.Address {
	out := make([]common.Address, n)
	for i := range out {
		out[i] = common.BytesToAddress(crypto.Keccak256(binary.BigEndian.AppendUint64([]byte("node"), uint64(i))))
	}
	return out
}

func placementIDs(n int) []StreamID {
	out := make([]StreamID, n)
	for i := range out {
		var r [31]byte
		copy(r[:], crypto.Keccak256(binary.BigEndian.AppendUint64([]byte("stream"), uint64(i))))
		out[i] = NewStreamID(pb.StreamType_STREAM_TYPE_CHANNEL, r)
	}
	return out
}

func TestPlaceReplicas(t *testing.T) {
	nodes := placementNodes(10)
	id := placementIDs(1)[0]

	t.Run("distinct, k of them, deterministic, order-free", func(t *testing.T) {
		got := PlaceReplicas(id, nodes, 3)
		require.Len(t, got, 3)
		require.NotEqual(t, got[0], got[1])
		require.NotEqual(t, got[1], got[2])
		require.NotEqual(t, got[0], got[2])
		for _, a := range got {
			require.Contains(t, nodes, a)
		}
		rev := make([]common.Address, len(nodes))
		for i, a := range nodes {
			rev[len(nodes)-1-i] = a
		}
		require.Equal(t, got, PlaceReplicas(id, rev, 3), "the input order does not matter")
		require.Equal(t, got[:1], PlaceReplicas(id, nodes, 1), "k=1 is the top of k=3")
	})
	t.Run("too few nodes", func(t *testing.T) {
		require.Nil(t, PlaceReplicas(id, nodes[:2], 3))
		require.Nil(t, PlaceReplicas(id, []common.Address{nodes[0], nodes[0], nodes[1]}, 3), "duplicates count once")
		require.Nil(t, PlaceReplicas(id, nodes, 0))
		require.Nil(t, PlaceReplicas(id, nil, 1))
	})
}

// Over 10,000 stream ids and 10 nodes, each node holds about a tenth of the
// replicas; an 11th node takes about 1/11 of them and moves nothing else.
func TestPlaceReplicasSpread(t *testing.T) {
	const streamsN, nodesN, k = 10_000, 10, 3
	nodes := placementNodes(nodesN + 1)
	ids := placementIDs(streamsN)
	count := map[common.Address]int{}
	before := make([][]common.Address, streamsN)
	for i, id := range ids {
		before[i] = PlaceReplicas(id, nodes[:nodesN], k)
		for _, a := range before[i] {
			count[a]++
		}
	}
	want := streamsN * k / nodesN // 3,000
	for _, a := range nodes[:nodesN] {
		// Binomial(10,000, 0.3): sd ~46; 5% is over six of them.
		require.InDelta(t, want, count[a], float64(want)/20, "node %s holds %d replicas", a, count[a])
	}

	moved, gained := 0, 0
	for i, id := range ids {
		after := PlaceReplicas(id, nodes, k)
		diff := 0
		for _, a := range after {
			if !slices.Contains(before[i], a) {
				diff++
				require.Equal(t, nodes[nodesN], a, "stream %d moved to an old node", i)
			}
		}
		require.LessOrEqual(t, diff, 1)
		moved += diff
		if slices.Contains(after, nodes[nodesN]) {
			gained++
		}
	}
	require.Equal(t, moved, gained)
	wantMoved := streamsN * k / (nodesN + 1) // ~2,727
	require.InDelta(t, wantMoved, moved, float64(wantMoved)/10, "replicas moved to the new node")
}
