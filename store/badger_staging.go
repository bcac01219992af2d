// Badger's staging area and node metadata.

package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"

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
		st, err := w.state(sb.StreamID)
		if err != nil {
			return err
		}
		if sb.Num <= st.lastNum { // lastNum is 0 for a stream not created
			return nil // could never be processable
		}
		staged := make([]stagedRef, 0, len(st.staged)+1)
		for _, r := range st.staged {
			if !bytes.Equal(r.hash, sb.Hash) {
				staged = append(staged, r)
				continue
			}
			if r.num != sb.Num {
				if err := w.del(stagedKey(sb.StreamID, r.num, r.hash)); err != nil {
					return err
				}
			}
		}
		if err := w.set(stagedKey(sb.StreamID, sb.Num, sb.Hash), val); err != nil {
			return err
		}
		st.staged = append(staged, stagedRef{num: sb.Num, hash: sb.Hash})
		w.noteState(sb.StreamID, st)
		return nil
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

// stagedFloor is the lowest number a staged block of the stream can have:
// the last block + 1, or 1 for a stream not created.
func stagedFloor(txn *badger.Txn, streamID []byte) (int64, error) {
	st, err := loadState(txn, streamID)
	switch {
	case err == nil:
		return st.lastNum + 1, nil
	case errors.Is(err, ErrStreamNotFound):
		return 1, nil
	default:
		return 0, err
	}
}

// readStaged finds the staged block (stream, hash) among the stream's
// staged keys (a stream has few) and decodes it; ok is false when none is
// stored.
func readStaged(txn *badger.Txn, streamID, hash []byte) (StagedBlock, bool, error) {
	from, err := stagedFloor(txn, streamID)
	if err != nil {
		return StagedBlock{}, false, err
	}
	var num int64 = -1
	err = scanStaged(txn, streamID, from, false, func(n int64, h, _ []byte) (bool, error) {
		if bytes.Equal(h, hash) {
			num = n
			return false, nil
		}
		return true, nil
	})
	if err != nil || num < 0 {
		return StagedBlock{}, false, err
	}
	return getStaged(txn, streamID, num, hash)
}

// getStaged reads and decodes the staged block (stream, num, hash).
func getStaged(txn *badger.Txn, streamID []byte, num int64, hash []byte) (StagedBlock, bool, error) {
	v, ok, err := getValue(txn, stagedKey(streamID, num, hash))
	if err != nil || !ok {
		return StagedBlock{}, false, err
	}
	sb, err := decodeStagedAt(streamID, num, hash, v)
	if err != nil {
		return StagedBlock{}, false, err
	}
	return sb, true, nil
}

// decodeStagedAt decodes a staged block stored under number num.
func decodeStagedAt(streamID []byte, num int64, hash, v []byte) (StagedBlock, error) {
	sb, err := decodeStaged(streamID, hash, v)
	if err == nil && sb.Num != num {
		err = fmt.Errorf("store: staged block %x numbered %d, stored under %d", hash, sb.Num, num)
	}
	return sb, err
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
		next := st.lastNum + 1
		ok := false
		err = scanStaged(txn, streamID, next, true, func(num int64, h, v []byte) (bool, error) {
			if num != next {
				return false, nil
			}
			sb, err := decodeStagedAt(streamID, num, h, v)
			if err != nil {
				return false, err
			}
			if !sb.Processed && !sb.Orphaned && bytes.Equal(sb.Parent, st.lastHash) {
				found, ok = sb, true
				return false, nil
			}
			return true, nil
		})
		if err == nil && !ok {
			err = fmt.Errorf("%w: no processable block after %d", ErrNotFound, st.lastNum)
		}
		return err
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
		st, err := w.state(id)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(st.staged, func(r stagedRef) bool { return bytes.Equal(r.hash, h) })
		if i < 0 {
			return fmt.Errorf("%w: staged block %x", ErrNotFound, h)
		}
		num := st.staged[i].num
		sb, ok, err := getStaged(w.txn, id, num, h)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("store: staged block %x of %x missing", h, id)
		}
		sb.Processed, sb.Orphaned = processed, orphaned
		if err := w.set(stagedKey(id, num, h), encodeStaged(sb)); err != nil {
			return err
		}
		w.noteState(id, st)
		return nil
	})
}

// StagedRange implements Staging.
func (b *Badger) StagedRange(ctx context.Context, streamID []byte, from, to int64, limit int) ([]StagedBlock, error) {
	if err := checkStreamID(streamID); err != nil {
		return nil, err
	}
	var out []StagedBlock
	err := b.view(ctx, func(txn *badger.Txn) error {
		floor, err := stagedFloor(txn, streamID)
		if err != nil {
			return err
		}
		return scanStaged(txn, streamID, max(from, floor), true, func(num int64, h, v []byte) (bool, error) {
			if num >= to {
				return false, nil
			}
			sb, err := decodeStagedAt(streamID, num, h, v)
			if err != nil {
				return false, err
			}
			if !sb.Processed && !sb.Orphaned {
				out = append(out, sb)
			}
			return limit <= 0 || len(out) < limit, nil
		})
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
