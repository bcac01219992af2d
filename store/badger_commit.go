// Badger's group commit: one write transaction and one sync per batch of calls.

package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// --- group commit -------------------------------------------------------

// writeReq is one write call waiting for the commit loop. op runs on the
// loop's transaction; it must do every check before its first write, so
// that a refused call leaves the transaction clean.
type writeReq struct {
	op   func(w *wtx) error
	err  error
	done chan error // buffered: the loop never blocks on a caller
}

// wtx wraps the batch transaction and notes whether an op wrote to it.
//
// Ops never iterate txn. Badger builds an iterator over a read-write
// transaction by copying and sorting every write pending in it, so with B
// calls in a batch each iterator would cost O(B log B) and the batch
// O(B² log B). Ops read single keys through txn (a map lookup for what the
// batch wrote, then the LSM), and iterate ranges through *batch.read, a
// read-only transaction on the same snapshot, adding what the batch
// changed in that range from the batch's own indexes (see stagedAt).
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
	// pending holds stream states written in this transaction; they join
	// b.states once it commits.
	pending map[string]streamState
	// stageIdx records the staging index keys this transaction wrote
	// (true) or deleted (false), by the (stream, number) prefix they sit
	// under and then by block hash.
	stageIdx map[string]map[string]bool
}

func newBatch(b *Badger) (txn *badger.Txn, bt *batch) {
	// No commit runs between the two calls (only the commit loop commits),
	// so both transactions read at the same timestamp.
	txn = b.db.NewTransaction(true)
	return txn, &batch{
		read:     b.db.NewTransaction(false),
		pending:  make(map[string]streamState),
		stageIdx: make(map[string]map[string]bool),
	}
}

// state returns a stream's state as this transaction sees it.
func (w *wtx) state(id []byte) (streamState, error) {
	if st, ok := w.pending[string(id)]; ok {
		return st, nil
	}
	if st, ok := w.b.states.Get(string(id)); ok {
		return st, nil
	}
	// Not written in this transaction, so what we read is committed.
	st, err := loadState(w.txn, id)
	if err == nil {
		w.b.states.Add(string(id), st)
	}
	return st, err
}

// exists tells whether a stream has a state, committed or pending.
func (w *wtx) exists(id []byte) (bool, error) {
	_, err := w.state(id)
	if errors.Is(err, ErrStreamNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (w *wtx) putState(id []byte, st streamState) error {
	if err := w.set(streamKey(pfxState, id, 0), st.encode()); err != nil {
		return err
	}
	w.pending[string(id)] = st
	return nil
}

func (w *wtx) set(k, v []byte) error {
	w.dirty = true
	if err := w.txn.Set(k, v); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	w.noteStageIdx(k, true)
	return nil
}

func (w *wtx) del(k []byte) error {
	w.dirty = true
	if err := w.txn.Delete(k); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	w.noteStageIdx(k, false)
	return nil
}

// noteStageIdx records a write of a staging index key in w.stageIdx.
func (w *wtx) noteStageIdx(k []byte, set bool) {
	if len(k) < 2 || k[0] != pfxStageIdx {
		return
	}
	n := 2 + int(k[1]) + 8 // prefix | len(id) | id | num
	if len(k) < n {
		return
	}
	m := w.stageIdx[string(k[:n])]
	if m == nil {
		m = make(map[string]bool)
		w.stageIdx[string(k[:n])] = m
	}
	m[string(k[n:])] = set
}

// stagedAt returns the hashes staged at (id, num) as this transaction sees
// them: the committed index read through w.read, changed by the batch's
// own writes. It costs what the stream has staged at num, whatever the
// batch holds.
func (w *wtx) stagedAt(id []byte, num int64) [][]byte {
	prefix := numKey(pfxStageIdx, id, num)
	mine := w.stageIdx[string(prefix)]
	var out [][]byte
	o := badger.DefaultIteratorOptions
	o.PrefetchValues = false
	o.Prefix = prefix
	it := w.read.NewIterator(o)
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		h := it.Item().KeyCopy(nil)[len(prefix):]
		if _, ok := mine[string(h)]; !ok { // else the batch decides, below
			out = append(out, h)
		}
	}
	for h, set := range mine {
		if set {
			out = append(out, []byte(h))
		}
	}
	return out
}

// update hands op to the commit loop and waits until its batch is synced.
// If ctx ends after the hand-off the call returns ctx's error, but the write
// may still be applied.
func (b *Badger) update(ctx context.Context, op func(w *wtx) error) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	r := &writeReq{op: op, done: make(chan error, 1)}
	select {
	case b.reqs <- r:
	case <-b.quit:
		return ErrClosed
	case <-ctx.Done():
		return fmt.Errorf("store: %w", ctx.Err())
	}
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("store: %w", ctx.Err())
	}
}

// run is the commit loop: the only goroutine that writes to badger.
func (b *Badger) run() {
	defer close(b.loopDone)
	batch := make([]*writeReq, 0, b.maxBatch)
	for {
		select {
		case r := <-b.reqs:
			batch = append(batch[:0], r)
		case <-b.quit:
			return
		}
		// Take every call that is already waiting. While we sync, new
		// callers queue up here and form the next batch.
	drain:
		for len(batch) < b.maxBatch {
			select {
			case r := <-b.reqs:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		for i := 0; i < len(batch); {
			n := b.commitGroup(batch[i:])
			for _, r := range batch[i : i+n] {
				r.done <- r.err
			}
			i += n
		}
		clear(batch)
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
