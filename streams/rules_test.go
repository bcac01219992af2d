package streams

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/proto/pb"
)

const (
	space    = pb.StreamType_STREAM_TYPE_SPACE
	channel  = pb.StreamType_STREAM_TYPE_CHANNEL
	dm       = pb.StreamType_STREAM_TYPE_DM
	user     = pb.StreamType_STREAM_TYPE_USER
	settingT = pb.StreamType_STREAM_TYPE_USER_SETTINGS
)

var (
	alice = testKey("alice") // creator of the test streams
	bob   = testKey("bob")
	carol = testKey("carol")
)

// TestCanAddEvent covers every admission rule with its code, on every
// stream type.
func TestCanAddEvent(t *testing.T) {
	type tc struct {
		name  string
		setup func(w *world) *ParsedEvent // returns the event to check
		want  pb.ErrorCode
	}
	spaceID := testStreamID(space, "s")
	dmID := testStreamID(dm, "d")
	chanID := channelID("c")
	newSpace := func(w *world) { w.create(spaceID, alice, nil) }
	newDM := func(w *world) {
		w.create(dmID, alice, &pb.Inception{StreamId: dmID.Bytes(), Settings: settings(100),
			FirstParty: addrOf(alice).Bytes(), SecondParty: addrOf(bob).Bytes()})
	}
	newChannel := func(w *world) {
		w.create(chanID, alice, &pb.Inception{StreamId: chanID.Bytes(), Settings: settings(100), SpaceId: spaceID.Bytes()})
	}
	newUser := func(w *world) { w.create(UserStreamID(addrOf(alice)), alice, nil) }
	newSettings := func(w *world) { w.create(UserSettingsStreamID(addrOf(alice)), alice, nil) }

	cases := []tc{
		// Accepted events.
		{"space join", func(w *world) *ParsedEvent { newSpace(w); return w.event(bob, join(space, addrOf(bob))) }, pb.ErrorCode_OK},
		{"space leave of member", func(w *world) *ParsedEvent { newSpace(w); return w.event(alice, leave(space, addrOf(alice))) }, pb.ErrorCode_OK},
		{"space username", func(w *world) *ParsedEvent { newSpace(w); return w.event(alice, username("al")) }, pb.ErrorCode_OK},
		{"space display name", func(w *world) *ParsedEvent { newSpace(w); return w.event(alice, displayName("Al")) }, pb.ErrorCode_OK},
		{"space channel create", func(w *world) *ParsedEvent {
			newSpace(w)
			return w.event(alice, channelOp(pb.ChannelOp_CHANNEL_OP_CREATED, chanID, "general"))
		}, pb.ErrorCode_OK},
		{"channel message by member", func(w *world) *ParsedEvent { newChannel(w); return w.event(alice, message(channel, "hi")) }, pb.ErrorCode_OK},
		{"dm join by party", func(w *world) *ParsedEvent { newDM(w); return w.event(bob, join(dm, addrOf(bob))) }, pb.ErrorCode_OK},
		{"dm message by party", func(w *world) *ParsedEvent { newDM(w); return w.event(alice, message(dm, "hi")) }, pb.ErrorCode_OK},
		{"user message by owner", func(w *world) *ParsedEvent { newUser(w); return w.event(alice, message(user, "note")) }, pb.ErrorCode_OK},
		{"user setting by owner", func(w *world) *ParsedEvent { newSettings(w); return w.event(alice, setting("theme", "dark")) }, pb.ErrorCode_OK},
		{"clock skew just inside", func(w *world) *ParsedEvent {
			newSpace(w)
			ev := w.event(alice, username("al"))
			w.now = w.now.Add(w.cfg.MaxClockSkew)
			return ev
		}, pb.ErrorCode_OK},

		// EVENT_TOO_LARGE
		{"too large", func(w *world) *ParsedEvent {
			newSpace(w)
			return w.event(alice, username(string(bytes.Repeat([]byte("x"), w.cfg.MaxEventBytes))))
		}, pb.ErrorCode_EVENT_TOO_LARGE},
		// BAD_STREAM_ID
		{"other stream", func(w *world) *ParsedEvent {
			newSpace(w)
			ev := &pb.StreamEvent{StreamId: testStreamID(space, "other").Bytes(), PrevMiniblockHash: w.view.LastBlock().Hash.Bytes(), CreatedAtMs: w.now.UnixMilli()}
			setPayload(ev, username("al"))
			return w.sign(alice, ev)
		}, pb.ErrorCode_BAD_STREAM_ID},
		// DUPLICATE_EVENT
		{"duplicate in minipool", func(w *world) *ParsedEvent {
			newSpace(w)
			ev := w.event(alice, username("al"))
			w.add(ev)
			return ev
		}, pb.ErrorCode_DUPLICATE_EVENT},
		{"duplicate in a block", func(w *world) *ParsedEvent {
			newSpace(w)
			ev := w.event(alice, username("al"))
			w.add(ev)
			w.seal()
			w.seal()
			return ev
		}, pb.ErrorCode_DUPLICATE_EVENT},
		{"duplicate genesis event", func(w *world) *ParsedEvent {
			newSpace(w)
			return w.view.LastBlock().Events[1]
		}, pb.ErrorCode_DUPLICATE_EVENT},
		// MINIPOOL_FULL
		{"minipool full", func(w *world) *ParsedEvent {
			newSpace(w)
			w.cfg.MaxMinipoolEvents = 1
			w.add(w.event(alice, username("al")))
			return w.event(alice, displayName("Al"))
		}, pb.ErrorCode_MINIPOOL_FULL},
		// EVENT_TOO_OLD
		{"too old", func(w *world) *ParsedEvent {
			newSpace(w)
			ev := w.event(alice, username("al"))
			w.now = w.now.Add(w.cfg.MaxClockSkew + time.Millisecond)
			return ev
		}, pb.ErrorCode_EVENT_TOO_OLD},
		{"from the future", func(w *world) *ParsedEvent {
			newSpace(w)
			ev := w.event(alice, username("al"))
			w.now = w.now.Add(-w.cfg.MaxClockSkew - time.Millisecond)
			return ev
		}, pb.ErrorCode_EVENT_TOO_OLD},
		// BAD_PREV_MINIBLOCK_HASH
		{"no prev reference", func(w *world) *ParsedEvent {
			newSpace(w)
			ev := &pb.StreamEvent{StreamId: spaceID.Bytes(), CreatedAtMs: w.now.UnixMilli()}
			setPayload(ev, username("al"))
			return w.sign(alice, ev)
		}, pb.ErrorCode_BAD_PREV_MINIBLOCK_HASH},
		{"unknown prev hash", func(w *world) *ParsedEvent {
			newSpace(w)
			ev := &pb.StreamEvent{StreamId: spaceID.Bytes(), CreatedAtMs: w.now.UnixMilli(), PrevMiniblockHash: common.Hash{1}.Bytes()}
			setPayload(ev, username("al"))
			return w.sign(alice, ev)
		}, pb.ErrorCode_BAD_PREV_MINIBLOCK_HASH},
		{"prev number in the future", func(w *world) *ParsedEvent {
			newSpace(w)
			ev := &pb.StreamEvent{StreamId: spaceID.Bytes(), CreatedAtMs: w.now.UnixMilli(), PrevMiniblockHash: w.view.LastBlock().Hash.Bytes(), PrevMiniblockNum: 5}
			setPayload(ev, username("al"))
			return w.sign(alice, ev)
		}, pb.ErrorCode_BAD_PREV_MINIBLOCK_HASH},
		{"prev outside recency window", func(w *world) *ParsedEvent {
			newSpace(w)
			w.cfg.RecencyWindow = 2
			ev := w.event(alice, username("al")) // references genesis
			for range 3 {
				w.seal()
			}
			return ev
		}, pb.ErrorCode_BAD_PREV_MINIBLOCK_HASH},
		// BAD_PAYLOAD
		{"channel payload in a space", func(w *world) *ParsedEvent { newSpace(w); return w.event(alice, message(channel, "x")) }, pb.ErrorCode_BAD_PAYLOAD},
		{"space payload in a dm", func(w *world) *ParsedEvent { newDM(w); return w.event(alice, username("x")) }, pb.ErrorCode_BAD_PAYLOAD},
		{"setting in a user stream", func(w *world) *ParsedEvent { newUser(w); return w.event(alice, setting("k", "v")) }, pb.ErrorCode_BAD_PAYLOAD},
		{"empty space content", func(w *world) *ParsedEvent { newSpace(w); return w.event(alice, &pb.SpacePayload{}) }, pb.ErrorCode_BAD_PAYLOAD},
		{"membership op unspecified", func(w *world) *ParsedEvent {
			newSpace(w)
			return w.event(bob, membership(space, pb.MembershipOp_MEMBERSHIP_OP_UNSPECIFIED, addrOf(bob)))
		}, pb.ErrorCode_BAD_PAYLOAD},
		{"membership user malformed", func(w *world) *ParsedEvent {
			newSpace(w)
			return w.event(bob, &pb.SpacePayload{Content: &pb.SpacePayload_Membership{Membership: &pb.Membership{Op: pb.MembershipOp_MEMBERSHIP_OP_JOIN, UserAddress: []byte{1, 2}}}})
		}, pb.ErrorCode_BAD_PAYLOAD},
		{"channel id not a channel", func(w *world) *ParsedEvent {
			newSpace(w)
			return w.event(alice, channelOp(pb.ChannelOp_CHANNEL_OP_CREATED, spaceID, "x"))
		}, pb.ErrorCode_BAD_PAYLOAD},
		{"setting without key", func(w *world) *ParsedEvent { newSettings(w); return w.event(alice, setting("", "v")) }, pb.ErrorCode_BAD_PAYLOAD},
		// BAD_INCEPTION
		{"inception after genesis", func(w *world) *ParsedEvent {
			newSpace(w)
			return w.event(alice, inceptionPayload(space, &pb.Inception{StreamId: spaceID.Bytes(), Settings: settings(1)}))
		}, pb.ErrorCode_BAD_INCEPTION},
		// BAD_MEMBERSHIP_TRANSITION
		{"join of a member", func(w *world) *ParsedEvent { newSpace(w); return w.event(alice, join(space, addrOf(alice))) }, pb.ErrorCode_BAD_MEMBERSHIP_TRANSITION},
		{"leave of a non-member", func(w *world) *ParsedEvent { newSpace(w); return w.event(bob, leave(space, addrOf(bob))) }, pb.ErrorCode_BAD_MEMBERSHIP_TRANSITION},
		{"double join in one generation", func(w *world) *ParsedEvent {
			newSpace(w)
			w.add(w.event(bob, join(space, addrOf(bob))))
			return w.event(bob, join(space, addrOf(bob)))
		}, pb.ErrorCode_BAD_MEMBERSHIP_TRANSITION},
		{"join then leave in one generation", func(w *world) *ParsedEvent {
			newSpace(w)
			w.add(w.event(bob, join(space, addrOf(bob))))
			return w.event(bob, leave(space, addrOf(bob)))
		}, pb.ErrorCode_BAD_MEMBERSHIP_TRANSITION},
		{"rejoin after sealed join", func(w *world) *ParsedEvent {
			newSpace(w)
			w.add(w.event(bob, join(space, addrOf(bob))))
			w.seal()
			return w.event(bob, join(space, addrOf(bob)))
		}, pb.ErrorCode_BAD_MEMBERSHIP_TRANSITION},
		// PERMISSION_DENIED
		{"join on behalf of another", func(w *world) *ParsedEvent { newSpace(w); return w.event(alice, join(space, addrOf(bob))) }, pb.ErrorCode_PERMISSION_DENIED},
		{"username by non-member", func(w *world) *ParsedEvent { newSpace(w); return w.event(bob, username("b")) }, pb.ErrorCode_PERMISSION_DENIED},
		{"display name by non-member", func(w *world) *ParsedEvent { newSpace(w); return w.event(bob, displayName("b")) }, pb.ErrorCode_PERMISSION_DENIED},
		{"post with join only pending", func(w *world) *ParsedEvent {
			newSpace(w)
			w.add(w.event(bob, join(space, addrOf(bob))))
			return w.event(bob, username("b"))
		}, pb.ErrorCode_PERMISSION_DENIED},
		{"channel create by non-member", func(w *world) *ParsedEvent {
			newSpace(w)
			return w.event(bob, channelOp(pb.ChannelOp_CHANNEL_OP_CREATED, chanID, "x"))
		}, pb.ErrorCode_PERMISSION_DENIED},
		{"channel update by non-member", func(w *world) *ParsedEvent {
			newSpace(w)
			w.add(w.event(alice, channelOp(pb.ChannelOp_CHANNEL_OP_CREATED, chanID, "x")))
			w.seal()
			return w.event(bob, channelOp(pb.ChannelOp_CHANNEL_OP_UPDATED, chanID, "y"))
		}, pb.ErrorCode_PERMISSION_DENIED},
		{"channel message by non-member", func(w *world) *ParsedEvent { newChannel(w); return w.event(bob, message(channel, "x")) }, pb.ErrorCode_PERMISSION_DENIED},
		{"dm join by non-party", func(w *world) *ParsedEvent { newDM(w); return w.event(carol, join(dm, addrOf(carol))) }, pb.ErrorCode_PERMISSION_DENIED},
		{"dm message by non-member party", func(w *world) *ParsedEvent { newDM(w); return w.event(bob, message(dm, "x")) }, pb.ErrorCode_PERMISSION_DENIED},
		{"user message by another", func(w *world) *ParsedEvent { newUser(w); return w.event(bob, message(user, "x")) }, pb.ErrorCode_PERMISSION_DENIED},
		{"user setting by another", func(w *world) *ParsedEvent { newSettings(w); return w.event(bob, setting("k", "v")) }, pb.ErrorCode_PERMISSION_DENIED},
		{"post after leave sealed", func(w *world) *ParsedEvent {
			newSpace(w)
			w.add(w.event(alice, leave(space, addrOf(alice))))
			w.seal()
			return w.event(alice, username("al"))
		}, pb.ErrorCode_PERMISSION_DENIED},
		// ALREADY_EXISTS / NOT_FOUND (channels)
		{"channel created twice", func(w *world) *ParsedEvent {
			newSpace(w)
			w.add(w.event(alice, channelOp(pb.ChannelOp_CHANNEL_OP_CREATED, chanID, "x")))
			w.seal()
			return w.event(alice, channelOp(pb.ChannelOp_CHANNEL_OP_CREATED, chanID, "y"))
		}, pb.ErrorCode_ALREADY_EXISTS},
		{"channel create pending twice", func(w *world) *ParsedEvent {
			newSpace(w)
			w.add(w.event(alice, channelOp(pb.ChannelOp_CHANNEL_OP_CREATED, chanID, "x")))
			return w.event(alice, channelOp(pb.ChannelOp_CHANNEL_OP_CREATED, chanID, "y"))
		}, pb.ErrorCode_ALREADY_EXISTS},
		{"update of unknown channel", func(w *world) *ParsedEvent {
			newSpace(w)
			return w.event(alice, channelOp(pb.ChannelOp_CHANNEL_OP_UPDATED, chanID, "y"))
		}, pb.ErrorCode_NOT_FOUND},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t, 1)
			ev := c.setup(w)
			err := w.view.CanAddEvent(w.cfg, ev, w.now)
			require.Equal(t, c.want, CodeOf(err), "err: %v", err)
		})
	}
}

