package streams

import (
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/towns-node/node/proto/pb"
)

// This file is the replica's gossip side: pool announcements and acks,
// fetch on miss (events and blocks), blocks received and applied, and the
// chain's facts (registrations, randao, reconciliation).

// maxHeldPerNum bounds the candidate blocks kept for one number, and
// maxHeldAhead how far past the generation a received block is kept (a
// replica further behind catches up by fetching ranges).
const (
	maxHeldPerNum = 2
	maxHeldAhead  = 8
)

type missingEvent struct {
	announcers []int  // replica indexes, in announcement order
	tried      []bool // by replica index
	due        time.Time
	asking     int // replica index asked, -1 none
	deadline   time.Time
	reason     FetchReason
}

type blockFetch struct {
	to        int64 // fetch up to (exclusive)
	preferred int   // replica index to ask first, -1 none
	tried     []bool
	asking    int
	due       time.Time
	deadline  time.Time
}

func (r *Replica) replicaIndex(a common.Address) int {
	for i, x := range r.replicas {
		if x == a {
			return i
		}
	}
	return -1
}

// --- announcements and acks ------------------------------------------------

func (r *Replica) announced(now time.Time, in PoolAnnounce) {
	idx := r.replicaIndex(in.From)
	if idx < 0 || idx == r.selfIdx {
		return
	}
	maj := r.majority()
	for _, h := range in.Hashes {
		if r.tip.pool.get(h) == nil {
			if r.tip.inBlocksAfter(h, -1) || r.rejects[h] != nil {
				continue // already sealed here, or known not to fit
			}
			r.noteMissing(now, h, idx, FetchAnnounced, now.Add(r.cfg.FetchDelay))
		}
		hs := r.holder[h]
		if hs == nil {
			hs = make([]bool, len(r.replicas))
			r.holder[h] = hs
		}
		hs[idx] = true
		if a := r.acks[h]; a != nil {
			if held := r.held(h); held >= maj {
				r.finishAck(a, held, nil)
			}
		}
	}
}

func (r *Replica) noteMissing(now time.Time, h common.Hash, announcer int, reason FetchReason, due time.Time) {
	m := r.missing[h]
	if m == nil {
		if len(r.missing) >= r.cfg.Streams.MaxMinipoolEvents {
			return
		}
		m = &missingEvent{tried: make([]bool, len(r.replicas)), asking: -1, due: due, reason: reason}
		r.missing[h] = m
		r.missQ = append(r.missQ, h)
	}
	if reason == FetchVoted && m.reason != FetchVoted {
		m.reason = reason
		if m.asking < 0 && due.Before(m.due) {
			m.due = due
		}
	}
	if announcer >= 0 {
		for _, a := range m.announcers {
			if a == announcer {
				return
			}
		}
		m.announcers = append(m.announcers, announcer)
	}
}

// resolveMissing forgets a fetch once the event is held.
func (r *Replica) resolveMissing(h common.Hash) {
	delete(r.missing, h)
}

func (r *Replica) nextFetchDeadline() time.Time {
	var best time.Time
	keep := r.missQ[:0]
	for _, h := range r.missQ {
		m := r.missing[h]
		if m == nil {
			continue
		}
		keep = append(keep, h)
		t := m.due
		if m.asking >= 0 {
			t = m.deadline
		}
		if best.IsZero() || t.Before(best) {
			best = t
		}
	}
	for i := len(keep); i < len(r.missQ); i++ {
		r.missQ[i] = common.Hash{}
	}
	r.missQ = keep
	return best
}

