package actors

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/towns-node/node/chainlink"
	"github.com/towns-node/node/p2p"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// P2PNetwork is the Network of a node on a libp2p host: the stream actors'
// topics and publishes go to the host's gossip, and every replica of the
// stream that is not in the topic (TopicPeers says who is) gets the same
// message by Deliver, which wakes its passivated actor. The replicas of a
// stream are read from the chain once and kept (placement does not change).
//
// The host is attached after the node starts (Attach): the node registers
// itself on the chain before the host completes the record with its peer
// id. Until then joins are remembered and applied at Attach, publishes
// fail with UNAVAILABLE, and direct requests too.
type P2PNetwork struct {
	key   *ecdsa.PrivateKey
	self  common.Address
	chain chainlink.Chain
	log   *slog.Logger

	mu     sync.Mutex
	host   *p2p.Host
	wanted map[streams.StreamID]bool  // joins made before Attach
	onPeer func(common.Address, bool) // WatchPeers (sync_peers.go)

	replicas *lru.Cache[streams.StreamID, []common.Address]
}

var (
	_ Network     = (*P2PNetwork)(nil)
	_ p2p.Handler = (*Node)(nil)
)

// replicaCacheSize bounds the replica sets kept by P2PNetwork.
const replicaCacheSize = 16384

// NewP2PNetwork returns the network of the node with key on chain; log nil
// discards.
func NewP2PNetwork(key *ecdsa.PrivateKey, chain chainlink.Chain, log *slog.Logger) *P2PNetwork {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c, _ := lru.New[streams.StreamID, []common.Address](replicaCacheSize)
	return &P2PNetwork{
		key:      key,
		self:     crypto.PubkeyToAddress(key.PublicKey),
		chain:    chain,
		log:      log,
		wanted:   map[streams.StreamID]bool{},
		replicas: c,
	}
}

// Attach makes h the network's host and joins the topics of the streams
// that started before it. A second Attach replaces the host.
func (p *P2PNetwork) Attach(h *p2p.Host) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.host = h
	if p.onPeer != nil {
		h.OnPeerChange(p.onPeer)
	}
	for id := range p.wanted {
		if err := h.JoinStream(id); err != nil {
			p.log.Warn("joining stream topic", "stream", id, "err", err)
		}
	}
	p.wanted = map[streams.StreamID]bool{}
}

func (p *P2PNetwork) h() (*p2p.Host, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.host == nil {
		return nil, errNoHost
	}
	return p.host, nil
}

var errNoHost = streams.Errorf(pb.ErrorCode_UNAVAILABLE, "p2p host not started yet")

// JoinStream joins the stream's topic (at Attach, if the host is not up).
func (p *P2PNetwork) JoinStream(id streams.StreamID) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.host == nil {
		p.wanted[id] = true
		return nil
	}
	return p.host.JoinStream(id)
}

// LeaveStream marks the stream's topic unwanted.
func (p *P2PNetwork) LeaveStream(id streams.StreamID) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.host == nil {
		delete(p.wanted, id)
		return
	}
	p.host.LeaveStream(id)
}

// RememberEvent hands the host an event this node parsed (a client's), so
// a block carrying it is parsed without recovering its signature again.
func (p *P2PNetwork) RememberEvent(ev *streams.ParsedEvent) {
	if h, err := p.h(); err == nil {
		h.RememberEvent(ev)
	}
}

// PublishEvent gossips the envelope and delivers it to replicas outside
// the topic.
func (p *P2PNetwork) PublishEvent(ctx context.Context, id streams.StreamID, msg *pb.NewEventReceived) error {
	return p.publish(ctx, id, func(h *p2p.Host) error { return h.PublishEvent(ctx, id, msg.Event) },
		func() (*pb.GossipMessage, error) {
			return &pb.GossipMessage{Msg: &pb.GossipMessage_Event{Event: &pb.NewEventReceived{
				StreamId: id.Bytes(), Event: msg.Event, Sender: p.self.Bytes(),
			}}}, nil
		})
}

// PublishEvents gossips events of one stream, in order, as few
// NewEventsReceived messages as fit (p2p.Host.EventBatches), and delivers
// each batch to replicas outside the topic.
func (p *P2PNetwork) PublishEvents(ctx context.Context, id streams.StreamID, envs []*pb.Envelope) error {
	h, err := p.h()
	if err != nil {
		return err
	}
	var errs []error
	for _, b := range h.EventBatches(envs) {
		gm := p2p.EventsMessage(p.self, id, b)
		errs = append(errs, p.publish(ctx, id, func(h *p2p.Host) error { return h.PublishEvents(ctx, id, b) },
			func() (*pb.GossipMessage, error) { return gm, nil }))
	}
	return errors.Join(errs...)
}