// TestGenesis covers MakeGenesis / NewView rejections.
func TestGenesis(t *testing.T) {
	spaceID := testStreamID(space, "s")
	w := newWorld(t, 1)
	mkRaw := func(key *ParsedEvent) *ParsedEvent { return key }
	_ = mkRaw
	good := w.genesisEvents(spaceID, alice, nil)
	cases := []struct {
		name   string
		events func() []*ParsedEvent
		want   pb.ErrorCode
	}{
		{"ok", func() []*ParsedEvent { return good }, pb.ErrorCode_OK},
		{"empty", func() []*ParsedEvent { return nil }, pb.ErrorCode_BAD_INCEPTION},
		{"join first", func() []*ParsedEvent { return good[1:] }, pb.ErrorCode_BAD_INCEPTION},
		{"two inceptions", func() []*ParsedEvent { return []*ParsedEvent{good[0], w.genesisEvents(spaceID, alice, nil)[0]} }, pb.ErrorCode_BAD_INCEPTION},
		{"no settings", func() []*ParsedEvent {
			return w.genesisEvents(spaceID, alice, &pb.Inception{StreamId: spaceID.Bytes()})[:1]
		}, pb.ErrorCode_BAD_INCEPTION},
		{"inception names other stream", func() []*ParsedEvent {
			return w.genesisEvents(spaceID, alice, &pb.Inception{StreamId: testStreamID(space, "x").Bytes(), Settings: settings(1)})[:1]
		}, pb.ErrorCode_BAD_INCEPTION},
		{"channel without space", func() []*ParsedEvent {
			id := channelID("c")
			return w.genesisEvents(id, alice, &pb.Inception{StreamId: id.Bytes(), Settings: settings(1)})[:1]
		}, pb.ErrorCode_BAD_INCEPTION},
		{"dm with one party", func() []*ParsedEvent {
			id := testStreamID(dm, "d")
			return w.genesisEvents(id, alice, &pb.Inception{StreamId: id.Bytes(), Settings: settings(1), FirstParty: addrOf(alice).Bytes(), SecondParty: addrOf(alice).Bytes()})[:1]
		}, pb.ErrorCode_BAD_INCEPTION},
		{"dm by a third party", func() []*ParsedEvent {
			id := testStreamID(dm, "d")
			return w.genesisEvents(id, carol, &pb.Inception{StreamId: id.Bytes(), Settings: settings(1), FirstParty: addrOf(alice).Bytes(), SecondParty: addrOf(bob).Bytes()})[:1]
		}, pb.ErrorCode_PERMISSION_DENIED},
		{"user stream of another", func() []*ParsedEvent {
			return w.genesisEvents(UserStreamID(addrOf(bob)), alice, nil)
		}, pb.ErrorCode_PERMISSION_DENIED},
		{"event by another", func() []*ParsedEvent {
			bj := w.genesisEvents(spaceID, bob, nil)[1]
			return []*ParsedEvent{good[0], bj}
		}, pb.ErrorCode_PERMISSION_DENIED},
		{"duplicate", func() []*ParsedEvent { return []*ParsedEvent{good[0], good[1], good[1]} }, pb.ErrorCode_DUPLICATE_EVENT},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g, err := MakeGenesis(w.nodes[0], c.events(), t0)
			require.Equal(t, c.want, CodeOf(err), "err: %v", err)
			if err != nil {
				return
			}
			v, err := NewView(g)
			require.NoError(t, err)
			require.Equal(t, int64(1), v.Generation())
			require.True(t, v.IsMember(addrOf(alice)))
			require.Equal(t, int64(2), v.EventCount())
			require.NotNil(t, g.Proto.Snapshot)
			// The wire form parses back to the same view.
			g2, err := ParseMiniblock(g.Proto)
			require.NoError(t, err)
			v2, err := NewView(g2)
			require.NoError(t, err)
			require.Equal(t, v.LastBlock().Hash, v2.LastBlock().Hash)
		})
	}
}

