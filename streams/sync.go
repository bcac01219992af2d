package streams

import (
	"fmt"
	"slices"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/towns-node/node/proto/pb"
)

// Syncer is the catch-up state machine of one stream at one node: it
// brings a stream whose local head is behind the chain's registered head
// up to it with blocks from peers, then watches the live stream for a gap
// that sends it back. Like Replica it starts no goroutines (but for the
// bounded pool inside ParseMiniblockParallel), does no I/O and reads no
// clock: Step takes an input and the time and returns effects
// (sync_io.go); the same inputs give the same effects in the same order.
//
// What it holds to:
//   - The chain, not peers, says where the head is (SyncChainHead). A
//     peer's status only says whom to ask; a peer claiming a height it
//     does not serve is skipped, never followed.
//   - Every peer's status is asked at Start, every StatusEvery while
//     syncing, and at once when the peer connects (SyncPeerConnected).
//     A status with lowest > highest, or a highest below the peer's
//     last, bans the peer (BanLyingHeight).
//   - Ranges of RangeSize blocks are asked within Window blocks of the
//     first missing one, at most MaxInFlightPerPeer per peer, in height
//     order; a range near the chain's head is asked of two peers, and the
//     range holding the first missing block of a second one after
//     HedgeAfter. A peer that times out, fails or answers "don't have" is
//     skipped for that range, which is asked elsewhere at once; it is not
//     banned.
//   - Peers are ranked by the blocks/s and latency of their answers (the
//     expected time to serve one more range), never by bytes/s. A peer
//     not measured yet may hold 2 ranges, doubling with each answer up to
//     MaxInFlightPerPeer, so a newcomer cannot take the whole window.
//   - Each block is checked before it is held: hash, leader and event
//     signatures, votes, snapshot (ParseMiniblockParallel, BanBadBlock), the
//     number asked (BanBadBlock), and the chain's registered hash for its
//     number when known (BanNotRegistered). Held blocks are idempotent by
//     hash.
//   - A block is verified when its parent is the last verified block, in
//     height order: VerifyMiniblock against the parent view (elected
//     leader, signature, link, timestamp, vote majority, events match the
//     header and pass the rules, snapshot hash), the header's chain block
//     against the chain block that registered the parent, and the chain:
//     its hash is the one registered for its number, or it is linked by
//     parent hashes from a held block whose hash is registered (the
//     registrations are extended down those links, so a held candidate
//     off the registered chain is refused and its number asked again). A
//     block
//     that fails bans the peers that served it (BanInvalid) and is orphaned
//     with its held descendants; a candidate beaten by the registered chain
//     bans its servers (BanNotRegistered).
//   - Verified blocks are written in batches, one SyncApply at a time.
//   - Caught up (SyncCaughtUp) when the durable head is at or past the
//     chain's head and a peer is usable (answered its status, not banned),
//     or, with no usable peer, after NoProgress at the head. While behind,
//     NoProgress without a block re-asks every status, forgets the skips
//     and reports SyncStalled: lying peers can neither hold it in sync
//     (the chain says where the head is) nor make it declare the head
//     early.
//   - Once live, a block (or chain head) GapBlocks past the live head sends
//     it back (SyncBackToSync); Resume restarts the sync from the replica's
//     view.
type Syncer struct {
	cfg SyncConfig
	id  StreamID

	phase SyncPhase

	durable  *View            // written
	tip      *View            // durable + verified blocks being written or queued
	regAt    map[int64]uint64 // chain block that registered a verified block, when known
	liveHead int64

	head     SyncChainHead
	haveHead bool
	headAsk  bool      // a SyncReadChainHead is out
	headDue  time.Time // retry after a failed read

	regs     map[int64]Registered
	regAsk   bool
	regDue   time.Time
	regTried map[int64]bool // numbers asked whose answer lacked them (until the next head)

	held   map[int64][]*heldSync // candidates by number, num >= tip generation
	byHash map[common.Hash]*heldSync

	peers map[common.Address]*syncPeer
	order []common.Address // peers in address order

	reqs     map[SyncReqID]*syncReq
	nextReq  SyncReqID
	chunkReq map[int64][]SyncReqID             // chunk start -> live requests
	skip     map[int64]map[common.Address]bool // chunk start -> peers skipped

	queue     []queued // verified, not yet handed to a write
	writing   *syncWrite
	nextWrite WriteID
	writeDue  time.Time

	lastProgress time.Time
	atHeadSince  time.Time // durable at the chain's head with no usable peer since
	statusDue    time.Time
	statusAt     time.Time // when every status was last asked
	timerAt      time.Time
	lastSeen     time.Time
	applied      int64
	bans         map[BanReason]int
	out          []SyncEffect
}

