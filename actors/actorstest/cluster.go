package actorstest

import (
	"context"
	"crypto/ecdsa"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/actors"
	"github.com/towns-node/node/chainlink/memchain"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/store"
	"github.com/towns-node/node/streams"
)

// Hub is an in-process stand-in for the p2p network: it connects the
// actors.Nodes of one process. Topics are per stream (a node gets gossip
// for a stream once its actor joined); direct requests reach any attached
// node. Drop, when set, loses messages.
type Hub struct {
	mu     sync.Mutex
	nodes  map[common.Address]*actors.Node
	topics map[streams.StreamID]map[common.Address]bool
	drop   func(from, to common.Address, msg proto.Message) bool
	counts map[string]int
}

// NewHub returns an empty hub.
func NewHub() *Hub {
	return &Hub{nodes: map[common.Address]*actors.Node{}, topics: map[streams.StreamID]map[common.Address]bool{}, counts: map[string]int{}}
}

// Attach makes n reachable.
func (h *Hub) Attach(n *actors.Node) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.nodes[n.Address()] = n
}

// Detach makes the node at a unreachable (a crash).
func (h *Hub) Detach(a common.Address) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.nodes, a)
}

// SetDrop sets (nil: clears) the loss filter. It sees every message
// before it is delivered: gossip and requests.
func (h *Hub) SetDrop(fn func(from, to common.Address, msg proto.Message) bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.drop = fn
}

// Count is how many messages of a kind ("event", "pool", "block", "fetch",
// "vote", "range", "status") the hub delivered.
func (h *Hub) Count(kind string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.counts[kind]
}

// Network is the actors.Network of the node at self.
func (h *Hub) Network(self common.Address) actors.Network { return &hubNet{h: h, self: self} }

var errUnreachable = streams.Errorf(pb.ErrorCode_UNAVAILABLE, "peer unreachable")

// target returns the node at to, or nil when it is detached or the message
// is dropped.
func (h *Hub) target(kind string, from, to common.Address, msg proto.Message) *actors.Node {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := h.nodes[to]
	if n == nil || h.nodes[from] == nil || (h.drop != nil && h.drop(from, to, msg)) {
		return nil
	}
	h.counts[kind]++
	return n
}

func (h *Hub) peers(id streams.StreamID, self common.Address) []common.Address {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []common.Address
	for a := range h.topics[id] {
		if a != self {
			out = append(out, a)
		}
	}
	return out
}

type hubNet struct {
	h    *Hub
	self common.Address
}

var _ actors.Network = (*hubNet)(nil)

func (n *hubNet) JoinStream(id streams.StreamID) error {
	n.h.mu.Lock()
	defer n.h.mu.Unlock()
	if n.h.topics[id] == nil {
		n.h.topics[id] = map[common.Address]bool{}
	}
	n.h.topics[id][n.self] = true
	return nil
}

func (n *hubNet) LeaveStream(id streams.StreamID) {
	n.h.mu.Lock()
	defer n.h.mu.Unlock()
	delete(n.h.topics[id], n.self)
}

func (n *hubNet) PublishEvent(_ context.Context, id streams.StreamID, msg *pb.NewEventReceived) error {
	for _, to := range n.h.peers(id, n.self) {
		if t := n.h.target("event", n.self, to, msg); t != nil {
			// Each receiver parses, as its topic validator would.
			ev, err := streams.ParseEnvelope(proto.Clone(msg.Event).(*pb.Envelope))
			if err == nil {
				t.OnEvent(n.self, id, ev)
			}
		}
	}
	return nil
}

func (n *hubNet) PublishPool(_ context.Context, id streams.StreamID, msg *pb.NewEventInPool) error {
	for _, to := range n.h.peers(id, n.self) {
		if t := n.h.target("pool", n.self, to, msg); t != nil {
			t.OnPoolAnnounce(n.self, proto.Clone(msg).(*pb.NewEventInPool))
		}
	}
	return nil
}

func (n *hubNet) PublishMiniblock(_ context.Context, id streams.StreamID, msg *pb.NewMiniblock) error {
	for _, to := range n.h.peers(id, n.self) {
		if t := n.h.target("block", n.self, to, msg); t != nil {
			t.OnMiniblockRaw(n.self, id, proto.Clone(msg.Miniblock).(*pb.Miniblock))
		}
	}
	return nil
}