// TestMembershipBoundary: a join takes effect only when its block is
// applied (I6), and a dropped post leaves the minipool.
func TestMembershipBoundary(t *testing.T) {
	w := newWorld(t, 3)
	w.create(testStreamID(space, "s"), alice, nil)
	w.add(w.event(bob, join(space, addrOf(bob))))
	require.False(t, w.view.IsMember(addrOf(bob)))
	require.Equal(t, pb.ErrorCode_PERMISSION_DENIED, CodeOf(w.view.CanAddEvent(w.cfg, w.event(bob, username("b")), w.now)))
	before := w.view
	mb := w.seal()
	require.Len(t, mb.Events, 1)
	require.True(t, w.view.IsMember(addrOf(bob)))
	require.False(t, before.IsMember(addrOf(bob)), "old view unchanged")
	require.Equal(t, 0, w.view.MinipoolLen())

	// A post admitted before a leave is sealed is dropped when the leave applies.
	post := w.event(bob, username("b"))
	w.add(post)
	w.add(w.event(bob, leave(space, addrOf(bob))))
	// Seal only the leave: votes hold only the leave.
	leaveEv := w.view.Minipool()[1]
	var votes []*pb.Vote
	for _, k := range w.nodes {
		v, err := MakeVote(k, w.view.StreamID(), w.view.Generation(), w.view.LastBlock().Hash, []common.Hash{leaveEv.Hash})
		require.NoError(t, err)
		votes = append(votes, v)
	}
	p := w.proposal(votes)
	p.Votes = votes
	// The leader's own vote must not be added automatically: it is in votes.
	mb, err := w.view.Propose(w.cfg, p)
	require.NoError(t, err)
	require.Len(t, mb.Events, 1)
	require.NoError(t, VerifyMiniblock(w.view, w.cfg, w.replicas, mb))
	nv, dropped, err := w.view.Apply(mb)
	require.NoError(t, err)
	require.Equal(t, []*ParsedEvent{post}, dropped)
	require.Equal(t, 0, nv.MinipoolLen())
	require.False(t, nv.IsMember(addrOf(bob)))
}

