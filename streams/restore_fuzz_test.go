package streams

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/proto/pb"
)

// restoreSeeds is a stored stream as a node reloads it: a block carrying
// a snapshot, a later block and a minipool event, each as encoded bytes
// (the store keeps them so), and broken variants of them. The fixture is
// deterministic (keys, clock, RFC 6979 signatures).
func restoreSeeds(t testing.TB) map[string][3][]byte {
	w := newWorld(t, 1)
	id := testStreamID(space, "restore")
	w.create(id, alice, &pb.Inception{StreamId: id.Bytes(), Settings: settings(2)})
	w.add(w.event(alice, username("alice")))
	w.add(w.event(alice, displayName("Alice")))
	snap := w.seal()
	require.NotNil(t, snap.Proto.Snapshot)
	w.add(w.event(alice, username("alice2")))
	later := w.seal()
	pending := w.event(alice, displayName("A"))
	enc := func(m proto.Message) []byte {
		b, err := proto.Marshal(m)
		require.NoError(t, err)
		return b
	}
	snapB, laterB, poolB := enc(snap.Proto), enc(later.Proto), enc(pending.Envelope)
	badSnap := proto.Clone(snap.Proto).(*pb.Miniblock)
	wrong := proto.Clone(snap.Snapshot).(*pb.Snapshot)
	wrong.Common.MiniblockNum++
	badSnap.Snapshot = enc(wrong)
	return map[string][3][]byte{
		"valid":          {snapB, laterB, poolB},
		"later-first":    {laterB, snapB, poolB},
		"only-snapshot":  {snapB, snapB, poolB},
		"pool-is-sealed": {snapB, laterB, enc(later.Events[0].Envelope)},
		"bad-snapshot":   {enc(badSnap), laterB, poolB},
		"genesis":        {enc(w.view.RecentBlocks()[0].Proto), snapB, poolB},
		"empty":          {{}, {}, {}},
	}
}

// FuzzRestoreView feeds RestoreView what a node reads back from its store
// when it reloads a stream, which a damaged disk can turn into anything
// the parsers accept. RestoreView must answer with a coded error or a view
// consistent with the blocks it was given.
func FuzzRestoreView(f *testing.F) {
	for _, s := range restoreSeeds(f) {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, snapB, laterB, poolB []byte) {
		snap, err := ParseMiniblockBytes(snapB)
		if err != nil {
			return // FuzzMiniblock covers the parser
		}
		since := []*ParsedMiniblock{snap}
		if later, err := ParseMiniblockBytes(laterB); err == nil {
			since = append(since, later)
		}
		var pool []*ParsedEvent
		if ev, err := ParseEnvelopeBytes(poolB); err == nil {
			pool = append(pool, ev)
		}
		v, err := RestoreView(snap, since, pool)
		if err != nil {
			require.NotEqual(t, pb.ErrorCode_INTERNAL, CodeOf(err), "uncoded error: %v", err)
			require.Nil(t, v)
			return
		}
		require.GreaterOrEqual(t, v.Generation(), snap.Header.MiniblockNum+1)
		require.Equal(t, snap.Header.StreamId, v.StreamID().Bytes())
		h, err := SnapshotHash(v.Snapshot())
		require.NoError(t, err, "a restored view's snapshot encodes")
		if v.LastBlock() == snap {
			require.Equal(t, snap.Header.SnapshotHash, h.Bytes(), "nothing applied: the snapshot is the stored one")
		}
		for _, ev := range v.Minipool() {
			require.Equal(t, v.StreamID().Bytes(), ev.Event.StreamId)
		}
	})
}

// restoreChain is a stored stream of five blocks (snapshots at 0, 1 and
// 3), the final view, a pending event and an event sealed in block 4.
func restoreChain(t testing.TB) (blocks []*ParsedMiniblock, final *View, pending, sealed *ParsedEvent) {
	w := newWorld(t, 1)
	id := testStreamID(space, "restore-chain")
	w.create(id, alice, &pb.Inception{StreamId: id.Bytes(), Settings: settings(2)})
	blocks = append(blocks, w.view.LastBlock())
	for i, n := range []int{2, 1, 2, 1} {
		for j := range n {
			w.add(w.event(alice, username(fmt.Sprintf("u%d.%d", i, j))))
		}
		blocks = append(blocks, w.seal())
	}
	return blocks, w.view, w.event(alice, displayName("pending")), blocks[4].Events[0]
}

