package streams

import (
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/towns-node/node/proto/pb"
)

// Replica is the replication state machine of one stream at one node:
// everything the node decides for the stream (admit an event, count
// announcements towards an ack, fetch a missing event and from whom, answer
// a vote, lead a block, accept or reject a block, time out) happens in
// Step, which takes an Input and the current time and returns Effects for
// the shell to carry out. It starts no goroutines, does no I/O and reads no
// clock; the same inputs give the same effects, in the same order.
//
// It keeps two views: the durable one (votes and proposals come from it)
// and the tip, the durable view plus the events being written or queued,
// which new events are checked against (so a duplicate of an event not yet
// durable is caught). One store write is in flight at a time: registered
// blocks first, then a batch of every event queued meanwhile.
//
// Acks: a client event is answered once it is durable here and announced
// (NewEventInPool) by enough other replicas to make a majority; a stream
// with one replica answers on its own write. A block is applied only after
// the configured BlockVerifier passed it against the chain's registration.
type Replica struct {
	cfg      ReplicaConfig
	verify   BlockVerifier
	id       StreamID
	self     common.Address
	replicas []common.Address
	selfIdx  int // -1: not a replica

	v, tip *View

	lastRegisteredAt uint64
	randao           common.Hash
	randaoAt         uint64
	randaoOK         bool
	randaoAsked      bool
	randaoAskedFor   uint64
	randaoFailed     bool
	rereg            []*ParsedMiniblock // blocks the chain lost, re-registered in order
	noLeadTillHead   bool               // a leadership just ended: wait for the next head
	proposed         *ParsedMiniblock   // the last block this node proposed
	proposedOn       common.Hash        // the parent it proposed it on
	votedGen         int64              // generation of the last vote given to another leader
	votedHead        uint64             // the head when it was given

	head     ChainHead
	headAt   time.Time
	haveHead bool
	// regAt is when the registration of block regAtNum was first seen:
	// a leader that learns of its parent's registration before the head
	// that mined it (its own RegisterDone returns as the block is mined)
	// counts its vote time from here, not from the older head.
	regAt    time.Time
	regAtNum int64

	nextWrite WriteID
	writing   *writeJob
	queued    []*queuedEvent

	blocks map[int64][]*heldBlock // received or own blocks, num >= generation
	regs   map[int64]Registered   // registrations seen, num >= generation
	// regWait is the registration of this node's own proposal when the
	// chain watch reported it before the chain writer answered: the
	// answer (registerDone) takes it up, or abandon replays it.
	regWait *Registered

	acks   map[common.Hash]*pendingAck // client events waiting for a majority
	ackQ   []*pendingAck               // by deadline
	holder map[common.Hash][]bool      // hash -> which replicas announced it

	missing  map[common.Hash]*missingEvent
	missQ    []common.Hash // in announcement order
	blockGet *blockFetch

	rejects map[common.Hash]*rejectEntry
	rejQ    []common.Hash
	unstore []common.Hash // rejects to drop from the store with the next block write

	leader   *leading
	votesQ   []VoteRequested // waiting for the randao
	behind   bool
	syncing  bool
	timerAt  time.Time
	out      []Effect
	lastSeen time.Time
}

type queuedEvent struct {
	ev     *ParsedEvent
	client bool
	req    ReqID
	at     time.Time
}

type writeJob struct {
	id     WriteID
	events []*queuedEvent
	gen    int64

	block *heldBlock
	facts Registered
	next  *View
	dropd []*ParsedEvent
	stale []*ParsedEvent
}

type heldBlock struct {
	mb   *ParsedMiniblock
	from common.Address
}

type pendingAck struct {
	hash      common.Hash
	req       ReqID
	gen       int64
	deadline  time.Time
	republish time.Time // gossip lost? publish once more at this time
	done      bool
}

