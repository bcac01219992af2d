package p2p

import (
	"context"
	"net"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pubsubpb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/connmgr"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/towns-node/node/streams"
)

// Gossip: one gossipsub router per host; topic per stream; content message
// ids; no pubsub signatures (events and blocks are signed by their authors,
// pool announcements by their node); flood publish; validators that decode
// and check before anything is forwarded, and hand the checked value to the
// Handler so a signature is recovered once per node.

// Queue sizes, set for bursts (the defaults, 32 each, drop most of a burst
// of a few thousand messages).
const (
	peerOutboundQueue = 16384 // RPCs queued to one peer before DropRPC
	validateQueue     = 16384 // messages waiting for a validator
	validateThrottle  = 8192  // validators running at once (each is short)
	seenTTL           = 2 * time.Minute
)

func (n *Host) startGossip(ctx context.Context) error {
	n.subs = newSubFilter(n.cfg.Network, n.cfg.MaxPeerTopics, n.m)
	n.h.Network().Notify(n.subs.notifiee(n.h.Network()))
	params := pubsub.DefaultGossipSubParams()
	// Our gossip carries at most a few messages per stream per second to
	// k-1 other replicas; the defaults (D=6) fit and are kept.
	ps, err := pubsub.NewGossipSub(n.ctx, n.h,
		pubsub.WithGossipSubParams(params),
		pubsub.WithMessageSignaturePolicy(pubsub.StrictNoSign),
		pubsub.WithNoAuthor(),
		pubsub.WithMessageIdFn(func(m *pubsubpb.Message) string { return MessageID(m.Data) }),
		pubsub.WithFloodPublish(true),
		pubsub.WithPeerExchange(false), // peers come from our discovery, not from PX
		pubsub.WithPeerScore(scoreParams(n.rates.penalty), scoreThresholds()),
		pubsub.WithSubscriptionFilter(n.subs),
		pubsub.WithDefaultValidator(pubsub.ValidatorEx(n.validate), pubsub.WithValidatorTimeout(5*time.Second)),
		pubsub.WithPeerOutboundQueueSize(peerOutboundQueue),
		pubsub.WithValidateQueueSize(validateQueue),
		pubsub.WithValidateThrottle(validateThrottle),
		pubsub.WithMaxMessageSize(n.cfg.MaxGossipBytes),
		pubsub.WithSeenMessagesTTL(seenTTL),
		pubsub.WithRawTracer(&gossipTracer{m: n.m, mesh: &n.mesh, cm: n.h.ConnManager()}),
		pubsub.WithPeerScoreInspect(n.scores.set, time.Second),
		pubsub.WithLogger(n.log.With("lib", "pubsub")),
		// Only peers admitted by the gater get this far; keep pubsub to
		// those whose key maps to an address.
		pubsub.WithPeerFilter(func(p peer.ID, _ string) bool { _, ok := n.book.learn(p); return ok }),
	)
	if err != nil {
		return err
	}
	n.ps = ps
	n.topics = newTopicSet(n)
	n.goLoop(n.topics.sweepLoop)
	return nil
}

// scoreParams: peer scoring. Invalid messages (a bad hash or signature)
// are what we penalise, and (app, the app-specific score) direct requests
// refused over the peer's rate (peerrate.go); mesh-delivery penalties are
// off because a stream topic has only k-1 other peers and quiet streams
// are normal.
func scoreParams(app func(peer.ID) float64) *pubsub.PeerScoreParams {
	return &pubsub.PeerScoreParams{
		Topics:            map[string]*pubsub.TopicScoreParams{}, // per topic at join
		TopicScoreCap:     50,
		AppSpecificScore:  app,
		AppSpecificWeight: 1,
		// Many nodes behind one address is suspicious on the internet but
		// normal on loopback devnets and tests.
		IPColocationFactorWeight:    -10,
		IPColocationFactorThreshold: 8,
		IPColocationFactorWhitelist: []*net.IPNet{{IP: net.IPv4(127, 0, 0, 0), Mask: net.CIDRMask(8, 32)}},
		BehaviourPenaltyWeight:      -10,
		BehaviourPenaltyThreshold:   6,
		BehaviourPenaltyDecay:       0.9,
		DecayInterval:               time.Second,
		DecayToZero:                 0.01,
		RetainScore:                 10 * time.Minute,
	}
}

