package streams

import (
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/towns-node/node/proto/pb"
)

// View is the state of one stream at one moment: the recent applied
// miniblocks, the full state as of the last applied one, and the minipool
// (events admitted since, in arrival order). A View is an immutable value:
// AddEvent and ApplyMiniblock return a new *View and leave the receiver
// untouched, so a View can be shared across goroutines freely.
type View struct {
	id     StreamID
	state  *pb.Snapshot       // full state as of the last applied block; never modified
	blocks []*ParsedMiniblock // recent applied blocks, ascending and contiguous, last = last applied
	pool   pool

	lastSnapshotNum     int64 // last block that carried a snapshot
	eventsSinceSnapshot int64 // events in blocks after lastSnapshotNum
}

// NewView checks a genesis miniblock (number 0, inception first, signature)
// and returns the view of the stream right after it.
func NewView(genesis *ParsedMiniblock) (*View, error) {
	if genesis == nil || genesis.Header == nil {
		return nil, Errorf(pb.ErrorCode_BAD_MINIBLOCK, "nil genesis")
	}
	h := genesis.Header
	id, err := StreamIDFromBytes(h.StreamId)
	if err != nil {
		return nil, err
	}
	if h.MiniblockNum != 0 || len(h.PrevMiniblockHash) != 0 {
		return nil, Errorf(pb.ErrorCode_BAD_MINIBLOCK_NUM, "genesis is miniblock %d with prev %x", h.MiniblockNum, h.PrevMiniblockHash)
	}
	st, err := genesisState0(id, genesis.Events)
	if err != nil {
		return nil, err
	}
	if err := checkSnapshotClaim(genesis, st); err != nil {
		return nil, err
	}
	if h.EventNumOffset != 0 || h.PrevSnapshotMiniblockNum != 0 {
		return nil, Errorf(pb.ErrorCode_BAD_MINIBLOCK, "genesis offsets must be zero")
	}
	return &View{id: id, state: st, blocks: []*ParsedMiniblock{genesis}}, nil
}

// genesisState0 validates the events of a genesis block and returns the
// state after them: the inception first, then events by the inception's
// creator, each valid against the inception-only state (so a creator can
// join, but nobody can post yet).
func genesisState0(id StreamID, events []*ParsedEvent) (*pb.Snapshot, error) {
	if len(events) == 0 {
		return nil, Errorf(pb.ErrorCode_BAD_INCEPTION, "genesis holds no inception")
	}
	first := events[0]
	a, err := classifyEvent(id.Type(), first)
	if err != nil {
		return nil, err
	}
	if a.kind != kindInception {
		return nil, Errorf(pb.ErrorCode_BAD_INCEPTION, "first event of a stream is a %s, not an inception", a.kind)
	}
	if err := checkGenesisEvent(id, first); err != nil {
		return nil, err
	}
	if err := checkInception(id, first.Creator, a.inception); err != nil {
		return nil, err
	}
	st := genesisState(id, a.inception)
	reduce(st, a, first, 0)
	base := &View{id: id, state: genesisState(id, a.inception)}
	seen := map[common.Hash]bool{first.Hash: true}
	pending := map[string]bool{}
	for _, ev := range events[1:] {
		if err := checkGenesisEvent(id, ev); err != nil {
			return nil, err
		}
		if ev.Creator != first.Creator {
			return nil, Errorf(pb.ErrorCode_PERMISSION_DENIED, "genesis event %x by %s, not the stream creator", ev.Hash, ev.Creator)
		}
		if seen[ev.Hash] {
			return nil, Errorf(pb.ErrorCode_DUPLICATE_EVENT, "event %x twice in genesis", ev.Hash)
		}
		seen[ev.Hash] = true
		a, err := classifyEvent(id.Type(), ev)
		if err != nil {
			return nil, err
		}
		if err := base.checkState(ev, a, func(k string) bool { return pending[k] }); err != nil {
			return nil, err
		}
		if k := pendingKey(a); k != "" {
			pending[k] = true
		}
		reduce(st, a, ev, 0)
	}
	return st, nil
}

