package streams

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/proto/pb"
)

// TestReducers checks the per-type snapshot maps after sealed events.
func TestReducers(t *testing.T) {
	t.Run("space", func(t *testing.T) {
		w := newWorld(t, 1)
		w.create(testStreamID(space, "s"), alice, nil)
		c := channelID("c")
		w.add(w.event(bob, join(space, addrOf(bob))))
		w.add(w.event(alice, username("al")))
		w.add(w.event(alice, channelOp(pb.ChannelOp_CHANNEL_OP_CREATED, c, "general")))
		w.seal()
		w.add(w.event(bob, displayName("Bob")))
		w.add(w.event(alice, channelOp(pb.ChannelOp_CHANNEL_OP_UPDATED, c, "random")))
		w.add(w.event(alice, username("al2")))
		w.add(w.event(alice, leave(space, addrOf(alice))))
		w.seal()
		s := w.view.Snapshot()
		sp := s.GetSpace()
		require.NotNil(t, sp.Inception)
		require.Equal(t, int64(2+3+4), s.Common.EventCount)
		require.Equal(t, int64(2), s.Common.MiniblockNum)
		require.Len(t, s.Common.Members, 1)
		require.Equal(t, int64(1), s.Common.Members[addrKey(addrOf(bob).Bytes())].JoinedAtMiniblock)
		require.Len(t, sp.Memberships, 1)
		require.Equal(t, "al2", string(sp.Usernames[addrKey(addrOf(alice).Bytes())].Ciphertext))
		require.Equal(t, "Bob", string(sp.DisplayNames[addrKey(addrOf(bob).Bytes())].Ciphertext))
		ch := sp.Channels[c.String()]
		require.Equal(t, "random", string(ch.Metadata))
		require.Equal(t, int64(1), ch.CreatedAtMiniblock)
		require.Equal(t, int64(2), ch.UpdatedAtMiniblock)
		require.False(t, w.view.IsMember(addrOf(alice)))
	})
	t.Run("user settings", func(t *testing.T) {
		w := newWorld(t, 1)
		w.create(UserSettingsStreamID(addrOf(alice)), alice, nil)
		w.add(w.event(alice, setting("theme", "dark")))
		w.add(w.event(alice, setting("lang", "en")))
		w.seal()
		w.add(w.event(alice, setting("theme", "light")))
		w.seal()
		st := w.view.Snapshot().GetUserSettings().Settings
		require.Len(t, st, 2)
		require.Equal(t, "light", string(st["theme"].Value))
	})
	t.Run("dm, channel, user", func(t *testing.T) {
		for _, id := range []StreamID{testStreamID(dm, "d"), channelID("c"), UserStreamID(addrOf(alice))} {
			w := newWorld(t, 1)
			in := &pb.Inception{StreamId: id.Bytes(), Settings: settings(1), SpaceId: testStreamID(space, "s").Bytes(),
				FirstParty: addrOf(alice).Bytes(), SecondParty: addrOf(bob).Bytes()}
			w.create(id, alice, in)
			s := w.view.Snapshot()
			require.Equal(t, id.Bytes(), s.Common.StreamId)
			switch id.Type() {
			case dm:
				require.Equal(t, addrOf(bob).Bytes(), s.GetDm().Inception.SecondParty)
			case channel:
				require.Equal(t, in.SpaceId, s.GetChannel().Inception.SpaceId)
			case user:
				require.NotNil(t, s.GetUser().Inception)
				require.Empty(t, s.Common.Members)
			}
		}
	})
}

func TestSnapshotEncodingDeterministic(t *testing.T) {
	w := newWorld(t, 1)
	w.create(testStreamID(space, "s"), alice, nil)
	for _, u := range []string{"u1", "u2", "u3", "u4", "u5", "u6"} {
		w.add(w.event(testKey(u), join(space, addrOf(testKey(u)))))
	}
	w.seal()
	s := w.view.Snapshot()
	first, err := EncodeSnapshot(s)
	require.NoError(t, err)
	h, err := SnapshotHash(s)
	require.NoError(t, err)
	for range 20 {
		b, err := EncodeSnapshot(cloneState(s))
		require.NoError(t, err)
		require.Equal(t, first, b, "map order must not leak into the encoding")
		h2, err := SnapshotHash(cloneState(s))
		require.NoError(t, err)
		require.Equal(t, h, h2)
	}
}

// TestRecentBlocksTrimmed: a view remembers MaxRecentBlocks blocks; older
// references are refused, duplicates within the window still caught.
func TestRecentBlocksTrimmed(t *testing.T) {
	if testing.Short() {
		t.Skip("seals 300 blocks")
	}
	w := newWorld(t, 1)
	w.create(testStreamID(space, "s"), alice, nil)
	w.cfg.RecencyWindow = MaxRecentBlocks - 1
	genesisRef := w.event(alice, username("old"))
	var last *ParsedEvent
	for i := range MaxRecentBlocks + 20 {
		if i == MaxRecentBlocks+10 {
			last = w.event(alice, username("x"))
			w.add(last)
		}
		w.seal()
	}
	require.Len(t, w.view.RecentBlocks(), MaxRecentBlocks)
	require.Equal(t, pb.ErrorCode_BAD_PREV_MINIBLOCK_HASH, CodeOf(w.view.CanAddEvent(w.cfg, genesisRef, w.now)))
	w.now = t0
	require.Equal(t, pb.ErrorCode_DUPLICATE_EVENT, CodeOf(w.view.CanAddEvent(w.cfg, last, w.now)))
}