// streamTopicScore: one invalid message costs 50 (past the gossip
// threshold), a few put the peer on the graylist; the penalty decays by
// 10% a second, so an honest peer with a bug recovers in about a minute.
var streamTopicScore = &pubsub.TopicScoreParams{
	TopicWeight:                     1,
	TimeInMeshWeight:                0.01,
	TimeInMeshQuantum:               time.Second,
	TimeInMeshCap:                   100,
	FirstMessageDeliveriesWeight:    0.5,
	FirstMessageDeliveriesDecay:     0.9,
	FirstMessageDeliveriesCap:       50,
	MeshMessageDeliveriesDecay:      0.9,
	MeshMessageDeliveriesCap:        1,
	MeshMessageDeliveriesThreshold:  1,
	MeshMessageDeliveriesWindow:     10 * time.Millisecond,
	MeshMessageDeliveriesActivation: time.Minute,
	MeshFailurePenaltyDecay:         0.9,
	InvalidMessageDeliveriesWeight:  -50,
	InvalidMessageDeliveriesDecay:   0.9,
}

func scoreThresholds() *pubsub.PeerScoreThresholds {
	return &pubsub.PeerScoreThresholds{
		GossipThreshold:             -40,  // one invalid message: no more gossip to or from it
		PublishThreshold:            -150, // a few: not published to
		GraylistThreshold:           -400, // many: its RPCs are ignored
		AcceptPXThreshold:           100,  // PX is off anyway
		OpportunisticGraftThreshold: 2,
	}
}

// validate is the one validator of every stream topic. Our own publishes
// carry their checked value as ValidatorData and are accepted as they are.
func (n *Host) validate(_ context.Context, from peer.ID, msg *pubsub.Message) pubsub.ValidationResult {
	if msg.ValidatorData != nil && from == n.h.ID() {
		return pubsub.ValidationAccept
	}
	id, ok := ParseTopic(n.cfg.Network, msg.GetTopic())
	if !ok {
		n.m.GossipRejected.WithLabelValues("topic").Inc()
		return pubsub.ValidationReject
	}
	p, err := n.parseGossip(msg.Data)
	if err != nil {
		n.m.GossipRejected.WithLabelValues(codeLabel(err)).Inc()
		n.log.Debug("rejected gossip", "from", from, "topic", msg.GetTopic(), "err", err)
		return pubsub.ValidationReject
	}
	if p.Stream != id {
		n.m.GossipRejected.WithLabelValues("wrong_topic").Inc()
		return pubsub.ValidationReject
	}
	msg.ValidatorData = p
	fromAddr, _ := n.book.learn(msg.ReceivedFrom)
	if !n.dispatch(fromAddr, MessageID(msg.Data), p) {
		n.m.GossipRejected.WithLabelValues("duplicate").Inc()
		return pubsub.ValidationIgnore
	}
	return pubsub.ValidationAccept
}

// dispatch hands a checked message to the handler once per message id
// (gossip and deliver share the record). It reports false for a duplicate.
func (n *Host) dispatch(from common.Address, msgID string, p *Parsed) bool {
	if !n.seen.add(msgID) {
		return false
	}
	h := n.handler.get()
	if h == nil {
		n.m.Gossip.WithLabelValues("no_handler").Inc()
		return true
	}
	switch {
	case p.Event != nil:
		h.OnEvent(from, p.Stream, p.Event)
	case p.Events != nil:
		for _, ev := range p.Events {
			h.OnEvent(from, p.Stream, ev)
		}
	case p.Pool != nil:
		h.OnPoolAnnounce(from, p.Pool)
	case p.Miniblock != nil:
		h.OnMiniblock(from, p.Stream, p.Miniblock)
	}
	return true
}

// seenSet remembers message ids for about seenTTL in two generations, so
// memory stays bounded by the traffic of two periods.
type seenSet struct {
	mu       sync.Mutex
	cur, old map[string]struct{}
	rotated  time.Time
}

func newSeenSet() *seenSet {
	return &seenSet{cur: map[string]struct{}{}, old: map[string]struct{}{}, rotated: time.Now()}
}

func (s *seenSet) add(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if time.Since(s.rotated) > seenTTL {
		s.old, s.cur, s.rotated = s.cur, map[string]struct{}{}, time.Now()
	}
	if _, ok := s.cur[id]; ok {
		return false
	}
	if _, ok := s.old[id]; ok {
		return false
	}
	s.cur[id] = struct{}{}
	return true
}

// subFilter accepts only this network's stream topic names and caps the
// topics one peer may announce. Subscriptions past the cap are dropped, not
// the whole RPC, so the peer's messages keep flowing.
type subFilter struct {
	network string
	max     int
	m       *Metrics

	mu    sync.Mutex
	peers map[peer.ID]map[string]struct{}
}

