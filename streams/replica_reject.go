package streams

import (
	"slices"

	"github.com/ethereum/go-ethereum/common"

	"github.com/towns-node/node/proto/pb"
)

// A Replica keeps the events that became invalid in its minipool (and those
// a leader fetched and found invalid) as rejects: it still votes for them,
// so a leader can list them once a majority holds them. A reject leaves
// when a block lists it, or RecencyWindow blocks after it became one.
type rejectEntry struct {
	ev     *ParsedEvent
	since  int64 // last applied block when it became a reject
	stored bool  // still in this node's stored minipool
	tried  bool  // a block was applied since without listing it
}

// AddRejects hands the replica events of the stored minipool that the
// restored view left out as no longer valid (the shell computes them when
// it loads the stream, before the first Step), so they are still voted for
// and listed.
//
// RestoreView does not know the recency window: a stored event whose
// reference has left it (a reject before the restart) is put back and may
// take the one membership change of its user in this generation from a
// later stored event that still fits, which the view then leaves out. The
// stale ones are pruned here and the left-out events that fit without them
// return to the minipool (they are stored already); the rest are rejects.
func (r *Replica) AddRejects(evs []*ParsedEvent) {
	old := r.v
	v, stale := r.v.PruneMinipool(r.cfg.Streams)
	for _, ev := range stale {
		r.addReject(ev, true)
	}
	for _, ev := range evs {
		if len(stale) > 0 && v.fitsRestored(r.cfg.Streams, ev) {
			v = v.AddEvent(ev)
			continue
		}
		r.addReject(ev, true)
	}
	r.v = v
	if r.tip == old {
		r.tip = v
	}
}

func (r *Replica) addReject(ev *ParsedEvent, stored bool) {
	if e := r.rejects[ev.Hash]; e != nil {
		e.stored = e.stored || stored
		return
	}
	r.rejects[ev.Hash] = &rejectEntry{ev: ev, since: r.v.LastBlock().Num(), stored: stored}
	r.rejQ = append(r.rejQ, ev.Hash)
}

// rejectHashes lists the rejects in the order they became rejects.
func (r *Replica) rejectHashes() []common.Hash {
	keep := r.rejQ[:0]
	for _, h := range r.rejQ {
		if r.rejects[h] != nil {
			keep = append(keep, h)
		}
	}
	for i := len(keep); i < len(r.rejQ); i++ {
		r.rejQ[i] = common.Hash{}
	}
	r.rejQ = keep
	return append([]common.Hash(nil), keep...)
}

// rejectsDue reports whether a reject alone makes a block due: one that no
// block has had a chance to list yet.
func (r *Replica) rejectsDue() bool {
	for _, h := range r.rejQ {
		if e := r.rejects[h]; e != nil && !e.tried {
			return true
		}
	}
	return false
}

// vote is this replica's vote for its generation: the durable minipool, in
// arrival order, then its rejects.
func (r *Replica) vote() (*ParsedVote, error) {
	evs := r.v.Minipool()
	hashes := make([]common.Hash, 0, len(evs)+len(r.rejects))
	for _, ev := range evs {
		hashes = append(hashes, ev.Hash)
	}
	if rej := r.rejectHashes(); len(rej) > 0 {
		// An event back in the minipool (it fit again after a prune) can
		// still sit among the rejects; a vote names each hash once, and a
		// pooled event as pooled. (A vote naming one twice is refused
		// BAD_VOTES by every leader: the stream stalled, seeds 141 and 871.)
		inPool := make(map[common.Hash]bool, len(evs))
		for _, ev := range evs {
			inPool[ev.Hash] = true
		}
		for _, h := range rej {
			if !inPool[h] {
				hashes = append(hashes, h)
			}
		}
	}
	if l := r.leader; l != nil && r.selfIdx >= 0 {
		// The vote this leader signed for the round holds the same hashes:
		// no second signature.
		if pv := l.parsed[r.selfIdx]; pv != nil && pv.Body.MiniblockNum == r.v.Generation() &&
			common.BytesToHash(pv.Body.PrevMiniblockHash) == r.v.LastBlock().Hash && slices.Equal(pv.Hashes, hashes) {
			return pv, nil
		}
	}
	return signVote(r.cfg.Key, r.self, r.id, r.v.Generation(), r.v.LastBlock().Hash, hashes)
}

