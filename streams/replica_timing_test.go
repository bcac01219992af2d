package streams

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/proto/pb"
)

// Timing of a leader's vote within the chain's block interval, and a
// voter that is a block behind for a moment.

// TestReplicaRepeatLeaderCountsVoteAtFromRegistration: a leader of two
// blocks in a row learns that its first one is registered from the
// chain-writer, before the head that mined it arrives. It waits VoteAt
// of the interval from that registration before it asks for votes for
// the second, as it does from a head: asking at once (VoteAt counted from
// the older head, long past) would seal a block of the events that came
// in the last instant and leave every later one a whole block more.
func TestReplicaRepeatLeaderCountsVoteAtFromRegistration(t *testing.T) {
	const interval = time.Second
	p := newPump(t, 1)
	n := p.nodes[0]
	p.head++
	p.send(-1, 0, ChainHead{Number: p.head, Time: uint64(p.now.Unix()), Interval: interval})
	p.run()
	p.post(0, "one")
	require.Equal(t, PhaseWaiting, n.r.Status().Leader, "the leader waits VoteAt after the head")
	p.advance(interval / 2)
	require.Equal(t, int64(1), n.r.View().LastBlock().Num(), "block 1 sealed at VoteAt")
	require.Greater(t, n.r.Status().LastRegisteredAt, p.head, "registered in a chain block whose head has not arrived")

	p.post(0, "two")
	require.Equal(t, PhaseWaiting, n.r.Status().Leader, "block 2 waits VoteAt from block 1's registration")
	p.advance(interval/2 - time.Millisecond)
	require.Equal(t, int64(1), n.r.View().LastBlock().Num(), "not before VoteAt")
	p.advance(time.Millisecond)
	require.Equal(t, int64(2), n.r.View().LastBlock().Num(), "block 2 sealed VoteAt after block 1's registration")
}

// TestReplicaVoterAnswersOnceParentApplied: a vote request for block n+1
// reaches a replica that holds block n registered but is still writing
// it. It answers with its vote once the block is applied, not with
// BAD_MINIBLOCK_NUM (which would cost the leader that vote, and with it
// maybe the majority of the round).
func TestReplicaVoterAnswersOnceParentApplied(t *testing.T) {
	p := newPump(t, 3)
	id := p.w.view.StreamID()
	// Block 1 is led from the genesis' randao and registers at chain
	// block 12 (the pump registers at head+1, the next head is 11).
	leader2 := p.index(ElectLeader(pumpRandao(12), id, 2, 0, p.w.replicas))
	x := p.nodes[(leader2+1)%3]
	var held []delivery
	p.drop = func(d delivery) bool {
		wd, ok := d.in.(WriteDone)
		if !ok || d.to != x.idx {
			return false
		}
		for _, pbk := range effectsOf[PersistBlock](x) {
			if pbk.Write == wd.Write && pbk.Block.Num() == 1 {
				held = append(held, d)
				return true
			}
		}
		return false
	}
	p.post(0, "one")
	p.newHead()
	require.Len(t, held, 1, "replica %d is writing block 1", x.idx)
	require.Equal(t, int64(0), x.r.View().LastBlock().Num())
	require.Equal(t, int64(1), p.nodes[leader2].r.View().LastBlock().Num())

	p.post(leader2, "two")
	require.Equal(t, PhaseVoting, p.nodes[leader2].r.Status().Leader, "block 2's leader waits for the last vote")
	for _, a := range effectsOf[AnswerVote](x) {
		require.NotEqual(t, pb.ErrorCode_BAD_MINIBLOCK_NUM, a.Response.GetError().GetCode(), "the voter a block behind does not refuse")
	}

	p.drop = nil
	p.queue = append(p.queue, held...)
	p.run()
	require.Equal(t, int64(1), x.r.View().LastBlock().Num())
	var voted bool
	for _, a := range effectsOf[AnswerVote](x) {
		if a.Response.GetVote() != nil && a.Response.GetError() == nil {
			voted = true
		}
	}
	require.True(t, voted, "the voter answers with its vote once block 1 is applied")
	p.advance(time.Second)
	p.newHead()
	require.Equal(t, int64(2), p.converged())
}

// TestReplicaFailoverLeaderAsksAtRoundStart: the leader of a round past
// the first asks for votes as soon as its round begins, not VoteAt into
// the block interval: the events waited R chain blocks for a leader that
// did not seal, so there is nothing to wait for, and the block must land
// in the chain block after the round began even when the leader's process
// is stalled for part of the interval.
func TestReplicaFailoverLeaderAsksAtRoundStart(t *testing.T) {
	const interval = time.Second
	p := newPump(t, 3)
	randao := pumpRandao(10)
	id := p.w.view.StreamID()
	dead := p.index(ElectLeader(randao, id, 1, 0, p.w.replicas))
	var round uint32
	for round = 1; p.index(ElectLeader(randao, id, 1, round, p.w.replicas)) == dead; round++ {
	}
	leader := p.nodes[p.index(ElectLeader(randao, id, 1, round, p.w.replicas))]
	p.drop = func(d delivery) bool { return d.from == dead || d.to == dead }
	req, _ := p.post((dead+1)%3, "during the outage")
	require.NoError(t, p.answers[req].Err)
	head := func() {
		p.advance(interval)
		p.head++
		for i := range p.nodes {
			p.send(-1, i, ChainHead{Number: p.head, Time: uint64(p.now.Unix()), Interval: interval})
		}
		p.run()
	}
	begins := 10 + uint64(round)*pumpRoundBlocks
	for p.head < begins {
		head()
		require.NotContains(t, p.chainReg, int64(1), "no block before round %d begins at chain block %d", round, begins)
	}
	require.NotEqual(t, PhaseWaiting, leader.r.Status().Leader, "the round-%d leader does not wait VoteAt", round)
	p.advance(interval/2 - time.Millisecond)
	require.Contains(t, p.chainReg, int64(1), "registered before VoteAt of the interval")
	require.Equal(t, begins+1, p.chainReg[1].ChainBlock, "in the chain block after the round began")
	require.Equal(t, round, leader.r.recentBlock(1).Header.Round)
}

