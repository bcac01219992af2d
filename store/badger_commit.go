// Badger's group commit: one write transaction and one sync per batch of calls.

package store

import (
	"context"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// --- group commit -------------------------------------------------------

// writeReq is one write call waiting for the commit loop. op runs on the
// loop's transaction; it must do every check before its first write, so
// that a refused call leaves the transaction clean.
type writeReq struct {
	ctx  context.Context
	op   func(w *wtx) error
	err  error
	done chan error // buffered: the loop never blocks on a caller
}

// wtx wraps the batch transaction and notes whether an op wrote to it.
//
// Ops never iterate txn. Badger builds an iterator over a read-write
// transaction by copying and sorting every write pending in it, so with B
// calls in a batch each iterator would cost O(B log B) and the batch
// O(B² log B). Ops know what a stream holds from its state (streamState:
// its minipool and staged blocks), loaded once through *batch.read, a
// read-only transaction on the same snapshot, and kept in the batch's
// pending states and then in the state cache; a write op reads nothing
// else when the state is cached.
type wtx struct {
	txn   *badger.Txn
	dirty bool
	b     *Badger
	*batch
}

// batch is what the calls of one transaction share besides txn.
type batch struct {
	// read sees exactly what txn saw when it began: the committed data
	// without the batch's own writes.
	read *badger.Txn
	// pending holds stream states changed in this transaction; they join
	// b.states once it commits. Every op that writes a stream's keys puts
	// its state here, so a state loaded through read is never missing
	// what the batch wrote.
	pending map[string]streamState
}

func newBatch(b *Badger) (txn *badger.Txn, bt *batch) {
	// No commit runs between the two calls (only the commit loop commits),
	// so both transactions read at the same timestamp.
	txn = b.db.NewTransaction(true)
	// The pending map is reused from batch to batch (only the commit loop
	// runs batches, one at a time): grown once to a batch's size, it is
	// not grown again for every batch.
	if b.pending == nil {
		b.pending = make(map[string]streamState)
	}
	clear(b.pending)
	return txn, &batch{read: b.db.NewTransaction(false), pending: b.pending}
}

// state returns a stream's state as this transaction sees it, also for a
// stream that does not exist (exists false).
//
// Ops must not change the slices of the state they get in place: the
// cached copy shares them. They build new slices, or append, which writes
// past the cached copy's length only.
func (w *wtx) state(id []byte) (streamState, error) {
	if st, ok := w.pending[string(id)]; ok {
		return st, nil
	}
	if st, ok := w.b.states.Get(string(id)); ok {
		return st, nil
	}
	// Not written in this transaction, so what read sees is all there is.
	st, err := loadStreamState(w.read, id)
	if err == nil {
		w.b.states.Add(string(id), st)
	}
	return st, err
}

// putState stores the state's stored part and notes the whole state.
func (w *wtx) putState(id []byte, st streamState) error {
	if err := w.set(streamKey(pfxState, id, 0), st.encode()); err != nil {
		return err
	}
	w.pending[string(id)] = st
	return nil
}

// noteState notes a state whose stored part did not change.
func (w *wtx) noteState(id []byte, st streamState) {
	w.pending[string(id)] = st
}

func (w *wtx) set(k, v []byte) error {
	w.dirty = true
	if err := w.txn.Set(k, v); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

func (w *wtx) del(k []byte) error {
	w.dirty = true
	if err := w.txn.Delete(k); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

// update queues op for the commit loop and waits until its batch is
// synced. If ctx ends before the loop takes the call, the call is dropped
// unapplied; if it ends later, the call returns ctx's error, but the write
// may still be applied.
func (b *Badger) update(ctx context.Context, op func(w *wtx) error) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	r := &writeReq{ctx: ctx, op: op, done: make(chan error, 1)}
	b.qmu.Lock()
	if b.stopped {
		b.qmu.Unlock()
		return ErrClosed
	}
	b.queue = append(b.queue, r)
	first := len(b.queue) == 1
	b.qmu.Unlock()
	if first {
		// The loop takes the whole queue when it wakes; later calls find
		// it non-empty and need not wake it again.
		select {
		case b.wake <- struct{}{}:
		default:
		}
	}
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("store: %w", ctx.Err())
	}
}

// take moves up to max queued calls into batch; stopped tells whether
// Close has run, so no more will come.
func (b *Badger) take(batch []*writeReq) (_ []*writeReq, stopped bool) {
	b.qmu.Lock()
	defer b.qmu.Unlock()
	n := min(len(b.queue), b.maxBatch)
	batch = append(batch[:0], b.queue[:n]...)
	rest := copy(b.queue, b.queue[n:])
	clear(b.queue[rest:])
	b.queue = b.queue[:rest]
	return batch, b.stopped
}

// run is the commit loop: the only goroutine that writes to badger. Each
// round takes every queued call (up to maxBatch); while it commits and
// syncs, new calls queue up and form the next batch. After Close it
// answers what is queued and stops.
func (b *Badger) run() {
	defer close(b.loopDone)
	var batch, live []*writeReq
	for {
		var stopped bool
		batch, stopped = b.take(batch)
		if len(batch) == 0 {
			if stopped {
				return
			}
			<-b.wake
			continue
		}
		// A caller that gave up before its turn is not applied.
		live = live[:0]
		for _, r := range batch {
			if err := r.ctx.Err(); err != nil {
				r.done <- fmt.Errorf("store: %w", err)
				continue
			}
			live = append(live, r)
		}
		for i := 0; i < len(live); {
			n := b.commitGroup(live[i:])
			for _, r := range live[i : i+n] {
				r.done <- r.err
			}
			i += n
		}
		clear(batch)
		clear(live)
	}
}

// commitGroup applies a prefix of reqs in one transaction, commits and
// syncs it, and returns the prefix length. Calls refused by their own
// checks get their error and leave the transaction untouched. If a call
// fails after writing (a transaction grown too big), the transaction is
// dropped: the calls before it are replayed in a fresh one, and the failing
// call is retried alone on the next round, where it either fits or fails
// by itself.
func (b *Badger) commitGroup(reqs []*writeReq) int {
	txn, bt := newBatch(b)
	defer txn.Discard()
	defer bt.read.Discard()
	wrote := false
	for i, r := range reqs {
		w := &wtx{txn: txn, b: b, batch: bt}
		r.err = r.op(w)
		if r.err == nil || !w.dirty {
			wrote = wrote || w.dirty
			continue
		}
		if i == 0 {
			return 1
		}
		txn.Discard()
		bt.read.Discard()
		return b.commitGroup(reqs[:i])
	}
	b.writes.Add(int64(len(reqs)))
	if !wrote {
		return len(reqs)
	}
	err := txn.Commit()
	if err == nil {
		err = b.db.Sync()
	}
	b.syncs.Add(1)
	if err == nil {
		for id, st := range bt.pending {
			b.states.Add(id, st)
		}
	} else {
		// Whatever reached the disk, the cache may now be wrong: reload.
		b.states.Purge()
		b.log.Error("store: commit failed", "calls", len(reqs), "err", err)
		for _, r := range reqs {
			if r.err == nil {
				r.err = fmt.Errorf("store: commit: %w", err)
			}
		}
	}
	return len(reqs)
}

// view runs fn in a read transaction unless the store is closed.
func (b *Badger) view(ctx context.Context, fn func(txn *badger.Txn) error) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return ErrClosed
	}
	return b.db.View(fn)
}
