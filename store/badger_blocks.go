package store

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// WriteMiniblock implements Streams. It is one transaction: the block, its
// snapshot, the removal of the included events and the renumbering of the
// rest into the next generation commit together or not at all.
//
// Its size is bounded by badger's transaction limit (15% of MemTableSize:
// about 9.6 MB by default, 1.2 MB with Small). Every minipool event costs
// two entries and ~170 bytes of it whatever its size (included: two
// deletes; remaining: a delete and a set), so a minipool of up to ~50,000
// events by default (~7,000 with Small) can be sealed; beyond that the call
// fails with badger.ErrTxnTooBig and changes nothing. Deleting the staged
// entries adds two small entries per block staged at that number, normally
// one.
func (b *Badger) WriteMiniblock(ctx context.Context, streamID []byte, mb Miniblock) error {
	if err := checkStreamID(streamID); err != nil {
		return err
	}
	return b.update(ctx, writeBlockOp(streamID, mb))
}

func writeBlockOp(streamID []byte, mb Miniblock) func(w *wtx) error {
	id := clone(streamID)
	num := mb.Num
	blk := encodeBlock(mb.Hash, mb.Data)
	hash := clone(mb.Hash)
	snap := clone(mb.Snapshot)
	included := make(map[string]struct{}, len(mb.Included))
	for _, h := range mb.Included {
		included[string(h)] = struct{}{}
	}
	return func(w *wtx) error {
		st, err := w.state(id)
		if err != nil {
			return err
		}
		if num != st.gen() {
			return fmt.Errorf("%w: block %d, current generation %d", ErrGenerationMismatch, num, st.gen())
		}
		slots, err := w.slots(id, num, st.nextSlot)
		if err != nil {
			return err
		}
		staged, err := w.writtenStaged(id, num, hash)
		if err != nil {
			return err
		}
		if err := w.set(numKey(pfxBlock, id, num), blk); err != nil {
			return err
		}
		for _, k := range staged {
			if err := w.del(k); err != nil {
				return err
			}
		}
		if snap != nil {
			if err := w.set(numKey(pfxSnapshot, id, num), snap); err != nil {
				return err
			}
			st.snapNum = num
		}
		next := int64(0)
		for _, s := range slots {
			if err := w.del(s.key); err != nil {
				return err
			}
			if _, ok := included[string(s.hash)]; ok {
				if err := w.del(hashKey(pfxEvent, id, s.hash)); err != nil {
					return err
				}
				continue
			}
			if err := w.set(poolKey(id, num+1, next), s.hash); err != nil {
				return err
			}
			next++
		}
		st.lastNum, st.lastHash, st.nextSlot = num, hash, next
		return w.putState(id, st)
	}
}

// writtenStaged returns the staging keys (entries and index) that writing
// block num with hash makes obsolete: the entry with that hash, wherever its
// number, and every entry numbered num. Entries numbered below num are gone
// already: the write of their number deleted them, and StageBlock keeps
// none at or below the last block. So only one number is scanned, and a
// long stream's deleted index keys are never walked.
func (w *wtx) writtenStaged(id []byte, num int64, hash []byte) ([][]byte, error) {
	var keys [][]byte
	sb, ok, err := readStaged(w.txn, id, hash)
	if err != nil {
		return nil, err
	}
	if ok {
		if sb.Num != num {
			keys = append(keys, hashKey(pfxStaged, id, hash), stageIdxKey(id, sb.Num, hash))
		}
	}
	for _, h := range w.stagedAt(id, num) {
		keys = append(keys, stageIdxKey(id, num, h), hashKey(pfxStaged, id, h))
	}
	return keys, nil
}

// ReadMiniblocks implements Streams.
func (b *Badger) ReadMiniblocks(ctx context.Context, streamID []byte, from, to int64) ([]Miniblock, error) {
	if err := checkStreamID(streamID); err != nil {
		return nil, err
	}
	from = max(from, 0)
	var out []Miniblock
	err := b.view(ctx, func(txn *badger.Txn) error {
		if _, err := loadState(txn, streamID); err != nil {
			return err
		}
		if from >= to {
			return nil
		}
		o := badger.DefaultIteratorOptions
		o.Prefix = streamKey(pfxBlock, streamID, 0)
		it := txn.NewIterator(o)
		defer it.Close()
		for it.Seek(numKey(pfxBlock, streamID, from)); it.Valid(); it.Next() {
			k := it.Item().Key()
			num := int64(binary.BigEndian.Uint64(k[len(k)-8:]))
			if num >= to {
				break
			}
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return fmt.Errorf("store: read block %d: %w", num, err)
			}
			mb, err := decodeBlock(num, v)
			if err != nil {
				return err
			}
			out = append(out, mb)
		}
		return nil
	})
	return out, err
}

// LastMiniblock implements Streams.
func (b *Badger) LastMiniblock(ctx context.Context, streamID []byte) (Miniblock, error) {
	if err := checkStreamID(streamID); err != nil {
		return Miniblock{}, err
	}
	var mb Miniblock
	err := b.view(ctx, func(txn *badger.Txn) error {
		st, err := loadState(txn, streamID)
		if err != nil {
			return err
		}
		mb, err = loadBlock(txn, streamID, st.lastNum)
		return err
	})
	return mb, err
}

// LatestSnapshot implements Streams. ErrNotFound when no block carries a
// snapshot (only possible if genesis was created without one).
func (b *Badger) LatestSnapshot(ctx context.Context, streamID []byte) (Miniblock, error) {
	if err := checkStreamID(streamID); err != nil {
		return Miniblock{}, err
	}
	var mb Miniblock
	err := b.view(ctx, func(txn *badger.Txn) error {
		st, err := loadState(txn, streamID)
		if err != nil {
			return err
		}
		if st.snapNum < 0 {
			return fmt.Errorf("%w: no snapshot in stream %x", ErrNotFound, streamID)
		}
		if mb, err = loadBlock(txn, streamID, st.snapNum); err != nil {
			return err
		}
		snap, ok, err := getValue(txn, numKey(pfxSnapshot, streamID, st.snapNum))
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("store: snapshot of block %d of %x missing", st.snapNum, streamID)
		}
		mb.Snapshot = snap
		return nil
	})
	return mb, err
}
