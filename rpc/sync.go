package rpc

import (
	"context"
	"errors"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/store"
	"github.com/towns-node/node/streams"
)

// DefaultResumeBlocks is how many blocks behind the stream's last a
// SyncStreams cursor may be and still be resumed; an older cursor gets a
// reset with the latest snapshot block, which is cheaper to send than the
// history.
const DefaultResumeBlocks = 1000

// SetResumeBlocks sets the resume window (DefaultResumeBlocks unless set).
// Call it before serving.
func (s *Service) SetResumeBlocks(n int64) { s.resumeBlocks = max(1, n) }

// syncPos is a stream's position in its update sequence: blocks below gen
// and pos events of gen's minipool were sent.
type syncPos struct{ gen, pos int64 }

func (p syncPos) cursor(id streams.StreamID) *pb.SyncCursor {
	return &pb.SyncCursor{StreamId: id.Bytes(), Generation: p.gen, Position: p.pos}
}

// SyncStreams sends a live message, catches each stream with a cursor up
// from its cursor, then streams new events and applied miniblocks until the
// client goes away or the subscription is dropped (see docs/protocol.md).
func (s *Service) SyncStreams(ctx context.Context, req *connect.Request[pb.SyncStreamsRequest], out *connect.ServerStream[pb.SyncStreamsResponse]) error {
	if len(req.Msg.StreamIds) == 0 {
		return s.done("SyncStreams", streams.Errorf(pb.ErrorCode_INVALID_ARGUMENT, "no streams named"))
	}
	if n := s.limits.MaxSyncStreams; n > 0 && len(req.Msg.StreamIds) > n {
		return s.done("SyncStreams", streams.Errorf(pb.ErrorCode_RESOURCE_EXHAUSTED, "%d streams named, at most %d per SyncStreams", len(req.Msg.StreamIds), n))
	}
	ids := make([]streams.StreamID, len(req.Msg.StreamIds))
	named := map[streams.StreamID]bool{}
	for i, b := range req.Msg.StreamIds {
		id, err := streams.StreamIDFromBytes(b)
		if err != nil {
			return s.done("SyncStreams", err)
		}
		ids[i], named[id] = id, true
	}
	cursors := map[streams.StreamID]*pb.SyncCursor{}
	for _, c := range req.Msg.Cursors {
		id, err := streams.StreamIDFromBytes(c.StreamId)
		if err != nil {
			return s.done("SyncStreams", err)
		}
		if !named[id] || cursors[id] != nil {
			return s.done("SyncStreams", streams.Errorf(pb.ErrorCode_INVALID_ARGUMENT, "cursor for %s: not in stream_ids, or given twice", id))
		}
		cursors[id] = c
	}
	sctx, cancel := context.WithTimeout(ctx, RequestTimeout)
	sub, views, err := s.node.SubscribeViews(sctx, ids)
	cancel()
	if err != nil {
		return s.done("SyncStreams", err)
	}
	defer sub.Close()
	if err := out.Send(&pb.SyncStreamsResponse{Live: true}); err != nil {
		return nil // client gone
	}
	pos := map[streams.StreamID]*syncPos{}
	for i, id := range ids {
		v := views[i]
		pos[id] = &syncPos{gen: v.Generation(), pos: int64(v.MinipoolLen())}
		c := cursors[id]
		if c == nil {
			continue
		}
		if err := s.catchUp(ctx, id, c, v, out); err != nil {
			if errors.Is(err, errClientGone) {
				return nil
			}
			return s.done("SyncStreams", err)
		}
	}
	for {
		select {
		case <-ctx.Done():
			_ = s.done("SyncStreams", nil)
			return nil
		case <-sub.Done():
			return s.done("SyncStreams", sub.Err())
		case u := <-sub.C:
			p := pos[u.StreamID]
			if u.Miniblock != nil {
				p.gen, p.pos = u.BlockNum+1, int64(u.PoolLen)
			} else {
				p.pos++
			}
			if err := out.Send(&pb.SyncStreamsResponse{StreamId: u.StreamID.Bytes(), Event: u.Event, Miniblock: u.Miniblock, Cursor: p.cursor(u.StreamID)}); err != nil {
				return nil // client gone
			}
		}
	}
}