func checkGenesisEvent(id StreamID, ev *ParsedEvent) error {
	if StreamID(common.BytesToHash(ev.Event.StreamId)) != id {
		return Errorf(pb.ErrorCode_BAD_STREAM_ID, "event %x is for stream %x, not %s", ev.Hash, ev.Event.StreamId, id)
	}
	if len(ev.Event.PrevMiniblockHash) != 0 || ev.Event.PrevMiniblockNum != 0 {
		return Errorf(pb.ErrorCode_BAD_PREV_MINIBLOCK_HASH, "genesis event %x names a previous miniblock (%d, %x): genesis events carry none (empty hash, number 0)",
			ev.Hash, ev.Event.PrevMiniblockNum, ev.Event.PrevMiniblockHash)
	}
	return nil
}

// RestoreView rebuilds a view from storage: snapshotBlock is a block that
// carries a snapshot (the state is taken from it, not recomputed); since are
// blocks in ascending order. Those numbered after snapshotBlock are applied;
// those at or below it are only remembered as recent blocks (for duplicate
// detection: pass the blocks of the recency window too). pool is the
// stored minipool; events already sealed or no longer valid against the
// restored state are left out.
func RestoreView(snapshotBlock *ParsedMiniblock, since []*ParsedMiniblock, pool []*ParsedEvent) (*View, error) {
	if snapshotBlock == nil || snapshotBlock.Header == nil || len(snapshotBlock.Proto.GetSnapshot()) == 0 {
		return nil, Errorf(pb.ErrorCode_BAD_SNAPSHOT, "restore needs a block that carries a snapshot")
	}
	h := snapshotBlock.Header
	id, err := StreamIDFromBytes(h.StreamId)
	if err != nil {
		return nil, err
	}
	// The carried bytes against the header, whether or not the block came
	// through ParseMiniblock.
	snap, err := carriedSnapshot(h, snapshotBlock.Proto)
	if err != nil {
		return nil, err
	}
	if snap.GetCommon().GetMiniblockNum() != h.MiniblockNum || StreamID(common.BytesToHash(snap.GetCommon().GetStreamId())) != id {
		return nil, Errorf(pb.ErrorCode_BAD_SNAPSHOT, "snapshot does not belong to block %d of %s", h.MiniblockNum, id)
	}
	v := &View{id: id, state: cloneState(snap), lastSnapshotNum: h.MiniblockNum}
	var before []*ParsedMiniblock
	for _, mb := range since {
		if mb.Header.MiniblockNum < h.MiniblockNum {
			before = append(before, mb)
		}
	}
	for i := 1; i < len(before); i++ {
		if before[i].Header.MiniblockNum != before[i-1].Header.MiniblockNum+1 {
			return nil, Errorf(pb.ErrorCode_BAD_MINIBLOCK_NUM, "restore: blocks before the snapshot are not contiguous")
		}
	}
	if len(before) > 0 && before[len(before)-1].Header.MiniblockNum != h.MiniblockNum-1 {
		before = nil
	}
	v.blocks = append(before, snapshotBlock)
	v.trimBlocks()
	for _, mb := range since {
		if mb.Header.MiniblockNum <= h.MiniblockNum {
			continue
		}
		if v, _, err = v.Apply(mb); err != nil {
			return nil, err
		}
	}
	for _, ev := range pool {
		// A stored minipool may hold an event a later block sealed, or one
		// the state has since made invalid: leave those out.
		if v.HasEvent(ev.Hash) || v.checkStreamID(ev) != nil {
			continue
		}
		a, err := classifyEvent(id.Type(), ev)
		if err != nil || v.checkState(ev, a, v.pool.hasPending) != nil {
			continue
		}
		v = v.AddEvent(ev)
	}
	return v, nil
}

// fitsRestored reports whether a stored minipool event fits the view as
// RestoreView admits one (not sealed, the stream's, the state rules with
// the pending changes), and its reference is within the window.
func (v *View) fitsRestored(cfg Config, ev *ParsedEvent) bool {
	if v.HasEvent(ev.Hash) || v.checkStreamID(ev) != nil || v.checkPrev(cfg, ev) != nil {
		return false
	}
	a, err := classifyEvent(v.id.Type(), ev)
	return err == nil && v.checkState(ev, a, v.pool.hasPending) == nil
}

func (v *View) trimBlocks() {
	if n := len(v.blocks); n > MaxRecentBlocks {
		v.blocks = v.blocks[n-MaxRecentBlocks:]
	}
}

// StreamID is the id of the stream.
func (v *View) StreamID() StreamID { return v.id }

// Settings are the stream settings from the inception. Do not modify.
func (v *View) Settings() *pb.StreamSettings { return v.state.Common.Settings }

// Generation is the number of the next miniblock: last applied + 1.
func (v *View) Generation() int64 { return v.LastBlock().Header.MiniblockNum + 1 }

