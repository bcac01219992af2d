package streams

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

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

func effectsOfList[T Effect](effs []Effect) []T {
	var out []T
	for _, e := range effs {
		if x, ok := e.(T); ok {
			out = append(out, x)
		}
	}
	return out
}

// TestReplicaListsRejectedAckedEvent plays the hole of part 7: a post acked
// by a majority, then its author's leave sealed in a block the post missed.
// The post does not vanish: the replicas holding it keep voting for it and
// a later header lists it as rejected; no replica seals it.
func TestReplicaListsRejectedAckedEvent(t *testing.T) {
	p := newPump(t, 3)
	randao := pumpRandao(10)
	id := p.w.view.StreamID()
	lead := p.index(ElectLeader(randao, id, 1, 0, p.w.replicas))
	x, y := (lead+1)%3, (lead+2)%3
	alice := testKey("alice")

	// The post reaches x and y only.
	p.drop = func(d delivery) bool {
		switch d.in.(type) {
		case PeerEvent, PoolAnnounce:
			return d.to == lead
		}
		return false
	}
	req, _ := p.post(x, "last words")
	require.NoError(t, p.answers[req].Err, "acked by x and y")
	post := p.nodes[x].r.v.Minipool()[0]

	// The leave is everywhere; the leader hears y's vote too late.
	p.drop = nil
	lv := p.w.sign(alice, &pb.StreamEvent{StreamId: id.Bytes(), PrevMiniblockHash: p.w.view.LastBlock().Hash.Bytes(),
		CreatedAtMs: p.now.UnixMilli(), Payload: &pb.StreamEvent_ChannelPayload{ChannelPayload: &pb.ChannelPayload{
			Content: &pb.ChannelPayload_Membership{Membership: &pb.Membership{Op: pb.MembershipOp_MEMBERSHIP_OP_LEAVE, UserAddress: addrOf(alice).Bytes()}}}}})
	p.send(-1, lead, ClientEvent{Req: 900, Event: lv})
	p.run()
	require.NoError(t, p.answers[900].Err)
	p.drop = func(d delivery) bool {
		_, ok := d.in.(VoteAnswered)
		return ok && d.from == y && d.to == lead
	}
	p.newHead()
	p.advance(3 * time.Second)
	b1 := p.nodes[x].r.recentBlock(1)
	require.NotNil(t, b1)
	require.Len(t, b1.Events, 1)
	require.Equal(t, lv.Hash, b1.Events[0].Hash, "the leave sealed without the post")
	require.Nil(t, p.nodes[x].r.v.PoolEvent(post.Hash), "the post no longer fits")
	applied := effectsOf[BlockApplied](p.nodes[x])
	require.Equal(t, []*ParsedEvent{post}, applied[0].Dropped, "block 1 made it invalid at x")

	// Later blocks: the first one led by x or y (or by anyone who learns of
	// it from their votes) lists it.
	p.drop = nil
	var listed *ParsedMiniblock
	for range 6 * pumpRoundBlocks {
		p.newHead()
		p.advance(3 * time.Second)
		for _, mb := range p.nodes[x].r.v.RecentBlocks() {
			for _, h := range mb.Header.RejectedEventHashes {
				if common.BytesToHash(h) == post.Hash {
					listed = mb
				}
			}
		}
		if listed != nil {
			break
		}
	}
	require.NotNil(t, listed, "a header lists the acked post as rejected")
	p.converged()
	for _, n := range p.nodes {
		require.Nil(t, n.r.rejects[post.Hash], "node %d let go of it", n.idx)
		for _, mb := range n.r.v.RecentBlocks() {
			for _, ev := range mb.Events {
				require.NotEqual(t, post.Hash, ev.Hash, "never sealed")
			}
		}
	}
	// And a resubmission is a duplicate now.
	require.Equal(t, pb.ErrorCode_DUPLICATE_EVENT, CodeOf(p.nodes[x].r.v.CanAddEvent(p.w.cfg, post, p.now)))
}

func TestVerifyRejectedList(t *testing.T) {
	p := newPump(t, 3)
	_, ev := p.post(0, "x")
	v := p.nodes[0].r.v
	randao := pumpRandao(10)
	elected := p.nodes[p.index(ElectLeader(randao, v.StreamID(), 1, 0, p.w.replicas))]
	var votes []*pb.Vote
	for _, n := range p.nodes {
		vote, err := n.r.vote()
		require.NoError(t, err)
		votes = append(votes, vote.Vote)
	}
	ghost := common.HexToHash("0x77")
	prop := Proposal{Key: elected.key, Replicas: p.w.replicas, ChainBlock: 10, Randao: randao, Now: p.now, Votes: votes, Rejected: []common.Hash{ghost, ev.Hash}}
	mb, err := v.Propose(p.w.cfg, prop)
	require.NoError(t, err)
	require.Empty(t, mb.Header.RejectedEventHashes, "neither a minority hash nor a sealed one is listed")
	require.NoError(t, VerifyMiniblock(v, p.w.cfg, p.w.replicas, mb))

	for _, c := range []struct {
		name string
		list [][]byte
		code pb.ErrorCode
	}{
		{"held by no vote", [][]byte{ghost.Bytes()}, pb.ErrorCode_BAD_VOTES},
		{"sealed in the same block", [][]byte{ev.Hash.Bytes()}, pb.ErrorCode_DUPLICATE_EVENT},
	} {
		t.Run(c.name, func(t *testing.T) {
			bad, err := reparse(t, mb, elected.key, func(h *pb.MiniblockHeader) { h.RejectedEventHashes = c.list }, nil)
			require.NoError(t, err)
			require.Equal(t, c.code, CodeOf(VerifyMiniblock(v, p.w.cfg, p.w.replicas, bad)))
		})
	}
}