// fetchTick times out fetches in flight and starts those due, grouping
// hashes by the peer asked, peers in order of first need.
func (r *Replica) fetchTick(now time.Time) {
	var peers []int
	asks := map[int][]common.Hash{}
	reasons := map[int]FetchReason{}
	for _, h := range r.missQ {
		m := r.missing[h]
		if m == nil {
			continue
		}
		if r.tip.pool.get(h) != nil {
			delete(r.missing, h) // arrived by gossip meanwhile
			continue
		}
		if m.asking >= 0 {
			if m.deadline.After(now) {
				continue
			}
			m.tried[m.asking] = true
			m.asking = -1
			m.due = now
		}
		if m.due.After(now) {
			continue
		}
		p := r.pickPeer(m.announcers, m.tried, -1)
		if p < 0 {
			// Nobody left to ask: give up on it.
			delete(r.missing, h)
			delete(r.holder, h)
			continue
		}
		m.asking, m.deadline = p, now.Add(r.cfg.FetchTimeout)
		if _, ok := asks[p]; !ok {
			peers = append(peers, p)
		}
		asks[p] = append(asks[p], h)
		if m.reason == FetchVoted {
			reasons[p] = FetchVoted
		}
	}
	for _, p := range peers {
		reason := reasons[p]
		if reason == "" {
			reason = FetchAnnounced
		}
		r.emit(FetchEvents{From: r.replicas[p], Hashes: asks[p], Reason: reason})
	}
}

// pickPeer is the first untried of first (then preferred, then every other
// replica in chain order), never this node.
func (r *Replica) pickPeer(first []int, tried []bool, preferred int) int {
	ok := func(i int) bool { return i >= 0 && i != r.selfIdx && !tried[i] }
	if ok(preferred) {
		return preferred
	}
	for _, i := range first {
		if ok(i) {
			return i
		}
	}
	for i := range r.replicas {
		if ok(i) {
			return i
		}
	}
	return -1
}

func (r *Replica) eventsFetched(now time.Time, in EventsFetched) {
	idx := r.replicaIndex(in.From)
	got := map[common.Hash]bool{}
	for _, ev := range in.Events {
		if ev == nil {
			continue
		}
		if m := r.missing[ev.Hash]; m == nil {
			continue // not asked for (or already here): ignore, do not re-check
		}
		got[ev.Hash] = true
		if r.peerEvent(now, in.From, ev) {
			r.resolveMissing(ev.Hash)
			continue
		}
		delete(r.missing, ev.Hash) // it fails the rules here: nobody can help
		delete(r.holder, ev.Hash)
		// A reference to a block this replica has not applied says it is
		// behind, not that the event can no longer be sealed: no reject.
		if ev.Event.PrevMiniblockNum > r.v.LastBlock().Num() {
			continue
		}
		if err := r.tip.CanAddEvent(r.cfg.Streams, ev, now); err != nil && rejectedByState(err) {
			r.addReject(ev, false) // others hold it: a block may list it
		}
	}
	unserved := 0
	for _, h := range in.Hashes {
		if got[h] {
			continue
		}
		m := r.missing[h]
		if m == nil || idx < 0 || m.asking != idx {
			continue
		}
		m.tried[idx] = true
		m.asking, m.due = -1, now
		for _, a := range m.announcers {
			if a == idx {
				unserved++
			}
		}
	}
	if unserved > 0 && in.Err == nil {
		r.emit(Penalize{Peer: in.From, Reason: Errorf(pb.ErrorCode_NOT_FOUND,
			"announced %d events it could not serve", unserved)})
	}
	r.fetchTick(now)
}

// --- blocks ----------------------------------------------------------------

func (r *Replica) blockReceived(now time.Time, from common.Address, mb *ParsedMiniblock) {
	if mb == nil || mb.Header == nil {
		return
	}
	num := mb.Header.MiniblockNum
	if StreamID(common.BytesToHash(mb.Header.StreamId)) != r.id {
		r.emit(BlockRejected{From: from, Num: num, Hash: mb.Hash, Err: Errorf(pb.ErrorCode_BAD_MINIBLOCK, "block of another stream")})
		return
	}
	gen := r.v.Generation()
	if num < gen {
		return
	}
	if num >= gen+maxHeldAhead {
		r.wantBlocks(now, gen+maxHeldAhead, r.replicaIndex(from), now)
		return
	}
	if reg, ok := r.regs[num]; ok && reg.Hash != mb.Hash {
		r.rejectBlock(from, mb, Errorf(pb.ErrorCode_BAD_MINIBLOCK, "miniblock %d is %s, the chain registered %s", num, mb.Hash, reg.Hash))
		return
	}
	cands := r.blocks[num]
	for _, c := range cands {
		if c.mb.Hash == mb.Hash {
			if _, ok := r.regs[num]; !ok {
				r.emit(ReadRegistration{Num: num}) // sent again: registered by now?
			}
			return
		}
	}
	if len(cands) >= maxHeldPerNum {
		cands = cands[1:] // the oldest goes: a forged block cannot hold the slot
	}
	r.blocks[num] = append(cands, &heldBlock{mb: mb, from: from})
	if _, ok := r.regs[num]; !ok {
		// Asked per candidate: an earlier answer may have come before the
		// registration did.
		r.emit(ReadRegistration{Num: num})
	}
	if num > gen && len(r.blocks[gen]) == 0 {
		r.wantBlocks(now, num, r.replicaIndex(from), now)
	}
}

