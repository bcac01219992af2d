package streams

import (
	"fmt"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/proto/pb"
)

// seal posts at every node in turn and mines heads until a block lands.
func (p *pump) sealRound(t *testing.T, posts int) []ReqID {
	t.Helper()
	var reqs []ReqID
	for i := range posts {
		req, _ := p.post(i%len(p.nodes), "m")
		reqs = append(reqs, req)
	}
	before := p.nodes[0].r.v.LastBlock().Num()
	for range 3 * pumpRoundBlocks {
		p.newHead()
		p.advance(3 * time.Second)
		if p.nodes[0].r.v.LastBlock().Num() > before && p.nodes[0].r.v.MinipoolLen() == 0 {
			break
		}
	}
	return reqs
}

func TestReplicaThreeReplicasIdenticalBlocks(t *testing.T) {
	p := newPump(t, 3)
	var reqs []ReqID
	for range 5 {
		reqs = append(reqs, p.sealRound(t, 4)...)
	}
	last := p.converged()
	require.GreaterOrEqual(t, last, int64(5))
	// Every acked event is in exactly one block of every replica (I2, I3).
	seen := map[common.Hash]int{}
	for _, mb := range p.nodes[0].r.v.RecentBlocks()[1:] {
		for _, ev := range mb.Events {
			seen[ev.Hash]++
		}
	}
	for _, req := range reqs {
		require.NoError(t, p.answers[req].Err)
	}
	require.Len(t, seen, len(reqs))
	for h, c := range seen {
		require.Equal(t, 1, c, "event %s once", h)
	}
	for _, n := range p.nodes {
		require.Zero(t, n.r.v.MinipoolLen())
		require.Equal(t, p.nodes[0].r.v.Snapshot().Common.EventCount, n.r.v.Snapshot().Common.EventCount)
	}
	// Blocks travelled by gossip and were verified by the others.
	leaders := map[common.Address]bool{}
	for _, mb := range p.nodes[0].r.v.RecentBlocks()[1:] {
		leaders[mb.Leader] = true
	}
	var received int
	for _, n := range p.nodes {
		for _, a := range effectsOf[BlockApplied](n) {
			if a.From != n.addr {
				received++
			}
		}
	}
	require.Positive(t, received)
}

func TestReplicaDeterministic(t *testing.T) {
	run := func() ([]string, common.Hash) {
		p := newPump(t, 3)
		for range 3 {
			p.sealRound(t, 3)
		}
		return p.trace, p.nodes[0].r.v.LastBlock().Hash
	}
	t1, h1 := run()
	t2, h2 := run()
	require.Equal(t, t1, t2, "same inputs, same effects")
	require.Equal(t, h1, h2, "same blocks")
	require.Greater(t, len(t1), 100)
}

func TestReplicaVoteOnlyForElectedLeader(t *testing.T) {
	p := newPump(t, 3)
	p.post(0, "x")
	n := p.nodes[1]
	v := n.r.v
	elected := ElectLeader(pumpRandao(10), v.StreamID(), 1, 0, p.w.replicas)
	var other common.Address
	for _, a := range p.w.replicas {
		if a != elected {
			other = a
			break
		}
	}
	ask := func(from common.Address, round uint32) *pb.VoteResponse {
		n.effs = nil
		p.send(p.index(from), 1, VoteRequested{From: from, Req: 500, Request: &pb.VoteRequest{
			StreamId: v.StreamID().Bytes(), MiniblockNum: 1, PrevMiniblockHash: v.LastBlock().Hash.Bytes(),
			Round: round, Leader: from.Bytes()}})
		// Hold the answer back from the asker so no leader logic runs.
		p.drop = func(d delivery) bool { _, ok := d.in.(VoteAnswered); return ok }
		p.run()
		p.drop = nil
		av := effectsOf[AnswerVote](n)
		require.Len(t, av, 1)
		return av[0].Response
	}
	resp := ask(other, 0)
	require.Equal(t, pb.ErrorCode_BAD_LEADER, resp.Error.GetCode(), "a non-leader gets no vote")
	require.Nil(t, resp.Vote)
	resp = ask(elected, 0)
	require.Nil(t, resp.Error)
	pv, err := ParseVote(resp.Vote)
	require.NoError(t, err)
	require.Equal(t, n.addr, pv.Voter)
	require.Len(t, pv.Hashes, 1)
}

