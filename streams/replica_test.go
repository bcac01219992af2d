package streams

import (
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/proto/pb"
)

func TestReplicaSingleAcksOnOwnWrite(t *testing.T) {
	p := newPump(t, 1)
	n := p.nodes[0]
	n.effs = nil
	req, ev := p.post(0, "hi")
	a, ok := p.answers[req]
	require.True(t, ok, "answered")
	require.NoError(t, a.Err)
	require.Equal(t, 1, a.Held)
	require.Equal(t, int64(1), a.Generation)
	require.NotNil(t, n.r.View().PoolEvent(ev.Hash), "durable")
	require.Empty(t, effectsOf[PublishPool](n), "one replica gossips nothing")
	require.Empty(t, effectsOf[PublishEvent](n))
	require.Len(t, effectsOf[PersistEvents](n), 1)
}

func TestReplicaSingleSealsOnHead(t *testing.T) {
	p := newPump(t, 1)
	_, ev := p.post(0, "hi")
	p.newHead()
	n := p.nodes[0]
	require.Equal(t, int64(1), n.r.View().LastBlock().Num())
	require.Equal(t, []*ParsedEvent{ev}, n.r.View().LastBlock().Events)
	require.Zero(t, n.r.View().MinipoolLen())
	applied := effectsOf[BlockApplied](n)
	require.Len(t, applied, 1)
	require.Empty(t, effectsOf[PublishBlock](n), "one replica gossips nothing")
	require.Equal(t, p.chainReg[1].ChainBlock, n.r.Status().LastRegisteredAt)
	p.converged()
}

func TestReplicaRejectsBadClientEvent(t *testing.T) {
	p := newPump(t, 1)
	stranger := testKey("stranger")
	ev := p.event(p.nodes[0].r.v, stranger, "x")
	p.send(-1, 0, ClientEvent{Req: 77, Event: ev})
	p.run()
	require.Equal(t, pb.ErrorCode_PERMISSION_DENIED, CodeOf(p.answers[77].Err))
	require.Nil(t, p.nodes[0].r.tip.PoolEvent(ev.Hash))
	require.Empty(t, effectsOf[PersistEvents](p.nodes[0]), "nothing written")
}

func TestReplicaStoreFailureAnswersUnavailable(t *testing.T) {
	p := newPump(t, 1)
	p.failNext[0] = true
	req, ev := p.post(0, "x")
	require.Equal(t, pb.ErrorCode_UNAVAILABLE, CodeOf(p.answers[req].Err))
	require.Nil(t, p.nodes[0].r.tip.PoolEvent(ev.Hash), "not in the tip after a failed write")
	req, _ = p.post(0, "y")
	require.NoError(t, p.answers[req].Err)
}

func TestReplicaMajorityAck(t *testing.T) {
	p := newPump(t, 3)
	req, ev := p.post(1, "hello")
	a := p.answers[req]
	require.NoError(t, a.Err)
	require.GreaterOrEqual(t, a.Held, 2)
	for _, n := range p.nodes {
		require.NotNil(t, n.r.View().PoolEvent(ev.Hash), "node %d holds it", n.idx)
	}
}

func TestReplicaAckWaitsForAnnouncements(t *testing.T) {
	p := newPump(t, 3)
	// Nothing reaches node 1 (the poster) from its peers until released.
	var held []delivery
	p.drop = func(d delivery) bool {
		if d.to == 1 && d.from >= 0 && d.from != 1 {
			held = append(held, d)
			return true
		}
		return false
	}
	req, _ := p.post(1, "hello")
	_, answered := p.answers[req]
	require.False(t, answered, "own write alone is not a majority of 3")
	p.drop = nil
	p.queue = append(p.queue, held...)
	p.run()
	require.NoError(t, p.answers[req].Err)
	require.GreaterOrEqual(t, p.answers[req].Held, 2)
}

