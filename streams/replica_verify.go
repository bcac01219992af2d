package streams

import (
	"github.com/ethereum/go-ethereum/common"

	"github.com/towns-node/node/proto/pb"
)

// BlockVerifier checks block mb against its parent view, the replica set
// and the chain's facts (chaincheck.go). A Replica applies no block it has
// not passed.
type BlockVerifier func(parent *View, cfg Config, replicas []common.Address, mb *ParsedMiniblock, facts ChainFacts) error

var _ BlockVerifier = VerifyWithChain

// VerifyWithChain is the default BlockVerifier: VerifyMiniblockChain, or,
// with a nil parent, the chain checks alone (CheckChainFacts: a replica's
// own proposal; see Replica.verifyBlock).
func VerifyWithChain(parent *View, cfg Config, replicas []common.Address, mb *ParsedMiniblock, facts ChainFacts) error {
	if mb == nil || mb.Header == nil {
		return Errorf(pb.ErrorCode_BAD_MINIBLOCK, "nil miniblock")
	}
	if parent == nil {
		return CheckChainFacts(cfg, mb.Header, mb.Hash, facts)
	}
	return VerifyMiniblockChain(parent, cfg, replicas, mb, facts)
}
