package evm

import (
	"cmp"
	"context"
	"fmt"
	"math/big"
	"slices"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/towns-node/node/chainlink"
	"github.com/towns-node/node/chainlink/evm/bindings"
)

// maxLogRange is the most blocks one eth_getLogs of Watch spans; many
// providers refuse wider ranges. A watcher far behind catches up in steps.
const maxLogRange = 2_000

// Watch delivers the registry's allocations and registrations from f.From
// on with one eth_getLogs per new head (over the blocks since the last
// query, both event kinds at once), grouped by block in log order. With a
// node filter it reads the node's streams once (StreamsOnNode) and then
// learns new ones from their StreamAllocated events. A failed query is
// retried at the next head; nothing is skipped.
func (c *Chain) Watch(ctx context.Context, f chainlink.WatchFilter) (<-chan chainlink.BlockEvents, error) {
	if c.closed() {
		return nil, chainlink.ErrClosed
	}
	var hosted map[[32]byte]bool
	if f.Node != (common.Address{}) {
		ids, err := c.StreamsOnNode(ctx, f.Node)
		if err != nil {
			return nil, err
		}
		hosted = make(map[[32]byte]bool, len(ids))
		for _, id := range ids {
			hosted[id] = true
		}
	}
	out := make(chan chainlink.BlockEvents)
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		defer close(out)
		w := &watcher{c: c, f: f, hosted: hosted, next: f.From, out: out}
		for {
			tick := c.heads.next()
			if !w.catchUp(ctx) {
				return
			}
			select {
			case <-tick:
			case <-ctx.Done():
				return
			case <-c.quit:
				return
			}
		}
	}()
	return out, nil
}

type watcher struct {
	c      *Chain
	f      chainlink.WatchFilter
	hosted map[[32]byte]bool // nil: every stream
	next   uint64            // first block not yet read
	out    chan<- chainlink.BlockEvents
}

// catchUp reads and delivers the blocks from next to the head; false when
// ctx ended or the chain closed.
func (w *watcher) catchUp(ctx context.Context) bool {
	head := w.c.heads.lastNumber()
	for w.next <= head {
		to := min(head, w.next+maxLogRange-1)
		batches, err := w.query(ctx, w.next, to)
		if err != nil {
			if ctx.Err() == nil && !w.c.closed() {
				w.c.log.Debug("evm: watch: reading logs", "from", w.next, "to", to, "err", err)
			}
			return ctx.Err() == nil && !w.c.closed() // retry at the next head
		}
		for _, b := range batches {
			select {
			case w.out <- b:
			case <-ctx.Done():
				return false
			case <-w.c.quit:
				return false
			}
		}
		w.next = to + 1
	}
	return true
}

func (w *watcher) query(ctx context.Context, from, to uint64) ([]chainlink.BlockEvents, error) {
	abi := w.c.sr.GetABI()
	allocID := abi.Events[bindings.StreamRegistryStreamAllocatedEventName].ID
	regID := abi.Events[bindings.StreamRegistryMiniblockRegisteredEventName].ID
	logs, err := retry(ctx, w.c, "logs", func() ([]types.Log, error) {
		return w.c.ec.FilterLogs(ctx, ethereum.FilterQuery{
			FromBlock: new(big.Int).SetUint64(from),
			ToBlock:   new(big.Int).SetUint64(to),
			Addresses: []common.Address{w.c.streamReg},
			Topics:    [][]common.Hash{{allocID, regID}},
		})
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(logs, func(a, b types.Log) int {
		return cmp.Or(cmp.Compare(a.BlockNumber, b.BlockNumber), cmp.Compare(a.Index, b.Index))
	})
	var out []chainlink.BlockEvents
	for i := range logs {
		l := &logs[i]
		if l.Removed || len(l.Topics) == 0 {
			continue
		}
		var ev chainlink.Event
		switch l.Topics[0] {
		case allocID:
			a, err := w.c.sr.UnpackStreamAllocatedEvent(l)
			if err != nil {
				return nil, fmt.Errorf("evm: decoding StreamAllocated: %w", err)
			}
			if w.hosted != nil {
				if !slices.Contains(a.Nodes, w.f.Node) {
					continue
				}
				w.hosted[a.StreamId] = true
			}
			ev = chainlink.Event{Kind: chainlink.EventStreamAllocated, StreamID: a.StreamId, Hash: a.GenesisHash,
				Nodes: a.Nodes, ReplicationFactor: a.ReplicationFactor}
		case regID:
			r, err := w.c.sr.UnpackMiniblockRegisteredEvent(l)
			if err != nil {
				return nil, fmt.Errorf("evm: decoding MiniblockRegistered: %w", err)
			}
			if w.hosted != nil && !w.hosted[r.StreamId] {
				continue
			}
			ev = chainlink.Event{Kind: chainlink.EventMiniblockRegistered, StreamID: r.StreamId, Num: int64(r.Num), Hash: r.Hash}
		default:
			continue
		}
		ev.Block = l.BlockNumber
		if len(out) == 0 || out[len(out)-1].Block != ev.Block {
			out = append(out, chainlink.BlockEvents{Block: ev.Block})
		}
		last := &out[len(out)-1]
		last.Events = append(last.Events, ev)
	}
	return out, nil
}