type heldSync struct {
	mb   *ParsedMiniblock
	from []common.Address // who served it; the zero address: local staging
}

type queued struct {
	blk  SyncBlock
	view *View // the view after the block
}

type syncWrite struct {
	id     WriteID
	blocks []queued
}

// NewSyncer returns the machine of stream v.StreamID(), whose durable view
// v (restored from the store) ends with a block registered at chain block
// lastRegisteredAt.
func NewSyncer(cfg SyncConfig, v *View, lastRegisteredAt uint64) (*Syncer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if v == nil {
		return nil, fmt.Errorf("streams: syncer needs a view")
	}
	s := &Syncer{cfg: cfg, id: v.StreamID(), peers: map[common.Address]*syncPeer{}, bans: map[BanReason]int{}}
	s.cfg.Replicas = slices.Clone(cfg.Replicas)
	s.reset(v, lastRegisteredAt)
	for _, p := range cfg.Peers {
		s.peer(p)
	}
	return s, nil
}

// reset starts syncing from v.
func (s *Syncer) reset(v *View, reg uint64) {
	s.phase = SyncPhaseSyncing
	s.durable, s.tip = v, v
	s.regAt = map[int64]uint64{v.LastBlock().Num(): reg}
	s.atHeadSince = time.Time{}
	s.regs = map[int64]Registered{}
	s.regTried = map[int64]bool{}
	s.regAsk = false
	s.held = map[int64][]*heldSync{}
	s.byHash = map[common.Hash]*heldSync{}
	s.reqs = map[SyncReqID]*syncReq{}
	s.chunkReq = map[int64][]SyncReqID{}
	s.skip = map[int64]map[common.Address]bool{}
	s.queue, s.writing = nil, nil
	s.applied = 0
	for _, p := range s.peers {
		p.inflight = 0
	}
}

// Start returns the first effects: read the chain's head, ask every known
// peer's status.
func (s *Syncer) Start(now time.Time) []SyncEffect {
	s.lastSeen = now
	s.begin(now)
	return s.flush(now)
}

// Resume sends a live (or behind) stream back to sync from v, the
// replica's durable view, whose last block was registered at
// lastRegisteredAt. Peers, their rates and bans are kept. Call it with no
// SyncApply in flight (as after SyncCaughtUp or SyncBackToSync): the
// answer to one would be ignored.
func (s *Syncer) Resume(now time.Time, v *View, lastRegisteredAt uint64) []SyncEffect {
	now = s.clock(now)
	s.reset(v, lastRegisteredAt)
	s.begin(now)
	return s.flush(now)
}

func (s *Syncer) begin(now time.Time) {
	s.lastProgress = now
	s.haveHead = false
	s.askHead()
	s.askStatus(now)
	s.pump(now)
}

func (s *Syncer) clock(now time.Time) time.Time {
	if now.Before(s.lastSeen) {
		now = s.lastSeen // time never runs backwards inside the machine
	}
	s.lastSeen = now
	return now
}

// Step feeds one input at time now and returns what to do.
func (s *Syncer) Step(now time.Time, in SyncInput) []SyncEffect {
	now = s.clock(now)
	switch in := in.(type) {
	case SyncPeerStatus:
		s.peerStatus(now, in)
	case SyncPeerGone:
		if p := s.peers[in.Peer]; p != nil {
			p.haveStatus = false
		}
	case SyncPeerConnected:
		if p := s.peer(in.Peer); s.phase == SyncPhaseSyncing && !p.banned(now) {
			s.askStatusOf(p.addr)
		}
	case SyncChainHead:
		s.chainHead(now, in)
	case SyncRegistered:
		s.registered(now, in)
	case SyncRange:
		s.rangeServed(now, in)
	case SyncLocalBlocks:
		for _, raw := range in.Blocks {
			s.accept(now, common.Address{}, raw, -1, -1)
		}
	case SyncApplied:
		s.writeDone(now, in)
	case SyncLiveApplied:
		if s.phase == SyncPhaseLive && in.Num > s.liveHead {
			s.liveHead = in.Num
		}
	case SyncBlockSeen:
		s.liveGap(in.Num)
	case SyncTick:
		s.tick(now)
	}
	s.pump(now)
	return s.flush(now)
}

func (s *Syncer) emit(e SyncEffect) { s.out = append(s.out, e) }