func TestReplicaQuorumNotReached(t *testing.T) {
	p := newPump(t, 3)
	p.drop = func(d delivery) bool { return d.from == 1 || (d.to == 1 && d.from >= 0) } // node 1 is cut off
	req, _ := p.post(1, "alone")
	p.advance(10 * time.Second)
	a := p.answers[req]
	require.Equal(t, pb.ErrorCode_QUORUM_NOT_REACHED, CodeOf(a.Err))
	require.Equal(t, 1, a.Held)
}

func TestReplicaPeerEventCheckedByRules(t *testing.T) {
	p := newPump(t, 3)
	n := p.nodes[2]
	bad := p.event(n.r.v, testKey("stranger"), "spam")
	p.send(0, 2, PeerEvent{From: p.nodes[0].addr, Event: bad})
	p.run()
	rej := effectsOf[EventRejected](n)
	require.Len(t, rej, 1)
	require.Equal(t, pb.ErrorCode_PERMISSION_DENIED, CodeOf(rej[0].Err))
	require.Nil(t, n.r.tip.PoolEvent(bad.Hash))
}

func TestReplicaFetchOnMiss(t *testing.T) {
	p := newPump(t, 3)
	// Node 2 loses every envelope; it still sees the announcements.
	p.drop = func(d delivery) bool {
		_, isEv := d.in.(PeerEvent)
		return d.to == 2 && isEv
	}
	req, ev := p.post(0, "lost")
	require.NoError(t, p.answers[req].Err, "nodes 0 and 1 make a majority")
	n := p.nodes[2]
	require.Nil(t, n.r.View().PoolEvent(ev.Hash))
	require.Equal(t, 1, n.r.Status().Missing)
	p.advance(time.Second)
	require.NotNil(t, n.r.View().PoolEvent(ev.Hash), "fetched and durable")
	f := effectsOf[FetchEvents](n)
	require.NotEmpty(t, f)
	require.Equal(t, FetchAnnounced, f[0].Reason)
	require.Contains(t, []common.Address{p.nodes[0].addr, p.nodes[1].addr}, f[0].From, "asked an announcer")
	require.Zero(t, n.r.Status().Missing)
}

func TestReplicaPenalizesAnnouncerThatCannotServe(t *testing.T) {
	p := newPump(t, 3)
	n := p.nodes[2]
	ghost := common.HexToHash("0x1234")
	p.send(0, 2, PoolAnnounce{From: p.nodes[0].addr, Generation: 1, Hashes: []common.Hash{ghost}})
	p.run()
	p.advance(10 * time.Second)
	pen := effectsOf[Penalize](n)
	require.NotEmpty(t, pen)
	require.Equal(t, p.nodes[0].addr, pen[0].Peer)
	require.Zero(t, n.r.Status().Missing, "gave up: nothing waits forever")
	f := effectsOf[FetchEvents](n)
	require.Len(t, f, 2, "the announcer, then the other replica")
	require.Equal(t, p.nodes[0].addr, f[0].From)
	require.Equal(t, p.nodes[1].addr, f[1].From)
}

// TestReplicaRepublishesWhenGossipIsLost: the first NewEventReceived and
// NewEventInPool of an event are lost; the poster publishes them once more
// and the ack comes before its timeout.
func TestReplicaRepublishesWhenGossipIsLost(t *testing.T) {
	p := newPump(t, 3)
	lost := true
	p.drop = func(d delivery) bool {
		switch d.in.(type) {
		case PeerEvent, PoolAnnounce:
			return lost && d.from == 0
		}
		return false
	}
	req, _ := p.post(0, "lost once")
	_, answered := p.answers[req]
	require.False(t, answered)
	lost = false
	p.advance(p.nodes[0].r.cfg.AckTimeout / 2)
	require.NoError(t, p.answers[req].Err)
	require.GreaterOrEqual(t, p.answers[req].Held, 2)
	require.Len(t, effectsOf[PublishEvent](p.nodes[0]), 2, "published twice")
}
