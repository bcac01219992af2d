package actors

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/p2p"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/store"
	"github.com/towns-node/node/streams"
)

// Forwarding: a node that is not a replica of a stream (it holds no copy,
// or only the genesis it created for others) hands AddEvent, GetStream and
// GetMiniblocks to a replica over the forward protocol and relays the
// answer as it came. The replica serves a forwarded request itself
// (Forwarded) and never forwards it again, so a request makes at most one
// hop.
//
// SyncStreams is not forwarded: a subscription lives as long as the
// client's connection, and relaying it would put a second node's
// connection, buffers and failure between the client and the stream, with
// no way for the client to tell. A non-replica refuses it NOT_REPLICA and
// names the replicas (chain addresses), so the client subscribes at one of
// them; before this it subscribed to whatever copy the node had (the
// creator's genesis), which never moved.

// forwarder is a Network that carries the forward protocol (P2PNetwork).
type forwarder interface {
	Forward(ctx context.Context, to common.Address, req *pb.ForwardRequest) (*pb.ForwardResponse, error)
}

var _ p2p.ForwardHandler = (*Node)(nil)

// forwardTargets returns the replicas of stream id when this node is not
// one of them and the chain holds the stream; nil otherwise (the request is
// then served here, with whatever answer this node has).
func (n *Node) forwardTargets(ctx context.Context, id streams.StreamID) []common.Address {
	if _, ok := n.net.(forwarder); !ok {
		return nil
	}
	if rec, err := n.store.StreamRecord(ctx, id[:]); err == nil {
		for _, b := range rec.Nodes {
			if common.BytesToAddress(b) == n.addr {
				return nil
			}
		}
	}
	rec, err := n.chain.Stream(ctx, id)
	if err != nil || slices.Contains(rec.Nodes, n.addr) {
		return nil
	}
	return rec.Nodes
}

// notReplica is NOT_REPLICA, naming the replicas, when this node is not
// a replica of stream id and the chain places it elsewhere; nil otherwise.
func (n *Node) notReplica(ctx context.Context, id streams.StreamID) error {
	targets := n.forwardTargets(ctx, id)
	if targets == nil {
		return nil
	}
	names := make([]string, len(targets))
	for i, a := range targets {
		names[i] = a.Hex()
	}
	return streams.Errorf(pb.ErrorCode_NOT_REPLICA, "%s is not a replica of %s; subscribe at one of its replicas: %s",
		n.addr.Hex(), id, strings.Join(names, ", "))
}

// forward sends req to the replicas in turn until one answers: a replica
// that cannot be reached, is not ready (UNAVAILABLE) or has not taken the
// stream up yet (STREAM_NOT_FOUND, NOT_REPLICA) passes it to the next; any
// other answer, success or refusal, is the answer.
func (n *Node) forward(ctx context.Context, targets []common.Address, req *pb.ForwardRequest) (*pb.ForwardResponse, error) {
	fw := n.net.(forwarder)
	err := streams.Errorf(pb.ErrorCode_UNAVAILABLE, "no replica to forward to")
	for _, to := range targets {
		resp, ferr := fw.Forward(ctx, to, req)
		if ferr == nil {
			n.m.Forwards.WithLabelValues("ok").Inc()
			return resp, nil
		}
		if errors.Is(ferr, p2p.ErrRemote) {
			switch streams.CodeOf(ferr) {
			case pb.ErrorCode_UNAVAILABLE, pb.ErrorCode_STREAM_NOT_FOUND, pb.ErrorCode_NOT_REPLICA:
			default:
				n.m.Forwards.WithLabelValues("refused").Inc()
				return resp, remoteErr(ferr)
			}
		}
		n.log.Debug("forwarding", "to", to, "err", ferr)
		err = streams.Errorf(pb.ErrorCode_UNAVAILABLE, "forwarding to %s: %v", to, ferr)
		if ctx.Err() != nil {
			break
		}
	}
	n.m.Forwards.WithLabelValues("failed").Inc()
	return nil, err
}

// remoteErr is the replica's own coded error, without the p2p wrapping.
func remoteErr(err error) error {
	var e *streams.Error
	if errors.As(err, &e) {
		return e
	}
	return err
}

// Forwarded serves a request another node forwarded (p2p.ForwardHandler):
// here, never forwarded again.
func (n *Node) Forwarded(ctx context.Context, _ common.Address, req *pb.ForwardRequest) *pb.ForwardResponse {
	switch r := req.Req.(type) {
	case *pb.ForwardRequest_AddEvent:
		ev, err := streams.ParseEnvelope(r.AddEvent.GetEvent())
		if err == nil && !streamIs(ev, streams.StreamID(r.AddEvent.StreamId)) {
			err = streams.Errorf(pb.ErrorCode_BAD_STREAM_ID, "event is for stream %x, request names %x", ev.Event.StreamId, r.AddEvent.StreamId)
		}
		if err != nil {
			return &pb.ForwardResponse{Error: errProto(err)}
		}
		gen, held, err := n.addEventHere(ctx, ev)
		out := &pb.ForwardResponse{AddEvent: &pb.AddEventResponse{Hash: ev.Hash.Bytes(), Generation: gen, ReplicasHeld: uint32(held)}}
		if err != nil {
			out.Error = errProto(err)
		}
		return out
	case *pb.ForwardRequest_GetStream:
		resp, err := n.getStreamHere(ctx, streams.StreamID(r.GetStream.StreamId))
		if err != nil {
			return &pb.ForwardResponse{Error: errProto(err)}
		}
		return &pb.ForwardResponse{GetStream: resp}
	case *pb.ForwardRequest_GetMiniblocks:
		resp, err := n.getMiniblocksHere(ctx, r.GetMiniblocks)
		if err != nil {
			return &pb.ForwardResponse{Error: errProto(err)}
		}
		return &pb.ForwardResponse{GetMiniblocks: resp}
	}
	return &pb.ForwardResponse{Error: &pb.Error{Code: pb.ErrorCode_INVALID_ARGUMENT, Message: "empty forward request"}}
}

