package p2p

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pubsubpb "github.com/libp2p/go-libp2p-pubsub/pb"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// topicSet is the bounded set of joined stream topics. JoinStream and
// LeaveStream mark a stream wanted or not; a topic is left in pubsub only
// after it stayed unwanted for LeaveDelay (the sweep), so a stream that is
// left and rejoined within the delay never leaves pubsub: a rejoin within
// ~30 s black-holes a topic for 13-30 s (MEASURED.md). A joined topic is
// relayed, not subscribed: the validator hands checked messages to the
// Handler, so no goroutine or buffer is kept per topic.
//
// A topic joined again within LeaveDelay of its pubsub leave gets twice
// the delay it had (up to maxDelayGrowth × LeaveDelay): a stream posted to
// every minute or so would otherwise leave and rejoin within 30 s on every
// post (BenchmarkTopicChurn). Recently left topics are remembered in left,
// bounded by leftCap; eviction under MaxJoined still uses LeaveDelay.
type topicSet struct {
	n *Host

	mu   sync.Mutex
	m    map[streams.StreamID]*joinedTopic
	left map[streams.StreamID]leftTopic
}

type joinedTopic struct {
	topic  *pubsub.Topic
	cancel pubsub.RelayCancelFunc
	wanted bool
	since  time.Time     // when it became unwanted
	delay  time.Duration // its leave delay: LeaveDelay, or more after quick rejoins
}

type leftTopic struct {
	at    time.Time
	delay time.Duration
}

// maxDelayGrowth caps a topic's grown leave delay at this many LeaveDelays.
const maxDelayGrowth = 8

func newTopicSet(n *Host) *topicSet {
	return &topicSet{n: n, m: map[streams.StreamID]*joinedTopic{}, left: map[streams.StreamID]leftTopic{}}
}

// leftCap bounds the remembered left topics.
func (s *topicSet) leftCap() int { return 4 * s.n.cfg.MaxJoined }

// delayFor is the leave delay of a topic joined now.
func (s *topicSet) delayFor(id streams.StreamID, now time.Time) time.Duration {
	base := s.n.cfg.LeaveDelay
	l, ok := s.left[id]
	if !ok {
		return base
	}
	delete(s.left, id)
	if now.Sub(l.at) >= base {
		return base
	}
	return min(2*l.delay, maxDelayGrowth*base)
}

// JoinStream joins the stream's topic (or keeps it, if it is within its
// leave delay). ErrTooManyTopics when MaxJoined topics are wanted or
// within their delay.
func (n *Host) JoinStream(id streams.StreamID) error {
	return n.topics.join(id)
}

// LeaveStream marks the stream's topic unwanted; it is left after
// LeaveDelay unless joined again.
func (n *Host) LeaveStream(id streams.StreamID) { n.topics.leave(id) }

// Joined is the number of topics joined in pubsub: wanted ones plus those
// within their leave delay. It is what the hello packet to a new peer
// carries.
func (n *Host) Joined() int {
	n.topics.mu.Lock()
	defer n.topics.mu.Unlock()
	return len(n.topics.m)
}

// HelloSize is the size in bytes of the subscription part of the hello
// packet this host sends every new peer (gossipsub checks it against its
// 512 KiB control-message limit and drops all of it past that).
func (n *Host) HelloSize() int {
	n.topics.mu.Lock()
	ids := make([]streams.StreamID, 0, len(n.topics.m))
	for id := range n.topics.m {
		ids = append(ids, id)
	}
	n.topics.mu.Unlock()
	return HelloBytes(n.cfg.Network, ids)
}

// HelloBytes is the size of the subscription part of a hello packet that
// announces the topics of ids.
func HelloBytes(network string, ids []streams.StreamID) int {
	rpc := &pubsubpb.RPC{}
	for _, id := range ids {
		t := TopicName(network, id)
		sub := true
		rpc.Subscriptions = append(rpc.Subscriptions, &pubsubpb.RPC_SubOpts{Subscribe: &sub, Topicid: &t})
	}
	return proto.Size(rpc)
}

