package streams

import (
	"container/heap"
	"fmt"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/proto/pb"
)

func testSyncConfig() SyncConfig {
	cfg := DefaultSyncConfig()
	cfg.RangeSize = 4
	cfg.Window = 32
	cfg.NearHead = 4
	cfg.Workers = 2
	cfg.StatusEvery = 2 * time.Second
	cfg.NoProgress = 10 * time.Second
	return cfg
}

// requireSynced checks that the sim ended caught up at the chain's head
// with every block written once, in order, as registered.
func requireSynced(t *testing.T, sim *syncSim) {
	t.Helper()
	require.NotNil(t, sim.caught, "caught up (status %+v)", sim.s.Status())
	head := sim.head.Num
	require.Equal(t, head, sim.caught.View.LastBlock().Num())
	require.Equal(t, sim.head.Hash, sim.caught.View.LastBlock().Hash)
	require.Equal(t, sim.head.ChainBlock, sim.caught.LastRegisteredAt)
	require.Len(t, sim.written, int(head-sim.c.v0.LastBlock().Num()))
	require.Equal(t, SyncPhaseLive, sim.s.Phase())
	require.Equal(t, sim.c.w.view.Snapshot().String(), sim.caught.View.Snapshot().String(), "state converges")
}

// The Done-when scenario: two honest peers and five others, one of each
// kind. The syncer ends at the true head every time and bans exactly the
// liar, the bad signature and the wrong hash; the withholding and the slow
// peer are skipped, not banned.
func TestSyncMockPeers(t *testing.T) {
	c := buildSyncChain(t, 60, 2)
	for _, mode := range []string{"registrations", "head only"} {
		for seed := uint64(1); seed <= 10; seed++ {
			t.Run(fmt.Sprintf("%s/seed %d", mode, seed), func(t *testing.T) {
				cfg := testSyncConfig()
				if mode == "head only" {
					cfg.Window = 64 // anchored by parent hashes down from the head
				}
				peers := []*mockPeer{
					newPeer(t, c, "honest1", honest, 20*time.Millisecond),
					newPeer(t, c, "honest2", honest, 60*time.Millisecond),
					newPeer(t, c, "liar", liar, 10*time.Millisecond),
					newPeer(t, c, "withhold", withhold, 10*time.Millisecond),
					newPeer(t, c, "badsig", badSig, 10*time.Millisecond),
					newPeer(t, c, "wronghash", wrongHash, 10*time.Millisecond),
					newPeer(t, c, "slow", slow, 7*time.Second),
				}
				sim := newSyncSim(t, c, cfg, seed, peers...)
				sim.regsErr = mode == "head only"
				sim.run(time.Hour)
				requireSynced(t, sim)
				want := map[common.Address]BanReason{
					peers[2].addr: BanLyingHeight,
					peers[4].addr: BanBadBlock,
					peers[5].addr: BanNotRegistered,
				}
				require.Equal(t, want, sim.banned(), "bans: %v", sim.banList)
				staged := map[common.Hash]bool{}
				for _, e := range sim.effects {
					if st, ok := e.(SyncStage); ok {
						require.False(t, staged[st.Block.Hash], "block %d staged twice", st.Block.Num())
						staged[st.Block.Hash] = true
					}
				}
				for _, r := range sim.requests {
					require.LessOrEqual(t, r.To, sim.head.Num+1, "nothing asked past the chain's head")
				}
			})
		}
	}
}

