package store

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"

	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/proto/pb"
)

// Memory is an in-memory Store for unit tests and simulations. Nothing
// survives Close. It copies every slice in and out, so callers may reuse
// their buffers.
type Memory struct {
	mu      sync.RWMutex
	closed  bool
	streams map[string]*memStream
	staged  map[string]map[string]StagedBlock // stream -> hash -> block
	meta    map[string][]byte
}

type memStream struct {
	rec       []byte // encoded pb.StreamRecord
	blocks    []Miniblock
	snapshots map[int64][]byte
	lastSnap  int64 // -1 when no block carries a snapshot
	pool      []PoolEvent
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory {
	return &Memory{
		streams: make(map[string]*memStream),
		staged:  make(map[string]map[string]StagedBlock),
		meta:    make(map[string][]byte),
	}
}

// Close drops nothing but refuses further calls. It is idempotent.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	return nil
}

func (m *Memory) rlock(ctx context.Context) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	m.mu.RLock()
	if m.closed {
		m.mu.RUnlock()
		return ErrClosed
	}
	return nil
}

func (m *Memory) lock(ctx context.Context) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return ErrClosed
	}
	return nil
}

func (m *Memory) stream(id []byte) (*memStream, error) {
	if err := checkStreamID(id); err != nil {
		return nil, err
	}
	s, ok := m.streams[string(id)]
	if !ok {
		return nil, fmt.Errorf("%w: %x", ErrStreamNotFound, id)
	}
	return s, nil
}

func (s *memStream) generation() int64 { return int64(len(s.blocks)) }

// CreateStream implements Streams.
func (m *Memory) CreateStream(ctx context.Context, rec *pb.StreamRecord, genesis Miniblock) error {
	id := rec.GetStreamId()
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
	if err := m.lock(ctx); err != nil {
		return err
	}
	defer m.mu.Unlock()
	if _, ok := m.streams[string(id)]; ok {
		return fmt.Errorf("%w: %x", ErrStreamExists, id)
	}
	s := &memStream{
		rec:       enc,
		blocks:    []Miniblock{{Num: 0, Hash: clone(genesis.Hash), Data: clone(genesis.Data)}},
		snapshots: make(map[int64][]byte),
		lastSnap:  -1,
	}
	if genesis.Snapshot != nil {
		s.snapshots[0] = clone(genesis.Snapshot)
		s.lastSnap = 0
	}
	m.streams[string(id)] = s
	return nil
}

// StreamRecord implements Streams.
func (m *Memory) StreamRecord(ctx context.Context, streamID []byte) (*pb.StreamRecord, error) {
	if err := m.rlock(ctx); err != nil {
		return nil, err
	}
	defer m.mu.RUnlock()
	s, err := m.stream(streamID)
	if err != nil {
		return nil, err
	}
	rec := &pb.StreamRecord{}
	if err := proto.Unmarshal(s.rec, rec); err != nil {
		return nil, fmt.Errorf("store: decode stream record: %w", err)
	}
	return rec, nil
}