// MaxHelloBytes is gossipsub's control-message limit, which the hello
// packet must stay under (MEASURED.md).
const MaxHelloBytes = 512 << 10

func (s *topicSet) join(id streams.StreamID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.m[id]; ok {
		e.wanted = true
		return nil
	}
	if len(s.m) >= s.n.cfg.MaxJoined && !s.evictLocked() {
		return fmt.Errorf("%w: %d joined", ErrTooManyTopics, len(s.m))
	}
	t, err := s.n.ps.Join(TopicName(s.n.cfg.Network, id))
	if err != nil {
		return fmt.Errorf("p2p: join topic of %s: %w", id, err)
	}
	if err := t.SetScoreParams(streamTopicScore); err != nil {
		_ = t.Close()
		return fmt.Errorf("p2p: topic score of %s: %w", id, err)
	}
	cancel, err := t.Relay()
	if err != nil {
		_ = t.Close()
		return fmt.Errorf("p2p: relay topic of %s: %w", id, err)
	}
	s.m[id] = &joinedTopic{topic: t, cancel: cancel, wanted: true, delay: s.delayFor(id, time.Now())}
	s.n.m.JoinedTopics.Set(float64(len(s.m)))
	return nil
}

// evictLocked leaves the unwanted topic whose delay ran out first, to make
// room; false when there is none.
func (s *topicSet) evictLocked() bool {
	var victim streams.StreamID
	var oldest time.Time
	found := false
	for id, e := range s.m {
		if !e.wanted && time.Since(e.since) >= s.n.cfg.LeaveDelay && (!found || e.since.Before(oldest)) {
			victim, oldest, found = id, e.since, true
		}
	}
	if found {
		s.closeLocked(victim)
	}
	return found
}

func (s *topicSet) leave(id streams.StreamID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.m[id]; ok && e.wanted {
		e.wanted, e.since = false, time.Now()
	}
}

func (s *topicSet) closeLocked(id streams.StreamID) {
	e := s.m[id]
	delete(s.m, id)
	if len(s.left) < s.leftCap() {
		s.left[id] = leftTopic{at: time.Now(), delay: e.delay}
	}
	e.cancel()
	if err := e.topic.Close(); err != nil {
		s.n.log.Debug("closing topic", "stream", id, "err", err)
	}
	s.n.m.JoinedTopics.Set(float64(len(s.m)))
}

// sweepLoop leaves topics unwanted for LeaveDelay.
func (s *topicSet) sweepLoop() {
	every := min(max(s.n.cfg.LeaveDelay/4, 10*time.Millisecond), time.Second)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.n.ctx.Done():
			return
		case <-t.C:
		}
		s.mu.Lock()
		for id, e := range s.m {
			if !e.wanted && time.Since(e.since) >= e.delay {
				s.closeLocked(id)
			}
		}
		for id, l := range s.left {
			if time.Since(l.at) >= s.n.cfg.LeaveDelay {
				delete(s.left, id) // a rejoin now would start from LeaveDelay anyway
			}
		}
		s.mu.Unlock()
	}
}

func (s *topicSet) get(id streams.StreamID) (*pubsub.Topic, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[id]
	if !ok {
		return nil, false
	}
	return e.topic, true
}

