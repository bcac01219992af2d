package p2p_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/p2p"
	"github.com/towns-node/node/p2p/p2ptest"
	"github.com/towns-node/node/streams"
)

func TestTopicsFollowActiveStreams(t *testing.T) {
	const hosted, active = 10000, 200
	const delay = 300 * time.Millisecond
	nw, _, ms := recorded(t, 2, p2ptest.Options{Config: func(i int, c *p2p.Config) {
		c.LeaveDelay = delay
		c.MaxJoined = 300
	}})
	nw.WaitMesh(t, 20*time.Second)
	h := nw.Hosts[0]
	ids := make([]streams.StreamID, hosted)
	for i := range ids {
		ids[i] = p2ptest.StreamID(t)
	}
	// The stream actors of the active streams join; the other 9,800 are
	// hosted but passivated and never join.
	for _, id := range ids[:active] {
		require.NoError(t, h.JoinStream(id))
		require.NoError(t, nw.Hosts[1].JoinStream(id))
	}
	require.Equal(t, active, h.Joined())
	t.Logf("hello packet: %d bytes with %d of %d hosted streams joined; %d bytes if all were (limit %d)",
		h.HelloSize(), active, hosted, p2p.HelloBytes("test", ids), p2p.MaxHelloBytes)
	require.Less(t, h.HelloSize(), p2p.MaxHelloBytes)
	require.Greater(t, p2p.HelloBytes("test", ids), p2p.MaxHelloBytes, "the reason topics follow actors")
	// The peer sees every joined topic.
	p2ptest.WaitFor(t, 20*time.Second, "peer in all joined topics", func() bool {
		for _, id := range ids[:active] {
			if !slices.Contains(h.TopicPeers(id), nw.Addr(1)) {
				return false
			}
		}
		return true
	})

	// Activity moves: 50 streams passivate, 50 others wake.
	for _, id := range ids[:50] {
		h.LeaveStream(id)
	}
	for _, id := range ids[active : active+50] {
		require.NoError(t, h.JoinStream(id))
	}
	require.Equal(t, active+50, h.Joined(), "left topics stay joined during the leave delay")
	p2ptest.WaitFor(t, 10*time.Second, "joined back to the active count", func() bool { return h.Joined() == active })
	require.Equal(t, 50.0, testutil.ToFloat64(ms[0].TopicLeaves))

	// Hysteresis: a stream that passivates and wakes again within the
	// delay never leaves its topic.
	h.LeaveStream(ids[100])
	require.NoError(t, h.JoinStream(ids[100]))
	stay := time.Now().Add(2 * delay)
	p2ptest.WaitFor(t, 10*time.Second, "two leave delays passed", func() bool { return time.Now().After(stay) })
	require.Equal(t, 50.0, testutil.ToFloat64(ms[0].TopicLeaves))
	require.Equal(t, active, h.Joined())

	// The set is bounded: past MaxJoined wanted topics, joins are refused.
	var err error
	for _, id := range ids[active+50:] {
		if err = h.JoinStream(id); err != nil {
			break
		}
	}
	require.ErrorIs(t, err, p2p.ErrTooManyTopics)
	require.Equal(t, 300, h.Joined())
}

func TestPassivatedReplicaGetsDeliveryAndRejoins(t *testing.T) {
	const delay = 200 * time.Millisecond
	nw, recs, _ := recorded(t, 2, p2ptest.Options{Config: func(i int, c *p2p.Config) { c.LeaveDelay = delay }})
	nw.WaitMesh(t, 20*time.Second)
	a, b := nw.Hosts[0], nw.Hosts[1]
	id := p2ptest.StreamID(t)
	nw.JoinAll(t, id, 20*time.Second)
	// b's stream actor wakes (rejoins the topic) on any message for it.
	wake := func(_ common.Address, sid streams.StreamID, _ *streams.ParsedEvent) { _ = b.JoinStream(sid) }
	recs[1].SetOnEvent(wake)

	b.LeaveStream(id) // passivated
	p2ptest.WaitFor(t, 10*time.Second, "b out of the topic", func() bool { return len(a.TopicPeers(id)) == 0 })

	key, err := crypto.GenerateKey()
	require.NoError(t, err)
	env := p2ptest.Message(t, key, id, "while passivated")
	ctx := context.Background()
	require.NoError(t, a.PublishEvent(ctx, id, env)) // reaches nobody
	require.Empty(t, a.TopicPeers(id))
	require.NoError(t, a.Deliver(ctx, b.Address(), eventMsg(id, env)))
	require.Equal(t, 1, recs[1].Events(common.BytesToHash(env.Hash)))
	p2ptest.WaitFor(t, 20*time.Second, "b back in the topic", func() bool { return slices.Contains(a.TopicPeers(id), b.Address()) })
	next := p2ptest.Message(t, key, id, "after waking")
	require.NoError(t, a.PublishEvent(ctx, id, next))
	p2ptest.WaitFor(t, 20*time.Second, "gossip reaches the woken replica", func() bool {
		return recs[1].Events(common.BytesToHash(next.Hash)) == 1
	})
}
