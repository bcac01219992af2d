package storetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/store"
)

// testStagedRange: StagedRange lists what is staged in a number range, in
// (number, hash) order, without processed or orphaned entries, up to a
// limit; a write drops what it covers.
func testStagedRange(t *testing.T, b Backend) {
	ctx := context.Background()
	s := b.Open(t)
	id, other := StreamID(1), StreamID(2)
	Create(t, s, id)
	Create(t, s, other)
	g := Genesis(id)

	got, err := s.StagedRange(ctx, id, 1, 100, 0)
	require.NoError(t, err)
	require.Empty(t, got, "nothing staged")

	b1 := staged(id, 1, "a", g.Hash)
	b2 := staged(id, 2, "a", b1.Hash)
	b3 := staged(id, 3, "a", b2.Hash)
	f2 := staged(id, 2, "fork", []byte("elsewhere"))
	done := staged(id, 4, "processed", b3.Hash)
	gone := staged(id, 4, "orphaned", b3.Hash)
	for _, sb := range []store.StagedBlock{b3, f2, done, b1, gone, b2, staged(other, 1, "x", nil)} {
		require.NoError(t, s.StageBlock(ctx, sb))
	}
	require.NoError(t, s.MarkStaged(ctx, id, done.Hash, true, false))
	require.NoError(t, s.MarkStaged(ctx, id, gone.Hash, false, true))

	two := []store.StagedBlock{b2, f2}
	if string(f2.Hash) < string(b2.Hash) {
		two = []store.StagedBlock{f2, b2}
	}
	got, err = s.StagedRange(ctx, id, 0, 100, 0)
	require.NoError(t, err)
	require.Equal(t, append(append([]store.StagedBlock{b1}, two...), b3), got, "by number then hash; flagged ones left out")

	got, err = s.StagedRange(ctx, id, 2, 3, 0)
	require.NoError(t, err)
	require.Equal(t, two, got, "from inclusive, to exclusive")

	got, err = s.StagedRange(ctx, id, 1, 100, 2)
	require.NoError(t, err)
	require.Equal(t, append([]store.StagedBlock{b1}, two[0]), got, "at most limit")

	require.NoError(t, s.WriteMiniblock(ctx, id, store.Miniblock{Num: 1, Hash: b1.Hash, Data: b1.Data}))
	got, err = s.StagedRange(ctx, id, 0, 100, 0)
	require.NoError(t, err)
	require.Equal(t, append(append([]store.StagedBlock{}, two...), b3), got, "a write drops the staged blocks it covers")

	got, err = s.StagedRange(ctx, StreamID(3), 0, 100, 0)
	require.NoError(t, err)
	require.Empty(t, got, "a stream with nothing staged")
}
