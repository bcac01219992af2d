package store

import (
	"bytes"
	"context"
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

// Key layout (format 2). Every per-stream key is prefix | len(id) | id | ...,
// so the keys of one stream never share a prefix with another's, and
// numbers are big-endian so that key order is numeric order.
//
//	r id                 -> encoded pb.StreamRecord
//	s id                 -> stream state: last block, latest snapshot, pool start, last hash
//	b id num             -> block: uvarint(len(hash)) hash data
//	n id num             -> snapshot carried by block num
//	q id seq             -> minipool entry: uvarint(len(hash)) hash envelope
//	y id num hash        -> staged block
//	m key                -> node metadata
//	v                    -> storage format version
//
// What a write costs in entries. An append writes one entry per event and
// nothing else: minipool entries are numbered per stream in append order
// and keep their number when a block is written, so the events a block
// leaves behind are not moved, and the next free number is not stored (the
// commit loop derives it, with the stream's minipool and staged blocks,
// when it loads the state; see streamState). Staging writes one entry.
// Writing a block writes the block (and its snapshot), the state, and one
// delete per included event and per staged block it makes obsolete. The
// state's pool start bounds where a load begins to read the minipool, past
// the deleted entries of earlier blocks.
//
// Format 1 (up to session 17) kept minipool slots by generation ('p' id
// gen slot -> hash) and envelopes by hash ('e' id hash), renumbered the
// remaining slots on every block, rewrote the state on every append, and
// kept staged blocks by hash ('x' id hash) with an index by number ('i' id
// num hash). OpenBadger migrates such a store (migrate1to2).
const (
	pfxRecord   = 'r'
	pfxState    = 's'
	pfxBlock    = 'b'
	pfxSnapshot = 'n'
	pfxPool     = 'q'
	pfxStaged   = 'y'
	pfxMeta     = 'm'

	// Format 1 only.
	pfxPool1     = 'p'
	pfxEvent1    = 'e'
	pfxStaged1   = 'x'
	pfxStageIdx1 = 'i'
)

var (
	keyVersion    = []byte{'v'}
	formatVersion = []byte{2}
	format1       = []byte{1}
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
	// BlockCache is the size in bytes of badger's cache of decompressed
	// SSTable blocks (TinyLFU eviction). It fills up to this bound as
	// stream loads read tables, and it is most of the Go heap a node grows
	// after a burst of activity. Zero means DefaultBlockCache; a value
	// below MinBlockCache is raised to it (badger needs a block cache when
	// tables are compressed). Small overrides it with 8 MiB.
	BlockCache int64
}

// DefaultBlockCache is the default BadgerOptions.BlockCache, 64 MiB (a
// quarter of badger's own default): a node's stream loads read few blocks
// per stream, and the page cache keeps the tables' bytes anyway.
const DefaultBlockCache = 64 << 20

// MinBlockCache is the smallest BadgerOptions.BlockCache, 1 MiB.
const MinBlockCache = 1 << 20

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

	qmu       sync.Mutex
	queue     []*writeReq   // calls waiting for the commit loop
	stopped   bool          // set by Close: no call is queued after it
	wake      chan struct{} // capacity 1: the queue has calls
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
	// pending is the map of the batch in flight (see newBatch).
	pending map[string]streamState

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
	switch {
	case opts.BlockCache == 0:
		o.BlockCacheSize = DefaultBlockCache
	case opts.BlockCache < MinBlockCache:
		o.BlockCacheSize = MinBlockCache
	default:
		o.BlockCacheSize = opts.BlockCache
	}
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
	if err := checkVersion(db, logger); err != nil {
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
		wake:     make(chan struct{}, 1),
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

// checkVersion writes the format version into a new store, migrates a
// format-1 store, and refuses any other.
func checkVersion(db *badger.DB, log *slog.Logger) error {
	var v []byte
	err := db.View(func(txn *badger.Txn) error {
		var err error
		v, _, err = getValue(txn, keyVersion)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: read format version: %w", err)
	}
	switch {
	case v == nil:
		// A new store; a format-1 store always has its version key.
	case bytes.Equal(v, formatVersion):
		return nil
	case bytes.Equal(v, format1):
		if err := migrate1to2(db, log); err != nil {
			return fmt.Errorf("store: migrate format 1 to 2: %w", err)
		}
	default:
		return fmt.Errorf("store: format version %x, this build reads %x", v, formatVersion)
	}
	if err := db.Update(func(txn *badger.Txn) error { return txn.Set(keyVersion, formatVersion) }); err != nil {
		return fmt.Errorf("store: write format version: %w", err)
	}
	if err := db.Sync(); err != nil {
		return fmt.Errorf("store: sync format version: %w", err)
	}
	return nil
}

// Close stops the commit loop and closes the database. Calls in flight get
// their answer first. Close is idempotent.
func (b *Badger) Close() error {
	b.closeOnce.Do(func() {
		b.mu.Lock() // waits for readers
		b.closed = true
		b.mu.Unlock()
		b.qmu.Lock()
		b.stopped = true
		b.qmu.Unlock()
		select {
		case b.wake <- struct{}{}:
		default:
		}
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
	hash := clone(genesis.Hash)
	var snap []byte
	if genesis.Snapshot != nil {
		snap = clone(genesis.Snapshot)
	}
	blk := encodeBlock(genesis.Hash, genesis.Data)
	return b.update(ctx, func(w *wtx) error {
		st, err := w.state(id)
		if err != nil {
			return err
		}
		if st.exists {
			return fmt.Errorf("%w: %x", ErrStreamExists, id)
		}
		// Staging may already hold blocks of the stream (above 0): they stay.
		st.exists, st.lastNum, st.snapNum, st.lastHash = true, 0, -1, hash
		st.poolStart, st.nextSeq, st.pool = 0, 0, nil
		if snap != nil {
			st.snapNum = 0
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
