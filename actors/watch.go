package actors

import (
	"context"
	"slices"
	"time"

	"github.com/towns-node/node/chainlink"
	"github.com/towns-node/node/streams"
)

// The chain watch: a node with a network follows the registry's
// allocations and registrations for the streams placed on it (one log
// query per chain head, chainlink.Chain.Watch) and feeds them to its
// stream actors, so a replica learns of a new stream, and of a block it
// was not sent, from the chain itself and not only from its peers.
//
// An allocation is handled allocationDelay after it is seen, and only when
// the store still lacks the stream and this node is not creating it: the
// creator writes its genesis after the allocation and wakes the replicas
// itself, and a replica that has already adopted it needs nothing. What
// is left is the replica the creator's wake missed: it adopts the stream
// (fetches the genesis from a peer and checks it against the chain).
// Registrations go to the stream actor as streams.Registered; one that
// lacks the block fetches it.

// allocationDelay is how long an allocation seen on chain waits before it
// wakes a replica that lacks the stream.
const allocationDelay = 500 * time.Millisecond

// startWatch follows the chain from block from on, until ctx ends.
func (n *Node) startWatch(ctx context.Context, from uint64) error {
	evs, err := n.chain.Watch(ctx, chainlink.WatchFilter{From: from, Node: n.addr})
	if err != nil {
		return err
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		for be := range evs {
			for _, e := range be.Events {
				n.onChainEvent(ctx, e)
			}
		}
	}()
	return nil
}

func (n *Node) onChainEvent(ctx context.Context, e chainlink.Event) {
	id := streams.StreamID(e.StreamID)
	switch e.Kind {
	case chainlink.EventStreamAllocated:
		if !slices.Contains(e.Nodes, n.addr) {
			return
		}
		nodes := e.Nodes
		t := time.AfterFunc(allocationDelay, func() {
			if ctx.Err() != nil || n.stopping.Load() {
				return
			}
			if _, creating := n.creating.Load(id); creating {
				return
			}
			sctx, cancel := context.WithTimeout(ctx, n.cfg.IOTimeout)
			defer cancel()
			if _, err := n.store.StreamRecord(sctx, id[:]); err == nil {
				return // adopted already, or created here
			}
			n.OnStreamAllocated(id, nodes)
		})
		context.AfterFunc(ctx, func() { t.Stop() })
	case chainlink.EventMiniblockRegistered:
		if e.Num > 0 {
			n.OnRegistered(id, e.Num, e.Hash, e.Block)
		}
	}
}
