// Migration of a format-1 store to format 2 (the layouts are in badger.go).

package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"

	"github.com/dgraph-io/badger/v4"
)

// migrate1to2 rewrites a format-1 store's minipools, staging and stream
// states in the format-2 layout. It runs in passes over one key prefix at
// a time, each writing the new keys before deleting the old ones, and the
// caller writes the new version only after it returns: a migration cut by
// a crash leaves a format-1 store that the next open migrates again from
// where the old keys remain (the new keys it writes again are the same).
//
// Passes: 'p' slots of each stream's current generation become 'q'
// entries numbered by slot, their envelopes read from 'e'; then every 'e'
// key goes; 'x' staged blocks above their stream's last block become 'y'
// entries (those at or below it could never be processable); then every
// 'i' key goes; last, every state's third field (format 1: next slot)
// becomes the pool start, 0, since the entries are numbered from 0.
func migrate1to2(db *badger.DB, log *slog.Logger) error {
	log.Info("store: migrating to format 2")
	states := map[string]streamState{}
	stateOf := func(txn *badger.Txn, id []byte) (streamState, error) {
		if st, ok := states[string(id)]; ok {
			return st, nil
		}
		st, err := loadState(txn, id)
		if errors.Is(err, ErrStreamNotFound) {
			st, err = streamState{snapNum: -1}, nil
		}
		if err == nil {
			states[string(id)] = st
		}
		return st, err
	}
	var moved, staged int
	err := migratePass(db, pfxPool1, func(txn *badger.Txn, wb *badger.WriteBatch, k, v []byte) error {
		id, rest, err := splitKey(k)
		if err != nil {
			return err
		}
		if len(rest) != 16 {
			return fmt.Errorf("format-1 minipool key %x", k)
		}
		gen, slot := int64(binary.BigEndian.Uint64(rest)), int64(binary.BigEndian.Uint64(rest[8:]))
		st, err := stateOf(txn, id)
		if err != nil {
			return err
		}
		if st.exists && gen == st.gen() && slot >= 0 {
			data, ok, err := getValue(txn, hashKey(pfxEvent1, id, v))
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("format-1 minipool event %x of %x has no data", v, id)
			}
			if err := wb.Set(poolKey(id, slot), encodeBlock(v, data)); err != nil {
				return err
			}
			moved++
		}
		return wb.Delete(clone(k))
	})
	if err == nil {
		err = migratePass(db, pfxEvent1, func(_ *badger.Txn, wb *badger.WriteBatch, k, _ []byte) error {
			return wb.Delete(clone(k))
		})
	}
	if err == nil {
		err = migratePass(db, pfxStaged1, func(txn *badger.Txn, wb *badger.WriteBatch, k, v []byte) error {
			id, hash, err := splitKey(k)
			if err != nil {
				return err
			}
			sb, err := decodeStaged(id, hash, v)
			if err != nil {
				return err
			}
			st, err := stateOf(txn, id)
			if err != nil {
				return err
			}
			if sb.Num > st.lastNum {
				if err := wb.Set(stagedKey(id, sb.Num, hash), clone(v)); err != nil {
					return err
				}
				staged++
			}
			return wb.Delete(clone(k))
		})
	}
	if err == nil {
		err = migratePass(db, pfxStageIdx1, func(_ *badger.Txn, wb *badger.WriteBatch, k, _ []byte) error {
			return wb.Delete(clone(k))
		})
	}
	if err == nil {
		err = migratePass(db, pfxState, func(_ *badger.Txn, wb *badger.WriteBatch, k, v []byte) error {
			st, err := decodeState(v)
			if err != nil {
				return err
			}
			st.poolStart = 0
			return wb.Set(clone(k), st.encode())
		})
	}
	if err != nil {
		return err
	}
	log.Info("store: migrated to format 2", "minipool_events", moved, "staged_blocks", staged)
	return nil
}

// migratePass calls fn with every key of a prefix and its value, as of
// the start of the pass, and applies and syncs what fn wrote to wb. Reads
// fn makes through txn see that same snapshot.
func migratePass(db *badger.DB, prefix byte, fn func(txn *badger.Txn, wb *badger.WriteBatch, k, v []byte) error) error {
	txn := db.NewTransaction(false)
	defer txn.Discard()
	wb := db.NewWriteBatch()
	defer wb.Cancel()
	o := badger.DefaultIteratorOptions
	o.Prefix = []byte{prefix}
	it := txn.NewIterator(o)
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		k := it.Item().Key()
		v, err := it.Item().ValueCopy(nil)
		if err != nil {
			return fmt.Errorf("read %x: %w", k, err)
		}
		if err := fn(txn, wb, k, v); err != nil {
			return fmt.Errorf("key %x: %w", k, err)
		}
	}
	if err := wb.Flush(); err != nil {
		return err
	}
	return db.Sync()
}

// splitKey splits prefix | len(id) | id | rest.
func splitKey(k []byte) (id, rest []byte, err error) {
	if len(k) < 2 || len(k) < 2+int(k[1]) || k[1] == 0 {
		return nil, nil, fmt.Errorf("corrupt key %x", k)
	}
	return clone(k[2 : 2+int(k[1])]), k[2+int(k[1]):], nil
}