// ForEachStream implements Streams. Ids come in byte order; fn runs without
// any lock held, so it may call the store.
func (m *Memory) ForEachStream(ctx context.Context, fn func(streamID []byte) bool) error {
	if err := m.rlock(ctx); err != nil {
		return err
	}
	ids := make([][]byte, 0, len(m.streams))
	for id := range m.streams {
		ids = append(ids, []byte(id))
	}
	m.mu.RUnlock()
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
func (m *Memory) AppendEvents(ctx context.Context, streamID []byte, gen int64, events []PoolEvent) error {
	if err := m.lock(ctx); err != nil {
		return err
	}
	defer m.mu.Unlock()
	s, err := m.stream(streamID)
	if err != nil {
		return err
	}
	if cur := s.generation(); gen != cur {
		return fmt.Errorf("%w: append to %d, current %d", ErrGenerationMismatch, gen, cur)
	}
	for _, e := range events {
		s.pool = append(s.pool, PoolEvent{Hash: clone(e.Hash), Data: clone(e.Data)})
	}
	return nil
}

// LoadMinipool implements Streams.
func (m *Memory) LoadMinipool(ctx context.Context, streamID []byte) (Minipool, error) {
	if err := m.rlock(ctx); err != nil {
		return Minipool{}, err
	}
	defer m.mu.RUnlock()
	s, err := m.stream(streamID)
	if err != nil {
		return Minipool{}, err
	}
	mp := Minipool{Generation: s.generation(), Events: make([]PoolEvent, len(s.pool))}
	for i, e := range s.pool {
		mp.Events[i] = PoolEvent{Hash: clone(e.Hash), Data: clone(e.Data)}
	}
	return mp, nil
}

// WriteMiniblock implements Streams.
func (m *Memory) WriteMiniblock(ctx context.Context, streamID []byte, mb Miniblock) error {
	if err := m.lock(ctx); err != nil {
		return err
	}
	defer m.mu.Unlock()
	s, err := m.stream(streamID)
	if err != nil {
		return err
	}
	if cur := s.generation(); mb.Num != cur {
		return fmt.Errorf("%w: block %d, current generation %d", ErrGenerationMismatch, mb.Num, cur)
	}
	included := make(map[string]struct{}, len(mb.Included))
	for _, h := range mb.Included {
		included[string(h)] = struct{}{}
	}
	rest := s.pool[:0:0]
	for _, e := range s.pool {
		if _, ok := included[string(e.Hash)]; !ok {
			rest = append(rest, e)
		}
	}
	s.pool = rest
	s.blocks = append(s.blocks, Miniblock{Num: mb.Num, Hash: clone(mb.Hash), Data: clone(mb.Data)})
	if mb.Snapshot != nil {
		s.snapshots[mb.Num] = clone(mb.Snapshot)
		s.lastSnap = mb.Num
	}
	byHash := m.staged[string(streamID)]
	for h, b := range byHash {
		if b.Num <= mb.Num || h == string(mb.Hash) {
			delete(byHash, h)
		}
	}
	if len(byHash) == 0 {
		delete(m.staged, string(streamID))
	}
	return nil
}

// ReadMiniblocks implements Streams.
func (m *Memory) ReadMiniblocks(ctx context.Context, streamID []byte, from, to int64) ([]Miniblock, error) {
	if err := m.rlock(ctx); err != nil {
		return nil, err
	}
	defer m.mu.RUnlock()
	s, err := m.stream(streamID)
	if err != nil {
		return nil, err
	}
	from = max(from, 0)
	to = min(to, int64(len(s.blocks)))
	var out []Miniblock
	for n := from; n < to; n++ {
		b := s.blocks[n]
		out = append(out, Miniblock{Num: b.Num, Hash: clone(b.Hash), Data: clone(b.Data)})
	}
	return out, nil
}

// LastMiniblock implements Streams.
func (m *Memory) LastMiniblock(ctx context.Context, streamID []byte) (Miniblock, error) {
	if err := m.rlock(ctx); err != nil {
		return Miniblock{}, err
	}
	defer m.mu.RUnlock()
	s, err := m.stream(streamID)
	if err != nil {
		return Miniblock{}, err
	}
	b := s.blocks[len(s.blocks)-1]
	return Miniblock{Num: b.Num, Hash: clone(b.Hash), Data: clone(b.Data)}, nil
}

// LatestSnapshot implements Streams. ErrNotFound when no block carries a
// snapshot (only possible if genesis was created without one).
func (m *Memory) LatestSnapshot(ctx context.Context, streamID []byte) (Miniblock, error) {
	if err := m.rlock(ctx); err != nil {
		return Miniblock{}, err
	}
	defer m.mu.RUnlock()
	s, err := m.stream(streamID)
	if err != nil {
		return Miniblock{}, err
	}
	if s.lastSnap < 0 {
		return Miniblock{}, fmt.Errorf("%w: no snapshot in stream %x", ErrNotFound, streamID)
	}
	b := s.blocks[s.lastSnap]
	return Miniblock{Num: b.Num, Hash: clone(b.Hash), Data: clone(b.Data), Snapshot: clone(s.snapshots[s.lastSnap])}, nil
}

// StageBlock implements Staging. Staging a (stream, hash) again replaces it.
func (m *Memory) StageBlock(ctx context.Context, b StagedBlock) error {
	if err := checkStreamID(b.StreamID); err != nil {
		return err
	}
	if err := m.lock(ctx); err != nil {
		return err
	}
	defer m.mu.Unlock()
	last := int64(0)
	if s, ok := m.streams[string(b.StreamID)]; ok {
		last = s.generation() - 1
	}
	if b.Num <= last {
		return nil // could never be processable
	}
	byHash := m.staged[string(b.StreamID)]
	if byHash == nil {
		byHash = make(map[string]StagedBlock)
		m.staged[string(b.StreamID)] = byHash
	}
	byHash[string(b.Hash)] = cloneStaged(b)
	return nil
}

// StagedBlock implements Staging.
func (m *Memory) StagedBlock(ctx context.Context, streamID, hash []byte) (StagedBlock, error) {
	if err := m.rlock(ctx); err != nil {
		return StagedBlock{}, err
	}
	defer m.mu.RUnlock()
	b, ok := m.staged[string(streamID)][string(hash)]
	if !ok {
		return StagedBlock{}, fmt.Errorf("%w: staged block %x", ErrNotFound, hash)
	}
	return cloneStaged(b), nil
}

// NextProcessable implements Staging.
func (m *Memory) NextProcessable(ctx context.Context, streamID []byte) (StagedBlock, error) {
	if err := m.rlock(ctx); err != nil {
		return StagedBlock{}, err
	}
	defer m.mu.RUnlock()
	s, err := m.stream(streamID)
	if err != nil {
		return StagedBlock{}, err
	}
	last := s.blocks[len(s.blocks)-1]
	var found []StagedBlock
	for _, b := range m.staged[string(streamID)] {
		if b.Num == last.Num+1 && !b.Processed && !b.Orphaned && bytes.Equal(b.Parent, last.Hash) {
			found = append(found, b)
		}
	}
	if len(found) == 0 {
		return StagedBlock{}, fmt.Errorf("%w: no processable block after %d", ErrNotFound, last.Num)
	}
	// Several candidates can only come from a lying peer; pick the lowest
	// hash, as Badger's key order does.
	slices.SortFunc(found, func(a, b StagedBlock) int { return bytes.Compare(a.Hash, b.Hash) })
	return cloneStaged(found[0]), nil
}

// StagedRange implements Staging.
func (m *Memory) StagedRange(ctx context.Context, streamID []byte, from, to int64, limit int) ([]StagedBlock, error) {
	if err := checkStreamID(streamID); err != nil {
		return nil, err
	}
	if err := m.rlock(ctx); err != nil {
		return nil, err
	}
	defer m.mu.RUnlock()
	var out []StagedBlock
	for _, b := range m.staged[string(streamID)] {
		if b.Num >= from && b.Num < to && !b.Processed && !b.Orphaned {
			out = append(out, b)
		}
	}
	slices.SortFunc(out, func(a, b StagedBlock) int {
		if a.Num != b.Num {
			return cmp.Compare(a.Num, b.Num)
		}
		return bytes.Compare(a.Hash, b.Hash)
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	for i := range out {
		out[i] = cloneStaged(out[i])
	}
	return out, nil
}

// MarkStaged implements Staging.
func (m *Memory) MarkStaged(ctx context.Context, streamID, hash []byte, processed, orphaned bool) error {
	if err := m.lock(ctx); err != nil {
		return err
	}
	defer m.mu.Unlock()
	b, ok := m.staged[string(streamID)][string(hash)]
	if !ok {
		return fmt.Errorf("%w: staged block %x", ErrNotFound, hash)
	}
	b.Processed, b.Orphaned = processed, orphaned
	m.staged[string(streamID)][string(hash)] = b
	return nil
}

// PutMeta implements Meta.
func (m *Memory) PutMeta(ctx context.Context, key string, value []byte) error {
	if err := m.lock(ctx); err != nil {
		return err
	}
	defer m.mu.Unlock()
	m.meta[key] = clone(value)
	if m.meta[key] == nil {
		m.meta[key] = []byte{}
	}
	return nil
}

// GetMeta implements Meta.
func (m *Memory) GetMeta(ctx context.Context, key string) ([]byte, error) {
	if err := m.rlock(ctx); err != nil {
		return nil, err
	}
	defer m.mu.RUnlock()
	v, ok := m.meta[key]
	if !ok {
		return nil, fmt.Errorf("%w: meta %q", ErrNotFound, key)
	}
	return clone(v), nil
}

func cloneStaged(b StagedBlock) StagedBlock {
	b.StreamID = clone(b.StreamID)
	b.Hash = clone(b.Hash)
	b.Parent = clone(b.Parent)
	b.Data = clone(b.Data)
	return b
}
