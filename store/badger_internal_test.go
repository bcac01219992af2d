package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/proto/pb"
)

func bigEvents(stream, n, size int) []PoolEvent {
	var out []PoolEvent
	for i := range n {
		h := sha256.Sum256(fmt.Appendf(nil, "%d/%d", stream, i))
		out = append(out, PoolEvent{Hash: h[:], Data: bytes.Repeat([]byte{byte(i)}, size)})
	}
	return out
}

// TestCommitGroupSplits drives the commit loop's batching directly: a
// batch that outgrows one badger transaction is cut before the call that
// overflowed it, without losing or half-applying anything.
func TestCommitGroupSplits(t *testing.T) {
	ctx := context.Background()
	b, err := OpenBadger(t.TempDir(), BadgerOptions{Small: true})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, b.Close()) })
	ids := make([][]byte, 4)
	for i := range ids {
		ids[i] = bytes.Repeat([]byte{byte(i + 1)}, 32)
		require.NoError(t, b.CreateStream(ctx, &pb.StreamRecord{StreamId: ids[i]}, Miniblock{Hash: []byte{0}}))
	}
	// Small: a transaction holds at most ~1.2 MB. Two 700 kB appends do not
	// fit in one; one 2 MB append never fits.
	small := bigEvents(0, 3, 10)
	half1, half2 := bigEvents(1, 70, 10_000), bigEvents(2, 70, 10_000)
	tooBig := bigEvents(3, 200, 10_000)
	reqs := []*writeReq{
		{op: appendOp(ids[0], 1, small)},
		{op: appendOp(ids[1], 1, half1)},
		{op: appendOp(ids[2], 1, half2)},
		{op: appendOp(ids[3], 7, small)}, // refused: wrong generation
		{op: appendOp(ids[3], 1, tooBig)},
		{op: appendOp(ids[3], 1, small)},
	}
	// Driving commitGroup from the test is safe: the loop is idle.
	require.Equal(t, 2, b.commitGroup(reqs), "cut before the overflowing call")
	require.NoError(t, reqs[0].err)
	require.NoError(t, reqs[1].err)
	require.Equal(t, 2, b.commitGroup(reqs[2:]), "then up to the next overflow")
	require.NoError(t, reqs[2].err)
	require.ErrorIs(t, reqs[3].err, ErrGenerationMismatch)
	require.Equal(t, 1, b.commitGroup(reqs[4:]), "a call too big alone fails alone")
	require.ErrorIs(t, reqs[4].err, badger.ErrTxnTooBig)
	require.Equal(t, 1, b.commitGroup(reqs[5:]))
	require.NoError(t, reqs[5].err)

	for i, want := range [][]PoolEvent{small, half1, half2, small} {
		mp, err := b.LoadMinipool(ctx, ids[i])
		require.NoError(t, err)
		require.Equal(t, int64(1), mp.Generation)
		require.Equal(t, want, mp.Events, "stream %d", i)
	}
	require.NoError(t, b.Verify(ctx))
}