// PublishPool gossips the announcement (the host signs it) and delivers
// it, signed here, to replicas outside the topic.
func (p *P2PNetwork) PublishPool(ctx context.Context, id streams.StreamID, msg *pb.NewEventInPool) error {
	return p.publish(ctx, id, func(h *p2p.Host) error { return h.PublishPool(ctx, msg) },
		func() (*pb.GossipMessage, error) {
			sp, err := p2p.SignPoolAnnounce(p.key, msg)
			if err != nil {
				return nil, err
			}
			return &pb.GossipMessage{Msg: &pb.GossipMessage_Pool{Pool: sp}}, nil
		})
}

// PublishMiniblock gossips the block and delivers it to replicas outside
// the topic.
func (p *P2PNetwork) PublishMiniblock(ctx context.Context, id streams.StreamID, msg *pb.NewMiniblock) error {
	return p.publish(ctx, id, func(h *p2p.Host) error { return h.PublishMiniblock(ctx, id, msg.Miniblock) },
		func() (*pb.GossipMessage, error) {
			return &pb.GossipMessage{Msg: &pb.GossipMessage_Miniblock{Miniblock: msg}}, nil
		})
}

// publish gossips on the topic (when joined) and sends the direct form to
// every other replica the topic lacks, all at once; it returns when every
// send returned. The first error is returned, after all were tried.
func (p *P2PNetwork) publish(ctx context.Context, id streams.StreamID, gossip func(*p2p.Host) error, direct func() (*pb.GossipMessage, error)) error {
	h, err := p.h()
	if err != nil {
		return err
	}
	var errs []error
	in := h.TopicPeers(id)
	if err := gossip(h); err != nil {
		if !errors.Is(err, p2p.ErrNotJoined) {
			errs = append(errs, err)
		}
		in = nil // deliver to every replica
	}
	replicas, err := p.Replicas(ctx, id)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	var out []common.Address
	for _, a := range replicas {
		if a != p.self && !slices.Contains(in, a) {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return errors.Join(errs...)
	}
	gm, err := direct()
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	res := make([]error, len(out))
	var wg sync.WaitGroup
	for i, a := range out {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := h.Deliver(ctx, a, gm); err != nil {
				res[i] = fmt.Errorf("deliver to %s: %w", a, err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(append(errs, res...)...)
}

// Replicas returns the stream's replicas as the chain placed them.
func (p *P2PNetwork) Replicas(ctx context.Context, id streams.StreamID) ([]common.Address, error) {
	if r, ok := p.replicas.Get(id); ok {
		return r, nil
	}
	rec, err := p.chain.Stream(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("replicas of %s: %w", id, err)
	}
	p.replicas.Add(id, rec.Nodes)
	return rec.Nodes, nil
}

// FetchEvents asks a peer for events by hash.
func (p *P2PNetwork) FetchEvents(ctx context.Context, to common.Address, req *pb.FetchEventsRequest) (*pb.FetchEventsResponse, error) {
	h, err := p.h()
	if err != nil {
		return nil, err
	}
	return h.FetchEvents(ctx, to, req)
}

// RequestVote asks a peer for its vote.
func (p *P2PNetwork) RequestVote(ctx context.Context, to common.Address, req *pb.VoteRequest) (*pb.VoteResponse, error) {
	h, err := p.h()
	if err != nil {
		return nil, err
	}
	return h.RequestVote(ctx, to, req)
}

// MiniblockRange asks a peer for stored blocks.
func (p *P2PNetwork) MiniblockRange(ctx context.Context, to common.Address, req *pb.MiniblockRangeRequest) (*pb.MiniblockRangeResponse, error) {
	h, err := p.h()
	if err != nil {
		return nil, err
	}
	return h.MiniblockRange(ctx, to, req)
}

// TopicPeers lists the peers in the stream's topic now (none before
// Attach).
func (p *P2PNetwork) TopicPeers(id streams.StreamID) []common.Address {
	h, err := p.h()
	if err != nil {
		return nil
	}
	return h.TopicPeers(id)
}

// Forward hands a client request to a replica of its stream.
func (p *P2PNetwork) Forward(ctx context.Context, to common.Address, req *pb.ForwardRequest) (*pb.ForwardResponse, error) {
	h, err := p.h()
	if err != nil {
		return nil, err
	}
	return h.Forward(ctx, to, req)
}

// StreamStatus asks a peer where a stream stands there.
func (p *P2PNetwork) StreamStatus(ctx context.Context, to common.Address, req *pb.StreamStatusRequest) (*pb.StreamStatusResponse, error) {
	h, err := p.h()
	if err != nil {
		return nil, err
	}
	return h.StreamStatus(ctx, to, req)
}