func TestReplicaRejectsBlocksThatFailVerification(t *testing.T) {
	p := newPump(t, 3)
	_, ev := p.post(0, "x")
	n := p.nodes[2]
	v := n.r.v
	// A block signed by a node that is not the leader, "registered".
	randao := pumpRandao(10)
	elected := ElectLeader(randao, v.StreamID(), 1, 0, p.w.replicas)
	var impostor *pnode
	for _, x := range p.nodes {
		if x.addr != elected {
			impostor = x
			break
		}
	}
	votes := []*pb.Vote{}
	for _, x := range p.nodes {
		vote, err := x.r.v.Vote(x.key)
		require.NoError(t, err)
		votes = append(votes, vote)
	}
	good, err := v.Propose(p.w.cfg, Proposal{Key: p.nodes[p.index(elected)].key, Replicas: p.w.replicas, ChainBlock: 10, Randao: randao, Now: p.now, Votes: votes})
	require.NoError(t, err)
	forged, err := reparse(t, good, impostor.key, func(h *pb.MiniblockHeader) { h.Leader = impostor.addr.Bytes() }, nil)
	require.NoError(t, err)
	p.send(-1, 2, Registered{Num: 1, Hash: forged.Hash, ChainBlock: 11})
	p.send(impostor.idx, 2, BlockReceived{From: impostor.addr, Block: forged})
	p.run()
	rej := effectsOf[BlockRejected](n)
	require.Len(t, rej, 1)
	require.Equal(t, pb.ErrorCode_BAD_LEADER, CodeOf(rej[0].Err))
	require.Equal(t, int64(0), n.r.v.LastBlock().Num(), "not applied")
	require.NotEmpty(t, effectsOf[Penalize](n))

	// A block whose hash differs from the chain's registration.
	n2 := p.nodes[1]
	p.send(-1, 1, Registered{Num: 1, Hash: common.HexToHash("0xabc"), ChainBlock: 11})
	p.send(0, 1, BlockReceived{From: p.nodes[0].addr, Block: good})
	p.run()
	rej = effectsOf[BlockRejected](n2)
	require.Len(t, rej, 1)
	require.Equal(t, pb.ErrorCode_BAD_MINIBLOCK, CodeOf(rej[0].Err))
	require.Equal(t, int64(0), n2.r.v.LastBlock().Num())

	// A block whose event only a minority of the votes it carries holds
	// (votes hash recomputed, re-signed by the elected leader).
	leaderKey := p.nodes[p.index(elected)].key
	few := good.Proto.Votes[:1]
	cheat, err := reparse(t, good, leaderKey,
		func(h *pb.MiniblockHeader) { h.VotesHash = votesHash(few).Bytes() },
		func(m *pb.Miniblock) { m.Votes = few })
	require.NoError(t, err)
	n0 := p.nodes[0]
	p.send(-1, 0, Registered{Num: 1, Hash: cheat.Hash, ChainBlock: 11})
	p.send(1, 0, BlockReceived{From: p.nodes[1].addr, Block: cheat})
	p.run()
	rej = effectsOf[BlockRejected](n0)
	require.Len(t, rej, 1)
	require.Equal(t, pb.ErrorCode_BAD_VOTES, CodeOf(rej[0].Err))
	require.Equal(t, int64(0), n0.r.v.LastBlock().Num())

	// A tampered event inside a block does not even parse.
	tampered := proto.Clone(good.Proto).(*pb.Miniblock)
	tampered.Events[0].Signature[3] ^= 1
	_, err = ParseMiniblock(tampered)
	require.Error(t, err)
	require.NotNil(t, n.r.v.PoolEvent(ev.Hash))
}