// A peer's status is checked on its own: lowest above highest, or a
// highest that goes down, bans it; a banned peer's status is ignored.
func TestSyncLyingStatus(t *testing.T) {
	c := buildSyncChain(t, 3, 1)
	cfg := testSyncConfig()
	cfg.Replicas = c.w.replicas
	s, err := NewSyncer(cfg, c.v0, 0)
	require.NoError(t, err)
	a, b, h := common.Address{1}, common.Address{2}, common.Address{3}
	s.Start(t0)
	bans := func(effs []SyncEffect) []SyncBan {
		var out []SyncBan
		for _, e := range effs {
			if b, ok := e.(SyncBan); ok {
				out = append(out, b)
			}
		}
		return out
	}
	require.Empty(t, bans(s.Step(t0, SyncPeerStatus{Peer: h, Lowest: 0, Highest: 3})))
	require.Empty(t, bans(s.Step(t0, SyncPeerStatus{Peer: h, Lowest: 1, Highest: 5})), "height up, lowest up: fine")
	require.Empty(t, bans(s.Step(t0, SyncPeerStatus{Peer: h, Err: fmt.Errorf("timeout")})))
	require.Empty(t, bans(s.Step(t0, SyncPeerStatus{Peer: h, Lowest: 1, Highest: 4})), "after a failed call, no previous height")

	got := bans(s.Step(t0, SyncPeerStatus{Peer: a, Lowest: 5, Highest: 4}))
	require.Len(t, got, 1)
	require.Equal(t, BanLyingHeight, got[0].Reason)
	require.Equal(t, t0.Add(cfg.BanFor), got[0].Until)

	require.Empty(t, bans(s.Step(t0, SyncPeerStatus{Peer: b, Lowest: 0, Highest: 9})))
	got = bans(s.Step(t0, SyncPeerStatus{Peer: b, Lowest: 0, Highest: 8}))
	require.Len(t, got, 1)
	require.Equal(t, BanLyingHeight, got[0].Reason)
	require.Empty(t, bans(s.Step(t0, SyncPeerStatus{Peer: b, Lowest: 9, Highest: 1})), "banned: ignored")

	st := s.Status()
	require.Equal(t, 2, st.PeersBanned)
	require.Equal(t, 1, st.PeersUsable)
	require.Equal(t, 2, st.Bans[BanLyingHeight])

	// After the ban, the peer is asked again and may come back.
	effs := s.Step(t0.Add(cfg.BanFor), SyncTick{})
	asked := map[common.Address]bool{}
	for _, e := range effs {
		if as, ok := e.(SyncAskStatus); ok {
			for _, p := range as.Peers {
				asked[p] = true
			}
		}
	}
	require.True(t, asked[a] && asked[b], "banned peers asked again once the ban ends: %v", effs)
	require.Empty(t, bans(s.Step(t0.Add(cfg.BanFor), SyncPeerStatus{Peer: b, Lowest: 0, Highest: 2})), "a fresh start after the ban")
}

// At most MaxInFlightPerPeer ranges are outstanding at one peer, and the
// cap is reached when there is more to ask.
func TestSyncInFlightCap(t *testing.T) {
	c := buildSyncChain(t, 200, 1)
	cfg := testSyncConfig()
	cfg.RangeSize = 2
	cfg.Window = 200
	p := newPeer(t, c, "only", honest, 100*time.Millisecond)
	sim := newSyncSim(t, c, cfg, 1, p)
	out, most := 0, 0
	sim.handle(sim.s.Start(sim.now))
	for sim.q.Len() > 0 && sim.caught == nil {
		e := popSim(sim)
		if e == nil {
			continue
		}
		if r, ok := e.(SyncRange); ok && r.Peer == p.addr {
			out--
		}
		effs := sim.s.Step(sim.now, e)
		for _, ef := range effs {
			if _, ok := ef.(SyncRequestRange); ok {
				out++
				most = max(most, out)
			}
		}
		sim.handle(effs)
	}
	requireSynced(t, sim)
	require.Equal(t, cfg.MaxInFlightPerPeer, most, "in flight at the peer")
}

// popSim takes the next due input off the sim's queue (nil for a replaced
// timer) and advances its clock.
func popSim(sim *syncSim) SyncInput {
	e := heap.Pop(&sim.q).(simEvent)
	if _, ok := e.in.(SyncTick); ok && !e.at.Equal(sim.timerAt) {
		return nil
	}
	sim.now = e.at
	return e.in
}

// While the first missing block does not come, nothing is asked or held
// more than Window blocks past it; once it comes, the window slides and
// the sync completes.
func TestSyncWindow(t *testing.T) {
	c := buildSyncChain(t, 100, 1)
	cfg := testSyncConfig()
	cfg.Window = 16
	refused := 0
	noFirst := func(from, to int64) bool {
		if from <= 1 && 1 < to && refused < 6 {
			refused++
			return true
		}
		return false
	}
	p1 := newPeer(t, c, "a", honest, 20*time.Millisecond)
	p2 := newPeer(t, c, "b", honest, 30*time.Millisecond)
	p1.noServe, p2.noServe = noFirst, noFirst
	sim := newSyncSim(t, c, cfg, 1, p1, p2)
	sim.handle(sim.s.Start(sim.now))
	for sim.q.Len() > 0 && sim.caught == nil {
		in := popSim(sim)
		if in == nil {
			continue
		}
		effs := sim.s.Step(sim.now, in)
		st := sim.s.Status()
		for _, e := range effs {
			if r, ok := e.(SyncRequestRange); ok {
				require.LessOrEqual(t, r.To, st.Verified+1+cfg.Window, "request %+v with the first missing block at %d", r, st.Verified+1)
			}
		}
		require.LessOrEqual(t, int64(st.Staged), cfg.Window)
		sim.handle(effs)
	}
	require.Equal(t, 6, refused, "the first block was refused for a while")
	require.Greater(t, sim.maxHeld, 0)
	requireSynced(t, sim)
	require.Empty(t, sim.banned(), "don't-have bans nobody")
}