func (s *Syncer) flush(now time.Time) []SyncEffect {
	if at, ok := s.nextDeadline(); ok {
		if !at.After(now) {
			at = now
		}
		if !at.Equal(s.timerAt) {
			s.timerAt = at
			s.emit(SyncSetTimer{At: at})
		}
	}
	out := s.out
	s.out = nil
	return out
}

func (s *Syncer) nextDeadline() (time.Time, bool) {
	var best time.Time
	consider := func(t time.Time) {
		if !t.IsZero() && (best.IsZero() || t.Before(best)) {
			best = t
		}
	}
	if s.phase != SyncPhaseSyncing {
		return best, false
	}
	for _, r := range s.reqs {
		consider(r.deadline)
		if hedge := r.sent.Add(s.cfg.HedgeAfter); r.chunk == s.firstChunk() && len(s.chunkReq[r.chunk]) == 1 && hedge.After(s.lastSeen) {
			consider(hedge)
		}
	}
	consider(s.statusDue)
	if retry := s.statusAt.Add(s.cfg.HedgeAfter); s.haveHead && len(s.reqs) == 0 && retry.After(s.lastSeen) {
		consider(retry) // staleStatus may ask again then
	}
	if s.behind() {
		consider(s.lastProgress.Add(s.cfg.NoProgress))
	} else if !s.atHeadSince.IsZero() {
		consider(s.atHeadSince.Add(s.cfg.NoProgress))
	}
	consider(s.headDue)
	consider(s.regDue)
	consider(s.writeDue)
	for _, p := range s.peers {
		if p.bannedUntil.After(s.lastSeen) {
			consider(p.bannedUntil)
		}
	}
	return best, !best.IsZero()
}

func (s *Syncer) tick(now time.Time) {
	if !s.timerAt.After(now) {
		s.timerAt = time.Time{}
	}
	if s.phase != SyncPhaseSyncing {
		return
	}
	for _, id := range s.reqIDs() {
		r := s.reqs[id]
		if r.deadline.After(now) {
			continue
		}
		s.dropReq(r)
		s.skipFor(r.chunk, r.peer)
		if p := s.peers[r.peer]; p != nil {
			p.sample(0, s.cfg.RequestTimeout)
		}
	}
	for _, a := range s.order {
		if p := s.peers[a]; !p.bannedUntil.IsZero() && !p.bannedUntil.After(now) {
			p.bannedUntil = time.Time{} // usable again after its next status
			s.askStatusOf(p.addr)
		}
	}
	if !s.statusDue.IsZero() && !s.statusDue.After(now) {
		s.askStatus(now)
	}
	if !s.headDue.IsZero() && !s.headDue.After(now) {
		s.headDue = time.Time{}
		s.askHead()
	}
	if !s.regDue.IsZero() && !s.regDue.After(now) {
		s.regDue = time.Time{}
	}
	if !s.writeDue.IsZero() && !s.writeDue.After(now) {
		s.writeDue = time.Time{}
	}
	if s.behind() && !s.lastProgress.Add(s.cfg.NoProgress).After(now) {
		s.stalled(now)
	}
}

// behind reports whether the verified tip is short of the chain's head (or
// the head is unknown).
func (s *Syncer) behind() bool { return !s.haveHead || s.tip.LastBlock().Num() < s.head.Num }

// stalled handles NoProgress without a block while behind.
func (s *Syncer) stalled(now time.Time) {
	s.lastProgress = now
	head := int64(-1)
	if s.haveHead {
		head = s.head.Num
	}
	s.emit(SyncStalled{Local: s.tip.LastBlock().Num(), ChainHead: head,
		Err: Errorf(pb.ErrorCode_UNAVAILABLE, "no block for %s; %d peers usable", s.cfg.NoProgress, s.usablePeers())})
	s.skip = map[int64]map[common.Address]bool{}
	s.regTried = map[int64]bool{}
	for _, p := range s.peers {
		p.cantFrom = -1
	}
	s.askHead()
	s.askStatus(now)
}

// --- the chain -------------------------------------------------------------

func (s *Syncer) askHead() {
	if !s.headAsk {
		s.headAsk = true
		s.emit(SyncReadChainHead{})
	}
}