func TestPruneMinipool(t *testing.T) {
	w := newWorld(t, 1)
	w.cfg.RecencyWindow = 1
	w.create(testStreamID(space, "s"), alice, nil)
	old := w.event(alice, username("a"))
	w.add(old)
	// Seal twice without the event: votes empty.
	for range 2 {
		v, err := MakeVote(w.nodes[0], w.view.StreamID(), w.view.Generation(), w.view.LastBlock().Hash, nil)
		require.NoError(t, err)
		mb, err := w.view.Propose(w.cfg, w.proposal([]*pb.Vote{v}))
		require.NoError(t, err)
		require.Empty(t, mb.Events)
		w.view, err = w.view.ApplyMiniblock(mb)
		require.NoError(t, err)
	}
	require.Equal(t, 1, w.view.MinipoolLen())
	// Proposing skips it: its reference is out of the window.
	mb := w.propose()
	require.Empty(t, mb.Events)
	nv, dropped := w.view.PruneMinipool(w.cfg)
	require.Equal(t, []*ParsedEvent{old}, dropped)
	require.Equal(t, 0, nv.MinipoolLen())
}

// TestViewImmutable: adding to an older view (a fork) never disturbs the
// newer one.
func TestViewImmutable(t *testing.T) {
	w := newWorld(t, 1)
	base := w.create(testStreamID(space, "s"), alice, nil)
	e1 := w.event(alice, username("a"))
	e2 := w.event(alice, displayName("b"))
	v1 := base.AddEvent(e1)
	v2 := base.AddEvent(e2) // fork from base
	v3 := v1.AddEvent(e2)
	require.Equal(t, []*ParsedEvent{e1}, v1.Minipool())
	require.Equal(t, []*ParsedEvent{e2}, v2.Minipool())
	require.Equal(t, []*ParsedEvent{e1, e2}, v3.Minipool())
	require.Empty(t, base.Minipool())
	require.False(t, v2.HasEvent(e1.Hash))
	require.True(t, v3.HasEvent(e1.Hash))
	require.Nil(t, base.PoolEvent(e1.Hash))
	require.Equal(t, e1, v1.PoolEvent(e1.Hash))
}

