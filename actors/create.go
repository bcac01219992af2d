package actors

import (
	"context"
	"errors"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/towns-node/node/chainlink"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/store"
	"github.com/towns-node/node/streams"
)

// CreateStream creates a stream from its parsed genesis events (inception
// first, then events by its creator, such as the creator's join): it checks
// that a channel's creator is a member of its space, builds and signs the
// genesis miniblock, places it on the replication factor's k replicas,
// allocates it on the chain (the arbiter: a taken id fails there), then
// saves it locally and wakes the other replicas, which fetch the genesis
// from this node. The stream actor spawns on first use.
func (n *Node) CreateStream(ctx context.Context, id streams.StreamID, events []*streams.ParsedEvent) (*streams.ParsedMiniblock, []common.Address, error) {
	if len(events) == 0 {
		return nil, nil, streams.Errorf(pb.ErrorCode_BAD_INCEPTION, "no inception")
	}
	for _, ev := range events {
		if !streamIs(ev, id) {
			return nil, nil, streams.Errorf(pb.ErrorCode_BAD_STREAM_ID, "event %x belongs to stream %x, not %s", ev.Hash, ev.Event.StreamId, id)
		}
	}
	in := streams.InceptionOf(events[0].Event)
	if in == nil {
		return nil, nil, streams.Errorf(pb.ErrorCode_BAD_INCEPTION, "first event is not an inception")
	}
	if id.Type() == pb.StreamType_STREAM_TYPE_CHANNEL {
		space, err := streams.StreamIDFromBytes(in.SpaceId)
		if err == nil && space.Type() != pb.StreamType_STREAM_TYPE_SPACE {
			err = errors.New("not a space id")
		}
		if err != nil {
			return nil, nil, streams.Errorf(pb.ErrorCode_BAD_INCEPTION, "channel names space %x: %v", in.SpaceId, err)
		}
		v, _, err := n.View(ctx, space)
		if err != nil {
			return nil, nil, err
		}
		if !v.IsMember(events[0].Creator) {
			return nil, nil, streams.Errorf(pb.ErrorCode_PERMISSION_DENIED, "%s is not a member of space %s", events[0].Creator, space)
		}
	}
	// The genesis takes its time from the inception, so a retry of the
	// same request at this node makes the same block (signatures are
	// deterministic): an allocation whose local write failed is taken up
	// again instead of stranding the id.
	genesis, err := streams.MakeGenesis(n.key, events, time.UnixMilli(events[0].Event.CreatedAtMs))
	if err != nil {
		return nil, nil, err
	}
	rf := int(in.GetSettings().GetReplicationFactor())
	// The chain watch leaves this allocation to us (watch.go).
	n.creating.Store(id, struct{}{})
	defer n.creating.Delete(id)
	nodes, err := n.placeReplicas(ctx, id, rf)
	if err != nil {
		return nil, nil, err
	}
	block, err := n.chain.CreateStream(ctx, id, nodes, uint32(rf), genesis.Hash)
	if errors.Is(err, chainlink.ErrStreamExists) {
		rec, rerr := n.chain.Stream(ctx, id)
		if rerr != nil || rec.GenesisHash != genesis.Hash {
			return nil, nil, streams.Errorf(pb.ErrorCode_STREAM_ALREADY_EXISTS, "stream %s exists", id)
		}
		// Our own allocation, from an earlier try of this request.
		nodes = rec.Nodes
		if _, block, rerr = n.chain.MiniblockHash(ctx, id, 0); rerr != nil {
			return nil, nil, streams.Errorf(pb.ErrorCode_UNAVAILABLE, "chain: %v", rerr)
		}
	} else if err != nil {
		return nil, nil, streams.Errorf(pb.ErrorCode_UNAVAILABLE, "chain: create stream: %v", err)
	}
	rec := &pb.StreamRecord{
		StreamId:            id.Bytes(),
		Settings:            in.Settings,
		GenesisHash:         genesis.Hash.Bytes(),
		CreatedAtChainBlock: block,
	}
	for _, a := range nodes {
		rec.Nodes = append(rec.Nodes, a.Bytes())
	}
	enc, err := encodeBlock(genesis, nil)
	if err != nil {
		return nil, nil, err
	}
	// Not the request's ctx: a client that hangs up after the allocation
	// must not leave the stream allocated and unstored.
	sctx, cancel := n.ioCtx()
	defer cancel()
	if err := n.store.CreateStream(sctx, rec, enc); err != nil {
		if errors.Is(err, store.ErrStreamExists) {
			if sr, serr := n.store.StreamRecord(sctx, id[:]); serr == nil && common.BytesToHash(sr.GenesisHash) == genesis.Hash {
				return genesis, nodes, nil // a retry after our own write went through
			}
			return nil, nil, streams.Errorf(pb.ErrorCode_STREAM_ALREADY_EXISTS, "stream %s exists", id)
		}
		return nil, nil, streams.Errorf(pb.ErrorCode_UNAVAILABLE, "store: create stream: %v", err)
	}
	n.chainRecs.saw(id, 0, genesis.Hash, block)
	n.observe(Update{StreamID: id, Miniblock: genesis.Proto})
	n.wakeReplicas(id, nodes)
	return genesis, nodes, nil
}

// placeReplicas picks the k replicas of a new stream from the chain's node
// registry: rendezvous hashing over the stream id, so any node places a
// stream the same way. With no network the node can only place on itself.
func (n *Node) placeReplicas(ctx context.Context, id streams.StreamID, k int) ([]common.Address, error) {
	if k <= 1 {
		return []common.Address{n.addr}, nil
	}
	if _, lone := n.net.(nopNetwork); lone {
		return nil, streams.Errorf(pb.ErrorCode_BAD_INCEPTION, "replication factor %d, but this node runs without a network", k)
	}
	recs, err := n.chain.Nodes(ctx)
	if err != nil {
		return nil, streams.Errorf(pb.ErrorCode_UNAVAILABLE, "chain: nodes: %v", err)
	}
	var active []common.Address
	for _, r := range recs {
		if r.Status == chainlink.NodeStatusActive {
			active = append(active, r.Address)
		}
	}
	out := streams.PlaceReplicas(id, active, k)
	if len(out) < k {
		return nil, streams.Errorf(pb.ErrorCode_BAD_INCEPTION, "replication factor %d, but this network has %d active nodes", k, len(active))
	}
	return out, nil
}

// wakeReplicas asks the other replicas of a new stream for its status,
// which makes each load it: finding it on chain and not in its store, it
// fetches the genesis from a peer (this node) and checks it against the
// chain. A replica that misses this learns of the stream from the next
// message about it.
func (n *Node) wakeReplicas(id streams.StreamID, nodes []common.Address) {
	for _, a := range nodes {
		if a == n.addr {
			continue
		}
		to := a
		n.goIO(func() {
			ctx, cancel := n.ioCtx()
			defer cancel()
			if _, err := n.net.StreamStatus(ctx, to, &pb.StreamStatusRequest{StreamId: id.Bytes()}); err != nil {
				n.log.Debug("waking replica", "stream", id, "replica", to, "err", err)
			}
		})
	}
}

func streamIs(ev *streams.ParsedEvent, id streams.StreamID) bool {
	return len(ev.Event.StreamId) == len(id) && streams.StreamID(ev.Event.StreamId) == id
}
