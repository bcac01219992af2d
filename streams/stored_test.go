package streams

import (
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/proto/pb"
)

// TestParseStoredMiniblock: a stored block parses to what ParseMiniblock
// gives without any signature recovery (a signature that recovers to no
// one still passes: it is not looked at), and every hash check still holds.
func TestParseStoredMiniblock(t *testing.T) {
	w := blockWorld(t, 1)
	mb := w.propose()
	full, err := ParseMiniblock(mb.Proto)
	require.NoError(t, err)
	stored, err := ParseStoredMiniblock(mb.Proto)
	require.NoError(t, err)
	require.Equal(t, full.Hash, stored.Hash)
	require.Equal(t, full.Leader, stored.Leader)
	require.Len(t, stored.Events, len(full.Events))
	for i := range full.Events {
		require.Equal(t, full.Events[i].Hash, stored.Events[i].Hash)
		require.Equal(t, full.Events[i].Creator, stored.Events[i].Creator)
	}
	require.Len(t, stored.Votes, len(full.Votes))

	// The signatures are not recovered: zeroed ones pass here, not there.
	bad := proto.Clone(mb.Proto).(*pb.Miniblock)
	bad.Signature = make([]byte, SignatureLen)
	bad.Events[0].Signature = make([]byte, SignatureLen)
	_, err = ParseMiniblock(bad)
	require.Equal(t, pb.ErrorCode_BAD_MINIBLOCK_SIGNATURE, codeOf(t, err))
	_, err = ParseStoredMiniblock(bad)
	require.NoError(t, err)

	// The hashes are checked: a changed event or header fails.
	ev := proto.Clone(mb.Proto).(*pb.Miniblock)
	ev.Events[0].Event = append([]byte(nil), ev.Events[0].Event...)
	ev.Events[0].Event[len(ev.Events[0].Event)-1] ^= 1
	_, err = ParseStoredMiniblock(ev)
	require.Equal(t, pb.ErrorCode_BAD_HASH, codeOf(t, err))
	hdr := proto.Clone(mb.Proto).(*pb.Miniblock)
	hdr.Header = append([]byte(nil), hdr.Header...)
	hdr.Header[len(hdr.Header)-1] ^= 1
	_, err = ParseStoredMiniblock(hdr)
	require.Equal(t, pb.ErrorCode_BAD_MINIBLOCK, codeOf(t, err))

	// The hash chain: the block applies to its parent, not to a view whose
	// last block is another.
	_, err = w.view.ApplyMiniblock(stored)
	require.NoError(t, err)

	env, err := proto.Marshal(mb.Proto.Events[0])
	require.NoError(t, err)
	pe, err := ParseStoredEnvelopeBytes(env)
	require.NoError(t, err)
	require.Equal(t, full.Events[0].Creator, pe.Creator)
}