func TestRestoreView(t *testing.T) {
	w := newWorld(t, 3)
	w.create(testStreamID(space, "s"), alice, &pb.Inception{StreamId: testStreamID(space, "s").Bytes(), Settings: settings(2)})
	blocks := []*ParsedMiniblock{w.view.LastBlock()}
	users := []string{"u1", "u2", "u3", "u4", "u5"}
	for _, u := range users {
		w.add(w.event(testKey(u), join(space, addrOf(testKey(u)))))
		blocks = append(blocks, w.seal())
	}
	pending := w.event(alice, username("a"))
	w.add(pending)
	// Find the last block with a snapshot.
	var snapIdx int
	for i, b := range blocks {
		if b.Proto.Snapshot != nil {
			snapIdx = i
		}
	}
	require.Positive(t, snapIdx)
	rv, err := RestoreView(blocks[snapIdx], blocks, []*ParsedEvent{pending})
	require.NoError(t, err)
	require.Equal(t, w.view.Generation(), rv.Generation())
	h1, err := SnapshotHash(w.view.Snapshot())
	require.NoError(t, err)
	h2, err := SnapshotHash(rv.Snapshot())
	require.NoError(t, err)
	require.Equal(t, h1, h2)
	require.Equal(t, w.view.LastSnapshotNum(), rv.LastSnapshotNum())
	require.True(t, rv.HasEvent(blocks[1].Events[0].Hash), "blocks before the snapshot are remembered")
	require.True(t, rv.HasEvent(pending.Hash))

	// Block 1 seals one event, below min_events_per_snapshot (2), so it
	// carries no snapshot and cannot seed a restore.
	require.Nil(t, blocks[1].Proto.Snapshot)
	_, err = RestoreView(blocks[1], nil, nil)
	require.Equal(t, pb.ErrorCode_BAD_SNAPSHOT, CodeOf(err))
}

