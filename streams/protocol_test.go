package streams

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/proto/pb"
)

// The tests of this file pin behaviours docs/protocol.md states for client
// authors ("Event fields", "Salt").

// TestGenesisEventFields: every genesis event carries no previous-miniblock
// reference (empty hash and number 0); any other value is refused with
// BAD_PREV_MINIBLOCK_HASH, for the inception and for later genesis events.
func TestGenesisEventFields(t *testing.T) {
	w := newWorld(t, 1)
	id := testStreamID(space, "genesis-fields")
	for _, c := range []struct {
		name  string
		index int
		edit  func(ev *pb.StreamEvent)
		want  pb.ErrorCode
	}{
		{"as built", 0, func(*pb.StreamEvent) {}, pb.ErrorCode_OK},
		{"inception with prev number", 0, func(ev *pb.StreamEvent) { ev.PrevMiniblockNum = 1 }, pb.ErrorCode_BAD_PREV_MINIBLOCK_HASH},
		{"inception with prev hash", 0, func(ev *pb.StreamEvent) { ev.PrevMiniblockHash = common.Hash{1}.Bytes() }, pb.ErrorCode_BAD_PREV_MINIBLOCK_HASH},
		{"join with prev number", 1, func(ev *pb.StreamEvent) { ev.PrevMiniblockNum = 5 }, pb.ErrorCode_BAD_PREV_MINIBLOCK_HASH},
		{"join with prev hash", 1, func(ev *pb.StreamEvent) { ev.PrevMiniblockHash = common.Hash{1}.Bytes() }, pb.ErrorCode_BAD_PREV_MINIBLOCK_HASH},
		{"join by another creator", 1, func(ev *pb.StreamEvent) { ev.CreatorAddress = nil }, pb.ErrorCode_PERMISSION_DENIED},
	} {
		t.Run(c.name, func(t *testing.T) {
			evs := w.genesisEvents(id, alice, nil)
			ev := evs[c.index].Event
			c.edit(ev)
			signer := alice
			if len(ev.CreatorAddress) == 0 {
				signer = bob
			}
			evs[c.index] = w.sign(signer, ev)
			_, err := MakeGenesis(w.nodes[0], evs, w.now)
			require.Equal(t, c.want, CodeOf(err), "err: %v", err)
		})
	}
}

// TestSaltFree: the salt has no required length; it only makes the bytes
// (so the hash) of otherwise equal events differ. Without one, the same
// event posted twice is the same event: DUPLICATE_EVENT.
func TestSaltFree(t *testing.T) {
	w := newWorld(t, 1)
	w.create(testStreamID(space, "salt"), alice, nil)
	salted := func(name string, salt []byte) *ParsedEvent {
		ev := &pb.StreamEvent{
			StreamId: w.view.StreamID().Bytes(), PrevMiniblockHash: w.view.LastBlock().Hash.Bytes(),
			PrevMiniblockNum: w.view.LastBlock().Num(), CreatedAtMs: w.now.UnixMilli(), Salt: salt,
		}
		setPayload(ev, username(name))
		return w.sign(alice, ev)
	}
	for i, salt := range [][]byte{{}, {7}, make([]byte, 1000)} {
		ev := salted(string(rune('a'+i)), salt)
		require.NoError(t, w.view.CanAddEvent(w.cfg, ev, w.now), "salt of %d bytes", len(salt))
		w.view = w.view.AddEvent(ev)
	}
	first, again := salted("same", []byte{}), salted("same", []byte{})
	require.Equal(t, first.Hash, again.Hash, "no salt: equal events have equal bytes")
	require.NoError(t, w.view.CanAddEvent(w.cfg, first, w.now))
	w.view = w.view.AddEvent(first)
	require.Equal(t, pb.ErrorCode_DUPLICATE_EVENT, CodeOf(w.view.CanAddEvent(w.cfg, again, w.now)))
	other := salted("same", []byte{1})
	require.NotEqual(t, first.Hash, other.Hash)
	require.NoError(t, w.view.CanAddEvent(w.cfg, other, w.now), "a salt makes it another event")
}
