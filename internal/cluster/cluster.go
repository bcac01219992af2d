// Package cluster starts networks of whole nodes in one test process: each
// an actors.Node with its own memory store, on its own real libp2p host on
// loopback (p2p, joined by actors.P2PNetwork as `node run` joins them), all
// on one shared memchain. Tests of replication over the real network build
// on it; actorstest.Cluster is the same without libp2p.
//
// Restart waits until the restarted node's host is connected again; a
// restarted replica behind the chain catches up at start, without traffic
// (TestNetworkRestartQuietCatchesUp).
package cluster

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/actors"
	"github.com/towns-node/node/actors/actorstest"
	"github.com/towns-node/node/chainlink/memchain"
	"github.com/towns-node/node/p2p"
	"github.com/towns-node/node/p2p/p2ptest"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/store"
	"github.com/towns-node/node/streams"
)

// Options shape a network. The zero value: actors.DefaultConfig, 100 ms
// chain blocks, p2ptest.Config hosts.
type Options struct {
	Config    actors.Config
	BlockTime time.Duration
	// RoundBlocks is the chain's R (0: chainlink.DefaultRoundBlocks).
	RoundBlocks uint64
	// Host adjusts host i's config.
	Host func(i int, c *p2p.Config)
}

// Node is one node of the network. Node, Host and Net change when it is
// restarted; Store and Key stay.
type Node struct {
	*actorstest.Node
	Host    *p2p.Host
	Net     *actors.P2PNetwork
	Metrics *actors.Metrics
	// filter stands between the host and the actors (Drop).
	filter *filter

	i    int
	live bool
}

// Network is n nodes on one memchain.
type Network struct {
	Chain *memchain.Chain
	Nodes []*Node
	P2P   *p2ptest.Network

	t testing.TB
	o Options
}

// New starts n nodes; everything stops at the end of the test.
func New(t testing.TB, n int, o Options) *Network {
	t.Helper()
	if o.Config.IdleTimeout == 0 {
		o.Config = actors.DefaultConfig()
	}
	if o.BlockTime == 0 {
		o.BlockTime = 100 * time.Millisecond
	}
	mc := memchain.New(memchain.Config{BlockTime: o.BlockTime, RoundBlocks: o.RoundBlocks})
	t.Cleanup(func() { _ = mc.Close() })
	nw := &Network{Chain: mc, P2P: &p2ptest.Network{Chain: mc}, t: t, o: o}
	for i := range n {
		key, err := crypto.GenerateKey()
		require.NoError(t, err)
		nw.P2P.Keys = append(nw.P2P.Keys, key)
		st := store.NewMemory()
		t.Cleanup(func() { _ = st.Close() })
		nd := &Node{Node: &actorstest.Node{Store: st, Chain: mc, Key: key}, filter: &filter{}, i: i}
		nw.Nodes = append(nw.Nodes, nd)
	}
	// Every node registers (actors.Start) before any host starts, so the
	// gaters admit each other from the first dial.
	for _, nd := range nw.Nodes {
		nw.startActors(nd)
	}
	for _, nd := range nw.Nodes {
		nw.startHost(nd)
	}
	nw.P2P.WaitMesh(t, 20*time.Second)
	return nw
}