var errClientGone = errors.New("client gone")

// catchUp sends what a client at cursor c missed up to view v: the stored
// blocks from c's generation (each block's events travel inside it), then
// v's minipool from the cursor's position; or a reset.
func (s *Service) catchUp(ctx context.Context, id streams.StreamID, c *pb.SyncCursor, v *streams.View, out *connect.ServerStream[pb.SyncStreamsResponse]) error {
	gen := v.Generation()
	pool := v.Minipool()
	g, p := c.Generation, c.Position
	resumable := g >= 0 && p >= 0 && g <= gen && gen-g <= s.resumeLimit() && (g < gen || p <= int64(len(pool)))
	from := g
	if !resumable {
		snap, err := s.store.LatestSnapshot(ctx, id[:])
		if err != nil {
			return streams.Errorf(pb.ErrorCode_UNAVAILABLE, "store: latest snapshot: %v", err)
		}
		if snap.Num >= gen {
			return streams.Errorf(pb.ErrorCode_UNAVAILABLE, "snapshot block %d written during the sync; retry", snap.Num)
		}
		mb, err := decodeStoredBlock(snap)
		if err != nil {
			return err
		}
		if err := send(out, &pb.SyncStreamsResponse{StreamId: id.Bytes(), Reset_: true, Miniblock: mb, Cursor: syncPos{gen: snap.Num + 1}.cursor(id)}); err != nil {
			return err
		}
		from, p = snap.Num+1, 0
	}
	if from < gen {
		p = 0 // the pool is sent whole after the blocks
	}
	for from < gen {
		end := min(gen, from+PageSize)
		stored, err := s.store.ReadMiniblocks(ctx, id[:], from, end)
		if err != nil {
			return streams.Errorf(pb.ErrorCode_UNAVAILABLE, "store: %v", err)
		}
		if len(stored) == 0 {
			return streams.Errorf(pb.ErrorCode_DATA_LOSS, "miniblocks [%d, %d) missing from the store", from, end)
		}
		for _, b := range stored {
			mb, err := decodeStoredBlock(b)
			if err != nil {
				return err
			}
			if err := send(out, &pb.SyncStreamsResponse{StreamId: id.Bytes(), Miniblock: mb, Cursor: syncPos{gen: b.Num + 1}.cursor(id)}); err != nil {
				return err
			}
			from = b.Num + 1
		}
	}
	for i := p; i < int64(len(pool)); i++ {
		if err := send(out, &pb.SyncStreamsResponse{StreamId: id.Bytes(), Event: pool[i].Envelope, Cursor: syncPos{gen: gen, pos: i + 1}.cursor(id)}); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) resumeLimit() int64 {
	if s.resumeBlocks == 0 {
		return DefaultResumeBlocks
	}
	return s.resumeBlocks
}

func send(out *connect.ServerStream[pb.SyncStreamsResponse], r *pb.SyncStreamsResponse) error {
	if err := out.Send(r); err != nil {
		return errClientGone
	}
	return nil
}

// decodeStoredBlock decodes a stored block, with its snapshot if it has one.
func decodeStoredBlock(b store.Miniblock) (*pb.Miniblock, error) {
	mb := &pb.Miniblock{}
	if err := proto.Unmarshal(b.Data, mb); err != nil {
		return nil, streams.Errorf(pb.ErrorCode_DATA_LOSS, "miniblock %d: %v", b.Num, err)
	}
	if len(b.Snapshot) > 0 { // the store's copy: the exact bytes the header hashes
		mb.Snapshot = b.Snapshot
	}
	return mb, nil
}