// NewReplica returns the machine of stream v.StreamID() at node self, with
// its replicas in chain order, its durable view (restored from the store)
// and the chain block that registered its last block. Until its first
// ChainState the replica admits and writes events but neither leads, votes
// nor applies blocks: call Start, which asks for it, or feed a ChainState
// the shell read while loading.
func NewReplica(cfg ReplicaConfig, self common.Address, replicas []common.Address, v *View, lastRegisteredAt uint64) (*Replica, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if v == nil {
		return nil, fmt.Errorf("streams: replica needs a view")
	}
	if crypto.PubkeyToAddress(cfg.Key.PublicKey) != self {
		return nil, fmt.Errorf("streams: replica key is not %s's", self)
	}
	r := &Replica{
		cfg:              cfg,
		verify:           cfg.Verify,
		id:               v.StreamID(),
		self:             self,
		replicas:         append([]common.Address(nil), replicas...),
		selfIdx:          -1,
		v:                v,
		tip:              v,
		lastRegisteredAt: lastRegisteredAt,
		blocks:           map[int64][]*heldBlock{},
		regs:             map[int64]Registered{},
		acks:             map[common.Hash]*pendingAck{},
		holder:           map[common.Hash][]bool{},
		missing:          map[common.Hash]*missingEvent{},
		rejects:          map[common.Hash]*rejectEntry{},
		syncing:          true,
	}
	if r.verify == nil {
		r.verify = VerifyWithChain
	}
	for i, a := range r.replicas {
		if a == self {
			r.selfIdx = i
		}
	}
	return r, nil
}

// Start returns the effects of a freshly loaded replica: reconcile with the
// chain and read the randao that elects the next leader.
func (r *Replica) Start(now time.Time) []Effect {
	r.lastSeen = now
	r.emit(SyncChain{After: r.v.LastBlock().Num()})
	r.wantRandao()
	return r.flush(now)
}

// Step feeds one input at time now and returns what to do.
func (r *Replica) Step(now time.Time, in Input) []Effect {
	if now.Before(r.lastSeen) {
		now = r.lastSeen // time never runs backwards inside the machine
	}
	r.lastSeen = now
	switch in := in.(type) {
	case ClientEvent:
		r.clientEvent(now, in)
	case PeerEvent:
		r.peerEvent(now, in.From, in.Event)
	case PoolAnnounce:
		r.announced(now, in)
	case VoteRequested:
		r.voteRequested(now, in)
	case VoteAnswered:
		r.voteAnswered(now, in)
	case BlockReceived:
		r.blockReceived(now, in.From, in.Block)
	case Registered:
		r.registered(now, in)
	case ChainHead:
		r.head, r.headAt, r.haveHead = in, now, true
		if !in.Seen.IsZero() && in.Seen.Before(now) {
			r.headAt = in.Seen
		}
		r.randaoFailed = false
		r.noLeadTillHead = false
		if r.behind && !r.syncing {
			r.syncing = true
			r.emit(SyncChain{After: r.v.LastBlock().Num()})
		}
		gen := r.v.Generation()
		voted := r.votedGen == gen && in.Number <= r.votedHead+2*r.cfg.RoundBlocks
		if _, ok := r.regs[gen]; !ok && (len(r.blocks[gen]) > 0 || voted) {
			// A block held for the generation whose registration was
			// read before it was mined, or missed; or a block this node
			// voted for that never reached it: read the registration.
			r.emit(ReadRegistration{Num: gen})
		}
	case RandaoRead:
		r.randaoRead(now, in)
	case ChainState:
		r.chainState(now, in)
	case WriteDone:
		r.writeDone(now, in)
	case Staged:
		r.staged(now, in)
	case RegisterDone:
		r.registerDone(now, in)
	case EventsFetched:
		r.eventsFetched(now, in)
	case BlocksFetched:
		r.blocksFetched(now, in)
	case Tick:
		r.tick(now)
	}
	r.kick(now)
	r.maybeLead(now)
	return r.flush(now)
}

func (r *Replica) emit(e Effect) { r.out = append(r.out, e) }

// flush ends a step: it arms the timer for the earliest deadline and hands
// the effects over.
func (r *Replica) flush(now time.Time) []Effect {
	if at, ok := r.nextDeadline(); ok && (r.timerAt.IsZero() || !at.Equal(r.timerAt) || !r.timerAt.After(now)) {
		if !at.After(now) {
			at = now
		}
		if !at.Equal(r.timerAt) {
			r.timerAt = at
			r.emit(SetTimer{At: at})
		}
	}
	out := r.out
	r.out = nil
	return out
}

