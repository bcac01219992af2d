package actors_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/actors"
	"github.com/towns-node/node/actors/actorstest"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// replicated creates a space and a channel with k = 3 at node 0 of c and
// waits until every node serves the channel.
func replicated(t *testing.T, c *actorstest.Cluster, u *actorstest.User) streams.StreamID {
	t.Helper()
	a := c.Nodes[0]
	space, evs := u.SpaceGenesisRF(t, 3)
	_, nodes, err := a.CreateStream(ctxT(t), space, evs)
	require.NoError(t, err)
	require.Len(t, nodes, 3)
	ch, evs := u.ChannelGenesisRF(t, space, 3)
	genesis, nodes, err := a.CreateStream(ctxT(t), ch, evs)
	require.NoError(t, err)
	require.Len(t, nodes, 3)
	for _, n := range c.Nodes {
		require.Eventually(t, func() bool {
			v, replicas, err := n.View(context.Background(), ch)
			return err == nil && v.LastBlock().Hash == genesis.Hash && len(replicas) == 3
		}, 10*time.Second, 10*time.Millisecond, "node %s adopts the channel", n.Address())
	}
	return ch
}

// sameBlocks checks that every node holds the same miniblocks (I1, I4) and
// returns how often each event hash appears in them.
func sameBlocks(t *testing.T, c *actorstest.Cluster, ch streams.StreamID) map[common.Hash]int {
	t.Helper()
	var want []common.Hash
	seen := map[common.Hash]int{}
	for i, n := range c.Nodes {
		v, _, err := n.View(ctxT(t), ch)
		require.NoError(t, err)
		var got []common.Hash
		for _, mb := range v.RecentBlocks() {
			got = append(got, mb.Hash)
			if i == 0 && mb.Num() > 0 {
				for _, ev := range mb.Events {
					seen[ev.Hash]++
				}
			}
		}
		if i == 0 {
			want = got
			continue
		}
		require.Equal(t, want, got, "node %d holds the same blocks as node 0", i)
		require.Equal(t, c.Nodes[0].Last(t, ch).Hash, v.LastBlock().Hash)
	}
	return seen
}

func TestClusterReplicatesStream(t *testing.T) {
	c := actorstest.StartCluster(t, 3, actorstest.Options{})
	u := actorstest.NewUser(t)
	ch := replicated(t, c, u)
	prev := c.Nodes[0].Last(t, ch)
	var acked []common.Hash
	for i := range 30 {
		n := c.Nodes[i%3]
		ev := u.Event(t, ch, prev, actorstest.Message(fmt.Sprint(i)))
		_, held, err := n.AddEventHeld(ctxT(t), ev)
		require.NoError(t, err, "post %d at node %d", i, i%3)
		require.GreaterOrEqual(t, held, 2, "acked at a majority")
		acked = append(acked, ev.Hash)
	}
	for _, n := range c.Nodes {
		n.WaitSealed(t, ch, 10*time.Second)
	}
	seen := sameBlocks(t, c, ch)
	for _, h := range acked {
		require.Equal(t, 1, seen[h], "acked event %s sealed exactly once", h)
	}
	require.Len(t, seen, len(acked))
	for _, n := range c.Nodes {
		info, err := n.Actor(ctxT(t), ch.String())
		require.NoError(t, err)
		require.Len(t, info.Replicas, 3, "the debug view lists the replicas")
		require.NotEmpty(t, info.LastBlockFrom)
		require.Zero(t, info.PendingAcks)
	}
	require.Positive(t, c.Hub.Count("vote"), "leaders asked remote replicas for votes")
	require.Positive(t, c.Hub.Count("block"), "blocks travelled between replicas")
}

// TestClusterFetchOnMiss drops every envelope gossiped to one replica: it
// still sees the pool announcements, fetches what it lacks, and ends with
// the same blocks.
func TestClusterFetchOnMiss(t *testing.T) {
	cfg := actors.DefaultConfig()
	cfg.FetchDelay = time.Millisecond // before the next block brings the events anyway
	c := actorstest.StartCluster(t, 3, actorstest.Options{Config: cfg, BlockTime: 200 * time.Millisecond})
	u := actorstest.NewUser(t)
	ch := replicated(t, c, u)
	deaf := c.Nodes[2].Address()
	c.Hub.SetDrop(func(from, to common.Address, msg proto.Message) bool {
		_, ev := msg.(*pb.NewEventReceived)
		return ev && to == deaf
	})
	prev := c.Nodes[0].Last(t, ch)
	var acked []common.Hash
	for i := range 20 {
		ev := u.Event(t, ch, prev, actorstest.Message(fmt.Sprint(i)))
		_, err := c.Nodes[i%2].AddEvent(ctxT(t), ev)
		require.NoError(t, err)
		acked = append(acked, ev.Hash)
	}
	for _, n := range c.Nodes {
		n.WaitSealed(t, ch, 10*time.Second)
	}
	seen := sameBlocks(t, c, ch)
	for _, h := range acked {
		require.Equal(t, 1, seen[h])
	}
	require.Positive(t, c.Hub.Count("fetch"), "the deaf replica fetched")
}

