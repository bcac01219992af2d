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
