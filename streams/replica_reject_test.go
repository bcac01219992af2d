package streams

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/proto/pb"
)

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