func (nw *Network) startActors(nd *Node) {
	t := nw.t
	t.Helper()
	addr := crypto.PubkeyToAddress(nd.Key.PublicKey)
	cl := nw.Chain.Client(addr)
	nd.Metrics = actors.NewMetrics(prometheus.NewRegistry())
	nd.Net = actors.NewP2PNetwork(nd.Key, cl, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n, err := actors.Start(ctx, nw.o.Config, actors.Deps{Key: nd.Key, Store: nd.Store, Chain: cl, Network: nd.Net, Metrics: nd.Metrics})
	require.NoError(t, err)
	nd.Node.Node = n
	nd.live = true
	t.Cleanup(func() {
		n.Stop()
		_ = cl.Close()
	})
}

func (nw *Network) startHost(nd *Node) {
	t := nw.t
	t.Helper()
	nd.filter.node.Store(nd.Node.Node)
	h := nw.P2P.Start(t, nd.i, p2ptest.Options{
		Config: nw.o.Host,
		Deps:   func(_ int, d *p2p.Deps) { d.Handler = nd.filter },
	})
	if len(nw.P2P.Hosts) <= nd.i {
		nw.P2P.Hosts = append(nw.P2P.Hosts, h)
	} else {
		nw.P2P.Hosts[nd.i] = h
	}
	nd.Host = h
	nd.Net.Attach(h)
}

// Kill stops the node's actors and host (its store stays, as after a
// crash).
func (nw *Network) Kill(nd *Node) {
	if !nd.live {
		return
	}
	nd.live = false
	_ = nd.Host.Close()
	nd.Node.Node.Stop()
}

// Restart starts a killed node again on its store and key.
func (nw *Network) Restart(nd *Node) {
	require.False(nw.t, nd.live, "%s is running", nd)
	nw.startActors(nd)
	nw.startHost(nd)
	// Connected before the test goes on.
	p2ptest.WaitFor(nw.t, 20*time.Second, nd.String()+" reconnected", func() bool {
		return len(nd.Host.Connected()) >= len(nw.Live())-1
	})
}

// Wipe kills the node, gives it an empty store (its data dir wiped) and
// starts it again on its key.
func (nw *Network) Wipe(nd *Node) {
	nw.t.Helper()
	nw.Kill(nd)
	st := store.NewMemory()
	nw.t.Cleanup(func() { _ = st.Close() })
	nd.Store = st
	nw.Restart(nd)
}

// Live lists the running nodes.
func (nw *Network) Live() []*Node {
	var out []*Node
	for _, nd := range nw.Nodes {
		if nd.live {
			out = append(out, nd)
		}
	}
	return out
}

// Node returns the node with address a, or nil.
func (nw *Network) Node(a common.Address) *Node {
	for _, nd := range nw.Nodes {
		if nd.Address() == a {
			return nd
		}
	}
	return nil
}

// Drop makes node i drop the gossip messages fn returns true for (nil:
// none) before its actors see them; kind is "event", "pool", "block",
// "status" for the direct stream-status request (a creator's wake-up), or
// "range" for a miniblock-range request it would serve (refused UNAVAILABLE).
func (nd *Node) Drop(fn func(kind string, from common.Address) bool) { nd.filter.setDrop(fn) }

// Fetches is the node's fetches_total counter for reason ("announced",
// "block", "blocks", ...).
func (nd *Node) Fetches(reason string) float64 {
	return testutil.ToFloat64(nd.Metrics.Fetches.WithLabelValues(reason))
}

// Blocks reads the stream's stored miniblocks from node nd's store, from
// the genesis on.
func (nd *Node) Blocks(t testing.TB, id streams.StreamID) []*streams.ParsedMiniblock {
	t.Helper()
	ctx := context.Background()
	last, err := nd.Store.LastMiniblock(ctx, id[:])
	require.NoError(t, err)
	stored, err := nd.Store.ReadMiniblocks(ctx, id[:], 0, last.Num+1)
	require.NoError(t, err)
	out := make([]*streams.ParsedMiniblock, 0, len(stored))
	for _, b := range stored {
		pmb := &pb.Miniblock{}
		require.NoError(t, proto.Unmarshal(b.Data, pmb))
		if len(b.Snapshot) > 0 { // the store's copy: the exact bytes the header hashes
			pmb.Snapshot = b.Snapshot
		}
		mb, err := streams.ParseMiniblock(pmb)
		require.NoError(t, err)
		out = append(out, mb)
	}
	return out
}

// Replicated creates a space and a channel with k replicas at node 0 and
// waits until every replica serves the channel; it returns the channel and
// its replicas.
func (nw *Network) Replicated(t testing.TB, u *actorstest.User, k int) (streams.StreamID, []*Node) {
	t.Helper()
	a := nw.Nodes[0]
	space, evs := u.SpaceGenesisRF(t, uint32(k))
	_, _, err := a.CreateStream(ctxT(t), space, evs)
	require.NoError(t, err)
	return nw.Channel(t, a, u, space, k)
}

// Channel creates a channel of space with k replicas at node a (a must
// hold the space) and waits until every replica serves it.
func (nw *Network) Channel(t testing.TB, a *Node, u *actorstest.User, space streams.StreamID, k int) (streams.StreamID, []*Node) {
	t.Helper()
	ch, evs := u.ChannelGenesisRF(t, space, uint32(k))
	genesis, nodes, err := a.CreateStream(ctxT(t), ch, evs)
	require.NoError(t, err)
	require.Len(t, nodes, k)
	var reps []*Node
	for _, addr := range nodes {
		n := nw.Node(addr)
		require.NotNil(t, n)
		reps = append(reps, n)
		require.Eventually(t, func() bool {
			v, replicas, err := n.View(context.Background(), ch)
			return err == nil && v.LastBlock().Num() >= 0 && len(replicas) == k && (v.LastBlock().Num() > 0 || v.LastBlock().Hash == genesis.Hash)
		}, 20*time.Second, 10*time.Millisecond, "node %s adopts the channel", n.Address())
	}
	return ch, reps
}

// Converged reports whether every node of nodes has an empty minipool
// and the same last block.
func Converged(id streams.StreamID, nodes []*Node) bool {
	var last common.Hash
	for i, n := range nodes {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		v, _, err := n.View(ctx, id)
		cancel()
		if err != nil || v.MinipoolLen() != 0 {
			return false
		}
		if i > 0 && v.LastBlock().Hash != last {
			return false
		}
		last = v.LastBlock().Hash
	}
	return true
}

// WaitConverged waits until Converged holds.
func WaitConverged(t testing.TB, id streams.StreamID, nodes []*Node, timeout time.Duration) {
	t.Helper()
	require.Eventually(t, func() bool { return Converged(id, nodes) }, timeout, 20*time.Millisecond,
		"replicas converge on one chain of blocks with empty minipools")
}

// SameBlocks checks that nodes hold identical miniblocks, height by height
// from the genesis (I1, I4), and returns node 0's.
func SameBlocks(t testing.TB, id streams.StreamID, nodes []*Node) []*streams.ParsedMiniblock {
	t.Helper()
	want := nodes[0].Blocks(t, id)
	for _, n := range nodes[1:] {
		got := n.Blocks(t, id)
		require.Equal(t, len(want), len(got), "node %s holds as many blocks as node %s", n.Address(), nodes[0].Address())
		for i := range want {
			require.Equal(t, want[i].Hash, got[i].Hash, "block %d at %s", i, n.Address())
		}
	}
	return want
}

// Sealed counts the appearances of each event hash in blocks 1.. (as an
// event) and lists the rejected hashes their headers carry.
func Sealed(blocks []*streams.ParsedMiniblock) (events map[common.Hash]int, rejected map[common.Hash]bool) {
	events, rejected = map[common.Hash]int{}, map[common.Hash]bool{}
	for _, mb := range blocks {
		if mb.Num() == 0 {
			continue
		}
		for _, ev := range mb.Events {
			events[ev.Hash]++
		}
		for _, h := range mb.Header.GetRejectedEventHashes() {
			rejected[common.BytesToHash(h)] = true
		}
	}
	return events, rejected
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// filter is the p2p.Handler of a test node: the node's, behind a drop
// filter.
type filter struct {
	node atomic.Pointer[actors.Node]
	mu   sync.Mutex
	drop func(kind string, from common.Address) bool
}

var _ p2p.Handler = (*filter)(nil)

func (f *filter) setDrop(fn func(kind string, from common.Address) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.drop = fn
}

func (f *filter) dropped(kind string, from common.Address) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.drop != nil && f.drop(kind, from)
}

func (f *filter) OnEvent(from common.Address, id streams.StreamID, ev *streams.ParsedEvent) {
	if !f.dropped("event", from) {
		f.node.Load().OnEvent(from, id, ev)
	}
}

func (f *filter) OnPoolAnnounce(from common.Address, msg *pb.NewEventInPool) {
	if !f.dropped("pool", from) {
		f.node.Load().OnPoolAnnounce(from, msg)
	}
}

func (f *filter) OnMiniblock(from common.Address, id streams.StreamID, mb *streams.ParsedMiniblock) {
	if !f.dropped("block", from) {
		f.node.Load().OnMiniblock(from, id, mb)
	}
}

func (f *filter) FetchEvents(ctx context.Context, from common.Address, req *pb.FetchEventsRequest) *pb.FetchEventsResponse {
	return f.node.Load().FetchEvents(ctx, from, req)
}

func (f *filter) Vote(ctx context.Context, from common.Address, req *pb.VoteRequest) *pb.VoteResponse {
	return f.node.Load().Vote(ctx, from, req)
}

func (f *filter) MiniblockRange(ctx context.Context, from common.Address, req *pb.MiniblockRangeRequest) *pb.MiniblockRangeResponse {
	if f.dropped("range", from) {
		return &pb.MiniblockRangeResponse{Error: &pb.Error{Code: pb.ErrorCode_UNAVAILABLE, Message: "dropped by the test"}}
	}
	return f.node.Load().MiniblockRange(ctx, from, req)
}

func (f *filter) StreamStatus(ctx context.Context, from common.Address, req *pb.StreamStatusRequest) *pb.StreamStatusResponse {
	if f.dropped("status", from) {
		return &pb.StreamStatusResponse{Error: &pb.Error{Code: pb.ErrorCode_UNAVAILABLE, Message: "dropped by the test"}}
	}
	return f.node.Load().StreamStatus(ctx, from, req)
}

func (f *filter) PushBlock(ctx context.Context, from common.Address, id streams.StreamID, mb *streams.ParsedMiniblock) *pb.PushBlockResponse {
	return f.node.Load().PushBlock(ctx, from, id, mb)
}

func (f *filter) ValidateBlock(ctx context.Context, from common.Address, id streams.StreamID, mb *streams.ParsedMiniblock) *pb.ValidateBlockResponse {
	return f.node.Load().ValidateBlock(ctx, from, id, mb)
}

var _ p2p.BlockHandler = (*filter)(nil)

// Key is node i's key.
func (nw *Network) Key(i int) *ecdsa.PrivateKey { return nw.Nodes[i].Key }

func (nd *Node) String() string { return fmt.Sprintf("node%d(%s)", nd.i, nd.Address().Hex()[:8]) }

// Bare replaces the node with a bare host on its key: no actors behind it
// (its handler answers nothing), so a test can speak for the node as a
// misbehaving peer. The node counts as killed.
func (nw *Network) Bare(nd *Node) *p2p.Host {
	nw.t.Helper()
	nw.Kill(nd)
	h := nw.P2P.Start(nw.t, nd.i, p2ptest.Options{Config: nw.o.Host})
	nw.P2P.Hosts[nd.i] = h
	return h
}

func (f *filter) Forwarded(ctx context.Context, from common.Address, req *pb.ForwardRequest) *pb.ForwardResponse {
	return f.node.Load().Forwarded(ctx, from, req)
}