func (s *Syncer) chainHead(now time.Time, in SyncChainHead) {
	s.headAsk = false
	if in.Err != nil {
		s.headDue = now.Add(s.cfg.RetryDelay)
		return
	}
	if s.haveHead && in.Num < s.head.Num {
		return // an older read
	}
	if s.phase != SyncPhaseSyncing {
		s.head = in
		s.liveGap(in.Num)
		return
	}
	if !s.haveHead || in.Num > s.head.Num {
		s.regTried = map[int64]bool{}
	}
	s.head, s.haveHead = in, true
	s.setReg(now, Registered{Num: in.Num, Hash: in.Hash, ChainBlock: in.ChainBlock})
}

func (s *Syncer) registered(now time.Time, in SyncRegistered) {
	s.regAsk = false
	if in.Err != nil {
		s.regDue = now.Add(s.cfg.RetryDelay)
		return
	}
	for n := in.From; n < in.To; n++ {
		s.regTried[n] = true
	}
	for _, r := range in.Regs {
		s.setReg(now, r)
	}
}

// setReg records the chain's registration of r.Num and drops the held
// blocks of that number that are not it.
func (s *Syncer) setReg(now time.Time, r Registered) {
	if r.Num < s.tip.Generation() || s.phase != SyncPhaseSyncing {
		return
	}
	s.regs[r.Num] = r
	for _, c := range slices.Clone(s.held[r.Num]) {
		if c.mb.Hash != r.Hash {
			s.refuse(now, c, BanNotRegistered, Errorf(pb.ErrorCode_NOT_REGISTERED, "miniblock %d is %s, the chain registered %s", r.Num, c.mb.Hash, r.Hash))
		}
	}
}

// wantRegs asks for the registrations of the window it lacks.
func (s *Syncer) wantRegs(now time.Time) {
	if s.regAsk || !s.haveHead || s.regDue.After(now) {
		return
	}
	// Asked in batches: once the first unknown one is in the first half of
	// the window, the next Window numbers (the head's comes with the head).
	base := s.tip.Generation()
	from := int64(-1)
	for n := base; n < min(s.head.Num, base+s.cfg.Window/2+1); n++ {
		if _, ok := s.regs[n]; !ok && !s.regTried[n] {
			from = n
			break
		}
	}
	if from < 0 {
		return
	}
	s.regAsk = true
	s.emit(SyncReadRegistrations{From: from, To: min(s.head.Num, from+s.cfg.Window)})
}

// --- caught up and live ------------------------------------------------------

func (s *Syncer) pump(now time.Time) {
	if s.phase != SyncPhaseSyncing {
		return
	}
	s.verify(now)
	s.startWrite(now)
	s.wantRegs(now)
	s.request(now)
	s.staleStatus(now)
	s.caughtUp(now)
}

// staleStatus asks every status again, at most once per HedgeAfter, when
// the chain's head has passed what every usable peer said it holds and
// nothing is in flight: their statuses predate the blocks sealed since,
// and waiting StatusEvery would stall the sync a few blocks short of the
// head.
func (s *Syncer) staleStatus(now time.Time) {
	if !s.haveHead || !s.behind() || len(s.reqs) > 0 || s.usablePeers() == 0 || now.Before(s.statusAt.Add(s.cfg.HedgeAfter)) {
		return
	}
	next := s.tip.Generation()
	for _, p := range s.peers {
		if p.haveStatus && !p.banned(now) && p.highest >= next {
			return // someone has it: asked, or skipped until the next status
		}
	}
	s.askStatus(now)
}

func (s *Syncer) caughtUp(now time.Time) {
	if !s.haveHead || s.writing != nil || len(s.queue) > 0 || s.durable.LastBlock().Num() < s.head.Num {
		s.atHeadSince = time.Time{}
		return
	}
	if s.usablePeers() == 0 {
		if s.atHeadSince.IsZero() {
			s.atHeadSince = now
		}
		if s.atHeadSince.Add(s.cfg.NoProgress).After(now) {
			return
		}
	}
	s.phase = SyncPhaseLive
	s.liveHead = s.durable.LastBlock().Num()
	for _, id := range s.reqIDs() {
		s.dropReq(s.reqs[id])
	}
	s.held, s.byHash = map[int64][]*heldSync{}, map[common.Hash]*heldSync{}
	s.timerAt = time.Time{}
	s.emit(SyncCaughtUp{View: s.durable, LastRegisteredAt: s.durableReg()})
}

func (s *Syncer) liveGap(seen int64) {
	if s.phase != SyncPhaseLive || seen < s.liveHead+s.cfg.GapBlocks {
		return
	}
	s.phase = SyncPhaseBehind
	s.emit(SyncBackToSync{Local: s.liveHead, Seen: seen})
}