// A live stream at n that sees block n+2 (or a chain head there) goes
// back to sync; Resume brings it to the new head.
func TestSyncGapBackToSync(t *testing.T) {
	c := buildSyncChain(t, 30, 1)
	cfg := testSyncConfig()
	p := newPeer(t, c, "a", honest, 20*time.Millisecond)
	sim := newSyncSim(t, c, cfg, 1, p)
	sim.head = SyncChainHead{Num: 20, Hash: c.regs[20].Hash, ChainBlock: c.regs[20].ChainBlock}
	sim.run(time.Hour)
	require.NotNil(t, sim.caught)
	require.Equal(t, int64(20), sim.caught.View.LastBlock().Num())

	now := sim.now
	require.Empty(t, sim.s.Step(now, SyncBlockSeen{Num: 21}), "the next block is no gap")
	require.Empty(t, sim.s.Step(now, SyncLiveApplied{Num: 21}))
	require.Empty(t, sim.s.Step(now, SyncBlockSeen{Num: 22}), "at 21, 22 is the next")
	effs := sim.s.Step(now, SyncBlockSeen{Num: 23})
	require.Equal(t, []SyncEffect{SyncBackToSync{Local: 21, Seen: 23}}, effs)
	require.Equal(t, SyncPhaseBehind, sim.s.Phase())
	require.Empty(t, sim.s.Step(now, SyncBlockSeen{Num: 25}), "reported once")

	// The replica applied 21 live; it resumes from there to the new head.
	v21, err := sim.caught.View.ApplyMiniblock(c.blocks[21])
	require.NoError(t, err)
	sim.head = c.head()
	sim.caught = nil
	sim.written = sim.written[:21]
	sim.handle(sim.s.Resume(now, v21, c.regs[21].ChainBlock))
	sim.loop(time.Hour)
	requireSynced(t, sim)

	// A chain head two past the live head sends it back too.
	effs = sim.s.Step(sim.now, SyncChainHead{Num: 32, Hash: common.Hash{9}, ChainBlock: 99})
	require.Equal(t, []SyncEffect{SyncBackToSync{Local: 30, Seen: 32}}, effs)
}

// A block that parses and is registered but fails verification (led by a
// replica the election did not pick) bans its server and is orphaned with
// its held descendants.
func TestSyncInvalidBlockOrphaned(t *testing.T) {
	c := buildSyncChain(t, 12, 1)
	cfg := testSyncConfig()
	cfg.Window = 16
	// Block 5 re-signed by a replica that is not its leader, 6.. relinked
	// onto it: all validly signed.
	fork := c.forkEdit(t, 5, func(n int64, h *pb.MiniblockHeader) {
		if n != 5 {
			return
		}
		for _, r := range c.w.replicas {
			if r != common.BytesToAddress(h.Leader) {
				h.Leader = r.Bytes()
				return
			}
		}
	})
	evil := newPeer(t, c, "evil", honest, 10*time.Millisecond)
	copy(evil.blocks[5:], fork)
	var hashes []common.Hash
	for _, raw := range fork {
		hashes = append(hashes, common.Hash(raw.Hash))
	}
	// The chain (fooled, for the test) registered the forged head; the
	// syncer learns only the head, so 5.. are anchored by parent hashes.
	sim := newSyncSim(t, c, cfg, 1, evil)
	sim.regsErr = true
	sim.head = SyncChainHead{Num: 12, Hash: hashes[len(hashes)-1], ChainBlock: 13}
	sim.run(time.Minute)
	require.Nil(t, sim.caught)
	require.Equal(t, map[common.Address]BanReason{evil.addr: BanInvalid}, sim.banned())
	require.Equal(t, pb.ErrorCode_BAD_LEADER, CodeOf(sim.banList[0].Err), "%v", sim.banList[0].Err)
	var orphaned []common.Hash
	for _, e := range sim.effects {
		if o, ok := e.(SyncOrphan); ok {
			orphaned = append(orphaned, o.Hashes...)
		}
	}
	require.Equal(t, hashes, orphaned, "the bad block and its descendants")
	require.Equal(t, int64(4), sim.s.Status().Verified, "stops before the bad block")
	require.Zero(t, sim.s.Status().Staged)
	require.Positive(t, sim.stalls, "and reports the stall")
}