func (r *Replica) rejectBlock(from common.Address, mb *ParsedMiniblock, err error) {
	r.emit(BlockRejected{From: from, Num: mb.Header.MiniblockNum, Hash: mb.Hash, Err: err})
	if from != r.self {
		r.emit(Penalize{Peer: from, Reason: err})
	}
}

func (r *Replica) registered(now time.Time, in Registered) {
	r.registeredFrom(now, in, false)
}

// registeredFrom records a registration; fromSync says it came with a
// ChainState (which handles blocks it lacks itself).
func (r *Replica) registeredFrom(now time.Time, in Registered, fromSync bool) {
	gen := r.v.Generation()
	if in.Num < gen {
		return
	}
	if old, ok := r.regs[in.Num]; ok && old == in {
		return
	}
	r.regs[in.Num] = in
	if in.Num == gen && r.regAtNum != gen {
		r.regAt, r.regAtNum = now, gen
	}
	// This node's own proposal, registered, is held only on the chain
	// writer's answer (registerDone), not here when the chain watch tells
	// first: holding it here too stalled a stream in the simulator (seeds
	// 141 and 1422 of `make sim`). But the watch that is first must not
	// cost a chain read (k = 1) or a fetch of the block either: the
	// registration waits in regWait for the writer's answer, which comes
	// (registerDone, or the leader's deadline: abandon replays it).
	if l := r.leader; !fromSync && l != nil && l.phase == PhaseRegistering && l.block != nil &&
		l.num == in.Num && l.block.Hash == in.Hash && len(r.blocks[in.Num]) == 0 {
		w := in
		r.regWait = &w
		return
	}
	// Candidates that are not the registered block can go.
	keep := r.blocks[in.Num][:0]
	for _, c := range r.blocks[in.Num] {
		if c.mb.Hash == in.Hash {
			keep = append(keep, c)
		} else {
			r.rejectBlock(c.from, c.mb, Errorf(pb.ErrorCode_BAD_MINIBLOCK, "miniblock %d is %s, the chain registered %s", in.Num, c.mb.Hash, in.Hash))
		}
	}
	if len(keep) == 0 {
		delete(r.blocks, in.Num)
		if len(r.replicas) < 2 {
			// No peer to fetch from: the block can only be a staged copy
			// (a registration this node's last incarnation submitted).
			if !fromSync && !r.syncing {
				r.syncing = true
				r.emit(SyncChain{After: r.v.LastBlock().Num()})
			}
			return
		}
		preferred := -1
		if in.Num == gen && r.randaoOK && r.randaoAt == r.lastRegisteredAt {
			round := RoundAt(r.lastRegisteredAt, in.ChainBlock, r.cfg.RoundBlocks)
			preferred = r.replicaIndex(ElectLeader(r.randao, r.id, in.Num, round, r.replicas))
		}
		r.wantBlocks(now, in.Num+1, preferred, now.Add(r.cfg.BlockDelay))
	} else {
		r.blocks[in.Num] = keep
	}
}

// wantBlocks arranges a fetch of the blocks from the generation up to
// (excluding) to, at due, unless they arrive first.
func (r *Replica) wantBlocks(now time.Time, to int64, preferred int, due time.Time) {
	if len(r.replicas) < 2 {
		return
	}
	if g := r.blockGet; g != nil {
		if to > g.to {
			g.to = to
		}
		if g.preferred < 0 {
			g.preferred = preferred
		}
		return
	}
	r.blockGet = &blockFetch{to: to, preferred: preferred, tried: make([]bool, len(r.replicas)), asking: -1, due: due}
}