// MiniblocksPage is the most miniblocks one GetMiniblocks answer holds.
const MiniblocksPage = 100

// GetMiniblocks returns up to MiniblocksPage stored blocks of a stream
// from req.FromInclusive; at a node that is not a replica, a replica's.
func (n *Node) GetMiniblocks(ctx context.Context, req *pb.GetMiniblocksRequest) (*pb.GetMiniblocksResponse, error) {
	id, err := streams.StreamIDFromBytes(req.StreamId)
	if err != nil {
		return nil, err
	}
	if targets := n.forwardTargets(ctx, id); targets != nil {
		resp, err := n.forward(ctx, targets, &pb.ForwardRequest{Req: &pb.ForwardRequest_GetMiniblocks{GetMiniblocks: req}})
		if err != nil {
			return nil, err
		}
		if resp.GetMiniblocks == nil {
			return nil, streams.Errorf(pb.ErrorCode_UNAVAILABLE, "forwarded GetMiniblocks: empty answer")
		}
		return resp.GetMiniblocks, nil
	}
	return n.getMiniblocksHere(ctx, req)
}

func (n *Node) getMiniblocksHere(ctx context.Context, req *pb.GetMiniblocksRequest) (*pb.GetMiniblocksResponse, error) {
	id, err := streams.StreamIDFromBytes(req.StreamId)
	if err != nil {
		return nil, err
	}
	last, err := n.store.LastMiniblock(ctx, id[:])
	if errors.Is(err, store.ErrStreamNotFound) || errors.Is(err, store.ErrNotFound) {
		return nil, streams.Errorf(pb.ErrorCode_STREAM_NOT_FOUND, "stream %s not found", id)
	}
	if err != nil {
		return nil, streams.Errorf(pb.ErrorCode_UNAVAILABLE, "store: %v", err)
	}
	from, to := req.FromInclusive, req.ToExclusive
	if from < 0 || (to != 0 && to < from) {
		return nil, streams.Errorf(pb.ErrorCode_OUT_OF_RANGE, "range [%d, %d)", from, to)
	}
	if to == 0 || to > last.Num+1 {
		to = last.Num + 1
	}
	end := min(to, from+MiniblocksPage)
	resp := &pb.GetMiniblocksResponse{NextFrom: end, Done: end >= to}
	if from >= end {
		resp.NextFrom, resp.Done = from, true // an empty range: nothing returned
		return resp, nil
	}
	stored, err := n.store.ReadMiniblocks(ctx, id[:], from, end)
	if err != nil {
		return nil, streams.Errorf(pb.ErrorCode_UNAVAILABLE, "store: %v", err)
	}
	for _, b := range stored {
		mb := &pb.Miniblock{}
		if err := proto.Unmarshal(b.Data, mb); err != nil {
			return nil, streams.Errorf(pb.ErrorCode_DATA_LOSS, "miniblock %d: %v", b.Num, err)
		}
		resp.Miniblocks = append(resp.Miniblocks, mb)
	}
	return resp, nil
}

// forwardAddEvent relays an AddEvent this node cannot serve as a replica.
func (n *Node) forwardAddEvent(ctx context.Context, targets []common.Address, ev *streams.ParsedEvent) (int64, int, error) {
	resp, err := n.forward(ctx, targets, &pb.ForwardRequest{Req: &pb.ForwardRequest_AddEvent{AddEvent: &pb.AddEventRequest{StreamId: ev.Event.StreamId, Event: ev.Envelope}}})
	if resp == nil || resp.AddEvent == nil {
		if err == nil {
			err = streams.Errorf(pb.ErrorCode_UNAVAILABLE, "forwarded AddEvent: empty answer")
		}
		return 0, 0, err
	}
	return resp.AddEvent.Generation, int(resp.AddEvent.ReplicasHeld), err
}

// forwardGetStream relays a GetStream this node cannot serve as a replica.
func (n *Node) forwardGetStream(ctx context.Context, targets []common.Address, id streams.StreamID) (*pb.GetStreamResponse, error) {
	resp, err := n.forward(ctx, targets, &pb.ForwardRequest{Req: &pb.ForwardRequest_GetStream{GetStream: &pb.GetStreamRequest{StreamId: id.Bytes()}}})
	if err != nil {
		return nil, err
	}
	if resp.GetStream == nil {
		return nil, fmt.Errorf("forwarded GetStream: %w", streams.Errorf(pb.ErrorCode_UNAVAILABLE, "empty answer"))
	}
	return resp.GetStream, nil
}

// topicLister is a Network that knows who is in a stream's topic.
type topicLister interface {
	TopicPeers(id streams.StreamID) []common.Address
}

// addTopicPeers fills a stream actor's InTopic for the debug endpoint: the
// replicas in the stream's gossip topic now.
func (n *Node) addTopicPeers(i *ActorInfo) {
	tl, ok := n.net.(topicLister)
	if !ok || i.Kind != KindStream || len(i.Replicas) == 0 {
		return
	}
	b, err := hex.DecodeString(i.StreamID)
	if err != nil {
		return
	}
	id, err := streams.StreamIDFromBytes(b)
	if err != nil {
		return
	}
	in := tl.TopicPeers(id)
	for _, r := range i.Replicas {
		if slices.Contains(in, common.HexToAddress(r)) {
			i.InTopic = append(i.InTopic, r)
		}
	}
}