// A range near the chain's head goes to two peers; the range holding the
// first missing block, unanswered after HedgeAfter, goes to a second one.
func TestSyncNearHeadAndHedge(t *testing.T) {
	c := buildSyncChain(t, 8, 1)
	cfg := testSyncConfig()
	cfg.Replicas = c.w.replicas
	cfg.NearHead = 4
	a, b := addrOf(testKey("peer/a")), addrOf(testKey("peer/b"))
	cfg.Peers = []common.Address{a, b}
	s, err := NewSyncer(cfg, c.v0, 1)
	require.NoError(t, err)
	asked := map[[2]int64][]common.Address{}
	reqs := map[SyncReqID]SyncRequestRange{}
	note := func(effs []SyncEffect) {
		for _, e := range effs {
			if r, ok := e.(SyncRequestRange); ok {
				asked[[2]int64{r.From, r.To}] = append(asked[[2]int64{r.From, r.To}], r.Peer)
				reqs[r.Req] = r
			}
		}
	}
	note(s.Start(t0))
	note(s.Step(t0, c.head()))
	note(s.Step(t0, SyncPeerStatus{Peer: a, Lowest: 0, Highest: 8}))
	note(s.Step(t0, SyncPeerStatus{Peer: b, Lowest: 0, Highest: 8}))
	require.Equal(t, []common.Address{a}, asked[[2]int64{1, 4}], "far from the head: one peer")
	require.ElementsMatch(t, []common.Address{a, b}, asked[[2]int64{4, 8}], "near the head: two peers")

	// b answers what it was asked; a sits on [1, 4).
	now := t0.Add(100 * time.Millisecond)
	for id, r := range reqs {
		if r.Peer != b {
			continue
		}
		var blocks []*pb.Miniblock
		for n := r.From; n < r.To; n++ {
			blocks = append(blocks, c.blocks[n].Proto)
		}
		note(s.Step(now, SyncRange{Peer: b, Req: id, Blocks: blocks}))
	}
	require.Equal(t, []common.Address{a}, asked[[2]int64{1, 4}], "not hedged before HedgeAfter")
	note(s.Step(t0.Add(cfg.HedgeAfter), SyncTick{}))
	require.Equal(t, []common.Address{a, b}, asked[[2]int64{1, 4}], "hedged to b after HedgeAfter")
	require.Empty(t, s.Status().Bans)
}

// Blocks from the node's own staging are used like a peer's; a broken one
// is dropped without banning anybody.
func TestSyncLocalBlocks(t *testing.T) {
	c := buildSyncChain(t, 4, 1)
	cfg := testSyncConfig()
	cfg.Replicas = c.w.replicas
	s, err := NewSyncer(cfg, c.v0, 1)
	require.NoError(t, err)
	s.Start(t0)
	s.Step(t0, c.head())
	s.Step(t0, SyncRegistered{From: 1, To: 4, Regs: c.regs[1:4]})
	broken := proto.Clone(c.blocks[3].Proto).(*pb.Miniblock)
	broken.Events[0].Signature[9] ^= 1
	effs := s.Step(t0, SyncLocalBlocks{Blocks: []*pb.Miniblock{c.blocks[1].Proto, c.blocks[2].Proto, broken, c.blocks[4].Proto}})
	var apply *SyncApply
	for _, e := range effs {
		require.NotEqual(t, "streams.SyncBan", fmt.Sprintf("%T", e))
		if a, ok := e.(SyncApply); ok {
			apply = &a
		}
	}
	require.NotNil(t, apply)
	require.Len(t, apply.Blocks, 2, "1 and 2; 3 is broken and 4 waits for it")
	require.Equal(t, int64(2), s.Status().Verified)
	require.Equal(t, 1, s.Status().Staged)
}

