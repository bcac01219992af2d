package memchain

import (
	"cmp"
	"context"
	"slices"

	"github.com/ethereum/go-ethereum/common"

	"github.com/towns-node/node/chainlink"
)

// RoundBlocks is R, the round length of the chain's leader election.
func (cl *Client) RoundBlocks() uint64 { return cl.c.cfg.RoundBlocks }

// Watch delivers allocations and registrations from f.From on, block by
// block, following new blocks until ctx ends or the handle or chain closes.
// The events of a block come in a fixed order (allocation order of the
// streams, then miniblock number), the same on every read: the chain keeps
// no log, it reads each stream's registration blocks.
func (cl *Client) Watch(ctx context.Context, f chainlink.WatchFilter) (<-chan chainlink.BlockEvents, error) {
	if err := cl.check(ctx); err != nil {
		return nil, err
	}
	c := cl.c
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, chainlink.ErrClosed
	}
	c.wg.Add(1)
	c.mu.Unlock()
	out := make(chan chainlink.BlockEvents)
	go func() {
		defer c.wg.Done()
		defer close(out)
		next := f.From
		for {
			c.mu.Lock()
			head := uint64(len(c.times) - 1)
			tick := c.tick
			var batches []chainlink.BlockEvents
			if next <= head {
				batches = c.eventsLocked(next, head, f.Node)
				next = head + 1
			}
			c.mu.Unlock()
			for _, b := range batches {
				select {
				case out <- b:
				case <-ctx.Done():
					return
				case <-cl.quit:
					return
				case <-c.quit:
					return
				}
			}
			select {
			case <-tick:
			case <-ctx.Done():
				return
			case <-cl.quit:
				return
			case <-c.quit:
				return
			}
		}
	}()
	return out, nil
}

// eventsLocked collects the events of blocks from..to (inclusive) of the
// streams node hosts (every stream for the zero address), grouped by block.
func (c *Chain) eventsLocked(from, to uint64, node common.Address) []chainlink.BlockEvents {
	type keyed struct {
		seq uint64
		ev  chainlink.Event
	}
	var evs []keyed
	for _, s := range c.streams {
		if node != (common.Address{}) && !slices.Contains(s.Nodes, node) {
			continue
		}
		// Blocks is non-decreasing: find the first registration at or after from.
		i, _ := slices.BinarySearch(s.Blocks, from)
		for ; i < len(s.Blocks) && s.Blocks[i] <= to; i++ {
			ev := chainlink.Event{Kind: chainlink.EventMiniblockRegistered, Block: s.Blocks[i],
				StreamID: [32]byte(s.ID), Num: int64(i), Hash: s.Hashes[i]}
			if i == 0 {
				ev.Kind, ev.Nodes, ev.ReplicationFactor = chainlink.EventStreamAllocated, slices.Clone(s.Nodes), s.RF
			}
			evs = append(evs, keyed{s.Seq, ev})
		}
	}
	slices.SortFunc(evs, func(a, b keyed) int {
		return cmp.Or(cmp.Compare(a.ev.Block, b.ev.Block), cmp.Compare(a.seq, b.seq), cmp.Compare(a.ev.Num, b.ev.Num))
	})
	var out []chainlink.BlockEvents
	for _, e := range evs {
		if len(out) == 0 || out[len(out)-1].Block != e.ev.Block {
			out = append(out, chainlink.BlockEvents{Block: e.ev.Block})
		}
		last := &out[len(out)-1]
		last.Events = append(last.Events, e.ev)
	}
	return out
}
