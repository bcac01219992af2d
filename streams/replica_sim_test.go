package streams

import (
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/proto/pb"
)

// Regressions found by the simulator (internal/sim): each replays the
// shape of a failing seed on the pump.

// Seed 120: a block that arrives before its registration is mined gets a
// ReadRegistration that answers nothing; if the Registered input is then
// missed, the next heads must read it again.
func TestReplicaRereadsRegistrationReadTooEarly(t *testing.T) {
	p := newPump(t, 3)
	randao := pumpRandao(10)
	leader := p.index(ElectLeader(randao, p.w.view.StreamID(), 1, 0, p.w.replicas))
	lag := (leader + 1) % 3
	p.drop = func(d delivery) bool {
		switch d.in.(type) {
		case BlockReceived, Registered:
			return d.to == lag
		}
		return false
	}
	req, _ := p.post(leader, "early block")
	require.NoError(t, p.answers[req].Err)
	p.newHead()
	p.advance(3 * time.Second)
	mb := p.nodes[leader].r.recentBlock(1)
	require.NotNil(t, mb, "sealed")
	require.Equal(t, int64(0), p.nodes[lag].r.v.LastBlock().Num())

	// The block reaches lag while its chain read still finds nothing.
	reg := p.chainReg[1]
	delete(p.chainReg, 1)
	p.chainTop = 0
	p.drop = nil
	p.send(leader, lag, BlockReceived{From: p.nodes[leader].addr, Block: mb})
	p.run()
	require.Equal(t, int64(0), p.nodes[lag].r.v.LastBlock().Num())
	p.chainReg[1], p.chainTop = reg, 1

	p.newHead()
	p.advance(time.Second)
	require.Equal(t, mb.Hash, p.nodes[lag].r.v.LastBlock().Hash, "read the registration again on a head")
}

// Seed 1190 of the soak: a replica that missed a quiet stream's last block
// (gossip and registration) leads the old generation; its voters answer
// BAD_MINIBLOCK_NUM, which must make it reconcile with the chain.
func TestReplicaLaggingLeaderSyncs(t *testing.T) {
	p := newPump(t, 3)
	randao := pumpRandao(10)
	leader := p.index(ElectLeader(randao, p.w.view.StreamID(), 1, 0, p.w.replicas))
	lag := (leader + 1) % 3
	p.drop = func(d delivery) bool {
		switch d.in.(type) {
		case BlockReceived, Registered:
			return d.to == lag
		}
		return false
	}
	req, ev := p.post(leader, "sealed behind its back")
	require.NoError(t, p.answers[req].Err)
	p.newHead()
	p.advance(3 * time.Second)
	require.NotNil(t, p.nodes[leader].r.recentBlock(1), "sealed")
	require.NotNil(t, p.nodes[lag].r.v.PoolEvent(ev.Hash), "lag still holds the sealed event")
	require.Equal(t, int64(0), p.nodes[lag].r.v.LastBlock().Num())

	p.drop = nil
	for range 12 * pumpRoundBlocks {
		p.newHead()
		p.advance(time.Second)
	}
	require.Equal(t, p.nodes[leader].r.v.LastBlock().Hash, p.nodes[lag].r.v.LastBlock().Hash)
	require.NotEmpty(t, effectsOf[SyncChain](p.nodes[lag]))
}

// Seed 1 of the simulator on the merged replica: a replica one block behind
// fetches an event that names the block it has not applied. Its own tip
// cannot judge it (BAD_PREV_MINIBLOCK_HASH: unknown miniblock); that must
// not make it a reject, or the replica, once caught up and elected, lists
// a valid, acked event as rejected instead of sealing it.
func TestReplicaBehindDoesNotRejectEventNamingNewerBlock(t *testing.T) {
	p := newPump(t, 3)
	randao := pumpRandao(10)
	leader := p.index(ElectLeader(randao, p.w.view.StreamID(), 1, 0, p.w.replicas))
	lag := (leader + 1) % 3
	p.drop = func(d delivery) bool {
		switch d.in.(type) {
		case BlockReceived, Registered:
			return d.to == lag
		}
		return false
	}
	req, _ := p.post(leader, "sealed behind its back")
	require.NoError(t, p.answers[req].Err)
	p.newHead()
	p.advance(3 * time.Second)
	require.NotNil(t, p.nodes[leader].r.recentBlock(1), "sealed")
	require.Equal(t, int64(0), p.nodes[lag].r.v.LastBlock().Num())

	// An event naming block 1: lag refuses the gossiped copy, then fetches
	// it on the announcement and finds it names a block it lacks. (No votes
	// yet, so it is still in the minipools to be fetched.)
	p.drop = func(d delivery) bool {
		switch d.in.(type) {
		case BlockReceived, Registered:
			return d.to == lag
		case VoteRequested:
			return true
		}
		return false
	}
	req, ev := p.post(leader, "names block 1")
	require.NoError(t, p.answers[req].Err, "leader and the third replica make a majority")
	require.Equal(t, int64(1), ev.Event.PrevMiniblockNum)
	p.advance(p.nodes[lag].r.cfg.FetchDelay * 2)
	require.Equal(t, int64(0), p.nodes[lag].r.v.LastBlock().Num(), "still behind when it judged the event")
	require.NotEmpty(t, effectsOf[FetchEvents](p.nodes[lag]), "fetched it")
	require.Nil(t, p.nodes[lag].r.rejects[ev.Hash], "an event naming a block lag has not applied is not a reject")

	// Caught up, every replica seals it; no header lists it as rejected.
	p.drop = nil
	for range 12 * pumpRoundBlocks {
		if mb := p.nodes[lag].r.recentBlock(2); mb != nil && mb.hasEvent(ev.Hash) {
			break
		}
		p.newHead()
		p.advance(time.Second)
	}
	p.converged()
	sealed := false
	for _, mb := range p.nodes[lag].r.v.RecentBlocks() {
		for _, e := range mb.Events {
			sealed = sealed || e.Hash == ev.Hash
		}
		for _, h := range mb.Header.RejectedEventHashes {
			require.NotEqual(t, ev.Hash, common.BytesToHash(h), "block %d lists a valid acked event as rejected", mb.Num())
		}
	}
	require.True(t, sealed, "the acked event is sealed")
}

