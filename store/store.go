package store

import (
	"context"

	"github.com/towns-node/node/proto/pb"
)

// Miniblock is a sealed block as the store keeps it. Data is the encoded
// pb.Miniblock; the store never decodes it.
type Miniblock struct {
	Num  int64
	Hash []byte
	Data []byte
	// Snapshot is the encoded pb.Snapshot when the block carries one, nil otherwise.
	// On reads it is set only by LatestSnapshot.
	Snapshot []byte
	// Included lists the event hashes this block removes from the minipool.
	// Used by WriteMiniblock only.
	Included [][]byte
}

// PoolEvent is one minipool event: its hash and its encoded pb.Envelope.
type PoolEvent struct {
	Hash []byte
	Data []byte
}

// StagedBlock is a block known to the node but not written yet: one the
// leader proposed and is registering, or one received during catch-up.
type StagedBlock struct {
	StreamID  []byte
	Num       int64
	Hash      []byte
	Parent    []byte
	Data      []byte
	Processed bool
	Orphaned  bool
}

// Minipool is a stream's pending events. Generation is the number of the
// miniblock they are waiting for: last miniblock number + 1.
type Minipool struct {
	Generation int64
	Events     []PoolEvent // in slot order
}

// Streams holds stream records, miniblocks and minipools.
type Streams interface {
	// CreateStream saves the record and the genesis miniblock (number 0); the
	// minipool starts empty at generation 1. ErrStreamExists if present.
	CreateStream(ctx context.Context, rec *pb.StreamRecord, genesis Miniblock) error
	// StreamRecord loads a record. ErrStreamNotFound if absent.
	StreamRecord(ctx context.Context, streamID []byte) (*pb.StreamRecord, error)
	// ForEachStream calls fn for every stream id, in byte order, until fn
	// returns false.
	ForEachStream(ctx context.Context, fn func(streamID []byte) bool) error

	// AppendEvents durably appends events to the minipool of generation gen,
	// after any already there. ErrGenerationMismatch if gen is not current.
	// It returns once the events are on disk.
	AppendEvents(ctx context.Context, streamID []byte, gen int64, events []PoolEvent) error
	// LoadMinipool returns the current generation and its events in slot order.
	LoadMinipool(ctx context.Context, streamID []byte) (Minipool, error)

	// WriteMiniblock atomically checks that mb.Num is the current generation,
	// stores the block (and its snapshot when mb.Snapshot is set), removes
	// mb.Included from the minipool, moves the remaining events, in order,
	// into generation mb.Num+1, and deletes from staging the stream's entry
	// with hash mb.Hash and every entry numbered mb.Num or lower: the block
	// is now stored once, and the others can never be processable.
	// ErrGenerationMismatch if mb.Num is not current.
	WriteMiniblock(ctx context.Context, streamID []byte, mb Miniblock) error
	// ReadMiniblocks returns blocks with from <= num < to that exist, in order.
	ReadMiniblocks(ctx context.Context, streamID []byte, from, to int64) ([]Miniblock, error)
	// LastMiniblock returns the highest stored block.
	LastMiniblock(ctx context.Context, streamID []byte) (Miniblock, error)
	// LatestSnapshot returns the highest block that carries a snapshot,
	// with Snapshot set (the genesis block always carries one).
	LatestSnapshot(ctx context.Context, streamID []byte) (Miniblock, error)
}

// Staging holds blocks until they are written: an entry lives from
// StageBlock to the WriteMiniblock of its stream that reaches its number.
// So the store never holds a staged entry numbered at or below the last
// written block of its stream.
type Staging interface {
	// StageBlock saves b, replacing any entry with the same stream and hash.
	// A block numbered at or below the stream's last written block (0, the
	// genesis, for a stream the store does not hold) is not kept, since it
	// could never be processable; that is not an error.
	StageBlock(ctx context.Context, b StagedBlock) error
	// StagedBlock loads an entry. ErrNotFound if absent, also once the
	// block or one at its number has been written.
	StagedBlock(ctx context.Context, streamID, hash []byte) (StagedBlock, error)
	// NextProcessable returns the unprocessed, non-orphaned staged block whose
	// number is last applied + 1 and whose parent is the last applied block.
	// ErrNotFound when there is none.
	NextProcessable(ctx context.Context, streamID []byte) (StagedBlock, error)
	// MarkStaged sets an entry's flags. ErrNotFound if absent, as after the
	// block is written: callers that mark after WriteMiniblock may ignore it.
	MarkStaged(ctx context.Context, streamID, hash []byte, processed, orphaned bool) error
	// StagedRange returns the unprocessed, non-orphaned staged blocks of
	// the stream numbered from <= num < to, by number then hash, at most
	// limit of them (limit <= 0: all): what a catch-up cut short by a
	// restart takes up again without fetching it twice.
	StagedRange(ctx context.Context, streamID []byte, from, to int64, limit int) ([]StagedBlock, error)
}

// Meta holds small node-wide values (peerstore, chain cursor, ...).
type Meta interface {
	PutMeta(ctx context.Context, key string, value []byte) error
	// GetMeta returns ErrNotFound when the key is absent.
	GetMeta(ctx context.Context, key string) ([]byte, error)
}

// Store is everything a node persists. Implementations are safe for
// concurrent use; callers serialise writes per stream (the stream actor).
type Store interface {
	Streams
	Staging
	Meta
	Close() error
}
