package store_test

import (
	"context"
	"sync"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/towns-node/node/store"
	"github.com/towns-node/node/store/storetest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestMemory(t *testing.T) {
	storetest.Run(t, storetest.Backend{
		Open: func(t *testing.T) store.Store {
			s := store.NewMemory()
			t.Cleanup(func() { _ = s.Close() })
			return s
		},
		NoReopen: "Memory keeps nothing across Close by design; reopen is a Badger property",
	})
}

func TestBadger(t *testing.T) {
	var dirs sync.Map // *store.Badger -> dir
	open := func(t *testing.T, dir string) *store.Badger {
		t.Helper()
		s, err := store.OpenBadger(dir, store.BadgerOptions{Small: true})
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, s.Close()) })
		dirs.Store(s, dir)
		return s
	}
	storetest.Run(t, storetest.Backend{
		Open: func(t *testing.T) store.Store { return open(t, t.TempDir()) },
		Reopen: func(t *testing.T, s store.Store) store.Store {
			dir, ok := dirs.Load(s)
			require.True(t, ok)
			require.NoError(t, s.Close())
			return open(t, dir.(string))
		},
		Check: func(t *testing.T, s store.Store) {
			require.NoError(t, s.(*store.Badger).Verify(context.Background()))
		},
	})
}

func TestBadgerRejectsOtherFormat(t *testing.T) {
	dir := t.TempDir()
	db, err := badger.Open(badger.DefaultOptions(dir).WithLogger(nil).WithMemTableSize(8 << 20))
	require.NoError(t, err)
	require.NoError(t, db.Update(func(txn *badger.Txn) error { return txn.Set([]byte("v"), []byte{99}) }))
	require.NoError(t, db.Close())

	_, err = store.OpenBadger(dir, store.BadgerOptions{Small: true})
	require.ErrorContains(t, err, "format version")
}
