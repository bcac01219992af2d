package cluster_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/actors"
	"github.com/towns-node/node/actors/actorstest"
	"github.com/towns-node/node/internal/cluster"
	"github.com/towns-node/node/p2p"
	"github.com/towns-node/node/streams"
)

// liveStreams counts node n's live stream actors.
// liveStreams counts n's live stream actors. It is called inside
// require.Eventually's goroutine, so it reports errors with t.Error.
func liveStreams(t *testing.T, n *cluster.Node) int {
	infos, err := n.Actors(context.Background())
	if err != nil {
		t.Error(err)
		return -1
	}
	c := 0
	for _, i := range infos {
		if i.Kind == actors.KindStream {
			c++
		}
	}
	return c
}

// TestNetworkTopicsFollowActors: of many streams hosted, only the active
// ones have their topics joined; a replica whose actor passivated (its
// topic left) gets the next event by direct delivery, wakes and rejoins.
func TestNetworkTopicsFollowActors(t *testing.T) {
	cfg := actors.DefaultConfig()
	cfg.IdleTimeout = 3 * time.Second
	nw := cluster.New(t, 3, cluster.Options{Config: cfg, Host: func(_ int, c *p2p.Config) { c.LeaveDelay = 50 * time.Millisecond }})
	u := actorstest.NewUser(t)
	const hosted = 8
	space, evs := u.SpaceGenesisRF(t, 3)
	_, _, err := nw.Nodes[0].CreateStream(ctxT(t), space, evs)
	require.NoError(t, err)
	var channels []streams.StreamID
	for range hosted {
		ch, _ := nw.Channel(t, nw.Nodes[0], u, space, 3)
		channels = append(channels, ch)
	}
	// Idle: every actor passivates and every topic is left.
	for _, n := range nw.Nodes {
		require.Eventually(t, func() bool { return n.Host.Joined() == 0 && liveStreams(t, n) == 0 },
			30*time.Second, 20*time.Millisecond, "%s leaves every topic once idle", n)
	}
	// Two channels become active, through one node: the others get the
	// events directly, wake and join those two topics only.
	active := channels[:2]
	at := nw.Nodes[1]
	for _, ch := range active {
		ev := u.Event(t, ch, at.Last(t, ch), actorstest.Message("wake up"))
		_, held, err := at.AddEventHeld(ctxT(t), ev)
		require.NoError(t, err)
		require.GreaterOrEqual(t, held, 2, "acked by a replica that was passivated")
	}
	for _, n := range nw.Nodes {
		require.Eventually(t, func() bool { return n.Host.Joined() == len(active) },
			20*time.Second, 10*time.Millisecond, "%s joins the topics of the active streams only", n)
	}
	for _, ch := range active {
		cluster.WaitConverged(t, ch, nw.Nodes, 20*time.Second)
		cluster.SameBlocks(t, ch, nw.Nodes)
	}
}
