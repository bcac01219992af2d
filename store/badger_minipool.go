package store

import (
	"context"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// AppendEvents implements Streams. Each event is one entry, numbered after
// the stream's last; nothing else is written.
func (b *Badger) AppendEvents(ctx context.Context, streamID []byte, gen int64, events []PoolEvent) error {
	if err := checkStreamID(streamID); err != nil {
		return err
	}
	return b.update(ctx, appendOp(streamID, gen, events))
}

func appendOp(streamID []byte, gen int64, events []PoolEvent) func(w *wtx) error {
	id := clone(streamID)
	// Encoded here, by the caller, not on the commit loop.
	vals := make([][]byte, len(events))
	hashes := make([][]byte, len(events))
	for i, e := range events {
		vals[i] = encodeBlock(e.Hash, e.Data)
		hashes[i] = clone(e.Hash)
	}
	return func(w *wtx) error {
		st, err := w.state(id)
		if err != nil {
			return err
		}
		if !st.exists {
			return fmt.Errorf("%w: %x", ErrStreamNotFound, id)
		}
		if gen != st.gen() {
			return fmt.Errorf("%w: append to %d, current %d", ErrGenerationMismatch, gen, st.gen())
		}
		if len(vals) == 0 {
			return nil
		}
		for i, v := range vals {
			if err := w.set(poolKey(id, st.nextSeq), v); err != nil {
				return err
			}
			st.pool = append(st.pool, poolRef{seq: st.nextSeq, hash: hashes[i]})
			st.nextSeq++
		}
		w.noteState(id, st)
		return nil
	}
}

// LoadMinipool implements Streams.
func (b *Badger) LoadMinipool(ctx context.Context, streamID []byte) (Minipool, error) {
	if err := checkStreamID(streamID); err != nil {
		return Minipool{}, err
	}
	var mp Minipool
	err := b.view(ctx, func(txn *badger.Txn) error {
		st, err := loadState(txn, streamID)
		if err != nil {
			return err
		}
		mp = Minipool{Generation: st.gen(), Events: []PoolEvent{}}
		return scanPool(txn, streamID, st.poolStart, func(seq int64, v []byte) error {
			hash, data, ok := decodeHashed(v)
			if !ok {
				return fmt.Errorf("store: corrupt minipool entry %d of %x", seq, streamID)
			}
			mp.Events = append(mp.Events, PoolEvent{Hash: clone(hash), Data: clone(data)})
			return nil
		})
	})
	return mp, err
}
