// Badger's staging area and node metadata.

package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// --- Staging ------------------------------------------------------------

// StageBlock implements Staging. Staging a (stream, hash) again replaces it.
func (b *Badger) StageBlock(ctx context.Context, sb StagedBlock) error {
	if err := checkStreamID(sb.StreamID); err != nil {
		return err
	}
	return b.update(ctx, stageOp(sb))
}

func stageOp(sb StagedBlock) func(w *wtx) error {
	sb = cloneStaged(sb)
	val := encodeStaged(sb)
	return func(w *wtx) error {
		last := int64(0)
		st, err := w.state(sb.StreamID)
		switch {
		case err == nil:
			last = st.lastNum
		case !errors.Is(err, ErrStreamNotFound):
			return err
		}
		if sb.Num <= last {
			return nil // could never be processable
		}
		key := hashKey(pfxStaged, sb.StreamID, sb.Hash)
		old, ok, err := getValue(w.txn, key)
		if err != nil {
			return err
		}
		if ok {
			prev, err := decodeStaged(sb.StreamID, sb.Hash, old)
			if err != nil {
				return err
			}
			if prev.Num != sb.Num {
				if err := w.del(stageIdxKey(sb.StreamID, prev.Num, sb.Hash)); err != nil {
					return err
				}
			}
		}
		if err := w.set(key, val); err != nil {
			return err
		}
		return w.set(stageIdxKey(sb.StreamID, sb.Num, sb.Hash), nil)
	}
}

// StagedBlock implements Staging.
func (b *Badger) StagedBlock(ctx context.Context, streamID, hash []byte) (StagedBlock, error) {
	if err := checkStreamID(streamID); err != nil {
		return StagedBlock{}, err
	}
	var sb StagedBlock
	err := b.view(ctx, func(txn *badger.Txn) error {
		var ok bool
		var err error
		sb, ok, err = readStaged(txn, streamID, hash)
		if err == nil && !ok {
			err = fmt.Errorf("%w: staged block %x", ErrNotFound, hash)
		}
		return err
	})
	return sb, err
}

// readStaged reads and decodes the staged copy (stream, hash); ok is false
// when none is stored.
func readStaged(txn *badger.Txn, streamID, hash []byte) (StagedBlock, bool, error) {
	v, ok, err := getValue(txn, hashKey(pfxStaged, streamID, hash))
	if err != nil || !ok {
		return StagedBlock{}, false, err
	}
	sb, err := decodeStaged(streamID, hash, v)
	if err != nil {
		return StagedBlock{}, false, err
	}
	return sb, true, nil
}

// NextProcessable implements Staging.
func (b *Badger) NextProcessable(ctx context.Context, streamID []byte) (StagedBlock, error) {
	if err := checkStreamID(streamID); err != nil {
		return StagedBlock{}, err
	}
	var found StagedBlock
	err := b.view(ctx, func(txn *badger.Txn) error {
		st, err := loadState(txn, streamID)
		if err != nil {
			return err
		}
		o := badger.DefaultIteratorOptions
		o.PrefetchValues = false
		o.Prefix = numKey(pfxStageIdx, streamID, st.lastNum+1)
		it := txn.NewIterator(o)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			h := it.Item().KeyCopy(nil)[len(o.Prefix):]
			sb, ok, err := readStaged(txn, streamID, h)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			if !sb.Processed && !sb.Orphaned && bytes.Equal(sb.Parent, st.lastHash) {
				found = sb
				return nil
			}
		}
		return fmt.Errorf("%w: no processable block after %d", ErrNotFound, st.lastNum)
	})
	return found, err
}

// MarkStaged implements Staging.
func (b *Badger) MarkStaged(ctx context.Context, streamID, hash []byte, processed, orphaned bool) error {
	if err := checkStreamID(streamID); err != nil {
		return err
	}
	id, h := clone(streamID), clone(hash)
	return b.update(ctx, func(w *wtx) error {
		sb, ok, err := readStaged(w.txn, id, h)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: staged block %x", ErrNotFound, h)
		}
		sb.Processed, sb.Orphaned = processed, orphaned
		return w.set(hashKey(pfxStaged, id, h), encodeStaged(sb))
	})
}

// StagedRange implements Staging.
func (b *Badger) StagedRange(ctx context.Context, streamID []byte, from, to int64, limit int) ([]StagedBlock, error) {
	if err := checkStreamID(streamID); err != nil {
		return nil, err
	}
	var out []StagedBlock
	err := b.view(ctx, func(txn *badger.Txn) error {
		o := badger.DefaultIteratorOptions
		o.PrefetchValues = false
		o.Prefix = streamKey(pfxStageIdx, streamID, 0)
		it := txn.NewIterator(o)
		defer it.Close()
		for it.Seek(numKey(pfxStageIdx, streamID, max(from, 0))); it.Valid(); it.Next() {
			k := it.Item().KeyCopy(nil)[len(o.Prefix):]
			if len(k) < 8 {
				continue
			}
			if int64(binary.BigEndian.Uint64(k[:8])) >= to {
				return nil
			}
			h := k[8:]
			sb, ok, err := readStaged(txn, streamID, h)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			if sb.Processed || sb.Orphaned {
				continue
			}
			out = append(out, sb)
			if limit > 0 && len(out) >= limit {
				return nil
			}
		}
		return nil
	})
	return out, err
}

// --- Meta ---------------------------------------------------------------

// PutMeta implements Meta.
func (b *Badger) PutMeta(ctx context.Context, key string, value []byte) error {
	k, v := metaKey(key), clone(value)
	return b.update(ctx, func(w *wtx) error { return w.set(k, v) })
}

// GetMeta implements Meta.
func (b *Badger) GetMeta(ctx context.Context, key string) ([]byte, error) {
	var v []byte
	err := b.view(ctx, func(txn *badger.Txn) error {
		var ok bool
		var err error
		v, ok, err = getValue(txn, metaKey(key))
		if err == nil && !ok {
			err = fmt.Errorf("%w: meta %q", ErrNotFound, key)
		}
		return err
	})
	if v == nil && err == nil {
		v = []byte{}
	}
	return v, err
}
