package streams

import (
	"encoding/binary"
	"hash/fnv"
	"slices"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/towns-node/node/proto/pb"
)

// This file is the replica's vote side: answering vote requests, and
// leading a block when this node is elected for (generation, round).

// Leader phases, as Status reports them.
const (
	PhaseWaiting     = "waiting"     // until VoteAt of the block interval
	PhaseVoting      = "voting"      // vote requests out
	PhaseFetching    = "fetching"    // fetching events a majority holds
	PhaseStaging     = "staging"     // block proposed, being staged
	PhaseRegistering = "registering" // with the chain-writer
	PhaseApplying    = "applying"    // registered, being written
)

// maxQueuedVotes bounds the vote requests waiting for the randao.
const maxQueuedVotes = 16

type leading struct {
	num        int64
	round      uint32
	chainBlock uint64
	randao     common.Hash
	phase      string
	since      time.Time
	deadline   time.Time
	// graceBy is when waiting for the votes beyond a majority must end
	// for the block to be registered in the next chain block: halfway
	// from VoteAt to the expected next head. Zero: no bound.
	graceBy time.Time
	votes   []*pb.Vote    // by replica index
	parsed  []*ParsedVote // votes[i] parsed (its signature checked once)
	failed  []bool
	block   *ParsedMiniblock
}

func (r *Replica) electionReady() bool {
	return !r.syncing && r.randaoOK && r.randaoAt == r.lastRegisteredAt
}

// maybeLead starts leading block Generation() when it is due (a non-empty
// durable minipool, no block for it known) and this node is elected for
// the round of the current head.
func (r *Replica) maybeLead(now time.Time) {
	r.serveQueuedVotes(now)
	if r.leader != nil || r.syncing || r.behind || !r.haveHead || r.selfIdx < 0 || r.noLeadTillHead ||
		len(r.rereg) > 0 || (r.v.MinipoolLen() == 0 && !r.rejectsDue()) || (r.writing != nil && r.writing.block != nil) {
		return
	}
	gen := r.v.Generation()
	if _, ok := r.regs[gen]; ok {
		return // the chain has block gen: apply it rather than lead
	}
	if !r.electionReady() {
		r.wantRandao()
		return
	}
	round := RoundAt(r.lastRegisteredAt, r.head.Number, r.cfg.RoundBlocks)
	if ElectLeader(r.randao, r.id, gen, round, r.replicas) != r.self {
		return
	}
	k := len(r.replicas)
	r.leader = &leading{num: gen, round: round, chainBlock: r.lastRegisteredAt, randao: r.randao,
		since: now, votes: make([]*pb.Vote, k), parsed: make([]*ParsedVote, k), failed: make([]bool, k)}
	if r.head.Interval > 0 {
		from, iv := r.voteFrom(now), float64(r.head.Interval)
		voteAt := r.cfg.VoteAt
		if spread := min(r.cfg.VoteSpread, 2*voteAt, 2*(1-voteAt)); spread > 0 {
			voteAt += spread * (spreadFraction(r.id, gen) - 0.5)
		}
		if round > 0 {
			// A failover round: its events waited R chain blocks for a
			// leader that did not seal, so waiting for more buys nothing;
			// asking at once leaves the whole interval to land the block
			// in the chain block after the round began, even when this
			// node is stalled a while (TestNetworkLeaderKilled).
			voteAt = 0
		}
		r.leader.graceBy = from.Add(time.Duration(iv * (1 + voteAt) / 2))
		at := from.Add(time.Duration(iv * voteAt))
		if at.After(now) {
			r.leader.phase, r.leader.deadline = PhaseWaiting, at
			return
		}
	}
	r.askVotes(now)
}

// spreadFraction is a fraction in [0, 1) drawn from the stream id and the
// generation: where in VoteSpread this round's leader asks for votes.
func spreadFraction(id StreamID, gen int64) float64 {
	h := fnv.New64a()
	h.Write(id.Bytes())
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(gen))
	h.Write(b[:])
	return float64(h.Sum64()>>11) / (1 << 53)
}

// voteFrom is when the block interval of generation Generation() began,
// as this node saw it: the arrival of the head that registered the parent,
// or, when that head has not arrived yet, of the registration itself. A
// leader of two blocks in a row learns of its first one's registration
// from the chain-writer, before the head: counting VoteAt from the older
// head would have it ask for votes at once, and seal a block of the few
// events that came since its last one, while every later event waits a
// whole block more.
func (r *Replica) voteFrom(now time.Time) time.Time {
	if r.lastRegisteredAt <= r.head.Number {
		return r.headAt
	}
	if r.regAtNum == r.v.Generation()-1 && !r.regAt.IsZero() {
		return r.regAt
	}
	return now
}

