// Package storetest is the conformance suite every store.Store backend
// must pass.
package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/store"
)

// Backend tells Run how to get stores.
type Backend struct {
	// Open returns a fresh, empty store. It registers its own cleanup.
	Open func(t *testing.T) store.Store
	// Reopen closes s and opens the same data again. Nil for a backend that
	// keeps nothing across Close; NoReopen must then say why.
	Reopen   func(t *testing.T, s store.Store) store.Store
	NoReopen string
	// Check, when set, checks the backend's own invariants on an open
	// store; tests call it after their writes.
	Check func(t *testing.T, s store.Store)
}

func (b Backend) check(t *testing.T, s store.Store) {
	t.Helper()
	if b.Check != nil {
		b.Check(t, s)
	}
}

// Run runs the whole suite against b.
func Run(t *testing.T, b Backend) {
	require.NotNil(t, b.Open)
	tests := []struct {
		name string
		fn   func(t *testing.T, b Backend)
	}{
		{"CreateAndGet", testCreateAndGet},
		{"ForEachStream", testForEachStream},
		{"AppendAndLoad", testAppendAndLoad},
		{"GenerationMismatch", testGenerationMismatch},
		{"WriteMiniblock", testWriteMiniblock},
		{"ReadMiniblocks", testReadMiniblocks},
		{"LatestSnapshot", testLatestSnapshot},
		{"Staging", testStaging},
		{"StagingAfterWrite", testStagingAfterWrite},
		{"StagedRange", testStagedRange},
		{"Meta", testMeta},
		{"Closed", testClosed},
		{"CancelledContext", testCancelledContext},
		{"Reopen", testReopen},
		{"ConcurrentAppends", testConcurrentAppends},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, b) })
	}
}

// --- fixtures -----------------------------------------------------------

// StreamID returns a 32-byte stream id for test i.
func StreamID(i int) []byte {
	id := make([]byte, 32)
	id[0] = 0x20
	binary.BigEndian.PutUint64(id[24:], uint64(i))
	return id
}

// Event returns a pool event with a hash derived from (stream, n).
func Event(streamID []byte, n int) store.PoolEvent {
	h := sha256.Sum256(fmt.Appendf(nil, "%x/event/%d", streamID, n))
	return store.PoolEvent{Hash: h[:], Data: fmt.Appendf(nil, "envelope %d of %x", n, streamID)}
}

// BlockHash returns a block hash derived from (stream, num).
func BlockHash(streamID []byte, num int64) []byte {
	h := sha256.Sum256(fmt.Appendf(nil, "%x/block/%d", streamID, num))
	return h[:]
}

// Block returns miniblock num of a stream, including the given events.
func Block(streamID []byte, num int64, included ...store.PoolEvent) store.Miniblock {
	mb := store.Miniblock{
		Num:  num,
		Hash: BlockHash(streamID, num),
		Data: fmt.Appendf(nil, "block %d of %x", num, streamID),
	}
	for _, e := range included {
		mb.Included = append(mb.Included, e.Hash)
	}
	return mb
}

// Record returns a stream record for id.
func Record(id []byte) *pb.StreamRecord {
	return &pb.StreamRecord{
		StreamId:            id,
		Nodes:               [][]byte{{1, 2, 3}, {4, 5, 6}},
		Settings:            &pb.StreamSettings{},
		GenesisHash:         BlockHash(id, 0),
		CreatedAtChainBlock: 42,
	}
}

// Genesis returns the genesis block of id, with a snapshot.
func Genesis(id []byte) store.Miniblock {
	g := Block(id, 0)
	g.Snapshot = fmt.Appendf(nil, "snapshot 0 of %x", id)
	return g
}

// Create creates stream id with its genesis block.
func Create(t testing.TB, s store.Store, id []byte) {
	t.Helper()
	require.NoError(t, s.CreateStream(context.Background(), Record(id), Genesis(id)))
}