// TestReplicaVoteAtCountsFromHeadArrival: a head that reached the node a
// while before the shell stepped it (behind a long mailbox) carries its
// arrival time, and the leader's VoteAt counts from that arrival: counted
// from the step, the vote came as late as the queue was long and the
// block missed the next chain block.
func TestReplicaVoteAtCountsFromHeadArrival(t *testing.T) {
	const interval = time.Second
	p := newPump(t, 1)
	n := p.nodes[0]
	arrived := p.now
	p.now = p.now.Add(interval / 4) // stepped a quarter interval late
	p.head++
	p.send(-1, 0, ChainHead{Number: p.head, Time: uint64(arrived.Unix()), Interval: interval, Seen: arrived})
	p.run()
	p.post(0, "one")
	require.Equal(t, PhaseWaiting, n.r.Status().Leader, "the leader waits VoteAt after the head")
	p.advance(interval/4 - time.Millisecond)
	require.Equal(t, int64(0), n.r.View().LastBlock().Num(), "not before VoteAt")
	p.advance(time.Millisecond)
	require.Equal(t, int64(1), n.r.View().LastBlock().Num(), "sealed VoteAt after the head arrived, not after it was stepped")
}

// TestReplicaVoteSpread: with VoteSpread set, a leader asks for votes at
// VoteAt + VoteSpread × (f − ½) after the head, f drawn from the stream and
// the generation, not at VoteAt itself.
func TestReplicaVoteSpread(t *testing.T) {
	const interval = time.Second
	p := newPump(t, 1)
	n := p.nodes[0]
	n.r.cfg.VoteSpread = 0.4
	gen := n.r.View().Generation()
	f := spreadFraction(n.r.id, gen)
	at := time.Duration(float64(interval) * (n.r.cfg.VoteAt + 0.4*(f-0.5)))
	require.NotEqual(t, time.Duration(float64(interval)*n.r.cfg.VoteAt), at.Round(time.Millisecond), "this stream's draw is not the middle")
	requireSealedAt(t, p, interval, at)
}

// TestSpreadFraction: the draw is in [0, 1), differs between streams and
// generations, and spreads evenly enough that a node leading thousands of
// streams has them ask across the whole window.
func TestSpreadFraction(t *testing.T) {
	var buckets [10]int
	for i := range 2000 {
		id := channelID(fmt.Sprintf("spread-%d", i))
		f := spreadFraction(id, 7)
		require.GreaterOrEqual(t, f, 0.0)
		require.Less(t, f, 1.0)
		buckets[int(f*10)]++
	}
	for i, b := range buckets {
		require.Greater(t, b, 120, "bucket %d of 10 holds %d of 2,000 draws", i, b)
	}
	id := channelID("spread-0")
	require.NotEqual(t, spreadFraction(id, 7), spreadFraction(id, 8), "the next generation draws again")
}

// TestReplicaVoteSpreadNarrowsAtEdge: the window narrows to stay inside
// the interval: at VoteAt 0.1 a spread of 0.4 asks within 0.1 ± 0.1.
func TestReplicaVoteSpreadNarrowsAtEdge(t *testing.T) {
	const interval = time.Second
	p := newPump(t, 1)
	n := p.nodes[0]
	n.r.cfg.VoteAt, n.r.cfg.VoteSpread = 0.1, 0.4
	f := spreadFraction(n.r.id, n.r.View().Generation())
	at := time.Duration(float64(interval) * (0.1 + 0.2*(f-0.5)))
	require.GreaterOrEqual(t, at, time.Millisecond)
	requireSealedAt(t, p, interval, at)
}

// requireSealedAt sends node 0 of p (one replica) a head, posts one event
// and checks that its leader seals it exactly at after the head: not a
// millisecond before.
func requireSealedAt(t *testing.T, p *pump, interval, at time.Duration) {
	t.Helper()
	n := p.nodes[0]
	p.head++
	p.send(-1, 0, ChainHead{Number: p.head, Time: uint64(p.now.Unix()), Interval: interval, Seen: p.now})
	p.run()
	p.post(0, "one")
	p.advance(at - time.Millisecond)
	require.Equal(t, int64(0), n.r.View().LastBlock().Num(), "not sealed before %v after the head", at)
	p.advance(time.Millisecond)
	require.Equal(t, int64(1), n.r.View().LastBlock().Num(), "sealed %v after the head", at)
}
