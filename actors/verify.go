package actors

import (
	"context"

	"github.com/towns-node/node/streams"
)

// chainFacts reads what the chain says about miniblock num of the stream:
// the registration of num-1 (hash, block, that block's randao), the
// registration of num if any, R and the head. The randao comes through the
// node's shared cache.
func (s *streamActor) chainFacts(ctx context.Context, num int64) (streams.ChainFacts, error) {
	c := s.n.chain
	var f streams.ChainFacts
	var err error
	if f.PrevHash, f.PrevBlock, err = c.MiniblockHash(ctx, s.id, num-1); err != nil {
		return f, err
	}
	if f.PrevRandao, err = s.n.randao.get(ctx, c, f.PrevBlock); err != nil {
		return f, err
	}
	if h, at, err := c.MiniblockHash(ctx, s.id, num); err == nil {
		f.Hash, f.RegisteredAt = h, at
	}
	head, err := c.Head(ctx)
	if err != nil {
		return f, err
	}
	f.HeadNumber, f.HeadTime, f.RoundBlocks = head.Number, head.Time, c.RoundBlocks()
	return f, nil
}

// verifyOnChain checks a block against its parent view and the chain
// (streams.VerifyMiniblockChain) before it is applied.
func (s *streamActor) verifyOnChain(ctx context.Context, mb *streams.ParsedMiniblock) error {
	f, err := s.chainFacts(ctx, mb.Header.MiniblockNum)
	if err != nil {
		return err
	}
	return streams.VerifyMiniblockChain(s.v, s.n.cfg.Streams, s.replicas, mb, f)
}