func (r *Replica) blockFetchTick(now time.Time) {
	g := r.blockGet
	if g == nil {
		return
	}
	gen := r.v.Generation()
	if gen >= g.to || r.haveBlocksUpTo(g.to) {
		r.blockGet = nil
		return
	}
	if g.asking >= 0 {
		if g.deadline.After(now) {
			return
		}
		g.tried[g.asking] = true
		g.asking, g.due = -1, now
	}
	if g.due.After(now) {
		return
	}
	p := r.pickPeer(nil, g.tried, g.preferred)
	if p < 0 {
		r.blockGet = nil
		r.markBehind(fmt.Errorf("no replica served blocks %d to %d", gen, g.to-1))
		return
	}
	g.asking, g.deadline = p, now.Add(r.cfg.FetchTimeout)
	r.emit(FetchBlocks{From: r.replicas[p], FromNum: gen, ToNum: g.to})
}

func (r *Replica) haveBlocksUpTo(to int64) bool {
	for n := r.v.Generation(); n < to; n++ {
		if len(r.blocks[n]) == 0 {
			return false
		}
	}
	return true
}

func (r *Replica) blocksFetched(now time.Time, in BlocksFetched) {
	for _, mb := range in.Blocks {
		r.blockReceived(now, in.From, mb)
	}
	if g := r.blockGet; g != nil {
		if idx := r.replicaIndex(in.From); idx >= 0 && g.asking == idx {
			g.tried[idx] = true
			g.asking, g.due = -1, now
		}
	}
}

// startBlockWrite verifies the registered block of the generation and
// starts its write. It reports whether a write started.
func (r *Replica) startBlockWrite(now time.Time) bool {
	if r.syncing {
		return false
	}
	gen := r.v.Generation()
	reg, ok := r.regs[gen]
	if !ok || len(r.blocks[gen]) == 0 {
		return false
	}
	if !r.randaoOK || r.randaoAt != r.lastRegisteredAt {
		r.wantRandao()
		return false
	}
	facts := r.chainFacts(now, reg)
	cands := r.blocks[gen]
	delete(r.blocks, gen)
	for i, c := range cands {
		if err := r.verifyBlock(c, facts); err != nil {
			r.rejectBlock(c.from, c.mb, err)
			continue
		}
		nv, dropped, err := r.v.Apply(c.mb)
		if err != nil {
			r.rejectBlock(c.from, c.mb, err)
			continue
		}
		// Events whose reference fell out of the recency window can never
		// be sealed: they leave at this boundary, in the same write.
		nv, stale := nv.PruneMinipool(r.cfg.Streams)
		if rest := cands[i+1:]; len(rest) > 0 {
			r.blocks[gen] = rest // kept in case this write fails
		}
		r.nextWrite++
		r.writing = &writeJob{id: r.nextWrite, block: c, facts: reg, next: nv, dropd: dropped, stale: stale}
		r.emit(PersistBlock{Write: r.nextWrite, Block: c.mb, Included: r.included(c.mb)})
		return true
	}
	// Every candidate failed: fetch the registered one.
	r.wantBlocks(now, gen+1, -1, now)
	return false
}

// chainFacts is what this replica learned from the chain about the
// registered block reg of the next generation: n-1 is its last applied
// block (itself checked against its registration), elected from the randao
// of the chain block that registered it. The head bounds the timestamp;
// before the first head, the replica's own clock does.
func (r *Replica) chainFacts(now time.Time, reg Registered) ChainFacts {
	f := ChainFacts{
		PrevHash:     r.v.LastBlock().Hash,
		PrevBlock:    r.lastRegisteredAt,
		PrevRandao:   r.randao,
		Hash:         reg.Hash,
		RegisteredAt: reg.ChainBlock,
		RoundBlocks:  r.cfg.RoundBlocks,
		HeadNumber:   r.head.Number,
		HeadTime:     r.head.Time,
	}
	if !r.haveHead || f.HeadTime == 0 {
		f.HeadTime = uint64(max(now.Unix(), 0))
	}
	return f
}

