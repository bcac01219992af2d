package streams

import (
	"github.com/ethereum/go-ethereum/common"

	"github.com/towns-node/node/proto/pb"
)

// ChainFacts are what the chain says about block n of a stream, as the
// replica learned them from the chain (never from the block itself).
type ChainFacts struct {
	Hash         common.Hash // registered hash of block n
	RegisteredAt uint64      // chain block that registered n
	// PrevRegisteredAt is the chain block that registered n-1 (the
	// creation block for n = 1); PrevRandao is its prevrandao, which
	// elects the leader of n.
	PrevRegisteredAt uint64
	PrevRandao       common.Hash
	RoundBlocks      uint64 // R
}

// BlockVerifier checks block mb against its parent view, the replica set
// and the chain's facts. A Replica applies no block it has not passed.
type BlockVerifier func(parent *View, cfg Config, replicas []common.Address, mb *ParsedMiniblock, facts ChainFacts) error

var _ BlockVerifier = VerifyWithChain

// VerifyWithChain is the default BlockVerifier: the header against the
// chain facts: the registered hash (BAD_MINIBLOCK), the
// randao and chain block that elect the leader (BAD_LEADER), and a round
// that had begun when the block was registered (BAD_LEADER); then
// VerifyMiniblock against parent (skipped when parent is nil).
func VerifyWithChain(parent *View, cfg Config, replicas []common.Address, mb *ParsedMiniblock, facts ChainFacts) error {
	if mb == nil || mb.Header == nil {
		return Errorf(pb.ErrorCode_BAD_MINIBLOCK, "nil miniblock")
	}
	h := mb.Header
	num := h.MiniblockNum
	if mb.Hash != facts.Hash {
		return Errorf(pb.ErrorCode_BAD_MINIBLOCK, "miniblock %d is %s, the chain registered %s", num, mb.Hash, facts.Hash)
	}
	if common.BytesToHash(h.Randao) != facts.PrevRandao || h.ChainBlockNum != facts.PrevRegisteredAt {
		return Errorf(pb.ErrorCode_BAD_LEADER, "miniblock %d elected at chain block %d, the chain says %d", num, h.ChainBlockNum, facts.PrevRegisteredAt)
	}
	if r := RoundAt(facts.PrevRegisteredAt, facts.RegisteredAt, facts.RoundBlocks); h.Round > r {
		return Errorf(pb.ErrorCode_BAD_LEADER, "miniblock %d in round %d, registered in round %d", num, h.Round, r)
	}
	if parent == nil {
		return nil // the chain facts only (a replica's own proposal; see Replica.verifyBlock)
	}
	return VerifyMiniblock(parent, cfg, replicas, mb)
}
