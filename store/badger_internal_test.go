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

func stagedAt(id []byte, num int64, tag string, parent []byte) StagedBlock {
	h := sha256.Sum256(fmt.Appendf(nil, "%x/%d/%s", id, num, tag))
	return StagedBlock{StreamID: id, Num: num, Hash: h[:], Parent: parent, Data: []byte(tag)}
}

// TestBatchReadsItsOwnWrites puts a stream's appends, stagings and block
// writes in one transaction. Block writes know the minipool and the
// staged blocks from the stream's state, not by iterating the batch
// transaction, so that state must hold what earlier calls of the same
// batch wrote and deleted.
func TestBatchReadsItsOwnWrites(t *testing.T) {
	ctx := context.Background()
	b, err := OpenBadger(t.TempDir(), BadgerOptions{Small: true})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, b.Close()) })
	id := bytes.Repeat([]byte{7}, 32)
	genesis := []byte("genesis")
	require.NoError(t, b.CreateStream(ctx, &pb.StreamRecord{StreamId: id}, Miniblock{Hash: genesis}))
	evs := bigEvents(0, 4, 10)

	// Committed before the batch: the block about to be written, a fork
	// at its number, and two entries the batch moves to later numbers.
	b1 := stagedAt(id, 1, "b1", genesis)
	fork := stagedAt(id, 1, "fork", genesis)
	moved2 := stagedAt(id, 1, "moved2", genesis)
	moved3 := stagedAt(id, 1, "moved3", genesis)
	for _, sb := range []StagedBlock{b1, fork, moved2, moved3} {
		require.NoError(t, b.StageBlock(ctx, sb))
	}
	late := stagedAt(id, 1, "late", genesis) // staged by the batch itself
	moved2.Num, moved3.Num = 2, 3

	reqs := []*writeReq{
		{op: appendOp(id, 1, evs[:3])},
		{op: stageOp(late)},
		{op: stageOp(moved2)},
		{op: stageOp(moved3)},
		{op: writeBlockOp(id, Miniblock{Num: 1, Hash: b1.Hash, Data: []byte("1"), Included: [][]byte{evs[1].Hash}})},
		{op: appendOp(id, 2, evs[3:])},
		{op: writeBlockOp(id, Miniblock{Num: 2, Hash: []byte("h2"), Data: []byte("2"), Included: [][]byte{evs[0].Hash}})},
	}
	syncs := b.Stats().Syncs
	require.Equal(t, len(reqs), b.commitGroup(reqs), "one transaction")
	require.Equal(t, syncs+1, b.Stats().Syncs, "one sync")
	for i, r := range reqs {
		require.NoError(t, r.err, "call %d", i)
	}

	mp, err := b.LoadMinipool(ctx, id)
	require.NoError(t, err)
	require.Equal(t, int64(3), mp.Generation)
	require.Equal(t, []PoolEvent{evs[2], evs[3]}, mp.Events)
	for _, sb := range []StagedBlock{b1, fork, late, moved2} {
		_, err := b.StagedBlock(ctx, id, sb.Hash)
		require.ErrorIs(t, err, ErrNotFound, "%s is written or below the last block", sb.Data)
	}
	got, err := b.StagedBlock(ctx, id, moved3.Hash)
	require.NoError(t, err)
	require.Equal(t, moved3, got)
	require.NoError(t, b.Verify(ctx))
}