// verifyBlock runs the BlockVerifier, except on the block this replica
// proposed itself on top of the same parent: Propose built it by the very
// rules VerifyMiniblock checks, so only the chain facts are checked again
// (the chain may have registered another block).
func (r *Replica) verifyBlock(c *heldBlock, facts ChainFacts) error {
	mb := c.mb
	if c.from == r.self && mb == r.proposed && r.proposedOn == r.v.LastBlock().Hash {
		return VerifyWithChain(nil, r.cfg.Streams, r.replicas, mb, facts)
	}
	return r.verify(r.v, r.cfg.Streams, r.replicas, mb, facts)
}

// included lists what leaves the stored minipool with block mb: its
// events, the rejects it lists, and rejects that expired earlier. Events
// the block makes invalid stay stored: they are rejects now, voted for
// until a block lists them.
func (r *Replica) included(mb *ParsedMiniblock) [][]byte {
	out := make([][]byte, 0, len(mb.Events)+len(mb.Header.RejectedEventHashes)+len(r.unstore))
	for _, ev := range mb.Events {
		out = append(out, ev.Hash.Bytes())
	}
	out = append(out, mb.Header.RejectedEventHashes...)
	for _, h := range r.unstore {
		out = append(out, h.Bytes())
	}
	return out
}

func (r *Replica) blockWritten(now time.Time, w *writeJob, err error) {
	mb := w.block.mb
	num := mb.Header.MiniblockNum
	led := r.leader != nil && r.leader.num == num && w.block.from == r.self
	if r.leader != nil && r.leader.num <= num {
		r.leader = nil
	}
	if err != nil {
		// The block is registered (and, if ours, staged): find it again
		// through the chain once the store is back.
		delete(r.blocks, num)
		r.markBehind(fmt.Errorf("writing miniblock %d: %w", num, err))
		return
	}
	r.v = w.next
	r.lastRegisteredAt = w.facts.ChainBlock
	if r.proposed != nil && r.proposed.Header.MiniblockNum <= num {
		r.proposed = nil
	}
	for n := range r.regs {
		if n <= num {
			delete(r.regs, n)
		}
	}
	if r.regWait != nil && r.regWait.Num <= num {
		r.regWait = nil
	}
	for n := range r.blocks {
		if n <= num {
			delete(r.blocks, n)
		}
	}
	maj := r.majority()
	for _, ev := range mb.Events {
		if a := r.acks[ev.Hash]; a != nil {
			// Sealed from votes of a majority: held by a majority.
			r.finishAck(a, max(r.held(ev.Hash), maj), nil)
		}
		delete(r.holder, ev.Hash)
		r.resolveMissing(ev.Hash)
	}
	r.unstore = nil // this write dropped them
	r.rejectsAfterBlock(mb)
	for _, b := range mb.Header.RejectedEventHashes {
		h := common.BytesToHash(b)
		delete(r.holder, h)
		r.resolveMissing(h)
		if a := r.acks[h]; a != nil {
			r.finishAck(a, r.held(h), Errorf(pb.ErrorCode_FAILED_PRECONDITION, "event %s rejected in miniblock %d: it no longer fits the stream", h, num))
		}
	}
	for _, ev := range w.dropd {
		r.dropPending(now, ev, nil)
		r.addReject(ev, true)
	}
	for _, ev := range w.stale {
		r.dropPending(now, ev, Errorf(pb.ErrorCode_BAD_PREV_MINIBLOCK_HASH, "event %s fell out of the recency window before it was sealed", ev.Hash))
		r.addReject(ev, true)
	}
	r.emit(BlockApplied{Block: mb, From: w.block.from, Dropped: w.dropd, Stale: w.stale})
	if led && len(r.replicas) > 1 {
		r.emit(PublishBlock{Block: mb})
	}
	r.rebuildTip(now)
	r.wantRandao()
}

// dropPending forgets a minipool event a block made invalid, answering its
// client if it was still waiting for acks.
func (r *Replica) dropPending(now time.Time, ev *ParsedEvent, why error) {
	delete(r.holder, ev.Hash)
	if a := r.acks[ev.Hash]; a != nil {
		if why == nil {
			if why = r.v.CanAddEvent(r.cfg.Streams, ev, now); why == nil {
				why = Errorf(pb.ErrorCode_FAILED_PRECONDITION, "event %s no longer fits the stream", ev.Hash)
			}
		}
		r.finishAck(a, r.held(ev.Hash), why)
	}
}