// TestRestoreFiltersPool: a stored minipool that still holds a sealed
// event (or an invalid one) is cleaned on restore.
func TestRestoreFiltersPool(t *testing.T) {
	w := newWorld(t, 1)
	w.create(testStreamID(space, "s"), alice, &pb.Inception{StreamId: testStreamID(space, "s").Bytes(), Settings: settings(1)})
	sealedEv := w.event(alice, username("a"))
	w.add(sealedEv)
	mb := w.seal()
	require.NotNil(t, mb.Proto.Snapshot)
	stranger := w.event(carol, username("c"))
	fresh := w.event(alice, displayName("A"))
	rv, err := RestoreView(mb, []*ParsedMiniblock{mb}, []*ParsedEvent{sealedEv, stranger, fresh})
	require.NoError(t, err)
	require.Equal(t, []*ParsedEvent{fresh}, rv.Minipool())
}

// TestViewConcurrentReaders: readers of shared views race with an owner
// that keeps adding (and forking); run under -race.
func TestViewConcurrentReaders(t *testing.T) {
	w := newWorld(t, 1)
	base := w.create(testStreamID(space, "s"), alice, nil)
	evs := make([]*ParsedEvent, 200)
	for i := range evs {
		evs[i] = w.event(alice, username(fmt.Sprint(i)))
	}
	views := make(chan *View, len(evs))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for v := range views {
			pool := v.Minipool()
			for _, ev := range pool {
				if !v.HasEvent(ev.Hash) || v.PoolEvent(ev.Hash) != ev {
					t.Error("view lost an event")
				}
			}
			// A vote taken from a shared view names exactly its pool.
			vote, err := v.Vote(w.nodes[0])
			if err != nil {
				t.Error(err)
				continue
			}
			pv, err := ParseVote(vote)
			if err != nil || len(pv.Hashes) != len(pool) {
				t.Errorf("vote of a %d-event pool: %v hashes, err %v", len(pool), pv, err)
				continue
			}
			for i, ev := range pool {
				if pv.Hashes[i] != ev.Hash {
					t.Errorf("vote hash %d differs from the pool", i)
				}
			}
		}
	}()
	v := base
	for i, ev := range evs {
		v = v.AddEvent(ev)
		views <- v
		if i%50 == 49 {
			base.AddEvent(ev) // a fork from an old view
		}
	}
	close(views)
	<-done
	require.Equal(t, len(evs), v.MinipoolLen())
}