// TestReplicaSurvivesGarbage interleaves honest traffic with inputs a
// faulty or hostile peer could send (vote requests from non-leaders and
// for other heights, announcements of hashes nobody has, forged blocks,
// stray answers and store outcomes). Nothing panics, nothing bad is
// applied, and the replicas converge with every acked event sealed.
func TestReplicaSurvivesGarbage(t *testing.T) {
	for seed := range uint64(40) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { survivesGarbage(t, seed) })
	}
}

func survivesGarbage(t *testing.T, seed uint64) {
	p := newPump(t, 3)
	rng := rand.New(rand.NewPCG(seed, 2))
	rh := func() common.Hash {
		var h common.Hash
		for i := range h {
			h[i] = byte(rng.IntN(256))
		}
		return h
	}
	var reqs []ReqID
	for round := range 12 {
		req, _ := p.post(round%3, "m")
		reqs = append(reqs, req)
		for range 10 {
			to := rng.IntN(3)
			from := p.nodes[(to+1+rng.IntN(2))%3]
			v := p.nodes[to].r.v
			var in Input
			switch rng.IntN(7) {
			case 0:
				in = VoteRequested{From: from.addr, Req: ReqID(1e6 + rng.IntN(1000)), Request: &pb.VoteRequest{
					StreamId: v.StreamID().Bytes(), MiniblockNum: v.Generation() + int64(rng.IntN(3)) - 1,
					PrevMiniblockHash: rh().Bytes(), Round: uint32(rng.IntN(5)), Leader: from.addr.Bytes()}}
			case 1:
				in = PoolAnnounce{From: from.addr, Generation: v.Generation(), Hashes: []common.Hash{rh(), rh()}}
			case 2:
				forged, err := reparse(t, v.LastBlock(), from.key, func(h *pb.MiniblockHeader) {
					h.MiniblockNum = v.Generation()
					h.PrevMiniblockHash = v.LastBlock().Hash.Bytes()
					h.Leader = from.addr.Bytes()
					h.Randao = rh().Bytes()
					h.VotesHash = votesHash(nil).Bytes()
				}, func(m *pb.Miniblock) { m.Votes = nil })
				if err == nil {
					in = BlockReceived{From: from.addr, Block: forged}
				}
			case 3:
				in = VoteAnswered{From: from.addr, Response: &pb.VoteResponse{Vote: &pb.Vote{Body: rh().Bytes(), Signature: rh().Bytes()}}}
			case 4:
				in = EventsFetched{From: from.addr, Hashes: []common.Hash{rh()}, Events: []*ParsedEvent{p.event(v, testKey("stranger"), "x")}}
			case 5:
				in = RegisterDone{Num: v.Generation(), Hash: rh(), OK: rng.IntN(2) == 0, ChainBlock: p.head}
			case 6:
				in = WriteDone{Write: WriteID(rng.IntN(5)), Err: fmt.Errorf("stray")}
			}
			if in != nil {
				p.send(from.idx, to, in)
			}
		}
		p.run()
		p.newHead()
		p.advance(3 * time.Second)
	}
	for range 3 * pumpRoundBlocks {
		p.newHead()
		p.advance(3 * time.Second)
	}
	p.converged()
	sealed := map[common.Hash]bool{}
	for _, mb := range p.nodes[0].r.v.RecentBlocks()[1:] {
		for _, ev := range mb.Events {
			sealed[ev.Hash] = true
		}
	}
	for _, req := range reqs {
		require.NoError(t, p.answers[req].Err)
	}
	for _, mb := range p.nodes[0].r.v.RecentBlocks() {
		t.Logf("block %d events %d rejected %d leader %s", mb.Num(), len(mb.Events), len(mb.Header.RejectedEventHashes), mb.Leader)
	}
	for _, n := range p.nodes {
		t.Logf("node %d status %+v rejects %d", n.idx, n.r.Status(), len(n.r.rejects))
	}
	require.Len(t, sealed, len(reqs), "every acked event sealed, nothing else")
	for _, n := range p.nodes {
		require.Zero(t, n.r.v.MinipoolLen())
		require.False(t, n.r.Status().Behind)
	}
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
