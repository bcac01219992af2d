package streams

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
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