// missingVoted is what a majority voted for that this leader lacks and does
// not know to be a reject.
func (r *Replica) missingVoted() []common.Hash {
	var out []common.Hash
	for _, h := range r.v.MissingFromParsed(r.collectedParsed(), len(r.replicas)) {
		if r.rejects[h] == nil {
			out = append(out, h)
		}
	}
	return out
}

// rejectedByState reports whether a rule error says the event can no
// longer fit the stream's state (as opposed to a malformed or late event).
func rejectedByState(err error) bool {
	switch CodeOf(err) {
	case pb.ErrorCode_PERMISSION_DENIED, pb.ErrorCode_BAD_MEMBERSHIP_TRANSITION, pb.ErrorCode_NOT_FOUND,
		pb.ErrorCode_ALREADY_EXISTS, pb.ErrorCode_BAD_PREV_MINIBLOCK_HASH:
		return true
	}
	return false
}

// rejectsAfterBlock updates the rejects once block mb is applied: those it
// lists leave, those too old expire, the others have had their chance. It
// returns the stored ones that left (the next block write drops them from
// the store).
func (r *Replica) rejectsAfterBlock(mb *ParsedMiniblock) {
	num := mb.Header.MiniblockNum
	for _, b := range mb.Header.RejectedEventHashes {
		h := common.BytesToHash(b)
		if e := r.rejects[h]; e != nil {
			if e.stored {
				r.unstore = append(r.unstore, h)
			}
			delete(r.rejects, h)
		}
	}
	for _, h := range r.rejQ {
		e := r.rejects[h]
		if e == nil {
			continue
		}
		if num-e.since > r.cfg.Streams.RecencyWindow {
			if e.stored {
				r.unstore = append(r.unstore, h)
			}
			delete(r.rejects, h)
			continue
		}
		if e.since < num {
			e.tried = true
		}
	}
}

// Rejected events: an event durable on a majority (so possibly acked) that
// can no longer be sealed, because its author's leave was sealed first or
// its previous-miniblock reference left the recency window, is listed in
// a later header's rejected_event_hashes instead of vanishing. Propose
// lists those of Proposal.Rejected held by a majority of the votes;
// VerifyMiniblock checks the list.

func hashesWellFormed(hs [][]byte) bool {
	for _, h := range hs {
		if len(h) != common.HashLength {
			return false
		}
	}
	return true
}

// listRejected picks, in the order given, the candidates held by at least
// maj votes that are neither sealed in this block nor already in the stream.
func (v *View) listRejected(cands []common.Hash, counts map[common.Hash]int, maj int, inBlock map[common.Hash]bool) [][]byte {
	var out [][]byte
	seen := map[common.Hash]bool{}
	for _, h := range cands {
		if seen[h] || inBlock[h] || counts[h] < maj || v.inBlocksAfter(h, -1) || v.pool.get(h) != nil {
			continue
		}
		seen[h] = true
		out = append(out, h.Bytes())
	}
	return out
}

// checkRejected verifies a block's rejected list: distinct hashes, each
// held by a majority of its votes (BAD_VOTES), none sealed in the block or
// already in the stream (DUPLICATE_EVENT).
func (v *View) checkRejected(mb *ParsedMiniblock, counts map[common.Hash]int, maj int, inBlock map[common.Hash]bool) error {
	num := mb.Header.MiniblockNum
	seen := map[common.Hash]bool{}
	for _, b := range mb.Header.RejectedEventHashes {
		h := common.BytesToHash(b)
		if len(b) != common.HashLength || seen[h] || inBlock[h] || v.inBlocksAfter(h, -1) {
			return Errorf(pb.ErrorCode_DUPLICATE_EVENT, "miniblock %d lists %x as rejected twice or as sealed", num, b)
		}
		seen[h] = true
		if counts[h] < maj {
			return Errorf(pb.ErrorCode_BAD_VOTES, "miniblock %d rejects %s held by %d votes, majority is %d", num, h, counts[h], maj)
		}
	}
	return nil
}