func (r *Replica) nextDeadline() (time.Time, bool) {
	var best time.Time
	consider := func(t time.Time) {
		if !t.IsZero() && (best.IsZero() || t.Before(best)) {
			best = t
		}
	}
	for len(r.ackQ) > 0 && r.ackQ[0].done {
		r.ackQ = r.ackQ[1:]
	}
	if len(r.ackQ) > 0 {
		consider(r.ackQ[0].deadline)
		for _, a := range r.ackQ {
			if !a.done && !a.republish.IsZero() {
				consider(a.republish)
				break
			}
		}
	}
	consider(r.nextFetchDeadline())
	if r.leader != nil {
		consider(r.leader.deadline)
	}
	if g := r.blockGet; g != nil {
		if g.asking >= 0 {
			consider(g.deadline)
		} else {
			consider(g.due)
		}
	}
	return best, !best.IsZero()
}

func (r *Replica) tick(now time.Time) {
	if !r.timerAt.After(now) {
		r.timerAt = time.Time{}
	}
	r.republish(now)
	for len(r.ackQ) > 0 && (r.ackQ[0].done || !r.ackQ[0].deadline.After(now)) {
		a := r.ackQ[0]
		r.ackQ = r.ackQ[1:]
		if a.done {
			continue
		}
		held := r.held(a.hash)
		r.finishAck(a, held, Errorf(pb.ErrorCode_QUORUM_NOT_REACHED,
			"event %s held by %d of %d replicas after %s", a.hash, held, len(r.replicas), r.cfg.AckTimeout))
	}
	r.fetchTick(now)
	r.blockFetchTick(now)
	r.leaderTick(now)
}

// republish gossips once more the events whose acks are overdue for a
// third of AckTimeout: NewEventReceived and this node's NewEventInPool may
// have been lost (a peer that joined the topic late, a gossip burst).
func (r *Replica) republish(now time.Time) {
	var hashes []common.Hash
	gen := r.v.Generation()
	for _, a := range r.ackQ {
		if a.done || a.republish.IsZero() {
			continue
		}
		if a.republish.After(now) {
			break // the queue is in time order
		}
		a.republish = time.Time{}
		if ev := r.v.PoolEvent(a.hash); ev != nil {
			r.emit(PublishEvent{Event: ev})
			hashes = append(hashes, a.hash)
		}
	}
	if len(hashes) > 0 {
		r.emit(PublishPool{Generation: gen, Hashes: hashes})
	}
}

// View is the durable view.
func (r *Replica) View() *View { return r.v }

// PoolEvent returns the minipool event with hash h this replica holds or
// is writing, or nil: ParseMiniblockKnown's known function.
func (r *Replica) PoolEvent(h common.Hash) *ParsedEvent { return r.tip.PoolEvent(h) }

// Replicas are the stream's replicas in chain order. Do not modify.
func (r *Replica) Replicas() []common.Address { return r.replicas }

// ReplicaStatus is what the debug endpoint shows of a replica.
type ReplicaStatus struct {
	Generation       int64
	LastNum          int64
	LastHash         common.Hash
	MinipoolLen      int
	LastRegisteredAt uint64
	Leader           string // phase, "" when not leading
	Behind           bool
	PendingAcks      int
	Missing          int
	Writing          bool
	Queued           int
	HeldBlocks       int
}

// Behind reports whether the replica knows it is behind the chain (it
// reads the chain until it has caught up): Status().Behind without the
// rest of the status.
func (r *Replica) Behind() bool { return r.behind }

// Status describes the replica.
func (r *Replica) Status() ReplicaStatus {
	s := ReplicaStatus{
		Generation:       r.v.Generation(),
		LastNum:          r.v.LastBlock().Num(),
		LastHash:         r.v.LastBlock().Hash,
		MinipoolLen:      r.v.MinipoolLen(),
		LastRegisteredAt: r.lastRegisteredAt,
		Behind:           r.behind,
		PendingAcks:      len(r.acks),
		Missing:          len(r.missing),
		Writing:          r.writing != nil,
		Queued:           len(r.queued),
	}
	for _, bs := range r.blocks {
		s.HeldBlocks += len(bs)
	}
	if r.leader != nil {
		s.Leader = r.leader.phase
	}
	return s
}

