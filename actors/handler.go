package actors

import (
	"context"
	"errors"

	"github.com/ethereum/go-ethereum/common"

	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/store"
	"github.com/towns-node/node/streams"
)

// The methods in this file are what peers send the node: the p2p host
// calls them (they match p2p.Handler) from its own goroutines. Gossip is
// handed to the stream actor and the call returns at once; the direct
// protocols wait for their answer.

// OnEvent takes a NewEventReceived whose envelope the host parsed.
func (n *Node) OnEvent(from common.Address, id streams.StreamID, ev *streams.ParsedEvent) {
	if ev == nil || len(ev.Event.GetStreamId()) != streams.StreamIDLen || streams.StreamID(ev.Event.StreamId) != id {
		return
	}
	n.toStream(id, &peerEventMsg{from: from, ev: ev})
}

// OnPoolAnnounce takes a NewEventInPool; it counts as msg.Node's ack.
func (n *Node) OnPoolAnnounce(from common.Address, msg *pb.NewEventInPool) {
	id, err := streams.StreamIDFromBytes(msg.GetStreamId())
	if err != nil || len(msg.Node) != common.AddressLength {
		return
	}
	n.toStream(id, &poolMsg{from: common.BytesToAddress(msg.Node), msg: msg})
}

// OnMiniblock takes a parsed block; the stream actor verifies it before
// anything else.
func (n *Node) OnMiniblock(from common.Address, id streams.StreamID, mb *streams.ParsedMiniblock) {
	if mb == nil {
		return
	}
	n.toStream(id, &blockMsg{from: from, mb: mb})
}

// OnMiniblockRaw takes a block as received, not yet parsed: the stream
// actor parses it reusing the events it already holds (most of a block's),
// so their signatures are not recovered a second time, then verifies it.
// A host whose topic validator parses blocks itself calls OnMiniblock.
func (n *Node) OnMiniblockRaw(from common.Address, id streams.StreamID, mb *pb.Miniblock) {
	if mb == nil {
		return
	}
	n.toStream(id, &blockRawMsg{from: from, mb: mb})
}

// OnRegistered takes a registration seen on chain (the chain watch): block
// num of stream id has hash and was registered in chainBlock. A replica
// that holds the block applies it; one that lacks it fetches it from peers.
// The caller passes only streams placed on this node.
func (n *Node) OnRegistered(id streams.StreamID, num int64, hash common.Hash, chainBlock uint64) {
	n.chainRecs.saw(id, num, hash, chainBlock)
	n.toStream(id, &registeredMsg{reg: streams.Registered{Num: num, Hash: hash, ChainBlock: chainBlock}})
}

// OnStreamAllocated takes a stream allocation seen on chain: when nodes
// places it here, the stream actor starts, which adopts the stream
// (fetches the genesis from a peer and checks it against the chain).
func (n *Node) OnStreamAllocated(id streams.StreamID, nodes []common.Address) {
	for _, a := range nodes {
		if a == n.addr {
			n.toStream(id, &registeredMsg{wake: true})
			return
		}
	}
}

// Vote answers a peer leader's vote request.
func (n *Node) Vote(ctx context.Context, from common.Address, req *pb.VoteRequest) *pb.VoteResponse {
	id, err := streams.StreamIDFromBytes(req.GetStreamId())
	if err != nil {
		return &pb.VoteResponse{Error: errProto(err)}
	}
	m := &voteReqMsg{from: from, req: req, reply: make(chan *pb.VoteResponse, 1)}
	n.toStream(id, m)
	resp, err := await(ctx, n, m.reply)
	if err != nil {
		return &pb.VoteResponse{Error: errProto(err)}
	}
	return resp
}

// FetchEvents serves events of a stream's minipool by hash; hashes it does
// not hold are left out.
func (n *Node) FetchEvents(ctx context.Context, from common.Address, req *pb.FetchEventsRequest) *pb.FetchEventsResponse {
	id, err := streams.StreamIDFromBytes(req.GetStreamId())
	if err != nil {
		return &pb.FetchEventsResponse{Error: errProto(err)}
	}
	v, _, err := n.View(ctx, id)
	if err != nil {
		return &pb.FetchEventsResponse{Error: errProto(err)}
	}
	resp := &pb.FetchEventsResponse{}
	for _, b := range req.Hashes {
		if len(b) != common.HashLength {
			continue
		}
		if ev := v.PoolEvent(common.Hash(b)); ev != nil {
			resp.Events = append(resp.Events, ev.Envelope)
		}
	}
	return resp
}