// TestInBlocksAfter: an event is found in the recent blocks numbered above
// the given one, and only there (the lookup starts at the block it computes
// from the numbers).
func TestInBlocksAfter(t *testing.T) {
	w := newWorld(t, 1)
	w.create(testStreamID(space, "s"), alice, nil)
	var sealed []*ParsedEvent // sealed[i] is in block i+1
	for range 4 {
		ev := w.event(alice, username(fmt.Sprint("u", len(sealed))))
		w.add(ev)
		mb := w.seal()
		require.Len(t, mb.Events, 1)
		sealed = append(sealed, ev)
	}
	other := w.event(alice, username("never sealed"))
	last := w.view.LastBlock().Num()
	require.EqualValues(t, 4, last)
	for i, ev := range sealed {
		in := int64(i + 1)
		for _, after := range []int64{-5, -1, 0, in - 1, in, in + 1, last, last + 3} {
			require.Equal(t, in > after, w.view.inBlocksAfter(ev.Hash, after), "event of block %d, after %d", in, after)
		}
	}
	for _, after := range []int64{-1, 0, 2, last} {
		require.False(t, w.view.inBlocksAfter(other.Hash, after))
	}
	require.True(t, w.view.HasEvent(sealed[0].Hash))
	require.False(t, w.view.HasEvent(other.Hash))
}