func events(id []byte, from, to int) []store.PoolEvent {
	var out []store.PoolEvent
	for n := from; n < to; n++ {
		out = append(out, Event(id, n))
	}
	return out
}

func requirePool(t *testing.T, s store.Store, id []byte, gen int64, want []store.PoolEvent) {
	t.Helper()
	mp, err := s.LoadMinipool(context.Background(), id)
	require.NoError(t, err)
	require.Equal(t, gen, mp.Generation, "generation")
	require.Len(t, mp.Events, len(want))
	for i := range want {
		require.Equal(t, want[i].Hash, mp.Events[i].Hash, "slot %d hash", i)
		require.Equal(t, want[i].Data, mp.Events[i].Data, "slot %d data", i)
	}
}

func requireBlock(t *testing.T, want, got store.Miniblock) {
	t.Helper()
	require.Equal(t, want.Num, got.Num)
	require.Equal(t, want.Hash, got.Hash)
	require.Equal(t, want.Data, got.Data)
	require.Nil(t, got.Included)
}

// --- tests --------------------------------------------------------------

func testCreateAndGet(t *testing.T, b Backend) {
	ctx := context.Background()
	s := b.Open(t)
	id := StreamID(1)

	_, err := s.StreamRecord(ctx, id)
	require.ErrorIs(t, err, store.ErrStreamNotFound)
	_, err = s.LoadMinipool(ctx, id)
	require.ErrorIs(t, err, store.ErrStreamNotFound)
	_, err = s.LastMiniblock(ctx, id)
	require.ErrorIs(t, err, store.ErrStreamNotFound)

	Create(t, s, id)
	rec, err := s.StreamRecord(ctx, id)
	require.NoError(t, err)
	require.True(t, proto.Equal(Record(id), rec), "record %v", rec)

	err = s.CreateStream(ctx, Record(id), Genesis(id))
	require.ErrorIs(t, err, store.ErrStreamExists)

	requirePool(t, s, id, 1, nil)
	last, err := s.LastMiniblock(ctx, id)
	require.NoError(t, err)
	requireBlock(t, Genesis(id), last)
	require.Nil(t, last.Snapshot, "only LatestSnapshot sets Snapshot")
	snap, err := s.LatestSnapshot(ctx, id)
	require.NoError(t, err)
	requireBlock(t, Genesis(id), snap)
	require.Equal(t, Genesis(id).Snapshot, snap.Snapshot)

	bad := Genesis(StreamID(2))
	bad.Num = 1
	require.Error(t, s.CreateStream(ctx, Record(StreamID(2)), bad), "genesis must be number 0")
	require.Error(t, s.CreateStream(ctx, &pb.StreamRecord{}, Genesis(nil)), "empty stream id")
}

func testForEachStream(t *testing.T, b Backend) {
	ctx := context.Background()
	s := b.Open(t)
	// Created neither in byte order nor in length order, so that neither
	// insertion order nor a sort by length passes for byte order.
	created := [][]byte{
		StreamID(3),
		{0x20, 0xff},
		StreamID(1),
		bytes.Repeat([]byte{0x20}, 40),
		{0x10, 0x00, 0x01},
		StreamID(2),
		{0x20},
	}
	for _, id := range created {
		Create(t, s, id)
	}
	want := slices.Clone(created)
	slices.SortFunc(want, bytes.Compare)
	require.NotEqual(t, created, want)

	var got [][]byte
	require.NoError(t, s.ForEachStream(ctx, func(id []byte) bool {
		got = append(got, id)
		return true
	}))
	require.Equal(t, want, got, "every stream, in byte order")

	got = nil
	require.NoError(t, s.ForEachStream(ctx, func(id []byte) bool {
		got = append(got, id)
		return len(got) < 2
	}))
	require.Equal(t, want[:2], got, "the first two in byte order, then stops when fn returns false")

	// fn may call the store.
	require.NoError(t, s.ForEachStream(ctx, func(id []byte) bool {
		_, err := s.LoadMinipool(ctx, id)
		require.NoError(t, err)
		return true
	}))
}