// Idle reports whether nothing is in flight or waiting: no write, no
// queued events, no pending acks or fetches, no leader, no held blocks and
// an empty minipool. A shell may passivate an idle replica.
func (r *Replica) Idle() bool {
	return r.writing == nil && len(r.queued) == 0 && len(r.acks) == 0 && len(r.missing) == 0 &&
		r.leader == nil && len(r.blocks) == 0 && r.blockGet == nil && r.v.MinipoolLen() == 0 && len(r.votesQ) == 0
}

// --- admission -------------------------------------------------------------

func (r *Replica) clientEvent(now time.Time, in ClientEvent) {
	if r.selfIdx < 0 {
		r.emit(AnswerClient{Req: in.Req, Err: Errorf(pb.ErrorCode_NOT_REPLICA, "%s is not a replica of %s", r.self, r.id)})
		return
	}
	if err := r.tip.CanAddEvent(r.cfg.Streams, in.Event, now); err != nil {
		r.emit(AnswerClient{Req: in.Req, Err: err})
		return
	}
	r.tip = r.tip.AddEvent(in.Event)
	r.queued = append(r.queued, &queuedEvent{ev: in.Event, client: true, req: in.Req, at: now})
}

func (r *Replica) peerEvent(now time.Time, from common.Address, ev *ParsedEvent) bool {
	if ev == nil {
		return false
	}
	if r.tip.HasEvent(ev.Hash) {
		return true
	}
	if err := r.tip.CanAddEvent(r.cfg.Streams, ev, now); err != nil {
		r.emit(EventRejected{From: from, Hash: ev.Hash, Err: err})
		return false
	}
	r.tip = r.tip.AddEvent(ev)
	r.queued = append(r.queued, &queuedEvent{ev: ev, at: now})
	return true
}

// --- the write pipeline ----------------------------------------------------

// kick starts the next store write if none is in flight: a verified block
// first, then a batch of queued events.
func (r *Replica) kick(now time.Time) {
	if r.writing != nil {
		return
	}
	if r.startBlockWrite(now) {
		return
	}
	if len(r.queued) == 0 {
		return
	}
	n := min(len(r.queued), r.cfg.MaxWriteBatch)
	batch := make([]*queuedEvent, n)
	copy(batch, r.queued)
	r.queued = append(r.queued[:0:0], r.queued[n:]...)
	r.nextWrite++
	r.writing = &writeJob{id: r.nextWrite, events: batch, gen: r.v.Generation()}
	evs := make([]*ParsedEvent, n)
	for i, q := range batch {
		evs[i] = q.ev
	}
	r.emit(PersistEvents{Write: r.nextWrite, Generation: r.v.Generation(), Events: evs})
}

func (r *Replica) writeDone(now time.Time, in WriteDone) {
	w := r.writing
	if w == nil || w.id != in.Write {
		return
	}
	r.writing = nil
	if w.block != nil {
		r.blockWritten(now, w, in.Err)
		return
	}
	if in.Err != nil {
		fail := Errorf(pb.ErrorCode_UNAVAILABLE, "store write failed: %v", in.Err)
		for _, q := range w.events {
			if q.client {
				r.emit(AnswerClient{Req: q.req, Err: fail})
			}
		}
		r.rebuildTip(now)
		return
	}
	evs := make([]*ParsedEvent, len(w.events))
	hashes := make([]common.Hash, len(w.events))
	for i, q := range w.events {
		r.v = r.v.AddEvent(q.ev)
		evs[i], hashes[i] = q.ev, q.ev.Hash
		r.resolveMissing(q.ev.Hash)
	}
	r.emit(EventsDurable{Events: evs})
	if len(r.replicas) > 1 {
		for _, q := range w.events {
			if q.client {
				r.emit(PublishEvent{Event: q.ev})
			}
		}
		r.emit(PublishPool{Generation: w.gen, Hashes: hashes})
	}
	maj := r.majority()
	for _, q := range w.events {
		if !q.client {
			continue
		}
		if held := r.held(q.ev.Hash); held >= maj || r.cfg.Faults.EarlyAck {
			r.emit(AnswerClient{Req: q.req, Generation: w.gen, Held: held})
			continue
		}
		a := &pendingAck{hash: q.ev.Hash, req: q.req, gen: w.gen, deadline: now.Add(r.cfg.AckTimeout),
			republish: now.Add(r.cfg.AckTimeout / 3)}
		r.acks[a.hash] = a
		r.ackQ = append(r.ackQ, a)
	}
	r.leaderEventsDurable(now)
}