// LastBlock is the last applied miniblock.
func (v *View) LastBlock() *ParsedMiniblock { return v.blocks[len(v.blocks)-1] }

// RecentBlocks are the applied blocks the view remembers, ascending. Do not modify.
func (v *View) RecentBlocks() []*ParsedMiniblock { return v.blocks[:len(v.blocks):len(v.blocks)] }

// Minipool returns the events waiting for a block, in arrival order. The
// slice is shared: do not modify it.
func (v *View) Minipool() []*ParsedEvent { return v.pool.events() }

// MinipoolLen is len(Minipool()).
func (v *View) MinipoolLen() int { return v.pool.len() }

// PoolEvent returns the minipool event with hash h, or nil.
func (v *View) PoolEvent(h common.Hash) *ParsedEvent { return v.pool.get(h) }

// Snapshot is the full state as of the last applied block. It is shared:
// do not modify it.
func (v *View) Snapshot() *pb.Snapshot { return v.state }

// EventCount is the number of events in applied blocks.
func (v *View) EventCount() int64 { return v.state.Common.EventCount }

// LastSnapshotNum is the number of the last applied block that carried a snapshot.
func (v *View) LastSnapshotNum() int64 { return v.lastSnapshotNum }

// SnapshotDue reports whether a block sealing n more events would carry a snapshot.
func (v *View) SnapshotDue(n int) bool {
	return v.eventsSinceSnapshot+int64(n) >= int64(v.Settings().GetMinEventsPerSnapshot())
}

// IsMember reports membership as of the last applied block.
func (v *View) IsMember(addr common.Address) bool {
	return isMemberKey(v.state.Common.Members, addr[:])
}

// Members lists the members as of the last applied block (map order).
func (v *View) Members() []common.Address {
	out := make([]common.Address, 0, len(v.state.Common.Members))
	for _, m := range v.state.Common.Members {
		out = append(out, common.BytesToAddress(m.UserAddress))
	}
	return out
}

// HasEvent reports whether h is in the minipool or in a recent block.
func (v *View) HasEvent(h common.Hash) bool {
	return v.pool.get(h) != nil || v.inBlocksAfter(h, -1)
}

// inBlocksAfter reports whether h is in a recent block numbered above after.
// An event can only be sealed in a block after the one it references, so a
// caller that knows the event's reference looks at those blocks only.
//
// The recent blocks are contiguous, so the first one to look at is found
// by its number, not by reading every header down to it: with thousands of
// streams a stream's blocks are cold in the cache and each header read is a
// miss (the loop was 2% of node CPU at 2,000 streams with events naming a
// block some 30 behind; the event sets it must look in are the rest).
func (v *View) inBlocksAfter(h common.Hash, after int64) bool {
	start := 0
	if first := v.blocks[0].Header.MiniblockNum; after >= first {
		if after-first >= int64(len(v.blocks)) {
			return false
		}
		start = int(after-first) + 1
	}
	for i := len(v.blocks) - 1; i >= start; i-- {
		if v.blocks[i].hasEvent(h) {
			return true
		}
	}
	return false
}

// sealedAfter is the block number after which ev can have been sealed: its
// reference, or -1 for genesis events (which have none).
func sealedAfter(ev *ParsedEvent) int64 {
	if len(ev.Event.PrevMiniblockHash) == 0 {
		return -1
	}
	return ev.Event.PrevMiniblockNum
}

// AddEvent appends ev to the minipool without checks (call CanAddEvent first).
func (v *View) AddEvent(ev *ParsedEvent) *View {
	nv := *v
	nv.pool = v.pool.add(ev, pendingKeyOf(ev))
	return &nv
}

// ApplyMiniblock applies a verified block; see Apply.
func (v *View) ApplyMiniblock(mb *ParsedMiniblock) (*View, error) {
	nv, _, err := v.Apply(mb)
	return nv, err
}

