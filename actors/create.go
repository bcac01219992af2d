package actors

import (
	"context"
	"errors"

	"github.com/ethereum/go-ethereum/common"

	"github.com/towns-node/node/chainlink"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/store"
	"github.com/towns-node/node/streams"
)

// CreateStream creates a stream from its parsed genesis events (inception
// first, then events by its creator, such as the creator's join): it checks
// that a channel's creator is a member of its space, builds and signs the
// genesis miniblock, allocates the stream on the chain (the arbiter: a taken
// id fails there), then saves it locally. The stream actor spawns on first use.
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
	genesis, err := streams.MakeGenesis(n.key, events, n.now())
	if err != nil {
		return nil, nil, err
	}
	nodes := []common.Address{n.addr}
	rf := in.GetSettings().GetReplicationFactor()
	if int(rf) > len(nodes) {
		return nil, nil, streams.Errorf(pb.ErrorCode_BAD_INCEPTION, "replication factor %d, but this network has %d node", rf, len(nodes))
	}
	block, err := n.chain.CreateStream(ctx, id, nodes, rf, genesis.Hash)
	if errors.Is(err, chainlink.ErrStreamExists) {
		return nil, nil, streams.Errorf(pb.ErrorCode_STREAM_ALREADY_EXISTS, "stream %s exists", id)
	}
	if err != nil {
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
	if err := n.store.CreateStream(ctx, rec, enc); err != nil {
		if errors.Is(err, store.ErrStreamExists) {
			return nil, nil, streams.Errorf(pb.ErrorCode_STREAM_ALREADY_EXISTS, "stream %s exists", id)
		}
		return nil, nil, streams.Errorf(pb.ErrorCode_UNAVAILABLE, "store: create stream: %v", err)
	}
	n.observe(Update{StreamID: id, Miniblock: genesis.Proto})
	return genesis, nodes, nil
}

func streamIs(ev *streams.ParsedEvent, id streams.StreamID) bool {
	return len(ev.Event.StreamId) == len(id) && streams.StreamID(ev.Event.StreamId) == id
}
