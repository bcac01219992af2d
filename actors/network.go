package actors

import (
	"context"

	"github.com/ethereum/go-ethereum/common"

	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// Network is what the actors need of the p2p host: the stream topics and
// the client side of the direct protocols. Deps.Network nil is a lone node:
// every stream has one replica, nothing is published and no peer is asked.
// Calls may block (the actors make them off their own goroutines); each
// returns once the message is handed over or the ctx ends.
type Network interface {
	JoinStream(id streams.StreamID) error
	LeaveStream(id streams.StreamID)
	PublishEvent(ctx context.Context, id streams.StreamID, msg *pb.NewEventReceived) error
	PublishPool(ctx context.Context, id streams.StreamID, msg *pb.NewEventInPool) error
	PublishMiniblock(ctx context.Context, id streams.StreamID, msg *pb.NewMiniblock) error
	FetchEvents(ctx context.Context, to common.Address, req *pb.FetchEventsRequest) (*pb.FetchEventsResponse, error)
	RequestVote(ctx context.Context, to common.Address, req *pb.VoteRequest) (*pb.VoteResponse, error)
	MiniblockRange(ctx context.Context, to common.Address, req *pb.MiniblockRangeRequest) (*pb.MiniblockRangeResponse, error)
	StreamStatus(ctx context.Context, to common.Address, req *pb.StreamStatusRequest) (*pb.StreamStatusResponse, error)
}

// eventRememberer is a Network that keeps the events the node parsed, so
// that a block carrying them is parsed without recovering them again
// (P2PNetwork does).
type eventRememberer interface {
	RememberEvent(ev *streams.ParsedEvent)
}

// eventsPublisher is a Network that gossips several events of a stream in
// one message (P2PNetwork does); the others get one PublishEvent each.
type eventsPublisher interface {
	PublishEvents(ctx context.Context, id streams.StreamID, envs []*pb.Envelope) error
}

// nopNetwork is the network of a lone node.
type nopNetwork struct{}

var _ Network = nopNetwork{}

func (nopNetwork) JoinStream(streams.StreamID) error { return nil }
func (nopNetwork) LeaveStream(streams.StreamID)      {}
func (nopNetwork) PublishEvent(context.Context, streams.StreamID, *pb.NewEventReceived) error {
	return nil
}
func (nopNetwork) PublishPool(context.Context, streams.StreamID, *pb.NewEventInPool) error {
	return nil
}
func (nopNetwork) PublishMiniblock(context.Context, streams.StreamID, *pb.NewMiniblock) error {
	return nil
}
func (nopNetwork) FetchEvents(context.Context, common.Address, *pb.FetchEventsRequest) (*pb.FetchEventsResponse, error) {
	return nil, errNoNetwork
}
func (nopNetwork) RequestVote(context.Context, common.Address, *pb.VoteRequest) (*pb.VoteResponse, error) {
	return nil, errNoNetwork
}
func (nopNetwork) MiniblockRange(context.Context, common.Address, *pb.MiniblockRangeRequest) (*pb.MiniblockRangeResponse, error) {
	return nil, errNoNetwork
}

func (nopNetwork) StreamStatus(context.Context, common.Address, *pb.StreamStatusRequest) (*pb.StreamStatusResponse, error) {
	return nil, errNoNetwork
}

var errNoNetwork = streams.Errorf(pb.ErrorCode_UNAVAILABLE, "no network: this node runs alone")
