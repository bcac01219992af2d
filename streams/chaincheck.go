package streams

import (
	"math"

	"github.com/ethereum/go-ethereum/common"

	"github.com/towns-node/node/proto/pb"
)

// ChainFacts is what the chain says about miniblock n of a stream, read by
// the caller (the chain is I/O, this package does none). A replica checks a
// header's election fields against these, never against the header's word.
type ChainFacts struct {
	// PrevHash is the hash the chain registered for miniblock n-1.
	PrevHash common.Hash
	// PrevBlock is the chain block that registered n-1 (the allocation
	// block for n = 1) and PrevRandao its prevrandao: the seed the chain
	// elects n's leader from (chainlink StreamRecord.Randao).
	PrevBlock  uint64
	PrevRandao common.Hash
	// Hash and RegisteredAt are the hash the chain registered for n and the
	// chain block that did; both zero while n is not registered (a proposal
	// under vote), when the round is checked against the next block.
	Hash         common.Hash
	RegisteredAt uint64
	// RoundBlocks is the chain's R (chainlink Chain.RoundBlocks).
	RoundBlocks uint64
	// HeadNumber and HeadTime (unix seconds) are the chain head the replica
	// has seen.
	HeadNumber uint64
	HeadTime   uint64
}

// VerifyMiniblockChain is VerifyMiniblock with the election checked against
// the chain: the header's chain block must be the one that registered n-1
// (BAD_CHAIN_BLOCK), its randao that block's prevrandao (BAD_RANDAO), its
// round one the chain allowed at the block that registered n, or at the
// next block for an unregistered n (BAD_ROUND); its parent must be the hash
// the chain registered for n-1 and, once n is registered, the block must be
// the one registered (NOT_REGISTERED); its timestamp no later than the
// chain head's time plus cfg.MaxClockSkew (TIMESTAMP_IN_FUTURE). Then
// VerifyMiniblock: leader elected from that randao, signature, link,
// strictly increasing timestamp, votes, events, snapshot.
func VerifyMiniblockChain(parent *View, cfg Config, replicas []common.Address, mb *ParsedMiniblock, f ChainFacts) error {
	if err := CheckChainFacts(cfg, mb.Header, mb.Hash, f); err != nil {
		return err
	}
	return VerifyMiniblock(parent, cfg, replicas, mb)
}

// CheckChainFacts makes the chain checks of VerifyMiniblockChain on a
// header alone.
func CheckChainFacts(cfg Config, h *pb.MiniblockHeader, hash common.Hash, f ChainFacts) error {
	num := h.GetMiniblockNum()
	if common.BytesToHash(h.GetPrevMiniblockHash()) != f.PrevHash || len(h.GetPrevMiniblockHash()) != common.HashLength {
		return Errorf(pb.ErrorCode_NOT_REGISTERED, "miniblock %d links to %x, the chain registered %s for %d", num, h.GetPrevMiniblockHash(), f.PrevHash, num-1)
	}
	if f.RegisteredAt != 0 && hash != f.Hash {
		return Errorf(pb.ErrorCode_NOT_REGISTERED, "miniblock %d is %s, the chain registered %s", num, hash, f.Hash)
	}
	if h.GetChainBlockNum() != f.PrevBlock {
		return Errorf(pb.ErrorCode_BAD_CHAIN_BLOCK, "miniblock %d names chain block %d, miniblock %d was registered at %d", num, h.GetChainBlockNum(), num-1, f.PrevBlock)
	}
	if len(h.GetRandao()) != common.HashLength || common.Hash(h.GetRandao()) != f.PrevRandao {
		return Errorf(pb.ErrorCode_BAD_RANDAO, "miniblock %d names randao %x, chain block %d has %s", num, h.GetRandao(), f.PrevBlock, f.PrevRandao)
	}
	at := f.RegisteredAt
	if at == 0 {
		at = f.HeadNumber + 1
	}
	if allowed := RoundAt(f.PrevBlock, at, f.RoundBlocks); f.RoundBlocks == 0 || h.GetRound() > allowed {
		return Errorf(pb.ErrorCode_BAD_ROUND, "miniblock %d claims round %d, chain block %d allows %d (R %d)", num, h.GetRound(), at, allowed, f.RoundBlocks)
	}
	if limit := maxBlockTimeMs(f.HeadTime, cfg); h.GetTimestampMs() > limit {
		return Errorf(pb.ErrorCode_TIMESTAMP_IN_FUTURE, "miniblock %d at %d ms, chain head time %d s allows up to %d ms", num, h.GetTimestampMs(), f.HeadTime, limit)
	}
	return nil
}

// maxBlockTimeMs is headTime (s) + skew in ms, saturating at MaxInt64.
func maxBlockTimeMs(headTime uint64, cfg Config) int64 {
	skew := max(cfg.MaxClockSkew.Milliseconds(), 0)
	if headTime > uint64(math.MaxInt64-skew)/1000 {
		return math.MaxInt64
	}
	return int64(headTime)*1000 + skew
}

// addSat is a + b for b >= 0, saturating at MaxInt64.
func addSat(a, b int64) int64 {
	if b > 0 && a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}