func TestReplicaLeaderFailover(t *testing.T) {
	p := newPump(t, 3)
	randao := pumpRandao(10)
	id := p.w.view.StreamID()
	dead := p.index(ElectLeader(randao, id, 1, 0, p.w.replicas))
	var round uint32
	for round = 1; p.index(ElectLeader(randao, id, 1, round, p.w.replicas)) == dead; round++ {
	}
	p.drop = func(d delivery) bool { return d.from == dead || d.to == dead }
	alive := (dead + 1) % 3
	req, ev := p.post(alive, "during the outage")
	require.NoError(t, p.answers[req].Err)
	for range int(round+1) * pumpRoundBlocks {
		p.newHead()
		p.advance(3 * time.Second)
	}
	n := p.nodes[alive]
	require.GreaterOrEqual(t, n.r.v.LastBlock().Num(), int64(1))
	mb := n.r.recentBlock(1)
	require.Equal(t, round, mb.Header.Round, "sealed by the first round whose leader lives")
	require.LessOrEqual(t, p.chainReg[1].ChainBlock, 10+uint64(round)*pumpRoundBlocks+1,
		"registered within one chain block of that round's start")
	require.NotEqual(t, p.nodes[dead].addr, mb.Leader)
	require.Equal(t, ev.Hash, mb.Events[0].Hash)
	// The dead node comes back and catches up from the chain's registrations.
	p.drop = nil
	p.send(-1, dead, p.chainReg[1])
	p.run()
	p.advance(5 * time.Second)
	require.Equal(t, n.r.v.LastBlock().Hash, p.nodes[dead].r.v.LastBlock().Hash)
	require.NotEmpty(t, effectsOf[FetchBlocks](p.nodes[dead]), "fetched the block it missed")
}

func TestReplicaLeaderFetchesVotedEvents(t *testing.T) {
	p := newPump(t, 3)
	randao := pumpRandao(10)
	id := p.w.view.StreamID()
	leader := p.index(ElectLeader(randao, id, 1, 0, p.w.replicas))
	// The leader never hears of the event by gossip; the others do.
	p.drop = func(d delivery) bool {
		switch d.in.(type) {
		case PeerEvent, PoolAnnounce:
			return d.to == leader
		}
		return false
	}
	poster := (leader + 1) % 3
	req, ev := p.post(poster, "behind the leader's back")
	require.NoError(t, p.answers[req].Err)
	require.Nil(t, p.nodes[leader].r.v.PoolEvent(ev.Hash))
	// Something in its own minipool makes the block due for the leader.
	p.drop = nil
	own, _ := p.post(leader, "own")
	require.NoError(t, p.answers[own].Err)
	p.drop = func(d delivery) bool {
		switch d.in.(type) {
		case PeerEvent, PoolAnnounce:
			return d.to == leader
		}
		return false
	}
	p.newHead()
	p.advance(5 * time.Second)
	l := p.nodes[leader]
	f := effectsOf[FetchEvents](l)
	require.NotEmpty(t, f)
	require.Equal(t, FetchVoted, f[0].Reason)
	mb := l.r.recentBlock(1)
	require.NotNil(t, mb)
	var hashes []common.Hash
	for _, e := range mb.Events {
		hashes = append(hashes, e.Hash)
	}
	require.Contains(t, hashes, ev.Hash)
	p.converged()
}