var _ pubsub.SubscriptionFilter = (*subFilter)(nil)

func newSubFilter(network string, max int, m *Metrics) *subFilter {
	return &subFilter{network: network, max: max, m: m, peers: map[peer.ID]map[string]struct{}{}}
}

func (f *subFilter) CanSubscribe(topic string) bool {
	_, ok := ParseTopic(f.network, topic)
	return ok
}

func (f *subFilter) FilterIncomingSubscriptions(from peer.ID, subs []*pubsubpb.RPC_SubOpts) ([]*pubsubpb.RPC_SubOpts, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	set := f.peers[from]
	if set == nil {
		set = map[string]struct{}{}
		f.peers[from] = set
	}
	out := subs[:0:0]
	dropped := 0
	for _, s := range subs {
		t := s.GetTopicid()
		if !f.CanSubscribe(t) {
			dropped++
			continue
		}
		if s.GetSubscribe() {
			if _, ok := set[t]; !ok {
				if len(set) >= f.max {
					dropped++
					continue
				}
				set[t] = struct{}{}
			}
		} else {
			delete(set, t)
		}
		out = append(out, s)
	}
	if dropped > 0 {
		f.m.FilteredSubs.Add(float64(dropped))
	}
	return out, nil
}

func (f *subFilter) notifiee(nw network.Network) network.Notifiee {
	return &network.NotifyBundle{DisconnectedF: func(_ network.Network, c network.Conn) {
		p := c.RemotePeer()
		if nw.Connectedness(p) == network.Connected {
			return
		}
		f.mu.Lock()
		delete(f.peers, p)
		f.mu.Unlock()
	}}
}

// gossipTracer feeds pubsub's raw events to Prometheus.
// Mesh peers of our topics are protected from the connection manager's
// trimming while they stay in the mesh.
type gossipTracer struct {
	m    *Metrics
	mesh *meshBook
	cm   connmgr.ConnManager
}

var _ pubsub.RawTracer = (*gossipTracer)(nil)

func (t *gossipTracer) DeliverMessage(*pubsub.Message) { t.m.Gossip.WithLabelValues("delivered").Inc() }
func (t *gossipTracer) RejectMessage(_ *pubsub.Message, reason string) {
	switch reason {
	case pubsub.RejectValidationIgnored:
		t.m.Gossip.WithLabelValues("ignored").Inc()
	case pubsub.RejectValidationThrottled, pubsub.RejectValidationQueueFull:
		t.m.Gossip.WithLabelValues("throttled").Inc()
	default:
		t.m.Gossip.WithLabelValues("rejected").Inc()
	}
}
func (t *gossipTracer) DuplicateMessage(*pubsub.Message) {
	t.m.Gossip.WithLabelValues("duplicate").Inc()
}
func (t *gossipTracer) ThrottlePeer(peer.ID)         { t.m.Gossip.WithLabelValues("throttled").Inc() }
func (t *gossipTracer) DropRPC(*pubsub.RPC, peer.ID) { t.m.Gossip.WithLabelValues("dropped_rpc").Inc() }
func (t *gossipTracer) UndeliverableMessage(*pubsub.Message) {
	t.m.Gossip.WithLabelValues("undeliverable").Inc()
}
func (t *gossipTracer) OnNewOutboundStream(peer.ID, protocol.ID) {}
func (t *gossipTracer) OnClosedOutboundStream(peer.ID)           {}
func (t *gossipTracer) Join(string)                              {}
func (t *gossipTracer) Leave(topic string) {
	t.m.TopicLeaves.Inc()
	for _, p := range t.mesh.leave(topic) {
		t.cm.Unprotect(p, topic)
	}
}
func (t *gossipTracer) Graft(p peer.ID, topic string) {
	t.mesh.graft(p, topic)
	t.cm.Protect(p, topic)
}
func (t *gossipTracer) Prune(p peer.ID, topic string) {
	t.mesh.prune(p, topic)
	t.cm.Unprotect(p, topic)
}
func (t *gossipTracer) ValidateMessage(*pubsub.Message)                      {}
func (t *gossipTracer) RecvRPC(*pubsub.RPC)                                  {}
func (t *gossipTracer) SendRPC(*pubsub.RPC, peer.ID)                         {}
func (t *gossipTracer) SendRPCCompleted(*pubsub.RPC, peer.ID, time.Duration) {}

// codeLabel is the wire code of err, for metric labels.
func codeLabel(err error) string { return streams.CodeOf(err).String() }
