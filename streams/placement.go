package streams

import (
	"bytes"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// PlaceReplicas picks the k replicas of stream id among the active nodes by
// rendezvous (highest random weight) hashing: each node scores
// keccak256("TOWNS/PLACE/v1" || id || node), and the k highest scores win,
// in score order (the first is the node that scores highest). Every node
// computes the same set from the same registry; adding or removing a node
// moves only the streams whose set it enters or leaves. Duplicates in nodes
// count once. It returns nil when there are fewer than k distinct nodes or
// k <= 0: the chain refuses such a placement.
func PlaceReplicas(id StreamID, nodes []common.Address, k int) []common.Address {
	type scored struct {
		node  common.Address
		score common.Hash
	}
	var cand []scored
	seen := make(map[common.Address]bool, len(nodes))
	buf := make([]byte, 0, len(placeDomain)+StreamIDLen+common.AddressLength)
	for _, n := range nodes {
		if seen[n] {
			continue
		}
		seen[n] = true
		buf = append(append(append(buf[:0], placeDomain...), id[:]...), n[:]...)
		cand = append(cand, scored{n, crypto.Keccak256Hash(buf)})
	}
	if k <= 0 || len(cand) < k {
		return nil
	}
	slices.SortFunc(cand, func(a, b scored) int {
		if c := bytes.Compare(b.score[:], a.score[:]); c != 0 {
			return c
		}
		return bytes.Compare(a.node[:], b.node[:])
	})
	out := make([]common.Address, k)
	for i := range out {
		out[i] = cand[i].node
	}
	return out
}

const placeDomain = "TOWNS/PLACE/v1"