// Apply applies a verified miniblock: it checks the link (number and previous
// hash: BAD_MINIBLOCK_NUM), applies the events to the state (membership takes
// effect here, and only here), removes the sealed events from the minipool
// and carries the rest into the next generation. Events left in the minipool
// that the new state makes invalid (a post by a user who just left, a second
// join) are dropped and returned.
func (v *View) Apply(mb *ParsedMiniblock) (*View, []*ParsedEvent, error) {
	if err := v.checkLink(mb); err != nil {
		return nil, nil, err
	}
	st, err := v.nextState(mb.Events, mb.Header.MiniblockNum)
	if err != nil {
		return nil, nil, err
	}
	nv := &View{id: v.id, state: st, lastSnapshotNum: v.lastSnapshotNum, eventsSinceSnapshot: v.eventsSinceSnapshot + int64(len(mb.Events))}
	if len(mb.Header.SnapshotHash) != 0 {
		nv.lastSnapshotNum, nv.eventsSinceSnapshot = mb.Header.MiniblockNum, 0
	}
	nv.blocks = append(v.blocks[:len(v.blocks):len(v.blocks)], mb)
	nv.trimBlocks()

	var dropped []*ParsedEvent
	old := v.pool.events()
	nb := newPoolBacking(len(old))
	for _, ev := range old {
		if mb.hasEvent(ev.Hash) {
			continue
		}
		a, err := classifyEvent(v.id.Type(), ev)
		if err == nil {
			err = nv.checkState(ev, a, func(k string) bool { _, ok := nb.pending[k]; return ok })
		}
		if err != nil {
			dropped = append(dropped, ev)
			continue
		}
		nb.put(ev, pendingKey(a))
	}
	nv.pool = pool{b: nb, n: len(nb.events)}
	return nv, dropped, nil
}

// PruneMinipool drops minipool events that can no longer be sealed because
// their previous-miniblock reference fell out of the recency window, and
// returns them.
func (v *View) PruneMinipool(cfg Config) (*View, []*ParsedEvent) {
	var keep, dropped []*ParsedEvent
	for _, ev := range v.pool.events() {
		if v.checkPrev(cfg, ev) != nil {
			dropped = append(dropped, ev)
		} else {
			keep = append(keep, ev)
		}
	}
	if len(dropped) == 0 {
		return v, nil
	}
	nv := *v
	nb := newPoolBacking(len(keep))
	for _, ev := range keep {
		nb.put(ev, pendingKeyOf(ev))
	}
	nv.pool = pool{b: nb, n: len(keep)}
	return &nv, dropped
}

func (v *View) checkLink(mb *ParsedMiniblock) error {
	if mb == nil || mb.Header == nil {
		return Errorf(pb.ErrorCode_BAD_MINIBLOCK, "nil miniblock")
	}
	h := mb.Header
	if StreamID(common.BytesToHash(h.StreamId)) != v.id || len(h.StreamId) != StreamIDLen {
		return Errorf(pb.ErrorCode_BAD_MINIBLOCK, "miniblock for stream %x, view is %s", h.StreamId, v.id)
	}
	if h.MiniblockNum != v.Generation() {
		return Errorf(pb.ErrorCode_BAD_MINIBLOCK_NUM, "miniblock %d, expected %d", h.MiniblockNum, v.Generation())
	}
	if common.BytesToHash(h.PrevMiniblockHash) != v.LastBlock().Hash || len(h.PrevMiniblockHash) != common.HashLength {
		return Errorf(pb.ErrorCode_BAD_MINIBLOCK_NUM, "miniblock %d links to %x, last is %s", h.MiniblockNum, h.PrevMiniblockHash, v.LastBlock().Hash)
	}
	return nil
}

// nextState is the state after sealing events in block num. The parent's
// state is never modified. A block of messages only (most blocks) changes
// no map of the state, only its counters: the new state then shares the
// parent's maps and per-type content (countedState) instead of a deep copy,
// which cost a reflective proto.Clone of every member per block.
func (v *View) nextState(events []*ParsedEvent, num int64) (*pb.Snapshot, error) {
	acts := make([]action, len(events))
	counted := true
	for i, ev := range events {
		a, err := classifyEvent(v.id.Type(), ev)
		if err != nil {
			return nil, err
		}
		acts[i] = a
		counted = counted && countsOnly(a.kind)
	}
	var st *pb.Snapshot
	if counted {
		st = countedState(v.state)
	}
	if st == nil {
		st = cloneState(v.state)
	}
	for i, ev := range events {
		reduce(st, acts[i], ev, num)
	}
	st.Common.MiniblockNum = num
	return st, nil
}

