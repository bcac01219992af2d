package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/dgraph-io/badger/v4"
	"github.com/hashicorp/golang-lru/v2/simplelru"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/proto/pb"
)

// Key layout. Every per-stream key is prefix | len(id) | id | ..., so the
// keys of one stream never share a prefix with another's, and numbers are
// big-endian so that key order is numeric order.
//
//	r id                 -> encoded pb.StreamRecord
//	s id                 -> stream state: last block, latest snapshot, next slot, last hash
//	b id num             -> block: uvarint(len(hash)) hash data
//	n id num             -> snapshot carried by block num
//	p id gen slot        -> minipool slot: event hash
//	e id hash            -> minipool event data (envelope)
//	x id hash            -> staged block
//	i id num hash        -> staging index, for NextProcessable
//	m key                -> node metadata
//	v                    -> storage format version
//
// Minipool slots hold only the event hash, the envelope lives under its hash:
// WriteMiniblock renumbers every remaining event into the next generation,
// and moving 32-byte hashes instead of whole envelopes keeps that
// transaction small.
const (
	pfxRecord   = 'r'
	pfxState    = 's'
	pfxBlock    = 'b'
	pfxSnapshot = 'n'
	pfxPool     = 'p'
	pfxEvent    = 'e'
	pfxStaged   = 'x'
	pfxStageIdx = 'i'
	pfxMeta     = 'm'
)

var (
	keyVersion    = []byte{'v'}
	formatVersion = []byte{1}
)

// BadgerOptions tunes OpenBadger. The zero value is a production node.
type BadgerOptions struct {
	// Small shrinks memtables, caches and value-log files, for tests and
	// simulations that open many stores on a small machine.
	Small bool
	// Logger receives badger's own logs. Nil silences them.
	Logger *slog.Logger
	// MaxBatch caps how many write calls share one commit and sync.
	// Zero means 1024.
	MaxBatch int
	// StateCache is how many streams' states the commit loop keeps in
	// memory (least recently written or read evicted first; ~250 bytes
	// each with the cache's own bookkeeping). Zero means DefaultStateCache.
	StateCache int
}

// DefaultStateCache is the default BadgerOptions.StateCache: the states
// of the 65,536 streams written most recently, about 16 MB.
const DefaultStateCache = 1 << 16

// Badger is the on-disk Store.
//
// Durability and group commit. Badger runs with SyncWrites off and every
// write call goes to one goroutine (run). It takes the calls waiting at that
// moment, applies them all in one badger transaction, commits it and calls
// DB.Sync once, then answers every caller of the batch. So a call returns
// only after its data is synced, and concurrent callers (many streams) share
// one sync. Badger's own SyncWrites would not do this: its writer batches
// concurrent commits but syncs the memtable WAL once per transaction
// (db.writeToLSM), i.e. once per caller. A batch too big for one transaction
// is cut in several, each committed and synced before the next.
//
// Why an acked write survives kill -9 and power loss: every value below
// ValueThreshold (1 MiB, badger's default and maximum) is written to the
// memtable's write-ahead log (*.mem); larger values go to the value log
// (*.vlog) and the WAL holds a pointer. Commit writes both logs through mmap,
// so once it returns the bytes are in the kernel page cache and survive the
// death of the process; DB.Sync then msyncs the current WAL and value log,
// so they survive the machine too. Every transaction is followed by its own
// Sync before the next one starts, so a file switch cannot strand an acked
// write in an older, unsynced file: badger moves to a new memtable (and WAL)
// only before writing a transaction, never inside one, and the old WAL was
// synced after the previous transaction; it moves to a new value-log file
// after a write, but truncating the finished file msyncs it first
// (z.MmapFile.Truncate). On open, badger replays the WALs and keeps a
// transaction only if its commit marker is there, so a transaction cut by a
// crash vanishes whole: a miniblock is either fully applied or not at all.
//
// Every call costs what it writes and reads, whatever else its batch
// holds: ops read single keys through the batch transaction and ranges
// through a read-only one on the same snapshot (see wtx), so a batch of B
// block writes costs O(B), not the O(B² log B) of iterating a read-write
// badger transaction B times.
//
// A call whose ctx ends while its batch is in flight returns ctx's error,
// but its write may still be applied: callers re-read before retrying.
//
// Readers see a write as soon as it is committed, slightly before it is
// synced and acked. That write can still be lost in a crash, but nobody was
// told it succeeded.
type Badger struct {
	db  *badger.DB
	log *slog.Logger

	mu     sync.RWMutex // held by readers; Close takes it to wait for them
	closed bool

	reqs      chan *writeReq
	quit      chan struct{}
	loopDone  chan struct{}
	closeOnce sync.Once
	closeErr  error
	maxBatch  int

	// states caches the committed state of streams written recently, so a
	// write does not read it from the LSM. It is a least-recently-used
	// cache of BadgerOptions.StateCache entries: a stream that has not been
	// written for a while loses its entry first, and reloads it from disk
	// (one point read) on its next write. Only the commit loop touches it.
	states *simplelru.LRU[string, streamState]

	syncs  atomic.Int64
	writes atomic.Int64
}