func testAppendAndLoad(t *testing.T, b Backend) {
	ctx := context.Background()
	s := b.Open(t)
	id := StreamID(1)
	Create(t, s, id)

	require.NoError(t, s.AppendEvents(ctx, id, 1, events(id, 0, 1)))
	require.NoError(t, s.AppendEvents(ctx, id, 1, events(id, 1, 4)))
	require.NoError(t, s.AppendEvents(ctx, id, 1, nil))
	batch := events(id, 4, 6)
	require.NoError(t, s.AppendEvents(ctx, id, 1, batch))
	// The store copied the batch: reusing the caller's buffers changes nothing.
	batch[0].Hash[0] ^= 0xff
	batch[1].Data[0] ^= 0xff
	requirePool(t, s, id, 1, events(id, 0, 6))

	// Another stream's minipool is separate.
	other := StreamID(2)
	Create(t, s, other)
	require.NoError(t, s.AppendEvents(ctx, other, 1, events(other, 0, 2)))
	requirePool(t, s, other, 1, events(other, 0, 2))
	requirePool(t, s, id, 1, events(id, 0, 6))

	err := s.AppendEvents(ctx, StreamID(3), 1, events(id, 0, 1))
	require.ErrorIs(t, err, store.ErrStreamNotFound)
}

func testGenerationMismatch(t *testing.T, b Backend) {
	ctx := context.Background()
	s := b.Open(t)
	id := StreamID(1)
	Create(t, s, id)
	require.NoError(t, s.AppendEvents(ctx, id, 1, events(id, 0, 3)))

	for _, gen := range []int64{0, 2, -1} {
		err := s.AppendEvents(ctx, id, gen, events(id, 10, 11))
		require.ErrorIs(t, err, store.ErrGenerationMismatch, "append to gen %d", gen)
		require.ErrorIs(t, s.AppendEvents(ctx, id, gen, nil), store.ErrGenerationMismatch)
	}
	for _, num := range []int64{0, 2, 5} {
		err := s.WriteMiniblock(ctx, id, Block(id, num, Event(id, 0)))
		require.ErrorIs(t, err, store.ErrGenerationMismatch, "block %d", num)
	}
	// A refused write changed nothing.
	requirePool(t, s, id, 1, events(id, 0, 3))
	last, err := s.LastMiniblock(ctx, id)
	require.NoError(t, err)
	requireBlock(t, Genesis(id), last)

	require.NoError(t, s.WriteMiniblock(ctx, id, Block(id, 1, Event(id, 0))))
	require.ErrorIs(t, s.AppendEvents(ctx, id, 1, events(id, 10, 11)), store.ErrGenerationMismatch)
	require.ErrorIs(t, s.WriteMiniblock(ctx, id, Block(id, 1)), store.ErrGenerationMismatch)
	require.NoError(t, s.AppendEvents(ctx, id, 2, events(id, 10, 11)))
	err = s.WriteMiniblock(ctx, StreamID(9), Block(StreamID(9), 1))
	require.ErrorIs(t, err, store.ErrStreamNotFound)
	b.check(t, s)
}

