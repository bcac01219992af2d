package store_test

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/store"
	"github.com/towns-node/node/store/storetest"
)

// The format-1 fixture (testdata/format1.tar.gz) is a Badger store written
// by the format-1 code (commit e9a16e6) running fixtureScript. A store of
// this build must open it and hold exactly what a Memory store holds after
// the same script.
//
// To write it again from a format-1 build:
//
//	STORE_WRITE_FIXTURE=/tmp/f1 go test -run TestWriteFixture ./store/
//	tar -C /tmp/f1 -czf store/testdata/format1.tar.gz .

var (
	fixA = storetest.StreamID(1) // blocks 0..2, three events pending, staged blocks
	fixB = storetest.StreamID(2) // genesis only, one staged block
	fixC = storetest.StreamID(3) // never created, one staged block
)

func fixStaged(id []byte, num int64, tag string, parent []byte) store.StagedBlock {
	h := sha256.Sum256(fmt.Appendf(nil, "%x/fixture/%d/%s", id, num, tag))
	return store.StagedBlock{StreamID: id, Num: num, Hash: h[:], Parent: parent, Data: []byte("staged " + tag)}
}

func fixEvents(id []byte, from, to int) []store.PoolEvent {
	var out []store.PoolEvent
	for n := from; n < to; n++ {
		out = append(out, storetest.Event(id, n))
	}
	return out
}

// fixtureScript writes the fixture's content: minipool events left over
// across two block writes (so renumbered twice), a snapshot, staged blocks
// at and above the next number (processable, orphaned, processed), staging
// for a stream the store does not hold, and a meta key.
func fixtureScript(t *testing.T, s store.Store) {
	ctx := context.Background()
	storetest.Create(t, s, fixA)
	storetest.Create(t, s, fixB)
	ev := fixEvents(fixA, 0, 8)
	require.NoError(t, s.AppendEvents(ctx, fixA, 1, ev[0:5]))
	require.NoError(t, s.WriteMiniblock(ctx, fixA, storetest.Block(fixA, 1, ev[0], ev[1], ev[2])))
	require.NoError(t, s.AppendEvents(ctx, fixA, 2, ev[5:7]))
	b2 := storetest.Block(fixA, 2, ev[3], ev[5])
	b2.Snapshot = []byte("snapshot 2")
	require.NoError(t, s.WriteMiniblock(ctx, fixA, b2))
	require.NoError(t, s.AppendEvents(ctx, fixA, 3, ev[7:8])) // pool: 4, 6, 7
	p3 := fixStaged(fixA, 3, "p3", b2.Hash)
	p3.Hash = storetest.BlockHash(fixA, 3) // the block written next
	for _, sb := range []store.StagedBlock{
		p3,
		fixStaged(fixA, 3, "f3", b2.Hash),
		fixStaged(fixA, 4, "s4", p3.Hash),
		fixStaged(fixA, 5, "s5", nil),
		fixStaged(fixB, 1, "b1", storetest.BlockHash(fixB, 0)),
		fixStaged(fixC, 2, "c2", nil),
	} {
		require.NoError(t, s.StageBlock(ctx, sb))
	}
	require.NoError(t, s.MarkStaged(ctx, fixA, fixStaged(fixA, 3, "f3", nil).Hash, false, true))
	require.NoError(t, s.MarkStaged(ctx, fixA, fixStaged(fixA, 5, "s5", nil).Hash, true, false))
	require.NoError(t, s.PutMeta(ctx, "fixture", []byte("format 1")))
}

// TestWriteFixture writes the fixture when STORE_WRITE_FIXTURE names an
// empty directory; otherwise it is skipped.
func TestWriteFixture(t *testing.T) {
	dir := os.Getenv("STORE_WRITE_FIXTURE")
	if dir == "" {
		t.Skip("STORE_WRITE_FIXTURE not set")
	}
	s, err := store.OpenBadger(dir, store.BadgerOptions{Small: true})
	require.NoError(t, err)
	fixtureScript(t, s)
	require.NoError(t, s.Close())
}

// untar unpacks a gzipped tar of regular files into dir.
func untar(t *testing.T, file, dir string) {
	t.Helper()
	f, err := os.Open(file)
	require.NoError(t, err)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	require.NoError(t, err)
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		require.NoError(t, err)
		name := filepath.Clean(h.Name)
		if h.Typeflag != tar.TypeReg || strings.HasPrefix(name, "..") || filepath.IsAbs(name) {
			continue
		}
		out, err := os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, fs.FileMode(h.Mode)&0o644|0o600)
		require.NoError(t, err)
		_, err = io.Copy(out, tr)
		require.NoError(t, err)
		require.NoError(t, out.Close())
	}
}