// TestClusterSurvivesDeadReplica cuts one replica off: the other two still
// ack (a majority) and seal (when the dead one is elected, the next round's
// leader takes over; streams.TestReplicaLeaderFailover pins that down), and
// the replica catches up when it is back.
func TestClusterSurvivesDeadReplica(t *testing.T) {
	cfg := actors.DefaultConfig()
	cfg.RoundBlocks = 4
	c := actorstest.StartCluster(t, 3, actorstest.Options{Config: cfg, BlockTime: 30 * time.Millisecond})
	u := actorstest.NewUser(t)
	ch := replicated(t, c, u)
	dead := c.Nodes[2]
	c.Hub.Detach(dead.Address())
	prev := c.Nodes[0].Last(t, ch)
	post := func(i int) common.Hash {
		ev := u.Event(t, ch, prev, actorstest.Message(fmt.Sprint(i)))
		_, held, err := c.Nodes[i%2].AddEventHeld(ctxT(t), ev)
		require.NoError(t, err)
		require.GreaterOrEqual(t, held, 2)
		return ev.Hash
	}
	var acked []common.Hash
	for i := range 10 {
		acked = append(acked, post(i))
	}
	for _, n := range c.Nodes[:2] {
		n.WaitSealed(t, ch, 20*time.Second)
	}
	c.Hub.Attach(dead.Node)
	for i := 10; i < 20; i++ {
		acked = append(acked, post(i))
	}
	require.Eventually(t, func() bool {
		for _, n := range c.Nodes {
			v, _, err := n.View(context.Background(), ch)
			if err != nil || v.MinipoolLen() != 0 || v.LastBlock().Hash != c.Nodes[0].Last(t, ch).Hash {
				return false
			}
		}
		return true
	}, 30*time.Second, 20*time.Millisecond, "all three converge")
	seen := sameBlocks(t, c, ch)
	for _, h := range acked {
		require.Equal(t, 1, seen[h])
	}
}

// TestClusterReplicaRestarts stops a replica (its store survives), goes on
// posting at the other two, and restarts it: it closes its gap from its
// peers and ends with the same blocks; nothing acked is lost.
func TestClusterReplicaRestarts(t *testing.T) {
	c := actorstest.StartCluster(t, 3, actorstest.Options{BlockTime: 30 * time.Millisecond})
	u := actorstest.NewUser(t)
	ch := replicated(t, c, u)
	prev := c.Nodes[0].Last(t, ch)
	var acked []common.Hash
	post := func(i, at int) {
		ev := u.Event(t, ch, prev, actorstest.Message(fmt.Sprint(i)))
		_, err := c.Nodes[at].AddEvent(ctxT(t), ev)
		require.NoError(t, err)
		acked = append(acked, ev.Hash)
	}
	for i := range 6 {
		post(i, i%3)
	}
	c.Stop(2)
	for i := 6; i < 16; i++ {
		post(i, i%2)
	}
	// Not waiting for the two to seal: if the stopped node had just
	// registered a block nobody else holds, they can only get it from it.
	c.Restart(t, 2)
	for i := 16; i < 20; i++ {
		post(i, i%3)
	}
	require.Eventually(t, func() bool {
		want := c.Nodes[0].Last(t, ch).Hash
		for _, n := range c.Nodes {
			v, _, err := n.View(context.Background(), ch)
			if err != nil || v.MinipoolLen() != 0 || v.LastBlock().Hash != want {
				return false
			}
		}
		return true
	}, 30*time.Second, 20*time.Millisecond, "the restarted replica catches up")
	seen := sameBlocks(t, c, ch)
	for _, h := range acked {
		require.Equal(t, 1, seen[h], "acked event %s sealed once", h)
	}
}

