package streams

import (
	"crypto/ecdsa"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/proto/pb"
)

// TestPropertyGrouping draws random event sequences on a space, seals them
// one event per block (the reference), then replays the same events sealed
// in random groupings. It checks:
//
//   - I4: after every block of a grouping the state equals the reference
//     state after the same events (block-number fields aside), so the final
//     snapshots agree;
//   - I6: admitting an event never changes membership; membership changes
//     exactly at the block that seals the join or leave;
//   - I3: every event lands in exactly one block, and resubmitting any of
//     them is refused as DUPLICATE_EVENT.
//
// A grouping may only put an event in the same block as an event it depends
// on (a post after its author's join) if the rules allow it, so the
// replay closes the block early when the rules refuse an event.
func TestPropertyGrouping(t *testing.T) {
	iters := 200
	if testing.Short() {
		iters = 40
	}
	for it := range iters {
		seed := uint64(it)
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { runGroupingProperty(t, seed) })
	}
}

var propUsers = []string{"alice", "u1", "u2", "u3", "u4"}

func runGroupingProperty(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0x70776e73))
	k := 1
	if seed%4 == 0 {
		k = 3
	}
	ref := newWorld(t, k)
	id := testStreamID(space, "prop")
	ref.create(id, alice, &pb.Inception{StreamId: id.Bytes(), Settings: settings(uint32(1 + rng.IntN(4)))})
	genesis := ref.view
	mkEvent := func(key *ecdsa.PrivateKey, payload any) *ParsedEvent {
		ev := &pb.StreamEvent{
			StreamId:          id.Bytes(),
			PrevMiniblockHash: genesis.LastBlock().Hash.Bytes(), // the one block every grouping shares
			PrevMiniblockNum:  0,
			CreatedAtMs:       t0.UnixMilli(),
		}
		setPayload(ev, payload)
		return ref.sign(key, ev)
	}
	channels := []StreamID{channelID("c0"), channelID("c1"), channelID("c2")}

	// Reference: one event per block.
	n := 8 + rng.IntN(25)
	var seq []*ParsedEvent
	var refStates []*pb.Snapshot
	for attempts := 0; len(seq) < n && attempts < 20*n; attempts++ {
		key := testKey(propUsers[rng.IntN(len(propUsers))])
		var payload any
		switch rng.IntN(6) {
		case 0:
			payload = join(space, addrOf(key))
		case 1:
			payload = leave(space, addrOf(key))
		case 2:
			payload = username(fmt.Sprint("name", rng.IntN(100)))
		case 3:
			payload = displayName(fmt.Sprint("Name", rng.IntN(100)))
		case 4:
			payload = channelOp(pb.ChannelOp_CHANNEL_OP_CREATED, channels[rng.IntN(len(channels))], "new")
		default:
			payload = channelOp(pb.ChannelOp_CHANNEL_OP_UPDATED, channels[rng.IntN(len(channels))], fmt.Sprint("meta", rng.IntN(100)))
		}
		ev := mkEvent(key, payload)
		if ref.view.CanAddEvent(ref.cfg, ev, t0) != nil {
			continue
		}
		ref.add(ev)
		mb := ref.seal()
		require.Len(t, mb.Events, 1)
		seq = append(seq, ev)
		refStates = append(refStates, normalizeState(ref.view.Snapshot()))
	}
	require.NotEmpty(t, seq)

	// Replay in a random grouping.
	g := newWorld(t, k)
	g.view = genesis
	cut := rng.IntN(4) // 0: cut only when forced
	sealed := 0        // events sealed so far
	var blocks []*ParsedMiniblock
	seal := func() {
		members := memberSet(g.view)
		pool := g.view.Minipool()
		mb := g.seal()
		require.Equal(t, pool, mb.Events, "every admitted event is sealed, in arrival order")
		require.Zero(t, g.view.MinipoolLen())
		sealed += len(mb.Events)
		blocks = append(blocks, mb)
		require.True(t, proto.Equal(refStates[sealed-1], normalizeState(g.view.Snapshot())),
			"I4: state after %d events differs from the reference", sealed)
		// I6: membership changed by exactly the block's membership events.
		for _, ev := range mb.Events {
			if m := ev.Event.GetSpacePayload().GetMembership(); m != nil {
				a := common.BytesToAddress(m.UserAddress)
				members[a] = m.Op == pb.MembershipOp_MEMBERSHIP_OP_JOIN
			}
		}
		require.Equal(t, trueKeys(members), trueKeys(memberSet(g.view)), "I6")
	}
	for _, ev := range seq {
		if cut > 0 && g.view.MinipoolLen() > 0 && rng.IntN(cut+1) == 0 {
			seal()
		}
		if err := g.view.CanAddEvent(g.cfg, ev, t0); err != nil {
			require.Positive(t, g.view.MinipoolLen(), "refused with an empty minipool: %v", err)
			seal()
			require.NoError(t, g.view.CanAddEvent(g.cfg, ev, t0))
		}
		before := memberSet(g.view)
		g.view = g.view.AddEvent(ev)
		require.Equal(t, before, memberSet(g.view), "I6: admission changed membership")
	}
	if g.view.MinipoolLen() > 0 {
		seal()
	}
	t.Logf("k=%d: %d events, reference %d blocks, grouping %d blocks", k, len(seq), len(seq), len(blocks))
	require.Equal(t, len(seq), sealed)
	require.True(t, proto.Equal(refStates[len(refStates)-1], normalizeState(g.view.Snapshot())), "I4: final snapshot")
	require.Equal(t, ref.view.EventCount(), g.view.EventCount())

	// I3.
	count := map[common.Hash]int{}
	for _, mb := range blocks {
		for _, ev := range mb.Events {
			count[ev.Hash]++
		}
	}
	for _, ev := range seq {
		require.Equal(t, 1, count[ev.Hash])
		require.Equal(t, pb.ErrorCode_DUPLICATE_EVENT, CodeOf(g.view.CanAddEvent(g.cfg, ev, t0)))
		require.Equal(t, pb.ErrorCode_DUPLICATE_EVENT, CodeOf(ref.view.CanAddEvent(ref.cfg, ev, t0)))
	}
}

// normalizeState clears the fields that name block numbers, which depend on
// the grouping.
func normalizeState(s *pb.Snapshot) *pb.Snapshot {
	c := proto.Clone(s).(*pb.Snapshot)
	c.Common.MiniblockNum = 0
	for _, m := range c.Common.Members {
		m.JoinedAtMiniblock = 0
	}
	if sp := c.GetSpace(); sp != nil {
		for _, m := range sp.Memberships {
			m.JoinedAtMiniblock = 0
		}
		for _, ch := range sp.Channels {
			ch.CreatedAtMiniblock, ch.UpdatedAtMiniblock = 0, 0
		}
	}
	return c
}

func memberSet(v *View) map[common.Address]bool {
	out := map[common.Address]bool{}
	for _, a := range v.Members() {
		out[a] = true
	}
	return out
}

func trueKeys(m map[common.Address]bool) []common.Address {
	var out []common.Address
	for a, ok := range m {
		if ok {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Cmp(out[j]) < 0 })
	return out
}
