package actors

import (
	"context"
	"sync"

	"github.com/ethereum/go-ethereum/common"

	"github.com/towns-node/node/chainlink"
)

// randaoCacheSize bounds the chain blocks whose randao the node keeps.
const randaoCacheSize = 256

// randaoCache shares reads of a chain block's randao between stream actors:
// every stream registered in a chain block elects its next leader with that
// block's randao, and one chain read per stream (an RPC each on an EVM
// chain) delayed the leaders of a thousand streams by most of a block. A
// value once read is kept, as each stream actor kept its own before.
type randaoCache struct {
	mu sync.Mutex
	m  map[uint64]*randaoEntry
}

type randaoEntry struct {
	done   chan struct{}
	randao common.Hash
	err    error
}

// get returns the randao of chain block num, reading it once for all callers.
func (c *randaoCache) get(ctx context.Context, chain chainlink.Chain, num uint64) (common.Hash, error) {
	c.mu.Lock()
	e, ok := c.m[num]
	if !ok {
		if c.m == nil || len(c.m) >= randaoCacheSize {
			c.m = map[uint64]*randaoEntry{} // callers waiting hold their entry
		}
		e = &randaoEntry{done: make(chan struct{})}
		c.m[num] = e
		c.mu.Unlock()
		h, err := chain.HeadAt(ctx, num)
		e.randao, e.err = h.Randao, err
		if err != nil {
			c.mu.Lock()
			if c.m[num] == e {
				delete(c.m, num) // the next caller tries again
			}
			c.mu.Unlock()
		}
		close(e.done)
		return e.randao, e.err
	}
	c.mu.Unlock()
	select {
	case <-e.done:
		return e.randao, e.err
	case <-ctx.Done():
		return common.Hash{}, ctx.Err()
	}
}