func testWriteMiniblock(t *testing.T, b Backend) {
	ctx := context.Background()
	s := b.Open(t)
	id := StreamID(1)
	Create(t, s, id)
	ev := events(id, 0, 8)
	require.NoError(t, s.AppendEvents(ctx, id, 1, ev[:6]))

	// Block 1 takes e1 and e3 (and a hash the pool never had); the rest move
	// to generation 2 in order.
	mb := Block(id, 1, ev[3], ev[1], Event(id, 99))
	require.NoError(t, s.WriteMiniblock(ctx, id, mb))
	requirePool(t, s, id, 2, []store.PoolEvent{ev[0], ev[2], ev[4], ev[5]})
	last, err := s.LastMiniblock(ctx, id)
	require.NoError(t, err)
	requireBlock(t, mb, last)

	// New events go after the carried-over ones.
	require.NoError(t, s.AppendEvents(ctx, id, 2, ev[6:8]))
	requirePool(t, s, id, 2, []store.PoolEvent{ev[0], ev[2], ev[4], ev[5], ev[6], ev[7]})

	// A block including nothing carries everything over.
	require.NoError(t, s.WriteMiniblock(ctx, id, Block(id, 2)))
	requirePool(t, s, id, 3, []store.PoolEvent{ev[0], ev[2], ev[4], ev[5], ev[6], ev[7]})

	// A block including everything empties the pool.
	require.NoError(t, s.WriteMiniblock(ctx, id, Block(id, 3, ev[0], ev[2], ev[4], ev[5], ev[6], ev[7])))
	requirePool(t, s, id, 4, nil)
	require.NoError(t, s.AppendEvents(ctx, id, 4, ev[:1]))
	requirePool(t, s, id, 4, ev[:1])

	blocks, err := s.ReadMiniblocks(ctx, id, 0, 10)
	require.NoError(t, err)
	require.Len(t, blocks, 4)
	for i, got := range blocks {
		requireBlock(t, Block(id, int64(i)), got)
	}
	b.check(t, s)
}

func testReadMiniblocks(t *testing.T, b Backend) {
	ctx := context.Background()
	s := b.Open(t)
	id := StreamID(1)
	Create(t, s, id)
	for n := int64(1); n <= 5; n++ {
		mb := Block(id, n)
		mb.Snapshot = []byte("snap")
		require.NoError(t, s.WriteMiniblock(ctx, id, mb))
	}
	// A neighbouring stream's blocks never leak into the range.
	Create(t, s, StreamID(2))
	require.NoError(t, s.WriteMiniblock(ctx, StreamID(2), Block(StreamID(2), 1)))

	for _, tc := range []struct {
		from, to   int64
		first, end int64
	}{
		{0, 6, 0, 6},
		{2, 4, 2, 4},
		{4, 100, 4, 6},
		{-5, 2, 0, 2},
		{7, 9, 0, 0},
		{3, 3, 0, 0},
		{4, 2, 0, 0},
	} {
		got, err := s.ReadMiniblocks(ctx, id, tc.from, tc.to)
		require.NoError(t, err)
		require.Len(t, got, int(tc.end-tc.first), "[%d, %d)", tc.from, tc.to)
		for i, mb := range got {
			requireBlock(t, Block(id, tc.first+int64(i)), mb)
			require.Nil(t, mb.Snapshot, "ReadMiniblocks never sets Snapshot")
		}
	}
	_, err := s.ReadMiniblocks(ctx, StreamID(9), 0, 1)
	require.ErrorIs(t, err, store.ErrStreamNotFound)
}

func testLatestSnapshot(t *testing.T, b Backend) {
	ctx := context.Background()
	s := b.Open(t)
	id := StreamID(1)
	Create(t, s, id)
	require.NoError(t, s.WriteMiniblock(ctx, id, Block(id, 1)))
	mb2 := Block(id, 2)
	mb2.Snapshot = []byte("snapshot at 2")
	require.NoError(t, s.WriteMiniblock(ctx, id, mb2))
	require.NoError(t, s.WriteMiniblock(ctx, id, Block(id, 3)))

	snap, err := s.LatestSnapshot(ctx, id)
	require.NoError(t, err)
	requireBlock(t, mb2, snap)
	require.Equal(t, mb2.Snapshot, snap.Snapshot)
	last, err := s.LastMiniblock(ctx, id)
	require.NoError(t, err)
	requireBlock(t, Block(id, 3), last)

	// A genesis without a snapshot has none to return.
	bare := StreamID(2)
	require.NoError(t, s.CreateStream(ctx, Record(bare), Block(bare, 0)))
	_, err = s.LatestSnapshot(ctx, bare)
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.LatestSnapshot(ctx, StreamID(9))
	require.ErrorIs(t, err, store.ErrStreamNotFound)
}