// FuzzRestoreViewEdits reaches further into RestoreView than raw bytes
// can (a mutated block rarely parses): it restores from valid blocks,
// picked, dropped and reordered by the fuzzer, with a chosen minipool.
// Whatever it is given, RestoreView answers with a coded error or a view;
// given the snapshot block and every later block in order, the view is
// the stream's final state, whatever else it got.
func FuzzRestoreViewEdits(f *testing.F) {
	blocks, final, pending, sealed := restoreChain(f)
	var snaps []int
	for i, b := range blocks {
		if b.Proto.Snapshot != nil {
			snaps = append(snaps, i)
		}
	}
	require.Equal(f, []int{0, 1, 3}, snaps)
	want, err := SnapshotHash(final.Snapshot())
	require.NoError(f, err)
	f.Add(uint8(2), uint8(0x1f), uint8(0), uint8(3))
	f.Add(uint8(1), uint8(0x1e), uint8(0), uint8(1))
	f.Add(uint8(0), uint8(0x1f), uint8(2), uint8(0))
	f.Add(uint8(1), uint8(0x0a), uint8(1), uint8(2))
	f.Fuzz(func(t *testing.T, pick, mask, rot, poolMask uint8) {
		snapIdx := snaps[int(pick)%len(snaps)]
		var since []*ParsedMiniblock
		for i, b := range blocks {
			if mask&(1<<i) != 0 {
				since = append(since, b)
			}
		}
		if n := len(since); n > 0 {
			r := int(rot) % n
			since = append(since[r:], since[:r]...)
		}
		var pool []*ParsedEvent
		if poolMask&1 != 0 {
			pool = append(pool, pending)
		}
		if poolMask&2 != 0 {
			pool = append(pool, sealed)
		}
		v, err := RestoreView(blocks[snapIdx], since, pool)
		if err != nil {
			require.NotEqual(t, pb.ErrorCode_INTERNAL, CodeOf(err), "uncoded error: %v", err)
			return
		}
		require.GreaterOrEqual(t, v.Generation(), int64(snapIdx+1))
		if v.Generation() > 4 { // block 4 applied
			for _, ev := range v.Minipool() {
				require.NotEqual(t, sealed.Hash, ev.Hash, "an event sealed in an applied block is not pending")
			}
		}
		complete := int(rot)%max(len(since), 1) == 0
		for i := snapIdx + 1; i < len(blocks); i++ {
			complete = complete && mask&(1<<i) != 0
		}
		if complete {
			require.Equal(t, final.Generation(), v.Generation())
			got, err := SnapshotHash(v.Snapshot())
			require.NoError(t, err)
			require.Equal(t, want, got, "restored state equals the stream's")
			require.Equal(t, poolMask&1 != 0, v.HasEvent(pending.Hash))
		}
	})
}

// TestRestoreCorpusFresh checks that the checked-in valid seed still
// restores (rewrite the corpus with STREAMS_WRITE_CORPUS=1 and
// TestWriteRestoreCorpus if not).
func TestRestoreCorpusFresh(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "fuzz", "FuzzRestoreView", "seed-valid"))
	require.NoError(t, err)
	want := restoreSeeds(t)["valid"]
	require.Equal(t, restoreCorpusFile(want), string(raw), "seed-valid is stale")
	snap, err := ParseMiniblockBytes(want[0])
	require.NoError(t, err)
	later, err := ParseMiniblockBytes(want[1])
	require.NoError(t, err)
	ev, err := ParseEnvelopeBytes(want[2])
	require.NoError(t, err)
	v, err := RestoreView(snap, []*ParsedMiniblock{snap, later}, []*ParsedEvent{ev})
	require.NoError(t, err)
	require.Equal(t, later.Header.MiniblockNum+1, v.Generation())
	require.Equal(t, []*ParsedEvent{ev}, v.Minipool())
}

func restoreCorpusFile(s [3][]byte) string {
	return fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n[]byte(%q)\n[]byte(%q)\n", s[0], s[1], s[2])
}

// TestWriteRestoreCorpus regenerates testdata/fuzz/FuzzRestoreView:
// STREAMS_WRITE_CORPUS=1 go test -run TestWriteRestoreCorpus ./streams/
func TestWriteRestoreCorpus(t *testing.T) {
	if os.Getenv("STREAMS_WRITE_CORPUS") == "" {
		t.Skip("set STREAMS_WRITE_CORPUS=1 to rewrite the seed corpus")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzRestoreView")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	for name, s := range restoreSeeds(t) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "seed-"+name), []byte(restoreCorpusFile(s)), 0o644))
	}
}