func (r *Replica) markBehind(err error) {
	r.behind = true
	r.leader = nil
	r.regWait = nil // the chain read of a replica behind finds it
	r.emit(Behind{Err: err})
}

// --- chain facts -----------------------------------------------------------

func (r *Replica) wantRandao() {
	if r.randaoOK && r.randaoAt == r.lastRegisteredAt {
		return
	}
	r.randaoOK = false
	if r.randaoAsked && r.randaoAskedFor == r.lastRegisteredAt {
		return
	}
	if r.randaoFailed {
		return // asked again on the next head
	}
	r.randaoAsked, r.randaoAskedFor = true, r.lastRegisteredAt
	r.emit(ReadRandao{ChainBlock: r.lastRegisteredAt})
}

func (r *Replica) randaoRead(now time.Time, in RandaoRead) {
	if r.randaoAsked && in.ChainBlock == r.randaoAskedFor {
		r.randaoAsked = false
	}
	if in.ChainBlock != r.lastRegisteredAt {
		r.wantRandao()
		return
	}
	if in.Err != nil {
		r.randaoFailed = true
		return
	}
	r.randao, r.randaoAt, r.randaoOK = in.Randao, in.ChainBlock, true
}

func (r *Replica) chainState(now time.Time, in ChainState) {
	r.syncing = false
	if in.Err != nil {
		return
	}
	// The chain is the arbiter: a registration it does not hold is stale.
	for n := range r.regs {
		if n > in.LastNum {
			delete(r.regs, n)
		}
	}
	last := r.v.LastBlock()
	switch {
	case in.LastNum == last.Num():
		if in.LastHash != last.Hash {
			r.markBehind(fmt.Errorf("chain has block %d as %s, we have %s", last.Num(), in.LastHash, last.Hash))
			return
		}
		r.behind = false
		r.lastRegisteredAt = in.LastRegisteredAt
	case in.LastNum > last.Num():
		r.behind = false
		if in.AfterRegisteredAt != 0 {
			r.lastRegisteredAt = in.AfterRegisteredAt
		}
		lacking := false
		for _, b := range in.Ahead {
			if b.Num <= last.Num() {
				continue
			}
			if b.Staged != nil && b.Staged.Hash == b.Hash {
				r.hold(b.Staged, r.self)
			} else {
				lacking = true
			}
			r.registeredFrom(now, b.Registered, true)
		}
		if lacking || int64(len(in.Ahead)) < in.LastNum-last.Num() {
			if len(r.replicas) < 2 {
				r.markBehind(fmt.Errorf("chain is at block %d, we are at %d and have no staged copy", in.LastNum, last.Num()))
				return
			}
			r.wantBlocks(now, in.LastNum+1, -1, now)
		}
	default:
		// The chain lost registrations we applied: register them again,
		// one at a time.
		r.behind = false
		r.rereg = nil
		for n := in.LastNum + 1; n <= last.Num(); n++ {
			mb := r.recentBlock(n)
			if mb == nil {
				r.markBehind(fmt.Errorf("chain is at block %d and block %d is no longer in memory", in.LastNum, n))
				return
			}
			r.rereg = append(r.rereg, mb)
		}
		r.emit(RegisterBlock{Block: r.rereg[0], Round: r.rereg[0].Header.Round})
	}
	r.wantRandao()
}

func (r *Replica) recentBlock(num int64) *ParsedMiniblock {
	for _, mb := range r.v.RecentBlocks() {
		if mb.Header.MiniblockNum == num {
			return mb
		}
	}
	return nil
}

// reregistered handles the outcome of re-registering a block the chain lost.
func (r *Replica) reregistered(in RegisterDone) {
	mb := r.rereg[0]
	r.rereg = r.rereg[1:]
	if !in.OK {
		r.rereg = nil
		r.markBehind(fmt.Errorf("re-registering block %d: %v", mb.Num(), in.Err))
		return
	}
	if len(r.rereg) == 0 {
		r.lastRegisteredAt = in.ChainBlock
		r.wantRandao()
		return
	}
	r.emit(RegisterBlock{Block: r.rereg[0], Round: r.rereg[0].Header.Round})
}
