package streams

import (
	"sync"

	"github.com/ethereum/go-ethereum/common"

	"github.com/towns-node/node/proto/pb"
)

// pool is a persistent, append-only minipool: views derived from one
// another by AddEvent share one backing array and index, so adding is O(1)
// and never disturbs an older view. A view sees slots [0, n) only. When an
// older view appends again (a fork), the slots it sees are copied into a
// fresh backing. The mutex makes that safe when views are shared across
// goroutines; slots below any view's n are never written again.
type pool struct {
	b *poolBacking
	n int
}

type poolBacking struct {
	mu      sync.RWMutex
	events  []*ParsedEvent
	byHash  map[common.Hash]int // slot of each event
	pending map[string]int      // first slot of a pending state key (see pendingKey)
}

func newPoolBacking(capHint int) *poolBacking {
	return &poolBacking{
		events:  make([]*ParsedEvent, 0, capHint),
		byHash:  make(map[common.Hash]int, capHint),
		pending: map[string]int{},
	}
}

func (p pool) len() int { return p.n }

// add returns a pool holding p's events plus ev.
func (p pool) add(ev *ParsedEvent, key string) pool {
	b := p.b
	if b != nil {
		b.mu.Lock()
		if len(b.events) == p.n {
			b.put(ev, key)
			b.mu.Unlock()
			return pool{b: b, n: p.n + 1}
		}
		b.mu.Unlock()
	}
	nb := newPoolBacking(p.n + 1)
	for _, e := range p.events() {
		nb.put(e, pendingKeyOf(e))
	}
	nb.put(ev, key)
	return pool{b: nb, n: p.n + 1}
}

// put appends; the caller holds the lock or owns b exclusively.
func (b *poolBacking) put(ev *ParsedEvent, key string) {
	i := len(b.events)
	b.events = append(b.events, ev)
	if _, ok := b.byHash[ev.Hash]; !ok {
		b.byHash[ev.Hash] = i
	}
	if key != "" {
		if _, ok := b.pending[key]; !ok {
			b.pending[key] = i
		}
	}
}

// events returns the visible slots. The slice is capped so that appending to
// it can never write into the shared backing.
func (p pool) events() []*ParsedEvent {
	if p.b == nil {
		return nil
	}
	p.b.mu.RLock()
	defer p.b.mu.RUnlock()
	return p.b.events[:p.n:p.n]
}

func (p pool) get(h common.Hash) *ParsedEvent {
	if p.b == nil {
		return nil
	}
	p.b.mu.RLock()
	defer p.b.mu.RUnlock()
	if i, ok := p.b.byHash[h]; ok && i < p.n {
		return p.b.events[i]
	}
	return nil
}

func (p pool) hasPending(key string) bool {
	if p.b == nil || key == "" {
		return false
	}
	p.b.mu.RLock()
	defer p.b.mu.RUnlock()
	i, ok := p.b.pending[key]
	return ok && i < p.n
}

// pendingKeyOf names the piece of state an event changes that may be changed
// at most once per generation: a user's membership, a channel's existence.
// Empty for other events (and for events whose payload does not classify).
func pendingKeyOf(ev *ParsedEvent) string {
	id, err := StreamIDFromBytes(ev.Event.StreamId)
	if err != nil {
		return ""
	}
	a, err := classifyEvent(id.Type(), ev)
	if err != nil {
		return ""
	}
	return pendingKey(a)
}

func pendingKey(a action) string {
	switch a.kind {
	case kindMembership:
		return "m/" + string(a.membership.UserAddress)
	case kindChannel:
		if a.channel.Op == pb.ChannelOp_CHANNEL_OP_CREATED {
			return "c/" + string(a.channel.ChannelId)
		}
	}
	return ""
}