func staged(id []byte, num int64, tag string, parent []byte) store.StagedBlock {
	h := sha256.Sum256(fmt.Appendf(nil, "%x/staged/%d/%s", id, num, tag))
	return store.StagedBlock{StreamID: id, Num: num, Hash: h[:], Parent: parent, Data: []byte("staged " + tag)}
}

func testStaging(t *testing.T, b Backend) {
	ctx := context.Background()
	s := b.Open(t)
	id := StreamID(1)
	Create(t, s, id)
	g := Genesis(id)

	_, err := s.NextProcessable(ctx, id)
	require.ErrorIs(t, err, store.ErrNotFound, "nothing staged")
	_, err = s.StagedBlock(ctx, id, []byte("nope"))
	require.ErrorIs(t, err, store.ErrNotFound)
	require.ErrorIs(t, s.MarkStaged(ctx, id, []byte("nope"), true, false), store.ErrNotFound)

	b2 := staged(id, 2, "a", nil)
	b1 := staged(id, 1, "a", g.Hash)
	b2.Parent = b1.Hash
	fork := staged(id, 1, "fork", []byte("some other parent"))
	for _, sb := range []store.StagedBlock{b2, fork, b1} {
		require.NoError(t, s.StageBlock(ctx, sb))
	}
	got, err := s.StagedBlock(ctx, id, b1.Hash)
	require.NoError(t, err)
	require.Equal(t, b1, got)

	// Only block 1 whose parent is the genesis is processable.
	next, err := s.NextProcessable(ctx, id)
	require.NoError(t, err)
	require.Equal(t, b1, next)

	// Once processed it is no longer returned; block 2 is not yet next.
	require.NoError(t, s.MarkStaged(ctx, id, b1.Hash, true, false))
	_, err = s.NextProcessable(ctx, id)
	require.ErrorIs(t, err, store.ErrNotFound)
	got, err = s.StagedBlock(ctx, id, b1.Hash)
	require.NoError(t, err)
	require.True(t, got.Processed)
	require.False(t, got.Orphaned)

	// Applying block 1 makes block 2 next.
	mb1 := store.Miniblock{Num: 1, Hash: b1.Hash, Data: b1.Data}
	require.NoError(t, s.WriteMiniblock(ctx, id, mb1))
	next, err = s.NextProcessable(ctx, id)
	require.NoError(t, err)
	require.Equal(t, b2, next)

	// An orphaned block is never next.
	require.NoError(t, s.MarkStaged(ctx, id, b2.Hash, false, true))
	_, err = s.NextProcessable(ctx, id)
	require.ErrorIs(t, err, store.ErrNotFound)
	got, err = s.StagedBlock(ctx, id, b2.Hash)
	require.NoError(t, err)
	require.True(t, got.Orphaned)
	require.False(t, got.Processed)

	// Restaging replaces the entry, flags included.
	require.NoError(t, s.StageBlock(ctx, b2))
	next, err = s.NextProcessable(ctx, id)
	require.NoError(t, err)
	require.Equal(t, b2, next)

	// Staging is per stream.
	_, err = s.StagedBlock(ctx, StreamID(2), b2.Hash)
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.NextProcessable(ctx, StreamID(2))
	require.ErrorIs(t, err, store.ErrStreamNotFound)
}