// Seed 16522 of the simulator: RestoreView does not know the recency
// window, so after a restart a stored join whose reference had left it (a
// reject before the crash) went back into the minipool and took its user's
// one membership change of the generation from a later, acked join, which
// became a reject, was never listed, and expired: acked, neither sealed nor
// rejected. AddRejects prunes the stale one and gives the acked one its
// place back.
func TestReplicaRestartStaleJoinDoesNotDisplaceAckedJoin(t *testing.T) {
	p := newPump(t, 1)
	for range 3 {
		p.sealRound(t, 1)
	}
	v := p.nodes[0].r.v
	require.Equal(t, int64(3), v.LastBlock().Num())
	bob := testKey("bob")
	mk := func(ref *ParsedMiniblock, at time.Time) *ParsedEvent {
		ev := &pb.StreamEvent{StreamId: v.StreamID().Bytes(), PrevMiniblockHash: ref.Hash.Bytes(),
			PrevMiniblockNum: ref.Num(), CreatedAtMs: at.UnixMilli()}
		setPayload(ev, join(pb.StreamType_STREAM_TYPE_CHANNEL, addrOf(bob)))
		return p.w.sign(bob, ev)
	}
	stale := mk(v.RecentBlocks()[0], p.now.Add(-time.Second))
	acked := mk(v.LastBlock(), p.now)
	require.NoError(t, v.CanAddEvent(p.w.cfg, acked, p.now))

	// What RestoreView rebuilds from a store holding both, the stale one first.
	restored := v.AddEvent(stale)
	require.Error(t, restored.CanAddEvent(p.w.cfg, acked, p.now), "the stale join holds bob's change")

	cfg := DefaultReplicaConfig()
	cfg.Key = p.nodes[0].key
	cfg.RoundBlocks = pumpRoundBlocks
	cfg.Streams.RecencyWindow = 2
	r, err := NewReplica(cfg, p.nodes[0].addr, p.w.replicas, restored, 10)
	require.NoError(t, err)
	r.AddRejects([]*ParsedEvent{acked})
	require.NotNil(t, r.View().PoolEvent(acked.Hash), "the acked join is back in the minipool")
	require.Nil(t, r.rejects[acked.Hash])
	require.Nil(t, r.View().PoolEvent(stale.Hash))
	require.NotNil(t, r.rejects[stale.Hash], "the stale join is a reject, still voted for")
}

// Seed 344 with no chain watch (the actors shell of today): a replica
// that voted for a block but never received it, nor its registration,
// and holds nothing else, must read the registration on the next heads
// and fetch the block, even though the stream stays quiet.
func TestReplicaVoterReadsRegistrationOfMissedBlock(t *testing.T) {
	p := newPump(t, 3)
	randao := pumpRandao(10)
	leader := p.index(ElectLeader(randao, p.w.view.StreamID(), 1, 0, p.w.replicas))
	lag := (leader + 1) % 3
	p.drop = func(d delivery) bool {
		switch d.in.(type) {
		case BlockReceived, Registered, PeerEvent, PoolAnnounce:
			return d.to == lag
		}
		return false
	}
	req, _ := p.post(leader, "never seen by lag")
	require.NoError(t, p.answers[req].Err)
	p.newHead()
	p.advance(3 * time.Second)
	require.NotNil(t, p.nodes[leader].r.recentBlock(1), "sealed")
	require.NotEmpty(t, effectsOf[AnswerVote](p.nodes[lag]), "lag voted")
	require.Equal(t, int64(0), p.nodes[lag].r.v.LastBlock().Num())
	require.Zero(t, p.nodes[lag].r.v.MinipoolLen())

	p.drop = nil
	for range 2 {
		p.newHead()
		p.advance(time.Second)
	}
	require.Equal(t, p.nodes[leader].r.v.LastBlock().Hash, p.nodes[lag].r.v.LastBlock().Hash)
}
