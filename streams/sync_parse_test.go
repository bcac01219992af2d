package streams

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/proto/pb"
)

// coldBlock is a sealed block of n messages and its parent view.
func coldBlock(t testing.TB, n int) (*world, *View, *ParsedMiniblock) {
	t.Helper()
	c := buildSyncChain(t, 1, n)
	return c.w, c.v0, c.blocks[1]
}

// ParseMiniblockParallel gives what ParseMiniblock gives, for any number
// of workers: the same block, or the same error for the same tampering.
func TestParseMiniblockParallelMatchesSerial(t *testing.T) {
	w, parent, mb := coldBlock(t, 40)
	for _, workers := range []int{0, 1, 2, 3, 8, 64} {
		got, err := ParseMiniblockParallel(mb.Proto, workers)
		require.NoError(t, err)
		want, err := ParseMiniblock(mb.Proto)
		require.NoError(t, err)
		require.Equal(t, want.Hash, got.Hash)
		require.Equal(t, want.Leader, got.Leader)
		require.Len(t, got.Events, len(want.Events))
		for i := range want.Events {
			require.Equal(t, want.Events[i].Hash, got.Events[i].Hash)
			require.Equal(t, want.Events[i].Creator, got.Events[i].Creator)
			require.True(t, proto.Equal(want.Events[i].Event, got.Events[i].Event))
		}
		v, err := VerifyMiniblockParallel(parent, w.cfg, w.replicas, mb.Proto, workers)
		require.NoError(t, err)
		require.Equal(t, mb.Hash, v.Hash)
	}

	tamper := map[string]func(raw *pb.Miniblock){
		"event signature":      func(raw *pb.Miniblock) { raw.Events[17].Signature[4] ^= 1 },
		"two events":           func(raw *pb.Miniblock) { raw.Events[30].Signature[4] ^= 1; raw.Events[9].Event[0] ^= 1 },
		"high-S twin":          func(raw *pb.Miniblock) { raw.Events[25].Signature[32] = 0xff },
		"event hash":           func(raw *pb.Miniblock) { raw.Events[3].Hash[0] ^= 1 },
		"events swapped":       func(raw *pb.Miniblock) { raw.Events[5], raw.Events[6] = raw.Events[6], raw.Events[5] },
		"nil envelope":         func(raw *pb.Miniblock) { raw.Events[12] = nil },
		"vote signature":       func(raw *pb.Miniblock) { raw.Votes[1].Signature[3] ^= 1 },
		"header signature":     func(raw *pb.Miniblock) { raw.Signature[2] ^= 1 },
		"last event recovered": func(raw *pb.Miniblock) { raw.Events[len(raw.Events)-1].Signature[7] ^= 1 },
	}
	for name, edit := range tamper {
		t.Run(name, func(t *testing.T) {
			raw := proto.Clone(mb.Proto).(*pb.Miniblock)
			edit(raw)
			_, want := ParseMiniblock(raw)
			require.Error(t, want)
			for _, workers := range []int{2, 4, 7} {
				_, got := ParseMiniblockParallel(raw, workers)
				require.Equal(t, want.Error(), fmt.Sprint(got), "workers %d", workers)
				_, got = VerifyMiniblockParallel(parent, w.cfg, w.replicas, raw, workers)
				require.Equal(t, want.Error(), fmt.Sprint(got), "verify, workers %d", workers)
			}
		})
	}
}

// A block that passes parsing but not verification fails the same way.
func TestVerifyMiniblockParallelRules(t *testing.T) {
	w, _, mb := coldBlock(t, 10)
	_, err := VerifyMiniblockParallel(w.view, w.cfg, w.replicas, mb.Proto, 4) // on top of itself
	require.Equal(t, pb.ErrorCode_BAD_MINIBLOCK_NUM, CodeOf(err))
	require.Equal(t, VerifyMiniblock(w.view, w.cfg, w.replicas, mb).Error(), err.Error())
}