// testStagingAfterWrite checks that writing a block removes it from
// staging, with everything staged at or below its number, and nothing else.
func testStagingAfterWrite(t *testing.T, b Backend) {
	ctx := context.Background()
	s := b.Open(t)
	id, other := StreamID(1), StreamID(2)
	Create(t, s, id)
	Create(t, s, other)
	gone := func(sb store.StagedBlock) {
		t.Helper()
		_, err := s.StagedBlock(ctx, sb.StreamID, sb.Hash)
		require.ErrorIs(t, err, store.ErrNotFound, "staged block %d %x", sb.Num, sb.Hash)
	}
	kept := func(sb store.StagedBlock) {
		t.Helper()
		got, err := s.StagedBlock(ctx, sb.StreamID, sb.Hash)
		require.NoError(t, err, "staged block %d %x", sb.Num, sb.Hash)
		require.Equal(t, sb, got)
	}

	// The leader stages its block 1, and a fork at 1 and later blocks
	// arrive; the other stream stages its own block 1.
	b1 := staged(id, 1, "a", BlockHash(id, 0))
	b1.Hash = BlockHash(id, 1)
	fork := staged(id, 1, "fork", BlockHash(id, 0))
	b2 := staged(id, 2, "a", b1.Hash)
	b3 := staged(id, 3, "a", b2.Hash)
	o1 := staged(other, 1, "a", BlockHash(other, 0))
	o1.Hash = b1.Hash // the same hash in another stream is another entry
	for _, sb := range []store.StagedBlock{b1, fork, b2, b3, o1} {
		require.NoError(t, s.StageBlock(ctx, sb))
	}
	require.NoError(t, s.MarkStaged(ctx, id, b1.Hash, true, false))

	// Writing block 1 deletes its staged copy and the fork; 2 and 3 stay,
	// and so does the other stream's entry.
	require.NoError(t, s.WriteMiniblock(ctx, id, Block(id, 1)))
	gone(b1)
	gone(fork)
	kept(b2)
	kept(b3)
	kept(o1)
	next, err := s.NextProcessable(ctx, id)
	require.NoError(t, err)
	require.Equal(t, b2, next)
	require.ErrorIs(t, s.MarkStaged(ctx, id, b1.Hash, true, false), store.ErrNotFound)

	// A block staged at or below the last written one is not kept: it could
	// never be processable. Neither is a genesis of a stream not created.
	late := staged(id, 1, "late", BlockHash(id, 0))
	require.NoError(t, s.StageBlock(ctx, late))
	gone(late)
	require.NoError(t, s.StageBlock(ctx, staged(StreamID(3), 0, "g", nil)))
	gone(staged(StreamID(3), 0, "g", nil))
	early := staged(StreamID(3), 1, "a", BlockHash(StreamID(3), 0))
	require.NoError(t, s.StageBlock(ctx, early), "a stream the store does not hold yet")
	kept(early)

	// A block written with another hash than the one staged at its number
	// still clears that number; an entry with the written hash goes too,
	// whatever number it claims.
	liar := staged(id, 7, "liar", nil)
	liar.Hash = BlockHash(id, 2)
	require.NoError(t, s.StageBlock(ctx, liar))
	require.NoError(t, s.WriteMiniblock(ctx, id, Block(id, 2)))
	gone(b2)
	gone(liar)
	kept(b3)
	_, err = s.NextProcessable(ctx, id)
	require.ErrorIs(t, err, store.ErrNotFound, "b3's parent is b2, not the block written")

	// A refused write deletes nothing.
	require.ErrorIs(t, s.WriteMiniblock(ctx, id, Block(id, 4)), store.ErrGenerationMismatch)
	kept(b3)
	b.check(t, s)
}