// CanAddEvent applies every admission rule to ev, given the wall clock now,
// and returns nil or an *Error whose code names the rule:
//
//   - EVENT_TOO_LARGE: more than cfg.MaxEventBytes of event bytes;
//   - BAD_STREAM_ID: the event names another stream;
//   - DUPLICATE_EVENT: already in the minipool or in a recent block;
//   - MINIPOOL_FULL: cfg.MaxMinipoolEvents events wait already;
//   - EVENT_TOO_OLD: created_at more than cfg.MaxClockSkew from now;
//   - BAD_PREV_MINIBLOCK_HASH: the previous-miniblock reference is not a
//     recent block, or is more than cfg.RecencyWindow blocks behind;
//   - BAD_PAYLOAD: the payload does not fit the stream type or is malformed;
//   - BAD_INCEPTION: an inception after the genesis;
//   - and the state rules of checkState (PERMISSION_DENIED,
//     BAD_MEMBERSHIP_TRANSITION, ALREADY_EXISTS, NOT_FOUND).
func (v *View) CanAddEvent(cfg Config, ev *ParsedEvent, now time.Time) error {
	if ev.Size() > cfg.MaxEventBytes {
		return Errorf(pb.ErrorCode_EVENT_TOO_LARGE, "event %x is %d bytes, limit %d", ev.Hash, ev.Size(), cfg.MaxEventBytes)
	}
	if err := v.checkStreamID(ev); err != nil {
		return err
	}
	if v.pool.get(ev.Hash) != nil || v.inBlocksAfter(ev.Hash, sealedAfter(ev)) {
		return Errorf(pb.ErrorCode_DUPLICATE_EVENT, "event %x already in stream %s", ev.Hash, v.id)
	}
	if v.pool.len() >= cfg.MaxMinipoolEvents {
		return Errorf(pb.ErrorCode_MINIPOOL_FULL, "minipool of %s holds %d events", v.id, v.pool.len())
	}
	created := time.UnixMilli(ev.Event.CreatedAtMs)
	if d := now.Sub(created); d > cfg.MaxClockSkew || -d > cfg.MaxClockSkew {
		return Errorf(pb.ErrorCode_EVENT_TOO_OLD, "event %x created at %s, now %s, skew limit %s", ev.Hash, created.UTC(), now.UTC(), cfg.MaxClockSkew)
	}
	if err := v.checkPrev(cfg, ev); err != nil {
		return err
	}
	a, err := classifyEvent(v.id.Type(), ev)
	if err != nil {
		return err
	}
	return v.checkState(ev, a, v.pool.hasPending)
}

func (v *View) checkStreamID(ev *ParsedEvent) error {
	if len(ev.Event.StreamId) != StreamIDLen || StreamID(common.BytesToHash(ev.Event.StreamId)) != v.id {
		return Errorf(pb.ErrorCode_BAD_STREAM_ID, "event %x is for stream %x, not %s", ev.Hash, ev.Event.StreamId, v.id)
	}
	return nil
}

// checkPrev checks the previous-miniblock reference: a recent block, by
// number and hash, at most cfg.RecencyWindow behind the last applied block.
func (v *View) checkPrev(cfg Config, ev *ParsedEvent) error {
	num, hash := ev.Event.PrevMiniblockNum, ev.Event.PrevMiniblockHash
	if len(hash) != common.HashLength {
		return Errorf(pb.ErrorCode_BAD_PREV_MINIBLOCK_HASH, "event %x names no previous miniblock", ev.Hash)
	}
	last := v.LastBlock().Header.MiniblockNum
	if last-num > cfg.RecencyWindow {
		return Errorf(pb.ErrorCode_BAD_PREV_MINIBLOCK_HASH, "event %x names miniblock %d, last is %d, window %d", ev.Hash, num, last, cfg.RecencyWindow)
	}
	first := v.blocks[0].Header.MiniblockNum
	if num < first || num > last || v.blocks[num-first].Hash != common.BytesToHash(hash) {
		return Errorf(pb.ErrorCode_BAD_PREV_MINIBLOCK_HASH, "event %x names unknown miniblock %d %x", ev.Hash, num, hash)
	}
	return nil
}