var _ Store = (*Badger)(nil)

// BadgerStats counts group commits since open.
type BadgerStats struct {
	Writes int64 // write calls applied
	Syncs  int64 // commits + syncs done for them
}

// OpenBadger opens (or creates) a store in dir.
func OpenBadger(dir string, opts BadgerOptions) (*Badger, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	o := badger.DefaultOptions(dir)
	// Durability comes from the group commit loop's explicit DB.Sync after
	// each batch (see Badger). SyncWrites would add one WAL sync per
	// transaction on top of it.
	o.SyncWrites = false
	// Only the commit loop writes, one transaction at a time, so optimistic
	// conflicts cannot happen: skip their bookkeeping.
	o.DetectConflicts = false
	// Badger logs through our slog logger, not to stderr.
	o.Logger = slogLogger{logger}
	if opts.Small {
		// Defaults cost ~0.5 GiB per store (5 x 64 MiB memtables, 256 MiB
		// block cache) and 1 GiB value-log files; tests open dozens.
		o.MemTableSize = 8 << 20
		o.NumMemtables = 2
		o.BlockCacheSize = 8 << 20
		o.ValueLogFileSize = 16 << 20
		// Two is badger's minimum; fewer goroutines on a small machine.
		o.NumCompactors = 2
	}
	db, err := badger.Open(o)
	if err != nil {
		return nil, fmt.Errorf("store: open badger in %s: %w", dir, err)
	}
	if err := checkVersion(db); err != nil {
		_ = db.Close()
		return nil, err
	}
	cacheSize := opts.StateCache
	if cacheSize <= 0 {
		cacheSize = DefaultStateCache
	}
	states, err := simplelru.NewLRU[string, streamState](cacheSize, nil)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: state cache: %w", err)
	}
	b := &Badger{
		db:       db,
		log:      logger,
		reqs:     make(chan *writeReq),
		quit:     make(chan struct{}),
		loopDone: make(chan struct{}),
		maxBatch: opts.MaxBatch,
		states:   states,
	}
	if b.maxBatch <= 0 {
		b.maxBatch = 1024
	}
	go b.run()
	return b, nil
}