// A write that fails part way is retried from the first block not
// written, after RetryDelay.
func TestSyncWriteRetry(t *testing.T) {
	c := buildSyncChain(t, 3, 1)
	cfg := testSyncConfig()
	cfg.Replicas = c.w.replicas
	s, err := NewSyncer(cfg, c.v0, 1)
	require.NoError(t, err)
	s.Start(t0)
	s.Step(t0, c.head())
	applies := func(effs []SyncEffect) []SyncApply {
		var out []SyncApply
		for _, e := range effs {
			if a, ok := e.(SyncApply); ok {
				out = append(out, a)
			}
		}
		return out
	}
	got := applies(s.Step(t0, SyncLocalBlocks{Blocks: []*pb.Miniblock{c.blocks[1].Proto, c.blocks[2].Proto, c.blocks[3].Proto}}))
	require.Len(t, got, 1)
	require.Len(t, got[0].Blocks, 3)
	require.Empty(t, applies(s.Step(t0, SyncApplied{Write: got[0].Write, Written: 1, Err: fmt.Errorf("disk full")})))
	require.Equal(t, int64(1), s.Durable().LastBlock().Num())
	require.Empty(t, applies(s.Step(t0.Add(cfg.RetryDelay/2), SyncTick{})), "not before RetryDelay")
	got = applies(s.Step(t0.Add(cfg.RetryDelay), SyncTick{}))
	require.Len(t, got, 1)
	require.Equal(t, []int64{2, 3}, []int64{got[0].Blocks[0].Block.Num(), got[0].Blocks[1].Block.Num()})
	s.Step(t0.Add(cfg.RetryDelay), SyncApplied{Write: got[0].Write, Written: 2})
	require.Equal(t, c.blocks[3].Hash, s.Durable().LastBlock().Hash)
}

// A stream already at the chain's head with no usable peer is caught up
// only after NoProgress; with a peer, at once.
func TestSyncCaughtUpAtHead(t *testing.T) {
	c := buildSyncChain(t, 2, 1)
	cfg := testSyncConfig()
	cfg.Replicas = c.w.replicas
	top, err := c.v0.ApplyMiniblock(c.blocks[1])
	require.NoError(t, err)
	top, err = top.ApplyMiniblock(c.blocks[2])
	require.NoError(t, err)
	caught := func(effs []SyncEffect) *SyncCaughtUp {
		for _, e := range effs {
			if cu, ok := e.(SyncCaughtUp); ok {
				return &cu
			}
		}
		return nil
	}

	s, err := NewSyncer(cfg, top, 2)
	require.NoError(t, err)
	s.Start(t0)
	require.Nil(t, caught(s.Step(t0, c.head())), "no usable peer yet")
	require.Nil(t, caught(s.Step(t0.Add(cfg.NoProgress/2), SyncTick{})))
	cu := caught(s.Step(t0.Add(cfg.NoProgress), SyncTick{}))
	require.NotNil(t, cu, "alone at the head after NoProgress")
	require.Equal(t, c.head().ChainBlock, cu.LastRegisteredAt)

	s, err = NewSyncer(cfg, top, 2)
	require.NoError(t, err)
	s.Start(t0)
	s.Step(t0, c.head())
	require.NotNil(t, caught(s.Step(t0, SyncPeerStatus{Peer: common.Address{7}, Lowest: 0, Highest: 1})), "a usable peer, even one behind")

	// A peer claiming far more than the chain does not keep it syncing.
	s, err = NewSyncer(cfg, top, 2)
	require.NoError(t, err)
	s.Start(t0)
	s.Step(t0, c.head())
	require.NotNil(t, caught(s.Step(t0, SyncPeerStatus{Peer: common.Address{8}, Lowest: 0, Highest: 1 << 40})))
}

