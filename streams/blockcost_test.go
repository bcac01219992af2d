package streams

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/towns-node/node/proto/pb"
)

// TestCountedStateCopiesEveryField: countedState copies Snapshot and
// CommonSnapshot field by field; a field added to either and not copied
// there would be lost from every state after a block of messages. The
// fixture sets every field (checked through the descriptors, so a new
// field fails here until the fixture, and countedState, name it).
func TestCountedStateCopiesEveryField(t *testing.T) {
	st := &pb.Snapshot{
		Common: &pb.CommonSnapshot{
			StreamId:     channelID("c").Bytes(),
			Settings:     settings(7),
			Members:      map[string]*pb.Member{"a": {UserAddress: []byte("a"), JoinedAtMiniblock: 3}},
			EventCount:   11,
			MiniblockNum: 4,
		},
		Content: &pb.Snapshot_Channel{Channel: &pb.ChannelSnapshot{Inception: &pb.Inception{Settings: settings(7)}}},
	}
	for _, m := range []protoreflect.Message{st.ProtoReflect(), st.Common.ProtoReflect()} {
		fields := m.Descriptor().Fields()
		for i := range fields.Len() {
			fd := fields.Get(i)
			if fd.ContainingOneof() != nil && fd.ContainingOneof().Name() == "content" {
				continue // one branch set, shared whole
			}
			require.True(t, m.Has(fd), "fixture leaves %s unset: set it, and copy it in countedState", fd.FullName())
		}
	}
	c := countedState(st)
	require.NotNil(t, c)
	require.True(t, proto.Equal(st, c))
	require.NotSame(t, st, c)
	require.NotSame(t, st.Common, c.Common)

	// Unknown fields are not copied field by field: the caller clones.
	withUnknown := proto.Clone(st).(*pb.Snapshot)
	withUnknown.Common.ProtoReflect().SetUnknown(protoreflect.RawFields{0xf8, 0x01, 0x01}) // field 31, varint 1
	require.Nil(t, countedState(withUnknown))
}

// TestNextStateSharesOnlyForMessages: a block of messages shares the
// parent's members map (nothing copied); a block with a join copies it; in
// both cases the parent view's state is left as it was, and the result
// equals the deep-copy computation.
func TestNextStateSharesOnlyForMessages(t *testing.T) {
	w := newWorld(t, 1)
	ct := pb.StreamType_STREAM_TYPE_CHANNEL
	alice, bob := testKey("alice"), testKey("bob")
	id := channelID("next")
	w.create(id, alice, &pb.Inception{StreamId: id.Bytes(), Settings: settings(100), SpaceId: testStreamID(pb.StreamType_STREAM_TYPE_SPACE, "s").Bytes()})
	before := proto.Clone(w.view.Snapshot())

	msgs := []*ParsedEvent{w.event(alice, message(ct, "one")), w.event(alice, message(ct, "two"))}
	st, err := w.view.nextState(msgs, 1)
	require.NoError(t, err)
	require.True(t, proto.Equal(before, w.view.Snapshot()), "parent state changed")
	require.Equal(t, before.(*pb.Snapshot).Common.EventCount+2, st.Common.EventCount)
	require.Equal(t, int64(1), st.Common.MiniblockNum)
	deep := cloneState(w.view.Snapshot())
	for _, ev := range msgs {
		a, err := classify(ct, ev.Event)
		require.NoError(t, err)
		reduce(deep, a, ev, 1)
	}
	deep.Common.MiniblockNum = 1
	require.True(t, proto.Equal(deep, st))
	st.Common.Members["probe"] = nil // shared: the parent sees it
	require.Contains(t, w.view.Snapshot().Common.Members, "probe")
	delete(st.Common.Members, "probe")

	mixed := []*ParsedEvent{w.event(alice, message(ct, "three")), w.event(bob, join(ct, addrOf(bob)))}
	st2, err := w.view.nextState(mixed, 1)
	require.NoError(t, err)
	require.True(t, proto.Equal(before, w.view.Snapshot()), "parent state changed by a join")
	require.Len(t, st2.Common.Members, len(w.view.Snapshot().Common.Members)+1)
}

// TestVoteRefusesTwiceNamedHash: a vote that names a hash twice is refused
// when signed and when parsed, in short lists (compared pairwise) and long
// ones (a set).
func TestVoteRefusesTwiceNamedHash(t *testing.T) {
	key := testKey("node")
	id := channelID("twice")
	for _, n := range []int{2, 16, 17, 40} {
		hashes := make([]common.Hash, n)
		for i := range hashes {
			hashes[i] = crypto.Keccak256Hash([]byte{byte(i)})
		}
		v, err := MakeVote(key, id, 1, common.Hash{1}, hashes)
		require.NoError(t, err, "n=%d", n)
		_, err = ParseVote(v)
		require.NoError(t, err, "n=%d", n)

		hashes[n-1] = hashes[n/2-1]
		_, err = MakeVote(key, id, 1, common.Hash{1}, hashes)
		require.Equal(t, pb.ErrorCode_BAD_VOTES, codeOf(t, err), "n=%d", n)
		body := &pb.VoteBody{StreamId: id.Bytes(), MiniblockNum: 1, PrevMiniblockHash: common.Hash{1}.Bytes(), Voter: addrOf(key).Bytes()}
		for _, h := range hashes {
			body.EventHashes = append(body.EventHashes, h.Bytes())
		}
		b, err := proto.Marshal(body)
		require.NoError(t, err)
		h := VoteHash(b)
		sig, err := crypto.Sign(h[:], key)
		require.NoError(t, err)
		_, err = ParseVote(&pb.Vote{Body: b, Signature: sig})
		require.Equal(t, pb.ErrorCode_BAD_VOTES, codeOf(t, err), "n=%d", n)
	}
}

// TestHasEventSmallAndLargeBlocks: a block of up to smallBlock hashes
// answers hasEvent by scanning, a larger one from its set; both know their
// events and rejected hashes, and nothing else.
func TestHasEventSmallAndLargeBlocks(t *testing.T) {
	for _, n := range []int{1, smallBlock - 1, smallBlock + 3} {
		mb := &ParsedMiniblock{Header: &pb.MiniblockHeader{}}
		var in []common.Hash
		for i := range n {
			h := crypto.Keccak256Hash([]byte{byte(i)})
			in = append(in, h)
			if i%2 == 0 {
				mb.Events = append(mb.Events, &ParsedEvent{Hash: h})
			} else {
				mb.Header.RejectedEventHashes = append(mb.Header.RejectedEventHashes, h.Bytes())
			}
		}
		mb.index()
		require.Equal(t, n > smallBlock, mb.eventSet != nil, "n=%d", n)
		for _, h := range in {
			require.True(t, mb.hasEvent(h), "n=%d", n)
		}
		require.False(t, mb.hasEvent(common.Hash{0xee}), "n=%d", n)
	}
}

// TestParsedVotesHash: the votes hash from parsed votes is the one of the
// votes carried.
func TestParsedVotesHash(t *testing.T) {
	var raw []*pb.Vote
	var parsed []*ParsedVote
	for i, name := range []string{"a", "b", "c"} {
		v, err := MakeVote(testKey(name), channelID("vh"), 3, common.Hash{9}, []common.Hash{{byte(i)}})
		require.NoError(t, err)
		pv, err := ParseVote(v)
		require.NoError(t, err)
		raw, parsed = append(raw, v), append(parsed, pv)
	}
	require.Equal(t, votesHash(raw), parsedVotesHash(parsed))
	require.Equal(t, crypto.Keccak256Hash(votesPrefix), votesHash(nil))
}