func checkVersion(db *badger.DB) error {
	return db.Update(func(txn *badger.Txn) error {
		it, err := txn.Get(keyVersion)
		if errors.Is(err, badger.ErrKeyNotFound) {
			if err := txn.Set(keyVersion, formatVersion); err != nil {
				return fmt.Errorf("store: write format version: %w", err)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("store: read format version: %w", err)
		}
		v, err := it.ValueCopy(nil)
		if err != nil {
			return fmt.Errorf("store: read format version: %w", err)
		}
		if !bytes.Equal(v, formatVersion) {
			return fmt.Errorf("store: format version %x, this build reads %x", v, formatVersion)
		}
		return nil
	})
}

// Close stops the commit loop and closes the database. Calls in flight get
// their answer first. Close is idempotent.
func (b *Badger) Close() error {
	b.closeOnce.Do(func() {
		b.mu.Lock() // waits for readers
		b.closed = true
		b.mu.Unlock()
		close(b.quit)
		<-b.loopDone
		if err := b.db.Close(); err != nil {
			b.closeErr = fmt.Errorf("store: close badger: %w", err)
		}
	})
	return b.closeErr
}

// Stats reports how many write calls shared how many syncs.
func (b *Badger) Stats() BadgerStats {
	return BadgerStats{Writes: b.writes.Load(), Syncs: b.syncs.Load()}
}

// --- Streams ------------------------------------------------------------

// CreateStream implements Streams.
func (b *Badger) CreateStream(ctx context.Context, rec *pb.StreamRecord, genesis Miniblock) error {
	id := clone(rec.GetStreamId())
	if err := checkStreamID(id); err != nil {
		return err
	}
	if genesis.Num != 0 {
		return fmt.Errorf("store: genesis miniblock has number %d, want 0", genesis.Num)
	}
	enc, err := proto.Marshal(rec)
	if err != nil {
		return fmt.Errorf("store: encode stream record: %w", err)
	}
	st := streamState{lastNum: 0, snapNum: -1, lastHash: clone(genesis.Hash)}
	var snap []byte
	if genesis.Snapshot != nil {
		st.snapNum = 0
		snap = clone(genesis.Snapshot)
	}
	blk := encodeBlock(genesis.Hash, genesis.Data)
	return b.update(ctx, func(w *wtx) error {
		exists, err := w.exists(id)
		if err != nil {
			return err
		}
		if exists {
			return fmt.Errorf("%w: %x", ErrStreamExists, id)
		}
		if err := w.set(streamKey(pfxRecord, id, 0), enc); err != nil {
			return err
		}
		if err := w.putState(id, st); err != nil {
			return err
		}
		if err := w.set(numKey(pfxBlock, id, 0), blk); err != nil {
			return err
		}
		if snap != nil {
			return w.set(numKey(pfxSnapshot, id, 0), snap)
		}
		return nil
	})
}

// StreamRecord implements Streams.
func (b *Badger) StreamRecord(ctx context.Context, streamID []byte) (*pb.StreamRecord, error) {
	if err := checkStreamID(streamID); err != nil {
		return nil, err
	}
	rec := &pb.StreamRecord{}
	err := b.view(ctx, func(txn *badger.Txn) error {
		v, ok, err := getValue(txn, streamKey(pfxRecord, streamID, 0))
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: %x", ErrStreamNotFound, streamID)
		}
		if err := proto.Unmarshal(v, rec); err != nil {
			return fmt.Errorf("store: decode stream record: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rec, nil
}

// ForEachStream implements Streams. Ids come in byte order; fn runs outside
// any transaction, so it may call the store. Keys order ids by length
// first (the length byte precedes the id), so the ids are sorted after
// reading.
func (b *Badger) ForEachStream(ctx context.Context, fn func(streamID []byte) bool) error {
	var ids [][]byte
	err := b.view(ctx, func(txn *badger.Txn) error {
		o := badger.DefaultIteratorOptions
		o.PrefetchValues = false
		o.Prefix = []byte{pfxRecord}
		it := txn.NewIterator(o)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			k := it.Item().Key()
			if len(k) < 2 || len(k) != 2+int(k[1]) {
				return fmt.Errorf("store: corrupt stream key %x", k)
			}
			ids = append(ids, clone(k[2:]))
		}
		return nil
	})
	if err != nil {
		return err
	}
	slices.SortFunc(ids, bytes.Compare)
	for _, id := range ids {
		if err := ctxErr(ctx); err != nil {
			return err
		}
		if !fn(id) {
			return nil
		}
	}
	return nil
}

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
	v, ok, err := getValue(w.txn, hashKey(pfxStaged, id, hash))
	if err != nil {
		return nil, err
	}
	if ok {
		sb, err := decodeStaged(id, hash, v)
		if err != nil {
			return nil, err
		}
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

// --- logging ------------------------------------------------------------

// slogLogger adapts badger.Logger to slog. Badger's messages end in a
// newline; slog adds its own. Badger's Info is housekeeping (replays,
// compactions, multi-line level summaries on close), not something a node
// operator acts on: it goes to Debug.
type slogLogger struct{ l *slog.Logger }

func (s slogLogger) Errorf(f string, a ...any)   { s.l.Error(trim(f, a), "component", "badger") }
func (s slogLogger) Warningf(f string, a ...any) { s.l.Warn(trim(f, a), "component", "badger") }
func (s slogLogger) Infof(f string, a ...any)    { s.l.Debug(trim(f, a), "component", "badger") }
func (s slogLogger) Debugf(f string, a ...any)   { s.l.Debug(trim(f, a), "component", "badger") }

func trim(f string, a []any) string {
	return string(bytes.TrimRight(fmt.Appendf(nil, f, a...), "\n"))
}

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
