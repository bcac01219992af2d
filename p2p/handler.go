package p2p

import (
	"context"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/common"

	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// Handler is what the node (its actors) does with what peers send. The host
// calls it from its own goroutines; an implementation must not block for
// long (hand the value to an actor and return). Gossip callbacks get values
// that passed the topic validator: decoded, hashes and signatures checked
// once, and `from` is the peer that handed the message over (not
// necessarily its origin).
type Handler interface {
	// OnEvent: a NewEventReceived (gossip or deliver). The envelope's hash
	// and signature are checked; stream rules are not.
	OnEvent(from common.Address, id streams.StreamID, ev *streams.ParsedEvent)
	// OnPoolAnnounce: a NewEventInPool whose signature recovers to msg.Node.
	OnPoolAnnounce(from common.Address, msg *pb.NewEventInPool)
	// OnMiniblock: a sealed miniblock, parsed with its hash and signatures
	// checked; not verified against a view or the chain.
	OnMiniblock(from common.Address, id streams.StreamID, mb *streams.ParsedMiniblock)

	// The direct protocols. A response's Error carries a coded refusal
	// (STREAM_NOT_FOUND, NOT_REPLICA, ...); the host fills Error itself for
	// malformed or oversized requests, which never reach the handler.
	FetchEvents(ctx context.Context, from common.Address, req *pb.FetchEventsRequest) *pb.FetchEventsResponse
	Vote(ctx context.Context, from common.Address, req *pb.VoteRequest) *pb.VoteResponse
	MiniblockRange(ctx context.Context, from common.Address, req *pb.MiniblockRangeRequest) *pb.MiniblockRangeResponse
	StreamStatus(ctx context.Context, from common.Address, req *pb.StreamStatusRequest) *pb.StreamStatusResponse
}

// ForwardHandler is a Handler that also serves client requests forwarded
// by nodes that are not replicas of the stream (the forward protocol). It
// serves them itself and never forwards them again. A Handler without it
// answers UNAVAILABLE.
type ForwardHandler interface {
	Forwarded(ctx context.Context, from common.Address, req *pb.ForwardRequest) *pb.ForwardResponse
}

// SetHandler sets (or replaces) the handler.
func (n *Host) SetHandler(h Handler) { n.handler.set(h) }

type handlerBox struct{ p atomic.Pointer[Handler] }

func (b *handlerBox) set(h Handler) {
	if h == nil {
		b.p.Store(nil)
		return
	}
	b.p.Store(&h)
}

func (b *handlerBox) get() Handler {
	if p := b.p.Load(); p != nil {
		return *p
	}
	return nil
}