// TestClusterChainWatchBringsMissedBlock: a replica never gets the block
// gossip; the chain watch (here a test loop over the chain record, calling
// OnRegistered) tells it of the registration, and it fetches the block
// from a peer.
func TestClusterChainWatchBringsMissedBlock(t *testing.T) {
	c := actorstest.StartCluster(t, 3, actorstest.Options{BlockTime: 30 * time.Millisecond})
	u := actorstest.NewUser(t)
	ch := replicated(t, c, u)
	blind := c.Nodes[2].Address()
	c.Hub.SetDrop(func(from, to common.Address, msg proto.Message) bool {
		switch msg.(type) {
		case *pb.NewMiniblock:
			return to == blind
		case *pb.VoteRequest:
			return from == blind // it never leads, so it holds no block itself
		}
		return false
	})
	prev := c.Nodes[0].Last(t, ch)
	for i := range 5 {
		_, err := c.Nodes[i%2].AddEvent(ctxT(t), u.Event(t, ch, prev, actorstest.Message(fmt.Sprint(i))))
		require.NoError(t, err)
	}
	c.Nodes[0].WaitSealed(t, ch, 10*time.Second)
	ranges := c.Hub.Count("range")

	cl := c.Chain.Client(blind)
	defer cl.Close()
	watch := func() {
		rec, err := cl.Stream(ctxT(t), ch)
		require.NoError(t, err)
		for num := int64(1); num <= rec.LastMiniblockNum; num++ {
			h, at, err := cl.MiniblockHash(ctxT(t), ch, num)
			require.NoError(t, err)
			c.Nodes[2].OnRegistered(ch, num, h, at)
		}
	}
	require.Eventually(t, func() bool {
		watch()
		v, _, err := c.Nodes[2].View(context.Background(), ch)
		return err == nil && v.LastBlock().Hash == c.Nodes[0].Last(t, ch).Hash
	}, 10*time.Second, 50*time.Millisecond)
	require.Greater(t, c.Hub.Count("range"), ranges, "it fetched the block")
	sameBlocks(t, c, ch)
}

// TestClusterHeadsOnlyToStreamsWithWork is TestHeadsOnlyToStreamsWithWork
// at k = 3: ten live streams of three replicas, once idle, get no chain
// heads on any node (deliveries counted); a post turns the heads on for
// its stream alone, and once it is sealed they stop again.
func TestClusterHeadsOnlyToStreamsWithWork(t *testing.T) {
	c := actorstest.StartCluster(t, 3, actorstest.Options{}) // idle timeout 30 s
	u := actorstest.NewUser(t)
	var chans []streams.StreamID
	for range 5 {
		chans = append(chans, replicated(t, c, u)) // a space and a channel each
	}
	delivered := func() int {
		n := 0
		for _, nd := range c.Nodes {
			n += int(testutil.ToFloat64(nd.Metrics.HeadsDelivered))
		}
		return n
	}
	// quiet reports whether no head went to any stream actor while the
	// chain mined 4 blocks.
	quiet := func() bool {
		d0, h0 := delivered(), c.Chain.Head().Number
		require.Eventually(t, func() bool { return c.Chain.Head().Number >= h0+4 }, 10*time.Second, 5*time.Millisecond)
		return delivered() == d0
	}
	require.Eventually(t, quiet, 20*time.Second, time.Millisecond, "idle streams of k = 3 still get heads")

	d0, h0 := delivered(), c.Chain.Head().Number
	ch := chans[2]
	ev := u.Event(t, ch, c.Nodes[0].Last(t, ch), actorstest.Message("hi"))
	_, held, err := c.Nodes[0].AddEventHeld(ctxT(t), ev)
	require.NoError(t, err)
	require.GreaterOrEqual(t, held, 2)
	for _, n := range c.Nodes {
		v := n.WaitSealed(t, ch, 10*time.Second)
		require.Equal(t, int64(1), v.LastBlock().Num())
	}
	heads := int(c.Chain.Head().Number - h0)
	got := delivered() - d0
	require.Positive(t, got, "the stream with work got heads")
	// One stream on each of 3 nodes, at most one head per chain block plus
	// the one sent ahead of its first message; the 9 idle streams, none.
	require.LessOrEqual(t, got, 3*(heads+2), "heads went to streams without work (%d heads mined)", heads)
	require.Eventually(t, quiet, 20*time.Second, time.Millisecond, "heads did not stop after the block")
	for _, n := range c.Nodes {
		require.Equal(t, 10, countStreams(t, n.Node), "the streams stayed live throughout")
	}
}