func testMeta(t *testing.T, b Backend) {
	ctx := context.Background()
	s := b.Open(t)
	_, err := s.GetMeta(ctx, "chain.cursor")
	require.ErrorIs(t, err, store.ErrNotFound)

	require.NoError(t, s.PutMeta(ctx, "chain.cursor", []byte{1}))
	require.NoError(t, s.PutMeta(ctx, "peerstore", []byte("peers")))
	require.NoError(t, s.PutMeta(ctx, "chain.cursor", []byte{2}))
	require.NoError(t, s.PutMeta(ctx, "empty", nil))

	v, err := s.GetMeta(ctx, "chain.cursor")
	require.NoError(t, err)
	require.Equal(t, []byte{2}, v)
	v, err = s.GetMeta(ctx, "peerstore")
	require.NoError(t, err)
	require.Equal(t, []byte("peers"), v)
	v, err = s.GetMeta(ctx, "empty")
	require.NoError(t, err)
	require.Empty(t, v)
	_, err = s.GetMeta(ctx, "chain")
	require.ErrorIs(t, err, store.ErrNotFound, "no prefix match")
}

func testClosed(t *testing.T, b Backend) {
	ctx := context.Background()
	s := b.Open(t)
	id := StreamID(1)
	Create(t, s, id)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "Close is idempotent")

	require.ErrorIs(t, s.CreateStream(ctx, Record(StreamID(2)), Genesis(StreamID(2))), store.ErrClosed)
	_, err := s.StreamRecord(ctx, id)
	require.ErrorIs(t, err, store.ErrClosed)
	require.ErrorIs(t, s.ForEachStream(ctx, func([]byte) bool { return true }), store.ErrClosed)
	require.ErrorIs(t, s.AppendEvents(ctx, id, 1, events(id, 0, 1)), store.ErrClosed)
	_, err = s.LoadMinipool(ctx, id)
	require.ErrorIs(t, err, store.ErrClosed)
	require.ErrorIs(t, s.WriteMiniblock(ctx, id, Block(id, 1)), store.ErrClosed)
	_, err = s.ReadMiniblocks(ctx, id, 0, 1)
	require.ErrorIs(t, err, store.ErrClosed)
	_, err = s.LastMiniblock(ctx, id)
	require.ErrorIs(t, err, store.ErrClosed)
	_, err = s.LatestSnapshot(ctx, id)
	require.ErrorIs(t, err, store.ErrClosed)
	require.ErrorIs(t, s.StageBlock(ctx, staged(id, 1, "a", nil)), store.ErrClosed)
	_, err = s.StagedBlock(ctx, id, []byte("h"))
	require.ErrorIs(t, err, store.ErrClosed)
	_, err = s.NextProcessable(ctx, id)
	require.ErrorIs(t, err, store.ErrClosed)
	require.ErrorIs(t, s.MarkStaged(ctx, id, []byte("h"), true, false), store.ErrClosed)
	require.ErrorIs(t, s.PutMeta(ctx, "k", nil), store.ErrClosed)
	_, err = s.GetMeta(ctx, "k")
	require.ErrorIs(t, err, store.ErrClosed)
}

func testCancelledContext(t *testing.T, b Backend) {
	s := b.Open(t)
	id := StreamID(1)
	Create(t, s, id)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, s.AppendEvents(ctx, id, 1, events(id, 0, 1)), context.Canceled)
	require.ErrorIs(t, s.WriteMiniblock(ctx, id, Block(id, 1)), context.Canceled)
	_, err := s.LoadMinipool(ctx, id)
	require.ErrorIs(t, err, context.Canceled)
	requirePool(t, s, id, 1, nil)
}