// majority is Majority(k), unless a test broke the rule (Faults).
func (r *Replica) majority() int {
	if r.cfg.Faults.MinorityMajority {
		return max(1, len(r.replicas)/2)
	}
	return Majority(len(r.replicas))
}

// held counts the replicas that hold h durably: this node (if h is in the
// durable view) and the distinct other replicas that announced it.
func (r *Replica) held(h common.Hash) int {
	n := 0
	if r.selfIdx >= 0 && r.v.HasEvent(h) {
		n++
	}
	for i, ok := range r.holder[h] {
		if ok && i != r.selfIdx {
			n++
		}
	}
	return n
}

func (r *Replica) finishAck(a *pendingAck, held int, err error) {
	if a.done {
		return
	}
	a.done = true
	delete(r.acks, a.hash)
	r.emit(AnswerClient{Req: a.req, Generation: a.gen, Held: held, Err: err})
}

// rebuildTip recomputes the tip from the durable view and the queued
// events, rejecting those the new state no longer admits. Called with no
// write in flight.
func (r *Replica) rebuildTip(now time.Time) {
	t := r.v
	keep := r.queued[:0]
	for _, q := range r.queued {
		if err := t.CanAddEvent(r.cfg.Streams, q.ev, now); err != nil {
			if q.client {
				r.emit(AnswerClient{Req: q.req, Err: err})
			} else {
				r.emit(EventRejected{Hash: q.ev.Hash, Err: err})
			}
			continue
		}
		t = t.AddEvent(q.ev)
		keep = append(keep, q)
	}
	for i := len(keep); i < len(r.queued); i++ {
		r.queued[i] = nil
	}
	r.queued = keep
	r.tip = t
}

// Fail answers every request still waiting with err and forgets them: the
// shell calls it when it stops the replica. A write in flight is not
// touched; the shell answers its requesters from the write's outcome
// (WaitingOn lists them).
func (r *Replica) Fail(err error) []Effect {
	for _, q := range r.queued {
		if q.client {
			r.emit(AnswerClient{Req: q.req, Err: err})
		}
	}
	r.queued = nil
	for _, a := range r.ackQ {
		if !a.done {
			a.done = true
			r.emit(AnswerClient{Req: a.req, Generation: a.gen, Held: r.held(a.hash), Err: err})
		}
	}
	r.ackQ, r.acks = nil, map[common.Hash]*pendingAck{}
	for _, vr := range r.votesQ {
		r.emit(AnswerVote{Req: vr.Req, To: vr.From, Response: &pb.VoteResponse{Error: toProtoErr(err)}})
	}
	r.votesQ = nil
	out := r.out
	r.out = nil
	return out
}

// WaitingOn lists the client requests of the events write in flight, if
// any, with its generation.
func (r *Replica) WaitingOn() (WriteID, int64, []ReqID) {
	if r.writing == nil || r.writing.block != nil {
		return 0, 0, nil
	}
	var reqs []ReqID
	for _, q := range r.writing.events {
		if q.client {
			reqs = append(reqs, q.req)
		}
	}
	return r.writing.id, r.writing.gen, reqs
}

func toProtoErr(err error) *pb.Error {
	if e, ok := err.(*Error); ok {
		return e.ToProto()
	}
	return &pb.Error{Code: CodeOf(err), Message: err.Error()}
}