// TestReplicaAppliesStagedBlockFromChainState plays a restart after a crash
// between registration and the block write: the chain is ahead and the
// store staged the block. It is verified and applied; a copy that is not
// the registered block is refused.
func TestReplicaAppliesStagedBlockFromChainState(t *testing.T) {
	p := newPump(t, 1)
	_, ev := p.post(0, "staged")
	v := p.nodes[0].r.v
	mb, err := v.Propose(p.w.cfg, Proposal{Key: p.nodes[0].key, Replicas: p.w.replicas, ChainBlock: 10, Randao: pumpRandao(10), Now: p.now})
	require.NoError(t, err)
	other, err := v.Propose(p.w.cfg, Proposal{Key: p.nodes[0].key, Replicas: p.w.replicas, ChainBlock: 10, Randao: pumpRandao(10), Now: p.now.Add(time.Second)})
	require.NoError(t, err)

	cfg := DefaultReplicaConfig()
	cfg.Key = p.nodes[0].key
	cfg.RoundBlocks = pumpRoundBlocks
	r, err := NewReplica(cfg, p.nodes[0].addr, p.w.replicas, v, 10)
	require.NoError(t, err)
	reg := Registered{Num: 1, Hash: mb.Hash, ChainBlock: 12}
	effs := r.Step(p.now, RandaoRead{ChainBlock: 10, Randao: pumpRandao(10)})
	effs = append(effs, r.Step(p.now, ChainState{LastNum: 1, LastHash: mb.Hash, LastRegisteredAt: 12, AfterRegisteredAt: 10,
		Ahead: []ChainBlock{{Registered: reg, Staged: other}}})...)
	require.Empty(t, effectsOfList[PersistBlock](effs), "a staged copy that is not the registered block is not applied")
	require.True(t, r.Status().Behind)

	r, err = NewReplica(cfg, p.nodes[0].addr, p.w.replicas, v, 10)
	require.NoError(t, err)
	r.Step(p.now, RandaoRead{ChainBlock: 10, Randao: pumpRandao(10)})
	effs = r.Step(p.now, ChainState{LastNum: 1, LastHash: mb.Hash, LastRegisteredAt: 12, AfterRegisteredAt: 10,
		Ahead: []ChainBlock{{Registered: reg, Staged: mb}}})
	pbs := effectsOfList[PersistBlock](effs)
	require.Len(t, pbs, 1)
	require.Equal(t, mb.Hash, pbs[0].Block.Hash)
	effs = r.Step(p.now, WriteDone{Write: pbs[0].Write})
	require.Len(t, effectsOfList[BlockApplied](effs), 1)
	require.Equal(t, int64(1), r.View().LastBlock().Num())
	require.Zero(t, r.View().MinipoolLen())
	require.Equal(t, uint64(12), r.Status().LastRegisteredAt)
	require.Equal(t, ev.Hash, r.View().LastBlock().Events[0].Hash)
}

// TestReplicaLeaderDiesAfterRegistering: the leader registers a block and
// dies before the block reaches anyone by the usual path. The replicas got
// the proposal before the registration and apply it once they see the
// registration; the stream goes on without the dead leader.
func TestReplicaLeaderDiesAfterRegistering(t *testing.T) {
	p := newPump(t, 3)
	randao := pumpRandao(10)
	id := p.w.view.StreamID()
	lead := p.index(ElectLeader(randao, id, 1, 0, p.w.replicas))
	req, ev := p.post((lead+1)%3, "sealed by a dead leader")
	require.NoError(t, p.answers[req].Err)
	dead := false
	p.drop = func(d delivery) bool {
		if rd, ok := d.in.(RegisterDone); ok && d.to == lead && rd.OK {
			dead = true // it dies as the chain accepts its block
		}
		return dead && (d.from == lead || d.to == lead)
	}
	p.newHead()
	p.advance(3 * time.Second)
	require.True(t, dead)
	require.Equal(t, int64(0), p.nodes[lead].r.v.LastBlock().Num(), "the leader never applied it")
	for i, n := range p.nodes {
		if i == lead {
			continue
		}
		require.Equal(t, int64(1), n.r.v.LastBlock().Num(), "node %d applied the registered block", i)
		require.Equal(t, ev.Hash, n.r.v.LastBlock().Events[0].Hash)
		require.Equal(t, p.chainReg[1].Hash, n.r.v.LastBlock().Hash)
	}
	// And the survivors seal the next block.
	req, _ = p.post((lead+1)%3, "after")
	require.NoError(t, p.answers[req].Err)
	for range 3 * pumpRoundBlocks {
		p.newHead()
		p.advance(3 * time.Second)
	}
	require.Equal(t, int64(2), p.nodes[(lead+1)%3].r.v.LastBlock().Num())
}

