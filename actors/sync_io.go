package actors

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/store"
	"github.com/towns-node/node/streams"
)

// The I/O of sync mode (sync.go): parsing and staging a range a peer
// served, and processing staged blocks in height order. Each runs on an I/O
// goroutine of the node, never on the actor.

// parseRange parses the blocks a peer served for [from, to), in parallel
// across cores (signature recovery dominates), and keeps the prefix that
// is numbered from, from+1, ... of stream id and links block to block. bad
// is set when a block does not parse, is of another stream or does not link:
// the peer served something no honest replica holds.
func parseRange(raw []*pb.Miniblock, id streams.StreamID, from, to int64) (out []*streams.ParsedMiniblock, bad error) {
	if int64(len(raw)) > to-from {
		raw = raw[:to-from]
	}
	parsed := make([]*streams.ParsedMiniblock, len(raw))
	errs := make([]error, len(raw))
	workers := min(runtime.GOMAXPROCS(0), len(raw))
	var wg sync.WaitGroup
	next := make(chan int, len(raw))
	for i := range raw {
		next <- i
	}
	close(next)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				parsed[i], errs[i] = streams.ParseMiniblock(raw[i])
			}
		}()
	}
	wg.Wait()
	for i, mb := range parsed {
		num := from + int64(i)
		switch {
		case errs[i] != nil:
			return out, fmt.Errorf("block %d: %w", num, errs[i])
		case streams.StreamID(common.BytesToHash(mb.Header.StreamId)) != id:
			return out, streams.Errorf(pb.ErrorCode_BAD_STREAM_ID, "block %d is of stream %x", num, mb.Header.StreamId)
		case mb.Num() != num:
			return out, streams.Errorf(pb.ErrorCode_BAD_MINIBLOCK_NUM, "asked for block %d, got %d", num, mb.Num())
		case i > 0 && common.BytesToHash(mb.Header.PrevMiniblockHash) != parsed[i-1].Hash:
			return out, streams.Errorf(pb.ErrorCode_BAD_MINIBLOCK_NUM, "block %d does not link to block %d", num, num-1)
		}
		out = append(out, mb)
	}
	return out, nil
}

// stageBlocks keeps fetched blocks in staging until they are processed.
func (s *streamActor) stageBlocks(ctx context.Context, blocks []*streams.ParsedMiniblock) error {
	for _, mb := range blocks {
		err := s.n.store.StageBlock(ctx, store.StagedBlock{
			StreamID: s.id.Bytes(),
			Num:      mb.Num(),
			Hash:     mb.Hash.Bytes(),
			Parent:   mb.Header.PrevMiniblockHash,
			Data:     mustMarshal(mb.Proto),
		})
		if err != nil {
			return fmt.Errorf("staging block %d: %w", mb.Num(), err)
		}
	}
	return nil
}

// process applies staged blocks in height order from view v: each is the
// store's next processable block (its parent is the last written one),
// verified against v and the chain's registration of it and its parent,
// then written. A block that fails is orphaned in staging and reported, so
// the peer that served it is banned. Parsed copies come from cache when
// the actor holds them (their signatures were recovered once, at fetch).
func (s *streamActor) process(ctx context.Context, v *streams.View, replicas []common.Address, cache map[common.Hash]*streams.ParsedMiniblock) syncProcessed {
	out := syncProcessed{v: v}
	id, n := s.id, s.n
	verify := n.replicaConfig().Verify
	if verify == nil {
		verify = streams.VerifyWithChain
	}
	head, err := n.chain.Head(ctx)
	if err != nil {
		out.err = fmt.Errorf("chain head: %w", err)
		return out
	}
	var prevAt uint64
	havePrev := false
	for range syncProcessBatch {
		if ctx.Err() != nil {
			break
		}
		sb, err := n.store.NextProcessable(ctx, id[:])
		if errors.Is(err, store.ErrNotFound) {
			break
		}
		if err != nil {
			out.err = fmt.Errorf("next processable: %w", err)
			break
		}
		hash := common.BytesToHash(sb.Hash)
		mb := cache[hash]
		if mb == nil {
			if mb, err = decodeStored(store.Miniblock{Num: sb.Num, Hash: sb.Hash, Data: sb.Data}); err != nil {
				s.orphan(ctx, &out, hash, err)
				break
			}
		}
		num := mb.Num()
		if !havePrev {
			if _, prevAt, err = n.chain.MiniblockHash(ctx, id, num-1); err != nil {
				out.err = fmt.Errorf("registration of %d: %w", num-1, err)
				break
			}
			havePrev = true
		}
		regHash, at, err := n.chain.MiniblockHash(ctx, id, num)
		if err != nil {
			out.err = fmt.Errorf("registration of %d: %w", num, err)
			break
		}
		randao, err := n.randao.get(ctx, n.chain, prevAt)
		if err != nil {
			out.err = fmt.Errorf("randao of chain block %d: %w", prevAt, err)
			break
		}
		facts := streams.ChainFacts{
			PrevHash: v.LastBlock().Hash, PrevBlock: prevAt, PrevRandao: randao,
			Hash: regHash, RegisteredAt: at, RoundBlocks: n.cfg.RoundBlocks,
			HeadNumber: head.Number, HeadTime: head.Time,
		}
		if err := verify(v, n.cfg.Streams, replicas, mb, facts); err != nil {
			s.orphan(ctx, &out, hash, err)
			break
		}
		nv, _, err := v.Apply(mb)
		if err != nil {
			s.orphan(ctx, &out, hash, err)
			break
		}
		enc, err := encodeBlock(mb, syncIncluded(mb))
		if err == nil {
			err = n.store.WriteMiniblock(ctx, id[:], enc)
		}
		if err != nil {
			out.err = fmt.Errorf("writing block %d: %w", num, err)
			break
		}
		v, prevAt = nv, at
		out.v = v
		out.applied++
	}
	return out
}

func (s *streamActor) orphan(ctx context.Context, out *syncProcessed, hash common.Hash, err error) {
	out.bad, out.badHash = err, hash
	if merr := s.n.store.MarkStaged(ctx, s.id[:], hash[:], false, true); merr != nil && !errors.Is(merr, store.ErrNotFound) {
		s.log.Warn("orphaning a staged block", "hash", hash, "err", merr)
	}
}

// syncIncluded lists what leaves the stored minipool with a synced block:
// its events and the rejects it lists.
func syncIncluded(mb *streams.ParsedMiniblock) [][]byte {
	out := make([][]byte, 0, len(mb.Events)+len(mb.Header.RejectedEventHashes))
	for _, ev := range mb.Events {
		out = append(out, ev.Hash.Bytes())
	}
	return append(out, mb.Header.RejectedEventHashes...)
}

// decodeStoredProto is decodeStored without the parse: the block as stored,
// snapshot put back, for serving to a peer that verifies it itself.
func decodeStoredProto(b store.Miniblock) (*pb.Miniblock, error) {
	pmb := &pb.Miniblock{}
	if err := proto.Unmarshal(b.Data, pmb); err != nil {
		return nil, err
	}
	if pmb.Snapshot == nil && len(b.Snapshot) > 0 {
		pmb.Snapshot = &pb.Snapshot{}
		if err := proto.Unmarshal(b.Snapshot, pmb.Snapshot); err != nil {
			return nil, err
		}
	}
	return pmb, nil
}