// requireSame checks that two stores hold the same streams, blocks,
// snapshots, minipools, staged blocks and meta, as far as the fixture's
// streams and staged hashes reach.
func requireSame(t *testing.T, want, got store.Store, staged []store.StagedBlock) {
	t.Helper()
	ctx := context.Background()
	ids := func(s store.Store) [][]byte {
		var out [][]byte
		require.NoError(t, s.ForEachStream(ctx, func(id []byte) bool { out = append(out, id); return true }))
		return out
	}
	require.Equal(t, ids(want), ids(got), "streams")
	same := func(what string, w, g any, werr, gerr error) {
		t.Helper()
		if werr != nil {
			require.Error(t, gerr, what)
			require.Equal(t, werr.Error(), gerr.Error(), what)
			return
		}
		require.NoError(t, gerr, what)
		// %+v prints a nil and an empty byte slice alike: Badger reads
		// back an empty parent as empty, Memory keeps the nil it got.
		require.Equal(t, fmt.Sprintf("%+v", w), fmt.Sprintf("%+v", g), what)
	}
	for _, id := range [][]byte{fixA, fixB, fixC} {
		wr, werr := want.StreamRecord(ctx, id)
		gr, gerr := got.StreamRecord(ctx, id)
		if werr == nil {
			require.NoError(t, gerr)
			require.Equal(t, wr.String(), gr.String(), "record")
		} else {
			require.ErrorIs(t, gerr, store.ErrStreamNotFound)
		}
		wp, werr := want.LoadMinipool(ctx, id)
		gp, gerr := got.LoadMinipool(ctx, id)
		same("minipool", wp, gp, werr, gerr)
		wb, werr := want.ReadMiniblocks(ctx, id, 0, 100)
		gb, gerr := got.ReadMiniblocks(ctx, id, 0, 100)
		same("blocks", wb, gb, werr, gerr)
		ws, werr := want.LatestSnapshot(ctx, id)
		gs, gerr := got.LatestSnapshot(ctx, id)
		same("snapshot", ws, gs, werr, gerr)
		wn, werr := want.NextProcessable(ctx, id)
		gn, gerr := got.NextProcessable(ctx, id)
		same("next processable", wn, gn, werr, gerr)
		wr2, werr := want.StagedRange(ctx, id, 0, 100, 0)
		gr2, gerr := got.StagedRange(ctx, id, 0, 100, 0)
		same("staged range", wr2, gr2, werr, gerr)
	}
	for _, sb := range staged {
		w, werr := want.StagedBlock(ctx, sb.StreamID, sb.Hash)
		g, gerr := got.StagedBlock(ctx, sb.StreamID, sb.Hash)
		same("staged "+string(sb.Data), w, g, werr, gerr)
	}
	wm, werr := want.GetMeta(ctx, "fixture")
	gm, gerr := got.GetMeta(ctx, "fixture")
	same("meta", wm, gm, werr, gerr)
}

// TestOpensFormat1 opens the format-1 fixture: it must hold what a Memory
// store holds after the same script, pass Verify, and go on taking
// appends, stagings and block writes like it, also after a reopen.
func TestOpensFormat1(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	untar(t, filepath.Join("testdata", "format1.tar.gz"), dir)
	mem := store.NewMemory()
	t.Cleanup(func() { _ = mem.Close() })
	fixtureScript(t, mem)

	open := func() *store.Badger {
		s, err := store.OpenBadger(dir, store.BadgerOptions{Small: true})
		require.NoError(t, err)
		require.NoError(t, s.Verify(ctx))
		return s
	}
	s := open()
	b2 := storetest.BlockHash(fixA, 2)
	staged := []store.StagedBlock{
		fixStaged(fixA, 3, "p3", b2), fixStaged(fixA, 3, "f3", b2), fixStaged(fixA, 4, "s4", nil),
		fixStaged(fixA, 5, "s5", nil), fixStaged(fixB, 1, "b1", nil), fixStaged(fixC, 2, "c2", nil),
	}
	staged = append(staged, store.StagedBlock{StreamID: fixA, Hash: storetest.BlockHash(fixA, 3), Data: []byte("p3 as written")})
	requireSame(t, mem, s, staged)

	// A crash after the passes but before the new version is written: the
	// next open migrates again, over its own output, to the same store.
	require.NoError(t, s.Close())
	db, err := badger.Open(badger.DefaultOptions(dir).WithLogger(nil).WithMemTableSize(8 << 20))
	require.NoError(t, err)
	require.NoError(t, db.Update(func(txn *badger.Txn) error { return txn.Set([]byte("v"), []byte{1}) }))
	require.NoError(t, db.Close())
	s = open()
	requireSame(t, mem, s, staged)

	mp, err := s.LoadMinipool(ctx, fixA)
	require.NoError(t, err)
	require.Len(t, mp.Events, 3, "events 4, 6 and 7 pending")

	// Both stores take the same writes: block 3 (the staged p3) leaves one
	// event behind, more events, a block of B, a staging for C.
	ev := fixEvents(fixA, 4, 10)
	for _, st := range []store.Store{mem, s} {
		require.NoError(t, st.AppendEvents(ctx, fixA, 3, ev[4:6]))
		require.NoError(t, st.WriteMiniblock(ctx, fixA, storetest.Block(fixA, 3, ev[0], ev[3], ev[4])))
		require.NoError(t, st.AppendEvents(ctx, fixA, 4, ev[1:2]))
		require.NoError(t, st.AppendEvents(ctx, fixB, 1, fixEvents(fixB, 0, 2)))
		require.NoError(t, st.WriteMiniblock(ctx, fixB, storetest.Block(fixB, 1, fixEvents(fixB, 0, 1)...)))
		require.NoError(t, st.StageBlock(ctx, fixStaged(fixC, 3, "c3", nil)))
	}
	staged = append(staged, fixStaged(fixC, 3, "c3", nil))
	requireSame(t, mem, s, staged)
	require.NoError(t, s.Verify(ctx))
	require.NoError(t, s.Close())

	s = open()
	defer s.Close()
	requireSame(t, mem, s, staged)
}
