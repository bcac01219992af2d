package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// WriteMiniblock implements Streams. It is one transaction: the block, its
// snapshot, the state, and the deletion of the included events and of the
// staged blocks it makes obsolete commit together or not at all. The
// events left in the minipool are not touched: they are the next
// generation's, in their order.
//
// Its size is bounded by badger's transaction limit (15% of MemTableSize:
// about 9.6 MB by default, 1.2 MB with Small). The block's own bytes count
// against it, and each included event and obsolete staged block adds a
// delete of ~100 bytes; a block past the limit fails with
// badger.ErrTxnTooBig and changes nothing.
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
		if !st.exists {
			return fmt.Errorf("%w: %x", ErrStreamNotFound, id)
		}
		if num != st.gen() {
			return fmt.Errorf("%w: block %d, current generation %d", ErrGenerationMismatch, num, st.gen())
		}
		if err := w.set(numKey(pfxBlock, id, num), blk); err != nil {
			return err
		}
		if snap != nil {
			if err := w.set(numKey(pfxSnapshot, id, num), snap); err != nil {
				return err
			}
			st.snapNum = num
		}
		// The staged copy of this block, wherever it was numbered, and
		// every entry at its number: none can ever be processable now.
		var staged []stagedRef
		for _, r := range st.staged {
			if r.num > num && !bytes.Equal(r.hash, hash) {
				staged = append(staged, r)
				continue
			}
			if err := w.del(stagedKey(id, r.num, r.hash)); err != nil {
				return err
			}
		}
		var pool []poolRef
		for _, r := range st.pool {
			if _, ok := included[string(r.hash)]; !ok {
				pool = append(pool, r)
				continue
			}
			if err := w.del(poolKey(id, r.seq)); err != nil {
				return err
			}
		}
		st.poolStart = st.nextSeq
		if len(pool) > 0 {
			st.poolStart = pool[0].seq
		}
		st.lastNum, st.lastHash, st.pool, st.staged = num, hash, pool, staged
		return w.putState(id, st)
	}
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
