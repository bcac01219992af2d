package store

import (
	"context"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// AppendEvents implements Streams.
func (b *Badger) AppendEvents(ctx context.Context, streamID []byte, gen int64, events []PoolEvent) error {
	if err := checkStreamID(streamID); err != nil {
		return err
	}
	return b.update(ctx, appendOp(streamID, gen, events))
}

func appendOp(streamID []byte, gen int64, events []PoolEvent) func(w *wtx) error {
	id := clone(streamID)
	evs := make([]PoolEvent, len(events))
	for i, e := range events {
		evs[i] = PoolEvent{Hash: clone(e.Hash), Data: clone(e.Data)}
	}
	return func(w *wtx) error {
		st, err := w.state(id)
		if err != nil {
			return err
		}
		if gen != st.gen() {
			return fmt.Errorf("%w: append to %d, current %d", ErrGenerationMismatch, gen, st.gen())
		}
		if len(evs) == 0 {
			return nil
		}
		for _, e := range evs {
			if err := w.set(poolKey(id, gen, st.nextSlot), e.Hash); err != nil {
				return err
			}
			if err := w.set(hashKey(pfxEvent, id, e.Hash), e.Data); err != nil {
				return err
			}
			st.nextSlot++
		}
		return w.putState(id, st)
	}
}

// poolSlot is one slot of the current generation as read from the index.
type poolSlot struct {
	key  []byte
	hash []byte
}

// slots reads the n slots of generation gen, through the batch
// transaction: the slots of the current generation are numbered 0..n-1
// (n is the state's nextSlot), so point reads find them all, including
// those the batch itself appended, at a cost of n whatever the batch holds.
func (w *wtx) slots(id []byte, gen, n int64) ([]poolSlot, error) {
	slots := make([]poolSlot, 0, n)
	for s := range n {
		k := poolKey(id, gen, s)
		h, ok, err := getValue(w.txn, k)
		if err != nil {
			return nil, fmt.Errorf("store: read minipool: %w", err)
		}
		if !ok {
			return nil, fmt.Errorf("store: minipool slot %d of %d of %x missing", s, n, id)
		}
		slots = append(slots, poolSlot{key: k, hash: h})
	}
	return slots, nil
}

func loadSlots(txn *badger.Txn, id []byte, gen int64) ([]poolSlot, error) {
	o := badger.DefaultIteratorOptions
	o.Prefix = poolPrefix(id, gen)
	it := txn.NewIterator(o)
	defer it.Close()
	var slots []poolSlot
	for it.Rewind(); it.Valid(); it.Next() {
		h, err := it.Item().ValueCopy(nil)
		if err != nil {
			return nil, fmt.Errorf("store: read minipool: %w", err)
		}
		slots = append(slots, poolSlot{key: it.Item().KeyCopy(nil), hash: h})
	}
	return slots, nil
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
		slots, err := loadSlots(txn, streamID, st.gen())
		if err != nil {
			return err
		}
		mp = Minipool{Generation: st.gen(), Events: make([]PoolEvent, len(slots))}
		for i, s := range slots {
			data, ok, err := getValue(txn, hashKey(pfxEvent, streamID, s.hash))
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("store: minipool event %x of %x has no data", s.hash, streamID)
			}
			mp.Events[i] = PoolEvent{Hash: s.hash, Data: data}
		}
		return nil
	})
	return mp, err
}
