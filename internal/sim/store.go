package sim

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/towns-node/node/streams"
)

// store is a node's durable state for the stream, with the semantics of
// store.Memory (one minipool at the current generation, a block write that
// removes its included events and staged copies, staged blocks by hash).
// Only writes whose completion the simulator ran are in it: a crash drops
// the write in flight, or keeps it (a torn write: durable, never answered).
type store struct {
	blocks []*streams.ParsedMiniblock
	pool   []*streams.ParsedEvent
	inPool map[common.Hash]bool
	sealed map[common.Hash]bool // events of the stored blocks
	staged map[common.Hash]*streams.ParsedMiniblock
}

var (
	errDisk       = errors.New("sim: disk error")
	errGeneration = errors.New("sim: store generation mismatch")
	errTimeout    = errors.New("sim: request timed out")
)

func newStore() *store {
	return &store{inPool: map[common.Hash]bool{}, sealed: map[common.Hash]bool{}, staged: map[common.Hash]*streams.ParsedMiniblock{}}
}

func (st *store) generation() int64 { return int64(len(st.blocks)) }

func (st *store) appendEvents(gen int64, evs []*streams.ParsedEvent) error {
	if gen != st.generation() {
		return fmt.Errorf("%w: append to %d, current %d", errGeneration, gen, st.generation())
	}
	for _, ev := range evs {
		st.pool = append(st.pool, ev)
		st.inPool[ev.Hash] = true
	}
	return nil
}

// writeBlock stores a block; it returns the minipool events it removed
// without sealing them (dropped as invalid, or stale).
func (st *store) writeBlock(mb *streams.ParsedMiniblock, included [][]byte) ([]*streams.ParsedEvent, error) {
	if mb.Num() != st.generation() {
		return nil, fmt.Errorf("%w: block %d, current generation %d", errGeneration, mb.Num(), st.generation())
	}
	drop := map[common.Hash]bool{}
	for _, h := range included {
		drop[common.BytesToHash(h)] = true
	}
	inBlock := map[common.Hash]bool{}
	for _, ev := range mb.Events {
		inBlock[ev.Hash] = true
	}
	rest := st.pool[:0:0]
	var removed []*streams.ParsedEvent
	for _, ev := range st.pool {
		if drop[ev.Hash] {
			delete(st.inPool, ev.Hash)
			if !inBlock[ev.Hash] {
				removed = append(removed, ev)
			}
			continue
		}
		rest = append(rest, ev)
	}
	st.pool = rest
	st.blocks = append(st.blocks, mb)
	for _, ev := range mb.Events {
		st.sealed[ev.Hash] = true
	}
	for h, b := range st.staged {
		if b.Num() <= mb.Num() || h == mb.Hash {
			delete(st.staged, h)
		}
	}
	return removed, nil
}

func (st *store) stage(mb *streams.ParsedMiniblock) { st.staged[mb.Hash] = mb }

func (st *store) holds(h common.Hash) bool { return st.inPool[h] || st.sealed[h] }

// restore rebuilds the durable view as the stream actor's loadView does:
// the last block carrying a snapshot, the blocks of the recency window
// before it and every block after it, and the stored minipool.
func (st *store) restore(window int64) (*streams.View, error) {
	last := st.generation() - 1
	snap := last
	for snap > 0 && len(st.blocks[snap].Proto.GetSnapshot()) == 0 {
		snap--
	}
	from := max(0, min(snap, last-window))
	v, err := streams.RestoreView(st.blocks[snap], st.blocks[from:], st.pool)
	if err != nil {
		return nil, err
	}
	if v.Generation() != st.generation() {
		return nil, fmt.Errorf("minipool generation %d, view generation %d", st.generation(), v.Generation())
	}
	return v, nil
}