// The same inputs give the same effects in the same order.
func TestSyncDeterministic(t *testing.T) {
	c := buildSyncChain(t, 30, 2)
	run := func() []string {
		cfg := testSyncConfig()
		sim := newSyncSim(t, c, cfg, 3,
			newPeer(t, c, "honest1", honest, 20*time.Millisecond),
			newPeer(t, c, "honest2", honest, 50*time.Millisecond),
			newPeer(t, c, "liar", liar, 10*time.Millisecond),
			newPeer(t, c, "wronghash", wrongHash, 10*time.Millisecond),
			newPeer(t, c, "slow", slow, 7*time.Second))
		sim.run(time.Hour)
		requireSynced(t, sim)
		var out []string
		for _, e := range sim.effects {
			switch e := e.(type) {
			case SyncStage:
				out = append(out, fmt.Sprintf("stage %d %s %s", e.Block.Num(), e.Block.Hash, e.From))
			case SyncApply:
				s := fmt.Sprintf("apply %d:", e.Write)
				for _, b := range e.Blocks {
					s += fmt.Sprintf(" %d", b.Block.Num())
				}
				out = append(out, s)
			case SyncCaughtUp:
				out = append(out, fmt.Sprintf("caught up %s", e.View.LastBlock().Hash))
			case SyncBan:
				out = append(out, fmt.Sprintf("ban %s %s %s %v", e.Peer, e.Reason, e.Until, e.Err))
			default:
				out = append(out, fmt.Sprintf("%T %+v", e, e))
			}
		}
		return out
	}
	require.Equal(t, run(), run())
}

// A peer that connects is asked its status at once, not at the next
// StatusEvery; a banned one, or one connecting once the stream is live,
// is not.
func TestSyncStatusOnConnect(t *testing.T) {
	c := buildSyncChain(t, 3, 1)
	cfg := testSyncConfig()
	cfg.Replicas = c.w.replicas
	s, err := NewSyncer(cfg, c.v0, 0)
	require.NoError(t, err)
	a, b := common.Address{1}, common.Address{2}
	asked := func(effs []SyncEffect) []common.Address {
		var out []common.Address
		for _, e := range effs {
			if as, ok := e.(SyncAskStatus); ok {
				out = append(out, as.Peers...)
			}
		}
		return out
	}
	require.Empty(t, asked(s.Start(t0)), "no peer known yet")
	at := t0.Add(time.Millisecond)
	require.Equal(t, []common.Address{a}, asked(s.Step(at, SyncPeerConnected{Peer: a})))
	s.Step(at, SyncPeerStatus{Peer: b, Lowest: 3, Highest: 1})
	require.Equal(t, 1, s.Status().PeersBanned)
	require.Empty(t, asked(s.Step(at, SyncPeerConnected{Peer: b})), "banned: not asked")
	s.Step(at, SyncPeerStatus{Peer: a, Lowest: 0, Highest: 3})
	s.Step(at, SyncPeerGone{Peer: a})
	require.Equal(t, 0, s.Status().PeersUsable, "gone: unusable until its next status")
	require.Equal(t, []common.Address{a}, asked(s.Step(at, SyncPeerConnected{Peer: a})), "back: asked again")
}

// Peers whose status is older than the chain's head (blocks were sealed
// since) are asked again soon, not at the next StatusEvery: the sync
// does not stall a few blocks short of the head.
func TestSyncStaleStatusAskedAgain(t *testing.T) {
	c := buildSyncChain(t, 6, 1)
	cfg := testSyncConfig()
	cfg.Replicas = c.w.replicas
	cfg.StatusEvery = time.Hour
	s, err := NewSyncer(cfg, c.v0, 1)
	require.NoError(t, err)
	a := common.Address{1}
	asked := func(effs []SyncEffect) bool {
		for _, e := range effs {
			if as, ok := e.(SyncAskStatus); ok && len(as.Peers) > 0 {
				return true
			}
		}
		return false
	}
	s.Start(t0)
	s.Step(t0, SyncPeerStatus{Peer: a, Lowest: 0, Highest: 0}) // it had nothing past the genesis then
	effs := s.Step(t0, c.head())
	require.False(t, asked(effs), "asked at Start: not again before HedgeAfter")
	var at time.Time
	for _, e := range effs {
		if st, ok := e.(SyncSetTimer); ok {
			at = st.At
		}
	}
	require.Equal(t, t0.Add(cfg.HedgeAfter), at, "a tick when it may ask again")
	require.True(t, asked(s.Step(at, SyncTick{})), "no peer has the next block: every status asked again")
	require.False(t, asked(s.Step(at, SyncPeerStatus{Peer: a, Lowest: 0, Highest: 0})), "not again at once")
	effs = s.Step(at, SyncPeerStatus{Peer: a, Lowest: 0, Highest: 6})
	var req bool
	for _, e := range effs {
		_, ok := e.(SyncRequestRange)
		req = req || ok
	}
	require.True(t, req, "the fresh status has the blocks: asked")
}