// MiniblockRange serves stored blocks [from, to) of a stream, at most
// maxRange of them.
func (n *Node) MiniblockRange(ctx context.Context, from common.Address, req *pb.MiniblockRangeRequest) *pb.MiniblockRangeResponse {
	id, err := streams.StreamIDFromBytes(req.GetStreamId())
	if err != nil {
		return &pb.MiniblockRangeResponse{Error: errProto(err)}
	}
	lo, hi := req.FromInclusive, req.ToExclusive
	if lo < 0 || hi < lo {
		return &pb.MiniblockRangeResponse{Error: &pb.Error{Code: pb.ErrorCode_OUT_OF_RANGE, Message: "bad range"}}
	}
	hi = min(hi, lo+maxRange)
	// A stream this node does not store is not served, and not adopted
	// either: two replicas adopting at once would wait on each other.
	if _, err := n.store.StreamRecord(ctx, id[:]); err != nil {
		if errors.Is(err, store.ErrStreamNotFound) {
			return &pb.MiniblockRangeResponse{Error: &pb.Error{Code: pb.ErrorCode_STREAM_NOT_FOUND, Message: "stream not found"}}
		}
		return &pb.MiniblockRangeResponse{Error: &pb.Error{Code: pb.ErrorCode_UNAVAILABLE, Message: err.Error()}}
	}
	// Then through the stream actor: it loads the stream if it is not
	// live (applying a block this node staged and registered before a
	// restart), and answers once no block write is in flight.
	v, _, err := n.View(ctx, id)
	if err != nil {
		return &pb.MiniblockRangeResponse{Error: errProto(err)}
	}
	hi = min(hi, v.Generation())
	if hi <= lo {
		return &pb.MiniblockRangeResponse{}
	}
	stored, err := n.store.ReadMiniblocks(ctx, id[:], lo, hi)
	if errors.Is(err, store.ErrStreamNotFound) {
		return &pb.MiniblockRangeResponse{Error: &pb.Error{Code: pb.ErrorCode_STREAM_NOT_FOUND, Message: "stream not found"}}
	}
	if err != nil {
		return &pb.MiniblockRangeResponse{Error: &pb.Error{Code: pb.ErrorCode_UNAVAILABLE, Message: err.Error()}}
	}
	resp := &pb.MiniblockRangeResponse{}
	for _, b := range stored {
		mb, err := decodeStoredProto(b) // not parsed: the asker checks every signature anyway
		if err != nil {
			break
		}
		resp.Miniblocks = append(resp.Miniblocks, mb)
	}
	return resp
}

// maxRange bounds the blocks one MiniblockRange answer carries.
const maxRange = 64

// StreamStatus reports where a stream stands here.
func (n *Node) StreamStatus(ctx context.Context, from common.Address, req *pb.StreamStatusRequest) *pb.StreamStatusResponse {
	id, err := streams.StreamIDFromBytes(req.GetStreamId())
	if err != nil {
		return &pb.StreamStatusResponse{Error: errProto(err)}
	}
	v, _, err := n.View(ctx, id)
	if err != nil {
		return &pb.StreamStatusResponse{StreamId: id.Bytes(), Error: errProto(err)}
	}
	lb := v.LastBlock()
	return &pb.StreamStatusResponse{
		StreamId:          id.Bytes(),
		LastMiniblockNum:  lb.Num(),
		LastMiniblockHash: lb.Hash.Bytes(),
		Generation:        v.Generation(),
		MinipoolSize:      int64(v.MinipoolLen()),
	}
}

func errProto(err error) *pb.Error {
	var e *streams.Error
	if errors.As(err, &e) {
		return e.ToProto()
	}
	return &pb.Error{Code: streams.CodeOf(err), Message: err.Error()}
}
