package actors

import (
	"context"
	"runtime"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/towns-node/node/p2p"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// Push-block and validate-block (p2p.BlockHandler): a peer pushes a sealed
// block, which goes to the stream actor as a gossiped one would and is
// relayed on the stream's topic once applied; or asks whether a proposed
// block would pass here, answered from the stream's view and the chain on
// the request's own goroutine (never the actor's), at most validateSlots
// at once: past that the answer is BUSY at once.

var _ p2p.BlockHandler = (*Node)(nil)

// validateSlots is how many validations run at once.
func validateSlots() int { return max(2, runtime.GOMAXPROCS(0)) }

// pushedTTL bounds how long a pushed block waits to be applied and relayed.
const pushedTTL = time.Minute

// PushBlock takes a block a peer pushed; it answers once the block is
// handed to the stream (verification and apply follow, as for gossip).
func (n *Node) PushBlock(_ context.Context, from common.Address, id streams.StreamID, mb *streams.ParsedMiniblock) *pb.PushBlockResponse {
	if n.stopping.Load() {
		return &pb.PushBlockResponse{Error: &pb.Error{Code: pb.ErrorCode_UNAVAILABLE, Message: "node stopping"}}
	}
	n.syncs().notePushed(mb.Hash, n.now())
	n.toStream(id, &blockMsg{from: from, mb: mb})
	return &pb.PushBlockResponse{}
}

// ValidateBlock checks a proposed block against the stream's last applied
// block here and the chain: election (randao and round of the chain block
// that registered the parent), leader signature, link, votes, events and
// snapshot. BUSY when validateSlots validations are running.
func (n *Node) ValidateBlock(ctx context.Context, _ common.Address, id streams.StreamID, mb *streams.ParsedMiniblock) *pb.ValidateBlockResponse {
	sh := n.syncs()
	select {
	case sh.validating <- struct{}{}:
		defer func() { <-sh.validating }()
	default:
		n.m.Sync.Validations.WithLabelValues(pb.ErrorCode_BUSY.String()).Inc()
		return &pb.ValidateBlockResponse{Error: &pb.Error{Code: pb.ErrorCode_BUSY, Message: "validating as many blocks as this node will at once; retry later"}}
	}
	err := n.validate(ctx, id, mb)
	n.m.Sync.Validations.WithLabelValues(streams.CodeOf(err).String()).Inc()
	if err != nil {
		return &pb.ValidateBlockResponse{Error: errProto(err)}
	}
	return &pb.ValidateBlockResponse{}
}

func (n *Node) validate(ctx context.Context, id streams.StreamID, mb *streams.ParsedMiniblock) error {
	v, replicas, err := n.View(ctx, id)
	if err != nil {
		return err
	}
	num := mb.Num()
	if num != v.Generation() {
		return streams.Errorf(pb.ErrorCode_BAD_MINIBLOCK_NUM, "block %d proposed, this node's next block is %d", num, v.Generation())
	}
	prevHash, prevAt, err := n.chain.MiniblockHash(ctx, id, num-1)
	if err != nil {
		return streams.Errorf(pb.ErrorCode_UNAVAILABLE, "chain: registration of %d: %v", num-1, err)
	}
	if prevHash != v.LastBlock().Hash {
		return streams.Errorf(pb.ErrorCode_UNAVAILABLE, "this node is not at the chain's block %d yet", num-1)
	}
	randao, err := n.randao.get(ctx, n.chain, prevAt)
	if err != nil {
		return streams.Errorf(pb.ErrorCode_UNAVAILABLE, "chain: randao of block %d: %v", prevAt, err)
	}
	head, err := n.chain.Head(ctx)
	if err != nil {
		return streams.Errorf(pb.ErrorCode_UNAVAILABLE, "chain head: %v", err)
	}
	facts := streams.ChainFacts{
		PrevHash: prevHash, PrevBlock: prevAt, PrevRandao: randao,
		RoundBlocks: n.cfg.RoundBlocks, HeadNumber: head.Number, HeadTime: head.Time,
	}
	return streams.VerifyMiniblockChain(v, n.cfg.Streams, replicas, mb, facts)
}

// notePushed remembers a pushed block until it is applied (then relayed).
func (sh *syncShared) notePushed(h common.Hash, now time.Time) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	for k, t := range sh.pushed {
		if now.Sub(t) > pushedTTL {
			delete(sh.pushed, k)
		}
	}
	if len(sh.pushed) < maxPushed {
		sh.pushed[h] = now
	}
}

// maxPushed bounds the pushed blocks remembered for relay.
const maxPushed = 4096

// takePushed reports whether h was pushed, forgetting it.
func (sh *syncShared) takePushed(h common.Hash) bool {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	_, ok := sh.pushed[h]
	delete(sh.pushed, h)
	return ok
}

// relayPushed gossips a block a peer pushed, once this node applied it.
func (s *streamActor) relayPushed(mb *streams.ParsedMiniblock) {
	if !s.n.syncs().takePushed(mb.Hash) {
		return
	}
	net, id, msg := s.n.net, s.id, &pb.NewMiniblock{Miniblock: mb.Proto}
	s.n.goIO(func() {
		ctx, cancel := s.n.ioCtx()
		defer cancel()
		if err := net.PublishMiniblock(ctx, id, msg); err != nil {
			s.log.Debug("relaying a pushed block", "num", mb.Num(), "err", err)
		}
	})
}