func (n *hubNet) FetchEvents(ctx context.Context, to common.Address, req *pb.FetchEventsRequest) (*pb.FetchEventsResponse, error) {
	t := n.h.target("fetch", n.self, to, req)
	if t == nil {
		return nil, errUnreachable
	}
	return t.FetchEvents(ctx, n.self, req), nil
}

func (n *hubNet) RequestVote(ctx context.Context, to common.Address, req *pb.VoteRequest) (*pb.VoteResponse, error) {
	t := n.h.target("vote", n.self, to, req)
	if t == nil {
		return nil, errUnreachable
	}
	return t.Vote(ctx, n.self, req), nil
}

func (n *hubNet) MiniblockRange(ctx context.Context, to common.Address, req *pb.MiniblockRangeRequest) (*pb.MiniblockRangeResponse, error) {
	t := n.h.target("range", n.self, to, req)
	if t == nil {
		return nil, errUnreachable
	}
	return t.MiniblockRange(ctx, n.self, req), nil
}

func (n *hubNet) StreamStatus(ctx context.Context, to common.Address, req *pb.StreamStatusRequest) (*pb.StreamStatusResponse, error) {
	t := n.h.target("status", n.self, to, req)
	if t == nil {
		return nil, errUnreachable
	}
	return t.StreamStatus(ctx, n.self, req), nil
}

// Cluster is k nodes on one in-memory chain, connected by a Hub.
type Cluster struct {
	Nodes []*Node
	Hub   *Hub
	Chain *memchain.Chain
	cfg   actors.Config
}

// StartCluster starts k nodes (each with its own memory store) on one
// memchain, connected by a Hub; everything stops at cleanup.
func StartCluster(tb testing.TB, k int, o Options) *Cluster {
	tb.Helper()
	if o.Config.IdleTimeout == 0 {
		o.Config = actors.DefaultConfig()
	}
	if o.BlockTime == 0 {
		o.BlockTime = 50 * time.Millisecond
	}
	c := &Cluster{Hub: NewHub(), Chain: memchain.New(memchain.Config{BlockTime: o.BlockTime}), cfg: o.Config}
	tb.Cleanup(func() { _ = c.Chain.Close() })
	for range k {
		key, err := crypto.GenerateKey()
		require.NoError(tb, err)
		st := store.NewMemory()
		tb.Cleanup(func() { _ = st.Close() })
		c.Nodes = append(c.Nodes, c.start(tb, key, st, nil))
	}
	return c
}

// start runs a node of the cluster on key and st; it stops at cleanup.
func (c *Cluster) start(tb testing.TB, key *ecdsa.PrivateKey, st store.Store, obs actors.Observer) *Node {
	tb.Helper()
	addr := crypto.PubkeyToAddress(key.PublicKey)
	cl := c.Chain.Client(addr)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	m := actors.NopMetrics()
	n, err := actors.Start(ctx, c.cfg, actors.Deps{Key: key, Store: st, Chain: cl, Network: c.Hub.Network(addr), Observer: obs, Metrics: m})
	cancel()
	require.NoError(tb, err)
	c.Hub.Attach(n)
	tb.Cleanup(func() {
		c.Hub.Detach(addr)
		n.Stop()
		_ = cl.Close()
	})
	return &Node{Node: n, Store: st, Chain: c.Chain, Key: key, Metrics: m}
}

// Stop stops node i (a crash: what is not in its store is gone) and makes
// it unreachable.
func (c *Cluster) Stop(i int) {
	c.Hub.Detach(c.Nodes[i].Address())
	c.Nodes[i].Stop()
}

// Restart starts node i again on its key and store.
func (c *Cluster) Restart(tb testing.TB, i int) { c.RestartObserved(tb, i, nil) }

// RestartObserved restarts node i as Restart does, with obs as its observer.
func (c *Cluster) RestartObserved(tb testing.TB, i int, obs actors.Observer) {
	tb.Helper()
	old := c.Nodes[i]
	old.Stop()
	c.Nodes[i] = c.start(tb, old.Key, old.Store, obs)
}

// Node returns the cluster node with address a.
func (c *Cluster) Node(a common.Address) *Node {
	for _, n := range c.Nodes {
		if n.Address() == a {
			return n
		}
	}
	return nil
}