func (r *Replica) askVotes(now time.Time) {
	l := r.leader
	own, err := r.vote()
	if err != nil {
		r.abandon(err)
		return
	}
	l.votes[r.selfIdx], l.parsed[r.selfIdx] = own.Vote, own
	req := &pb.VoteRequest{
		StreamId:          r.id.Bytes(),
		MiniblockNum:      l.num,
		PrevMiniblockHash: r.v.LastBlock().Hash.Bytes(),
		Round:             l.round,
		Leader:            r.self.Bytes(),
	}
	for i, a := range r.replicas {
		if i != r.selfIdx {
			r.emit(SendVoteRequest{To: a, Request: req})
		}
	}
	l.phase, l.deadline = PhaseVoting, now.Add(r.cfg.VoteTimeout)
	r.countVotes(now, false)
}

func (r *Replica) voteAnswered(now time.Time, in VoteAnswered) {
	l := r.leader
	if l == nil || l.phase != PhaseVoting {
		return
	}
	idx := r.replicaIndex(in.From)
	if idx < 0 || idx == r.selfIdx || l.votes[idx] != nil || l.failed[idx] {
		return
	}
	ok := in.Err == nil && in.Response != nil && in.Response.Error == nil
	if !ok && in.Response.GetError().GetCode() == pb.ErrorCode_BAD_MINIBLOCK_NUM && !r.syncing {
		// The voter is at another generation: if the chain moved on
		// without this node, only the chain can tell it.
		r.syncing = true
		r.emit(SyncChain{After: r.v.LastBlock().Num()})
	}
	var pv *ParsedVote
	if ok {
		var err error
		pv, err = ParseVote(in.Response.Vote)
		ok = err == nil && pv.Voter == in.From &&
			voteFits(r.id, l.num, r.v.LastBlock().Hash, r.replicas, pv) == nil
	}
	if ok {
		l.votes[idx], l.parsed[idx] = in.Response.Vote, pv
	} else {
		l.failed[idx] = true // one failed vote does not end the round
	}
	r.countVotes(now, false)
}

// countVotes moves on once a majority voted; at the deadline (or when no
// majority can come) it gives up.
func (r *Replica) countVotes(now time.Time, deadline bool) {
	l := r.leader
	got, open := 0, 0
	for i := range r.replicas {
		switch {
		case l.votes[i] != nil:
			got++
		case !l.failed[i]:
			open++
		}
	}
	maj := r.majority()
	if got >= maj && (open == 0 || deadline) {
		r.gather(now)
		return
	}
	if got >= maj {
		// A majority is in: wait a little for the rest, whose votes may
		// show events a majority holds that this node lacks; not so long
		// that the block misses the next chain block (a dead replica's
		// vote never comes, and at 100 ms blocks VoteAt plus the whole
		// grace took the interval).
		grace := now.Add(r.cfg.VoteGrace)
		if !l.graceBy.IsZero() && l.graceBy.Before(grace) {
			grace = l.graceBy
		}
		if !grace.After(now) {
			r.gather(now)
			return
		}
		if grace.Before(l.deadline) {
			l.deadline = grace
		}
		return
	}
	if deadline || got+open < maj {
		r.abandon(Errorf(pb.ErrorCode_QUORUM_NOT_REACHED, "%d of %d votes for %s/%d", got, len(r.replicas), r.id, l.num))
	}
}

// collectedParsed is the votes in, in replica order (a deterministic votes
// hash), parsed: the signatures were checked as the votes arrived (the own
// vote is this node's signature).
func (r *Replica) collectedParsed() []*ParsedVote {
	var out []*ParsedVote
	for _, v := range r.leader.parsed {
		if v != nil {
			out = append(out, v)
		}
	}
	return out
}

// gather fetches the events a majority voted for that this node lacks,
// then proposes.
func (r *Replica) gather(now time.Time) {
	l := r.leader
	need := r.missingVoted()
	if len(need) == 0 {
		r.propose(now)
		return
	}
	for _, h := range need {
		if r.tip.pool.get(h) != nil {
			continue // being written
		}
		var holders []int
		for i, pv := range l.parsed {
			if pv != nil && i != r.selfIdx && slices.Contains(pv.Hashes, h) {
				holders = append(holders, i)
			}
		}
		r.noteMissing(now, h, -1, FetchVoted, now)
		if m := r.missing[h]; m != nil {
			for _, i := range holders {
				r.noteMissing(now, h, i, FetchVoted, now)
			}
		}
	}
	l.phase, l.deadline = PhaseFetching, now.Add(r.cfg.FetchTimeout)
	r.fetchTick(now)
}