// TestStateCacheEvictsLeastRecent checks that the state cache stays within
// its size, keeps the streams used last, and that a stream whose state was
// evicted reads it back from disk correctly.
func TestStateCacheEvictsLeastRecent(t *testing.T) {
	ctx := context.Background()
	b, err := OpenBadger(t.TempDir(), BadgerOptions{Small: true, StateCache: 3})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, b.Close()) })
	const streams, rounds = 10, 4
	ids := make([][]byte, streams)
	for i := range ids {
		ids[i] = bytes.Repeat([]byte{byte(i + 1)}, 32)
		require.NoError(t, b.CreateStream(ctx, &pb.StreamRecord{StreamId: ids[i]}, Miniblock{Hash: []byte{0}}))
	}
	for r := range rounds {
		for i, id := range ids {
			ev := bigEvents(i*rounds+r, 1, 10)
			require.NoError(t, b.AppendEvents(ctx, id, int64(r+1), ev))
			mb := Miniblock{Num: int64(r + 1), Hash: []byte{byte(r + 1)}, Data: []byte("b"), Included: [][]byte{ev[0].Hash}}
			require.NoError(t, b.WriteMiniblock(ctx, id, mb))
			require.LessOrEqual(t, b.states.Len(), 3)
		}
	}
	require.Equal(t, 3, b.states.Len())
	for i, id := range ids {
		_, cached := b.states.Peek(string(id))
		require.Equal(t, i >= streams-3, cached, "stream %d: only the last three written are cached", i)
		last, err := b.LastMiniblock(ctx, id)
		require.NoError(t, err)
		require.Equal(t, int64(rounds), last.Num)
	}
	require.NoError(t, b.Verify(ctx))
}

// TestBlockCacheOption checks that BadgerOptions.BlockCache is the bound
// badger runs with: the default, a set size, and a too small one raised to
// the minimum.
func TestBlockCacheOption(t *testing.T) {
	for _, c := range []struct {
		set, want int64
	}{
		{0, DefaultBlockCache},
		{32 << 20, 32 << 20},
		{1, MinBlockCache},
	} {
		b, err := OpenBadger(t.TempDir(), BadgerOptions{BlockCache: c.set})
		require.NoError(t, err)
		require.Equal(t, c.want, b.db.Opts().BlockCacheSize, "BlockCache %d", c.set)
		require.NoError(t, b.Close())
	}
}

// queueForTest puts a call in the commit loop's queue by hand, as update does,
// waking the loop only when wake is set.
func (b *Badger) queueForTest(r *writeReq, wake bool) {
	b.qmu.Lock()
	b.queue = append(b.queue, r)
	b.qmu.Unlock()
	if wake {
		b.wake <- struct{}{}
	}
}

// TestQueuedCallWithEndedContextIsDropped checks that a call whose
// context ended while it waited in the queue is answered with that error
// and never applied.
func TestQueuedCallWithEndedContextIsDropped(t *testing.T) {
	b, err := OpenBadger(t.TempDir(), BadgerOptions{Small: true})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, b.Close()) })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	applied := false
	r := &writeReq{ctx: ctx, op: func(*wtx) error { applied = true; return nil }, done: make(chan error, 1)}
	b.queueForTest(r, true)
	require.ErrorIs(t, <-r.done, context.Canceled)
	require.False(t, applied)
}

// TestCloseAnswersQueuedCalls checks that Close lets the loop apply and
// answer the calls queued before it, and that calls after it are refused.
func TestCloseAnswersQueuedCalls(t *testing.T) {
	ctx := context.Background()
	b, err := OpenBadger(t.TempDir(), BadgerOptions{Small: true})
	require.NoError(t, err)
	k := metaKey("queued")
	r := &writeReq{ctx: ctx, op: func(w *wtx) error { return w.set(k, []byte("yes")) }, done: make(chan error, 1)}
	b.queueForTest(r, false) // not woken: Close must see it
	require.NoError(t, b.Close())
	require.NoError(t, <-r.done)
	require.ErrorIs(t, b.PutMeta(ctx, "after", nil), ErrClosed)
	dir := b.db.Opts().Dir
	b, err = OpenBadger(dir, BadgerOptions{Small: true})
	require.NoError(t, err)
	defer b.Close()
	v, err := b.GetMeta(ctx, "queued")
	require.NoError(t, err)
	require.Equal(t, []byte("yes"), v)
}