func testReopen(t *testing.T, b Backend) {
	if b.Reopen == nil {
		require.NotEmpty(t, b.NoReopen, "a backend without Reopen must say why")
		t.Skip(b.NoReopen)
	}
	ctx := context.Background()
	s := b.Open(t)
	id, other := StreamID(1), StreamID(2)
	Create(t, s, id)
	Create(t, s, other)
	ev := events(id, 0, 5)
	require.NoError(t, s.AppendEvents(ctx, id, 1, ev))
	mb1 := Block(id, 1, ev[1], ev[2])
	mb1.Snapshot = []byte("snapshot 1")
	require.NoError(t, s.WriteMiniblock(ctx, id, mb1))
	require.NoError(t, s.WriteMiniblock(ctx, id, Block(id, 2, ev[4])))
	sb := staged(other, 1, "a", BlockHash(other, 0))
	require.NoError(t, s.StageBlock(ctx, sb))
	require.NoError(t, s.PutMeta(ctx, "k", []byte("v")))

	s = b.Reopen(t, s)

	n := 0
	require.NoError(t, s.ForEachStream(ctx, func([]byte) bool { n++; return true }))
	require.Equal(t, 2, n)
	rec, err := s.StreamRecord(ctx, id)
	require.NoError(t, err)
	require.True(t, proto.Equal(Record(id), rec))
	requirePool(t, s, id, 3, []store.PoolEvent{ev[0], ev[3]})
	requirePool(t, s, other, 1, nil)
	last, err := s.LastMiniblock(ctx, id)
	require.NoError(t, err)
	requireBlock(t, Block(id, 2), last)
	snap, err := s.LatestSnapshot(ctx, id)
	require.NoError(t, err)
	requireBlock(t, mb1, snap)
	require.Equal(t, mb1.Snapshot, snap.Snapshot)
	next, err := s.NextProcessable(ctx, other)
	require.NoError(t, err)
	require.Equal(t, sb, next)
	v, err := s.GetMeta(ctx, "k")
	require.NoError(t, err)
	require.Equal(t, []byte("v"), v)

	// Writing goes on where it stopped.
	require.NoError(t, s.AppendEvents(ctx, id, 3, events(id, 5, 6)))
	requirePool(t, s, id, 3, []store.PoolEvent{ev[0], ev[3], Event(id, 5)})
	require.NoError(t, s.WriteMiniblock(ctx, id, Block(id, 3, ev[0])))
	requirePool(t, s, id, 4, []store.PoolEvent{ev[3], Event(id, 5)})

	// Reopening twice in a row is fine too.
	s = b.Reopen(t, s)
	requirePool(t, s, id, 4, []store.PoolEvent{ev[3], Event(id, 5)})
	b.check(t, s)
}

// testConcurrentAppends runs one writer per stream, as the stream actors
// do, many streams at once, with blocks cut along the way.
func testConcurrentAppends(t *testing.T, b Backend) {
	ctx := context.Background()
	s := b.Open(t)
	const streams, rounds, perBlock = 24, 30, 7
	for i := range streams {
		Create(t, s, StreamID(i))
	}
	var wg sync.WaitGroup
	errs := make(chan error, streams)
	for i := range streams {
		wg.Go(func() {
			id := StreamID(i)
			gen := int64(1)
			var pool []store.PoolEvent
			for r := range rounds {
				e := Event(id, r)
				if err := s.AppendEvents(ctx, id, gen, []store.PoolEvent{e}); err != nil {
					errs <- fmt.Errorf("stream %d append %d: %w", i, r, err)
					return
				}
				pool = append(pool, e)
				if r%perBlock == perBlock-1 {
					// Seal every other event.
					var in, rest []store.PoolEvent
					for j, e := range pool {
						if j%2 == 0 {
							in = append(in, e)
						} else {
							rest = append(rest, e)
						}
					}
					if err := s.WriteMiniblock(ctx, id, Block(id, gen, in...)); err != nil {
						errs <- fmt.Errorf("stream %d block %d: %w", i, gen, err)
						return
					}
					gen++
					pool = rest
				}
			}
			mp, err := s.LoadMinipool(ctx, id)
			if err != nil {
				errs <- err
				return
			}
			if mp.Generation != gen || len(mp.Events) != len(pool) {
				errs <- fmt.Errorf("stream %d: pool gen %d len %d, want %d %d", i, mp.Generation, len(mp.Events), gen, len(pool))
				return
			}
			for j := range pool {
				if !bytes.Equal(mp.Events[j].Hash, pool[j].Hash) {
					errs <- fmt.Errorf("stream %d slot %d differs", i, j)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	b.check(t, s)
}