// checkState applies the rules that depend on the stream state as of the
// last applied block, plus the state keys already pending (in the minipool,
// or earlier in the block being checked): a user's membership and a
// channel's creation may change at most once per generation.
func (v *View) checkState(ev *ParsedEvent, a action, pending func(string) bool) error {
	creator := ev.Creator
	t := v.id.Type()
	switch a.kind {
	case kindInception:
		return Errorf(pb.ErrorCode_BAD_INCEPTION, "inception %x after the genesis of %s", ev.Hash, v.id)
	case kindMembership:
		user := common.BytesToAddress(a.membership.UserAddress)
		if user != creator {
			return Errorf(pb.ErrorCode_PERMISSION_DENIED, "%s cannot change the membership of %s", creator, user)
		}
		if t == pb.StreamType_STREAM_TYPE_DM && a.membership.Op == pb.MembershipOp_MEMBERSHIP_OP_JOIN {
			in := v.state.GetDm().GetInception()
			if user != common.BytesToAddress(in.GetFirstParty()) && user != common.BytesToAddress(in.GetSecondParty()) {
				return Errorf(pb.ErrorCode_PERMISSION_DENIED, "%s is not a party of dm %s", user, v.id)
			}
		}
		if pending(pendingKey(a)) {
			return Errorf(pb.ErrorCode_BAD_MEMBERSHIP_TRANSITION, "membership of %s already changes in this generation", user)
		}
		member := v.IsMember(user)
		if a.membership.Op == pb.MembershipOp_MEMBERSHIP_OP_JOIN && member {
			return Errorf(pb.ErrorCode_BAD_MEMBERSHIP_TRANSITION, "%s is already a member of %s", user, v.id)
		}
		if a.membership.Op == pb.MembershipOp_MEMBERSHIP_OP_LEAVE && !member {
			return Errorf(pb.ErrorCode_BAD_MEMBERSHIP_TRANSITION, "%s is not a member of %s", user, v.id)
		}
		return nil
	case kindChannel:
		if !v.IsMember(creator) {
			return Errorf(pb.ErrorCode_PERMISSION_DENIED, "%s is not a member of space %s", creator, v.id)
		}
		exists := v.state.GetSpace().GetChannels()[addrKey(a.channel.ChannelId)] != nil
		if a.channel.Op == pb.ChannelOp_CHANNEL_OP_CREATED {
			if exists || pending(pendingKey(a)) {
				return Errorf(pb.ErrorCode_ALREADY_EXISTS, "channel %x exists in space %s", a.channel.ChannelId, v.id)
			}
		} else if !exists {
			return Errorf(pb.ErrorCode_NOT_FOUND, "channel %x not found in space %s", a.channel.ChannelId, v.id)
		}
		return nil
	case kindMessage, kindUsername, kindDisplayName, kindSetting:
		if owner, ok := v.id.Owner(); ok {
			if creator != owner {
				return Errorf(pb.ErrorCode_PERMISSION_DENIED, "only %s may post to %s", owner, v.id)
			}
			return nil
		}
		if !v.IsMember(creator) {
			return Errorf(pb.ErrorCode_PERMISSION_DENIED, "%s is not a member of %s", creator, v.id)
		}
		return nil
	}
	return Errorf(pb.ErrorCode_BAD_PAYLOAD, "unknown event kind")
}

// blockCheck applies, to an event sealed in a block on top of v, the rules
// that do not depend on the wall clock: stream, size, duplicates (recent
// blocks and earlier in the block), reference, payload, state; and
// created_at no later than the block timestamp plus the allowed skew.
func (v *View) blockCheck(cfg Config, ev *ParsedEvent, tsMs int64, inBlock map[common.Hash]bool, pending map[string]bool) (action, error) {
	if ev.Size() > cfg.MaxEventBytes {
		return action{}, Errorf(pb.ErrorCode_EVENT_TOO_LARGE, "event %x is %d bytes, limit %d", ev.Hash, ev.Size(), cfg.MaxEventBytes)
	}
	if err := v.checkStreamID(ev); err != nil {
		return action{}, err
	}
	if inBlock[ev.Hash] || v.inBlocksAfter(ev.Hash, sealedAfter(ev)) {
		return action{}, Errorf(pb.ErrorCode_DUPLICATE_EVENT, "event %x already in stream %s", ev.Hash, v.id)
	}
	if ev.Event.CreatedAtMs > addSat(tsMs, cfg.MaxClockSkew.Milliseconds()) {
		return action{}, Errorf(pb.ErrorCode_EVENT_TOO_OLD, "event %x created at %d, after block time %d", ev.Hash, ev.Event.CreatedAtMs, tsMs)
	}
	if err := v.checkPrev(cfg, ev); err != nil {
		return action{}, err
	}
	a, err := classifyEvent(v.id.Type(), ev)
	if err != nil {
		return action{}, err
	}
	if err := v.checkState(ev, a, func(k string) bool { return pending[k] }); err != nil {
		return action{}, err
	}
	return a, nil
}
