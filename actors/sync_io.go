package actors

import (
	"context"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/store"
	"github.com/towns-node/node/streams"
)

// The I/O of sync mode (sync.go). Each piece runs on an I/O goroutine of
// the node, never on the actor, and answers the Syncer with one input.

func (s *streamActor) askRange(st *syncState, e streams.SyncRequestRange) {
	s.n.m.Fetches.WithLabelValues("sync").Inc()
	id := s.id
	s.syncIO(st, func(ctx context.Context) any {
		out := streams.SyncRange{Peer: e.Peer, Req: e.Req}
		resp, err := s.n.net.MiniblockRange(ctx, e.Peer, &pb.MiniblockRangeRequest{StreamId: id.Bytes(), FromInclusive: e.From, ToExclusive: e.To})
		if err == nil && resp.GetError() != nil {
			err = streams.FromProto(resp.Error)
		}
		switch {
		case err != nil && errDontHave(err):
			out.DontHave = true
			s.n.m.Sync.Requests.WithLabelValues("dont_have").Inc()
		case err != nil:
			out.Err = err
			s.n.m.Sync.Requests.WithLabelValues("error").Inc()
		case len(resp.Miniblocks) == 0:
			out.DontHave = true
			s.n.m.Sync.Requests.WithLabelValues("empty").Inc()
		default:
			out.Blocks = resp.Miniblocks
			outcome := "ok"
			if int64(len(resp.Miniblocks)) < e.To-e.From {
				outcome = "short"
			}
			s.n.m.Sync.Requests.WithLabelValues(outcome).Inc()
		}
		return out
	})
}

func (s *streamActor) askStatus(st *syncState, to common.Address) {
	id := s.id
	s.syncIO(st, func(ctx context.Context) any {
		resp, err := s.n.net.StreamStatus(ctx, to, &pb.StreamStatusRequest{StreamId: id.Bytes()})
		if err == nil && resp.GetError() != nil {
			err = streams.FromProto(resp.Error)
		}
		if err != nil {
			return streams.SyncPeerStatus{Peer: to, Err: err}
		}
		return streams.SyncPeerStatus{Peer: to, Lowest: resp.GetFirstMiniblockNum(), Highest: resp.GetLastMiniblockNum()}
	})
}

func (s *streamActor) readSyncHead(st *syncState) {
	st.headAsk = true
	id := s.id
	s.syncIO(st, func(ctx context.Context) any {
		rec, err := s.n.chain.Stream(ctx, id)
		if err != nil {
			return streams.SyncChainHead{Err: err}
		}
		return streams.SyncChainHead{Num: rec.LastMiniblockNum, Hash: rec.LastMiniblockHash, ChainBlock: rec.LastRegisteredAt}
	})
}

func (s *streamActor) readRegistrations(st *syncState, from, to int64) {
	id := s.id
	s.syncIO(st, func(ctx context.Context) any {
		out := streams.SyncRegistered{From: from, To: to}
		for num := from; num < to; num++ {
			h, at, err := s.n.chain.MiniblockHash(ctx, id, num)
			if err != nil {
				if len(out.Regs) == 0 {
					out.Err = err
				}
				out.To = num
				break
			}
			out.Regs = append(out.Regs, streams.Registered{Num: num, Hash: h, ChainBlock: at})
		}
		return out
	})
}

// stageBlocks keeps accepted blocks in staging until they are written
// (crash recovery, the debug page); nothing answers.
func (s *streamActor) stageBlocks(st *syncState, blocks []streams.SyncStage) {
	id := s.id
	s.syncIO(st, func(ctx context.Context) any {
		for _, b := range blocks {
			mb := b.Block
			err := s.n.store.StageBlock(ctx, store.StagedBlock{
				StreamID: id.Bytes(),
				Num:      mb.Num(),
				Hash:     mb.Hash.Bytes(),
				Parent:   mb.Header.PrevMiniblockHash,
				Data:     mustMarshal(mb.Proto),
			})
			if err != nil {
				s.log.Debug("staging a synced block", "num", mb.Num(), "err", err)
				return nil
			}
		}
		return nil
	})
}

func (s *streamActor) orphan(st *syncState, hashes []common.Hash) {
	id := s.id
	s.syncIO(st, func(ctx context.Context) any {
		for _, h := range hashes {
			if err := s.n.store.MarkStaged(ctx, id[:], h[:], false, true); err != nil && !errors.Is(err, store.ErrNotFound) {
				s.log.Debug("orphaning a staged block", "hash", h, "err", err)
			}
		}
		return nil
	})
}

// applyBlocks writes verified blocks in order; stopSync waits for it.
func (s *streamActor) applyBlocks(st *syncState, e streams.SyncApply) {
	ctx, cancel := context.WithTimeout(s.n.ioCtxt, s.n.cfg.IOTimeout)
	job := &syncApplyJob{stop: cancel, done: make(chan struct{})}
	st.apply = job
	inc, epoch, self, id := s, st.epoch, s.self, s.id
	s.n.goIO(func() {
		defer close(job.done)
		defer cancel()
		out := streams.SyncApplied{Write: e.Write}
		for _, b := range e.Blocks {
			enc, err := encodeBlock(b.Block, b.Included)
			if err == nil {
				err = s.n.store.WriteMiniblock(ctx, id[:], enc)
			}
			if err != nil {
				out.Err = fmt.Errorf("writing block %d: %w", b.Block.Num(), err)
				break
			}
			out.Written++
		}
		s.n.sys.Root.Send(self, &syncMsg{inc: inc, epoch: epoch, in: out})
	})
}