// leaderEventsDurable proposes once the events a fetching leader waited
// for are durable.
func (r *Replica) leaderEventsDurable(now time.Time) {
	if l := r.leader; l != nil && l.phase == PhaseFetching &&
		len(r.missingVoted()) == 0 {
		r.propose(now)
	}
}

func (r *Replica) propose(now time.Time) {
	l := r.leader
	// A fresh own vote: events that became durable since the request
	// count too (Propose keeps only those a majority holds).
	if own, err := r.vote(); err == nil {
		l.votes[r.selfIdx], l.parsed[r.selfIdx] = own.Vote, own
	}
	mb, err := r.v.Propose(r.cfg.Streams, Proposal{
		Key:        r.cfg.Key,
		Self:       r.self,
		Replicas:   r.replicas,
		ChainBlock: l.chainBlock,
		Randao:     l.randao,
		Round:      l.round,
		Now:        now,
		Parsed:     r.collectedParsed(),
		Rejected:   r.rejectHashes(),
	})
	if err != nil {
		r.abandon(err)
		return
	}
	if len(mb.Events) == 0 && len(mb.Header.RejectedEventHashes) == 0 && mb.Proto.Snapshot == nil {
		// Nothing a majority holds: registering it would only cost a
		// chain transaction. Try again on the next head.
		r.abandon(Errorf(pb.ErrorCode_QUORUM_NOT_REACHED, "no event of %s/%d held by a majority yet", r.id, l.num))
		return
	}
	l.block, r.proposed, r.proposedOn = mb, mb, r.v.LastBlock().Hash
	l.phase, l.deadline = PhaseStaging, now.Add(r.cfg.LeaderTimeout)
	r.emit(StageBlock{Block: mb})
}

func (r *Replica) staged(now time.Time, in Staged) {
	l := r.leader
	if l == nil || l.phase != PhaseStaging || l.block.Hash != in.Hash {
		return
	}
	if in.Err != nil {
		r.abandon(in.Err)
		return
	}
	l.phase = PhaseRegistering
	if len(r.replicas) > 1 {
		// The replicas hold the block before the chain has it: if this
		// node dies right after registering, they can still apply it (they
		// never apply a block the chain did not register).
		r.emit(PublishBlock{Block: l.block})
	}
	r.emit(RegisterBlock{Block: l.block, Round: l.round})
}

func (r *Replica) registerDone(now time.Time, in RegisterDone) {
	if len(r.rereg) > 0 && r.rereg[0].Hash == in.Hash {
		r.reregistered(in)
		return
	}
	if w := r.takeRegWait(); w != nil {
		// The chain watch was first: forget its registration so the one
		// below (or the replay after a failure) is not a duplicate.
		defer func() {
			if !in.OK || in.Hash != w.Hash {
				r.registered(now, *w)
			}
		}()
	}
	l := r.leader
	mine := l != nil && l.block != nil && l.block.Hash == in.Hash
	switch {
	case in.OK:
		if mine {
			l.phase = PhaseApplying
			l.deadline = now.Add(r.cfg.LeaderTimeout)
		}
		if p := r.proposed; p != nil && p.Hash == in.Hash {
			r.hold(p, r.self)
		}
		r.registered(now, Registered{Num: in.Num, Hash: in.Hash, ChainBlock: in.ChainBlock})
	case !mine:
	case in.Err != nil:
		r.abandon(in.Err)
	default:
		// A failed swap: someone else moved the stream, or we are stale.
		r.abandon(Errorf(pb.ErrorCode_CHAIN_CONFLICT, "chain refused miniblock %d (compare-and-swap)", in.Num))
		if !r.syncing {
			r.syncing = true
			r.emit(SyncChain{After: r.v.LastBlock().Num()})
		}
	}
}

// hold keeps a candidate block for its number without asking for anything.
func (r *Replica) hold(mb *ParsedMiniblock, from common.Address) {
	num := mb.Header.MiniblockNum
	if num < r.v.Generation() {
		return
	}
	for _, c := range r.blocks[num] {
		if c.mb.Hash == mb.Hash {
			return
		}
	}
	r.blocks[num] = append(r.blocks[num], &heldBlock{mb: mb, from: from})
}

func (r *Replica) leaderTick(now time.Time) {
	l := r.leader
	if l == nil || l.deadline.After(now) {
		return
	}
	switch l.phase {
	case PhaseWaiting:
		r.askVotes(now)
	case PhaseVoting:
		r.countVotes(now, true)
	case PhaseFetching:
		r.propose(now) // with what arrived
	default:
		r.abandon(Errorf(pb.ErrorCode_DEADLINE_EXCEEDED, "leader of %s/%d stuck %s", r.id, l.num, l.phase))
	}
}

