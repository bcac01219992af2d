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
	hashes := make(map[string]int)
	slot := int64(0)
	err = keys(streamKey(pfxPool, id, 0), func(k []byte) error {
		gen, s := int64(binary.BigEndian.Uint64(k)), int64(binary.BigEndian.Uint64(k[8:]))
		if gen != st.gen() || s != slot {
			return fmt.Errorf("minipool slot (%d, %d) where (%d, %d) expected", gen, s, st.gen(), slot)
		}
		slot++
		h, ok, err := getValue(txn, poolKey(id, gen, s))
		if err != nil || !ok {
			return fmt.Errorf("minipool slot %d unreadable (%v)", s, err)
		}
		hashes[string(h)]++
		return nil
	})
	if err != nil {
		return err
	}
	if slot != st.nextSlot {
		return fmt.Errorf("%d minipool slots, state says next is %d", slot, st.nextSlot)
	}
	data := 0
	err = keys(streamKey(pfxEvent, id, 0), func(h []byte) error {
		if hashes[string(h)] == 0 {
			return fmt.Errorf("event %x has data but no minipool slot", h)
		}
		data++
		return nil
	})
	if err != nil {
		return err
	}
	if data != len(hashes) {
		return fmt.Errorf("%d minipool events, %d with data", len(hashes), data)
	}
	indexed := 0
	err = keys(streamKey(pfxStageIdx, id, 0), func(k []byte) error {
		n, h := int64(binary.BigEndian.Uint64(k)), k[8:]
		if n <= st.lastNum {
			return fmt.Errorf("staged block %d (%x) at or below last block %d", n, h, st.lastNum)
		}
		v, ok, err := getValue(txn, hashKey(pfxStaged, id, h))
		if err != nil || !ok {
			return fmt.Errorf("staging index %d (%x) without entry (%v)", n, h, err)
		}
		sb, err := decodeStaged(id, h, v)
		if err != nil {
			return err
		}
		if sb.Num != n {
			return fmt.Errorf("staged block %x indexed at %d, numbered %d", h, n, sb.Num)
		}
		indexed++
		return nil
	})
	if err != nil {
		return err
	}
	entries := 0
	err = keys(streamKey(pfxStaged, id, 0), func([]byte) error { entries++; return nil })
	if err != nil {
		return err
	}
	if entries != indexed {
		return fmt.Errorf("%d staged blocks, %d indexed", entries, indexed)
	}
	return nil
}