// TestReplicaLeadersRotate seals 200 blocks on 3 replicas: each replica
// leads between 20% and 47% of them (the randao of each registration
// elects the next leader).
func TestReplicaLeadersRotate(t *testing.T) {
	p := newPump(t, 3)
	const heights = 200
	for p.nodes[0].r.v.LastBlock().Num() < heights {
		before := p.nodes[0].r.v.LastBlock().Num()
		req, _ := p.post(int(before)%3, "m")
		require.NoError(t, p.answers[req].Err)
		for p.nodes[0].r.v.LastBlock().Num() == before {
			p.newHead()
			p.advance(time.Second)
		}
	}
	p.converged()
	led := map[common.Address]int{}
	for _, mb := range p.nodes[0].r.v.RecentBlocks()[1 : heights+1] {
		led[mb.Leader]++
	}
	for _, a := range p.w.replicas {
		share := float64(led[a]) / heights
		t.Logf("%s led %d of %d", a, led[a], heights)
		require.GreaterOrEqual(t, share, 0.20)
		require.LessOrEqual(t, share, 0.47)
	}
}

// TestReplicaSingleWatchFirstNoChainRead: when the chain watch reports the
// leader's own block registered before the chain writer answers, the
// replica waits for the answer and applies its own block: no chain read
// (k = 1) of a block it holds.
func TestReplicaSingleWatchFirstNoChainRead(t *testing.T) {
	p := newPump(t, 1)
	p.watchFirst = true
	n := p.nodes[0]
	for i := range 3 {
		n.effs = nil
		_, ev := p.post(0, fmt.Sprintf("hi %d", i))
		p.newHead()
		require.Equal(t, int64(i+1), n.r.View().LastBlock().Num())
		require.Equal(t, []*ParsedEvent{ev}, n.r.View().LastBlock().Events)
		require.Len(t, effectsOf[BlockApplied](n), 1)
		require.Empty(t, effectsOf[SyncChain](n), "block %d: its own block read back from the chain", i+1)
	}
	p.converged()
}

// TestReplicaWatchFirstAnswerLost: the registration that waited for the
// chain writer's answer is not lost when the answer never comes: the
// leader's deadline ends the leadership and the block is found through
// the chain, as any block the replica lacks.
func TestReplicaWatchFirstAnswerLost(t *testing.T) {
	p := newPump(t, 1)
	p.lostAnswers = true
	n := p.nodes[0]
	n.effs = nil
	_, ev := p.post(0, "hi")
	p.newHead()
	require.Equal(t, int64(1), p.chainTop, "registered")
	require.Equal(t, int64(0), n.r.View().LastBlock().Num(), "waits for the writer's answer")
	require.Empty(t, effectsOf[SyncChain](n))
	p.advance(2 * DefaultReplicaConfig().LeaderTimeout)
	require.NotEmpty(t, effectsOf[SyncChain](n), "the chain is read once the leader gives up")
	require.Equal(t, int64(1), n.r.View().LastBlock().Num())
	require.Equal(t, []*ParsedEvent{ev}, n.r.View().LastBlock().Events)
	p.converged()
}

// TestReplicaHeadSeenEarlier: a head fed to the replica later than it
// arrived (ChainHead.Seen) counts the leader's VoteAt from its arrival: a
// leader whose VoteAt passed while the head waited asks for votes at once,
// one fed the head at its arrival waits for VoteAt.
func TestReplicaHeadSeenEarlier(t *testing.T) {
	for _, late := range []bool{false, true} {
		p := newPump(t, 1)
		n := p.nodes[0]
		p.post(0, "hi")
		n.effs = nil
		p.head++
		p.now = p.now.Add(time.Second)
		h := ChainHead{Number: p.head, Time: uint64(p.now.Unix()), Interval: time.Second}
		if late {
			h.Seen = p.now.Add(-time.Second)
		}
		p.send(-1, 0, h)
		p.run()
		if late {
			require.NotEmpty(t, effectsOf[StageBlock](n), "VoteAt passed while the head waited: proposes at once")
		} else {
			require.Empty(t, effectsOf[StageBlock](n), "waits for VoteAt")
			require.Equal(t, PhaseWaiting, n.r.leader.phase)
		}
	}
}
