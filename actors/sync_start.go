package actors

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/towns-node/node/store"
	"github.com/towns-node/node/streams"
)

// Catch-up at start: a node with a network, once started, compares each
// replicated stream it hosts (the ones in its store, and the ones the
// chain places on it that the store lacks, as after a wiped data dir)
// with the chain's registered head, and wakes the stream actors that are
// behind with the chain's record (as the chain watch would have, had it
// been running): a stream that is behind and quiet does not sleep until
// somebody writes to it. Each woken actor loads, finds itself behind and
// syncs (or fetches the few blocks it lacks). Streams of one replica are
// this node's alone and cannot be behind.

const (
	// startScanDelay lets the host attach and connect before the first
	// stream wakes (a peer that connects later is asked its status then).
	startScanDelay = time.Second
	// startScanWorkers bounds the chain reads of the scan in flight.
	startScanWorkers = 4
)

// startCatchUp runs the scan once, off the caller, until ctx ends.
func (n *Node) startCatchUp(ctx context.Context) {
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		t := time.NewTimer(startScanDelay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
		checked, behind, err := n.catchUpScan(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			n.log.Warn("checking the hosted streams against the chain at start", "checked", checked, "err", err)
		case behind > 0:
			n.log.Info("streams behind the chain at start: catching up", "checked", checked, "behind", behind)
		}
	}()
}

// catchUpScan wakes every hosted replicated stream whose chain head is
// past its stored head; it returns the streams checked and woken.
func (n *Node) catchUpScan(ctx context.Context) (checked, behind int, err error) {
	var ids []streams.StreamID
	seen := map[streams.StreamID]bool{}
	err = n.store.ForEachStream(ctx, func(b []byte) bool {
		if id, e := streams.StreamIDFromBytes(b); e == nil && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
		return ctx.Err() == nil
	})
	if err != nil {
		return 0, 0, err
	}
	placed, err := n.chain.StreamsOnNode(ctx, n.addr)
	if err != nil {
		return 0, 0, err
	}
	for _, b := range placed {
		if id := streams.StreamID(b); !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		work = make(chan streams.StreamID)
	)
	for range startScanWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range work {
				woke := n.catchUpOne(ctx, id)
				mu.Lock()
				checked++
				if woke {
					behind++
				}
				mu.Unlock()
			}
		}()
	}
	for _, id := range ids {
		if n.stopping.Load() {
			break
		}
		select {
		case work <- id:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(work)
	wg.Wait()
	return checked, behind, ctx.Err()
}

// catchUpOne wakes stream id when this node replicates it (with others)
// and its stored head is behind the chain's.
func (n *Node) catchUpOne(ctx context.Context, id streams.StreamID) bool {
	cctx, cancel := context.WithTimeout(ctx, n.cfg.IOTimeout)
	defer cancel()
	if sr, err := n.store.StreamRecord(cctx, id[:]); err == nil && len(sr.Nodes) < 2 {
		return false // this node's alone: no chain read
	}
	rec, err := n.chain.Stream(cctx, id)
	if err != nil || len(rec.Nodes) < 2 || !slices.Contains(rec.Nodes, n.addr) {
		return false
	}
	local := int64(-1)
	last, err := n.store.LastMiniblock(cctx, id[:])
	switch {
	case err == nil:
		local = last.Num
	case !errors.Is(err, store.ErrStreamNotFound):
		return false
	}
	if rec.LastMiniblockNum <= local {
		return false
	}
	n.OnRegistered(id, rec.LastMiniblockNum, rec.LastMiniblockHash, rec.LastRegisteredAt)
	return true
}