// TopicPeers lists the chain addresses of peers in the stream's topic
// (empty when not joined).
func (n *Host) TopicPeers(id streams.StreamID) []common.Address {
	t, ok := n.topics.get(id)
	if !ok {
		return nil
	}
	var out []common.Address
	for _, p := range t.ListPeers() {
		if a, ok := n.book.learn(p); ok {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(a, b common.Address) int { return a.Cmp(b) })
	return out
}

// localMsg marks our own publishes for the validator.
type localMsg struct{}

func (n *Host) publish(ctx context.Context, id streams.StreamID, kind string, gm *pb.GossipMessage) error {
	t, ok := n.topics.get(id)
	if !ok {
		return fmt.Errorf("%w: %s", ErrNotJoined, id)
	}
	b, err := proto.Marshal(gm)
	if err != nil {
		return err
	}
	if len(b) > n.cfg.MaxGossipBytes {
		return streams.Errorf(pb.ErrorCode_RESOURCE_EXHAUSTED, "%s message is %d bytes, gossip limit %d", kind, len(b), n.cfg.MaxGossipBytes)
	}
	// Our own message must not come back to our handler as news.
	n.seen.add(MessageID(b))
	if err := t.Publish(ctx, b, pubsub.WithValidatorData(localMsg{})); err != nil {
		return fmt.Errorf("p2p: publish %s on %s: %w", kind, id, err)
	}
	n.m.Published.WithLabelValues(kind).Inc()
	return nil
}

// PublishEvent gossips a NewEventReceived with the full envelope. The
// caller has checked the envelope (it is not parsed again here).
func (n *Host) PublishEvent(ctx context.Context, id streams.StreamID, env *pb.Envelope) error {
	return n.publish(ctx, id, "event", &pb.GossipMessage{Msg: &pb.GossipMessage_Event{Event: &pb.NewEventReceived{
		StreamId: id.Bytes(), Event: env, Sender: n.addr.Bytes(),
	}}})
}

// PublishEvents gossips envs, events of stream id in order, as
// NewEventsReceived messages: as few as fit the message limits
// (EventBatches). The caller has checked the envelopes.
func (n *Host) PublishEvents(ctx context.Context, id streams.StreamID, envs []*pb.Envelope) error {
	for _, b := range n.EventBatches(envs) {
		if err := n.publish(ctx, id, "events", EventsMessage(n.addr, id, b)); err != nil {
			return err
		}
	}
	return nil
}

// EventsMessage is the gossip message of a batch of stream id's events
// sent by sender.
func EventsMessage(sender common.Address, id streams.StreamID, envs []*pb.Envelope) *pb.GossipMessage {
	return &pb.GossipMessage{Msg: &pb.GossipMessage_Events{Events: &pb.NewEventsReceived{
		StreamId: id.Bytes(), Events: envs, Sender: sender.Bytes(),
	}}}
}

// EventBatches splits envs, in order, into batches that fit one gossip
// message and one deliver request (the smaller of MaxGossipBytes and
// MaxRequestBytes, less room for the framing). An envelope too large on
// its own is a batch of one, which publish then refuses.
func (n *Host) EventBatches(envs []*pb.Envelope) [][]*pb.Envelope {
	limit := min(n.cfg.MaxGossipBytes, n.cfg.MaxRequestBytes) - batchSlack
	var out [][]*pb.Envelope
	start, size := 0, 0
	for i, env := range envs {
		sz := proto.Size(env) + 8 // field tag and length
		if i > start && size+sz > limit {
			out = append(out, envs[start:i])
			start, size = i, 0
		}
		size += sz
	}
	if start < len(envs) {
		out = append(out, envs[start:])
	}
	return out
}

// batchSlack is the room EventBatches leaves for the message's other
// fields and the deliver frame.
const batchSlack = 4 << 10

// PublishPool signs msg with the node key (Node set to our address when
// empty) and gossips it on its stream's topic.
func (n *Host) PublishPool(ctx context.Context, msg *pb.NewEventInPool) error {
	id, err := streams.StreamIDFromBytes(msg.GetStreamId())
	if err != nil {
		return err
	}
	sp, err := SignPoolAnnounce(n.key, msg)
	if err != nil {
		return err
	}
	return n.publish(ctx, id, "pool", &pb.GossipMessage{Msg: &pb.GossipMessage_Pool{Pool: sp}})
}

// PublishMiniblock gossips a sealed, registered miniblock.
func (n *Host) PublishMiniblock(ctx context.Context, id streams.StreamID, mb *pb.Miniblock) error {
	return n.publish(ctx, id, "miniblock", &pb.GossipMessage{Msg: &pb.GossipMessage_Miniblock{Miniblock: &pb.NewMiniblock{Miniblock: mb}}})
}
