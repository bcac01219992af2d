package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// --- consistency check --------------------------------------------------

// Verify reads the whole store and checks its invariants. For every stream:
// blocks 0..last are all there and none beyond; the latest snapshot exists;
// minipool slots exist only in the current generation, numbered from 0
// without gaps up to the next free slot, each with its event data; no
// event data lingers outside the minipool; and every staged block is
// indexed once, at its number, above the last block. A miniblock write cut
// in half would break one of these. It is meant for tests and offline
// checks.
func (b *Badger) Verify(ctx context.Context) error {
	return b.view(ctx, func(txn *badger.Txn) error {
		o := badger.DefaultIteratorOptions
		o.Prefix = []byte{pfxState}
		it := txn.NewIterator(o)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			id := clone(it.Item().Key()[2:])
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			st, err := decodeState(v)
			if err != nil {
				return err
			}
			if err := verifyStream(txn, id, st); err != nil {
				return fmt.Errorf("stream %x: %w", id, err)
			}
		}
		return nil
	})
}

func verifyStream(txn *badger.Txn, id []byte, st streamState) error {
	keys := func(prefix []byte, fn func(k []byte) error) error {
		o := badger.DefaultIteratorOptions
		o.PrefetchValues = false
		o.Prefix = prefix
		it := txn.NewIterator(o)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if err := fn(it.Item().KeyCopy(nil)[len(prefix):]); err != nil {
				return err
			}
		}
		return nil
	}
	next := int64(0)
	err := keys(streamKey(pfxBlock, id, 0), func(k []byte) error {
		if n := int64(binary.BigEndian.Uint64(k)); n != next {
			return fmt.Errorf("block %d where %d expected", n, next)
		}
		next++
		return nil
	})
	if err != nil {
		return err
	}
	if next != st.lastNum+1 {
		return fmt.Errorf("%d blocks stored, state says last is %d", next, st.lastNum)
	}
	last, err := loadBlock(txn, id, st.lastNum)
	if err != nil {
		return err
	}
	if !bytes.Equal(last.Hash, st.lastHash) {
		return fmt.Errorf("last block hash %x, state has %x", last.Hash, st.lastHash)
	}
	if st.snapNum >= 0 {
		if _, ok, err := getValue(txn, numKey(pfxSnapshot, id, st.snapNum)); err != nil || !ok {
			return fmt.Errorf("snapshot of block %d missing (%v)", st.snapNum, err)
		}
	}
	err = keys(streamKey(pfxPool, id, 0), func(k []byte) error {
		seq := int64(binary.BigEndian.Uint64(k))
		if len(k) != 8 || seq < st.poolStart {
			return fmt.Errorf("minipool entry %x below pool start %d", k, st.poolStart)
		}
		v, ok, err := getValue(txn, poolKey(id, seq))
		if err != nil || !ok {
			return fmt.Errorf("minipool entry %d unreadable (%v)", seq, err)
		}
		if _, _, ok := decodeHashed(v); !ok {
			return fmt.Errorf("minipool entry %d corrupt", seq)
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = keys(streamKey(pfxStaged, id, 0), func(k []byte) error {
		n, h := int64(binary.BigEndian.Uint64(k)), k[8:]
		if n <= st.lastNum {
			return fmt.Errorf("staged block %d (%x) at or below last block %d", n, h, st.lastNum)
		}
		_, ok, err := getStaged(txn, id, n, h)
		if err != nil || !ok {
			return fmt.Errorf("staged block %d (%x) unreadable (%v)", n, h, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, p := range []byte{pfxPool1, pfxEvent1, pfxStaged1, pfxStageIdx1} {
		if err := keys(streamKey(p, id, 0), func(k []byte) error {
			return fmt.Errorf("format-1 key %c %x left", p, k)
		}); err != nil {
			return err
		}
	}
	return nil
}