// abandon ends this node's leadership of the generation; it leads again
// (if still elected) on the next head.
func (r *Replica) abandon(err error) {
	l := r.leader
	r.leader = nil
	r.noLeadTillHead = true
	r.emit(LeaderEnded{Num: l.num, Round: l.round, Err: err})
	if w := r.takeRegWait(); w != nil {
		// No answer of the chain writer will take it up now: the block is
		// registered all the same, so find it as for any other.
		r.registered(r.lastSeen, *w)
	}
}

// takeRegWait returns the registration waiting for the chain writer's
// answer, if any and still the one regs holds for its number, and forgets
// it (in regs too).
func (r *Replica) takeRegWait() *Registered {
	w := r.regWait
	r.regWait = nil
	if w == nil || r.regs[w.Num] != *w {
		return nil
	}
	delete(r.regs, w.Num)
	return w
}

// --- the replica side of a vote ----------------------------------------------

func (r *Replica) voteRequested(now time.Time, in VoteRequested) {
	answer := func(err error, vote *pb.Vote) {
		resp := &pb.VoteResponse{Vote: vote}
		if err != nil {
			resp.Error = toProtoErr(err)
		}
		r.emit(AnswerVote{Req: in.Req, To: in.From, Response: resp})
	}
	req := in.Request
	if req == nil || len(req.StreamId) != StreamIDLen || StreamID(req.StreamId) != r.id {
		answer(Errorf(pb.ErrorCode_BAD_STREAM_ID, "vote request for another stream"), nil)
		return
	}
	if r.selfIdx < 0 {
		answer(Errorf(pb.ErrorCode_NOT_REPLICA, "%s is not a replica of %s", r.self, r.id), nil)
		return
	}
	if !r.electionReady() {
		if len(r.votesQ) >= maxQueuedVotes {
			answer(Errorf(pb.ErrorCode_UNAVAILABLE, "replica not ready to vote"), nil)
			return
		}
		r.votesQ = append(r.votesQ, in)
		r.wantRandao()
		return
	}
	gen := r.v.Generation()
	if req.MiniblockNum == gen+1 && r.applyingNext() && len(r.votesQ) < maxQueuedVotes {
		// The leader's parent is registered and held here, only not yet
		// applied: answer once it is, rather than fail the vote.
		r.votesQ = append(r.votesQ, in)
		return
	}
	if req.MiniblockNum != gen || common.BytesToHash(req.PrevMiniblockHash) != r.v.LastBlock().Hash {
		if req.MiniblockNum > gen {
			r.wantBlocks(now, req.MiniblockNum, r.replicaIndex(in.From), now)
		}
		answer(Errorf(pb.ErrorCode_BAD_MINIBLOCK_NUM, "vote asked for %d, generation is %d", req.MiniblockNum, gen), nil)
		return
	}
	want := ElectLeader(r.randao, r.id, gen, req.Round, r.replicas)
	if common.BytesToAddress(req.Leader) != in.From || want != in.From {
		answer(Errorf(pb.ErrorCode_BAD_LEADER, "%s is not the leader of %s/%d round %d (%s is)", in.From, r.id, gen, req.Round, want), nil)
		return
	}
	if r.haveHead {
		if cur := RoundAt(r.lastRegisteredAt, r.head.Number, r.cfg.RoundBlocks); req.Round > cur+1 {
			answer(Errorf(pb.ErrorCode_BAD_LEADER, "round %d has not begun (round %d)", req.Round, cur), nil)
			return
		}
	}
	vote, err := r.vote()
	if err != nil {
		answer(err, nil)
		return
	}
	r.votedGen, r.votedHead = gen, r.head.Number
	answer(nil, vote.Vote)
}

// applyingNext reports whether block Generation() is registered and a
// copy with the registered hash is held (being verified or written).
func (r *Replica) applyingNext() bool {
	gen := r.v.Generation()
	if w := r.writing; w != nil && w.block != nil && w.block.mb.Header.MiniblockNum == gen {
		return true
	}
	reg, ok := r.regs[gen]
	if !ok {
		return false
	}
	for _, c := range r.blocks[gen] {
		if c.mb.Hash == reg.Hash {
			return true
		}
	}
	return false
}

func (r *Replica) serveQueuedVotes(now time.Time) {
	if len(r.votesQ) == 0 || !r.electionReady() {
		return
	}
	q := r.votesQ
	r.votesQ = nil
	for _, vr := range q {
		r.voteRequested(now, vr)
	}
}
