package actors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/ethereum/go-ethereum/common"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/chainlink"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/store"
	"github.com/towns-node/node/streams"
)

// streamActor is the only owner of one stream's view. It validates events
// against the view, hands accepted ones to the store in batches (one write
// in flight at a time, so concurrent clients share an fsync), answers each
// requester once its batch is durable, answers vote requests, starts a
// leader when this node is elected, and applies registered blocks.
//
// It keeps two views: v holds what is durable (votes and proposals come
// from it); tip is v plus the events being written or queued, and is what
// new events are checked against, so a duplicate of an unacked event is
// still caught.
type streamActor struct {
	n      *Node
	id     streams.StreamID
	cell   *statusCell
	writer *actor.PID
	self   *actor.PID
	log    *slog.Logger

	state    string // "live", "not-found", "load-error"
	loadErr  error
	v        *streams.View
	tip      *streams.View
	replicas []common.Address

	lastRegisteredAt uint64
	randaoAt         uint64
	randao           common.Hash
	randaoOK         bool
	head             chainlink.Head
	headAt           time.Time
	headInterval     time.Duration
	haveHead         bool

	writing  *writeOp
	queued   []*pendingEvent
	blocks   []*registerResult // registered, waiting for their store write
	deferred []any             // reads that wait for a block write to finish
	accepted map[common.Hash]time.Time

	leader *leaderState
	behind bool
	// reconcileDue: reconcile once no store write is in flight (it may
	// write blocks itself).
	reconcileDue bool
	subs         map[*Subscription]struct{}

	lastActive time.Time
	timer      *time.Timer
}

// writeOp is the single store write a stream actor has in flight: an
// append of accepted events, or a registered block.
type writeOp struct {
	events []*pendingEvent
	gen    int64

	block    *registerResult
	next     *streams.View // the view after the block
	included [][]byte

	done chan struct{} // closed when the write returned
	err  error         // the write's outcome, set before done closes
}

type leaderState struct {
	num   int64
	round uint32
	phase string
	since time.Time
}

func newStreamActor(n *Node, id streams.StreamID, cell *statusCell, writer *actor.PID, head *headMsg) *streamActor {
	s := &streamActor{
		n:        n,
		id:       id,
		cell:     cell,
		writer:   writer,
		log:      n.log.With("stream", id.String()),
		accepted: map[common.Hash]time.Time{},
		subs:     map[*Subscription]struct{}{},
	}
	if head != nil {
		s.setHead(head)
	}
	return s
}

func (s *streamActor) setHead(h *headMsg) {
	s.head, s.headAt, s.headInterval, s.haveHead = h.head, h.at, h.interval, true
}

func (s *streamActor) ioCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), s.n.cfg.IOTimeout)
}

func (s *streamActor) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		s.self = ctx.Self()
		s.lastActive = s.n.now()
		s.load()
		s.schedule()
		s.publish()
		if s.state == "live" {
			s.maybeLead(ctx)
		}

	case *actor.Restarting:
		s.shutdown(streams.Errorf(pb.ErrorCode_UNAVAILABLE, "stream actor restarting"))
	case *actor.Stopping:
		s.shutdown(errStopped)

	case *addEventReq:
		s.cell.seen.Add(1)
		s.lastActive = s.n.now()
		s.addEvent(msg)
		s.kick()
	case *viewReq:
		s.cell.seen.Add(1)
		if err := s.usable(); err != nil {
			msg.reply <- viewResp{err: err}
			return
		}
		msg.reply <- viewResp{view: s.v, replicas: s.replicas}
	case *getStreamReq:
		s.cell.seen.Add(1)
		if err := s.usable(); err != nil {
			msg.reply <- getStreamResp{err: err}
			return
		}
		if s.writing != nil && s.writing.block != nil {
			s.deferred = append(s.deferred, msg)
			return
		}
		s.getStream(msg)
	case *subscribeReq:
		s.cell.seen.Add(1)
		if err := s.usable(); err != nil {
			msg.reply <- err
			return
		}
		s.subs[msg.sub] = struct{}{}
		msg.reply <- nil
		s.publish()
	case *unsubscribeReq:
		s.cell.seen.Add(1)
		delete(s.subs, msg.sub)
		s.publish()

	case *headMsg:
		s.setHead(msg)
		if s.behind && s.state == "live" {
			s.requestReconcile()
		}
		s.maybeLead(ctx)
	case *voteRequest:
		s.answerVote(ctx, msg)
	case *leaderDone:
		if s.leader != nil && s.leader.num == msg.num {
			if msg.err != nil {
				s.log.Debug("leader gave up", "num", msg.num, "err", msg.err)
				s.leader = nil
			} else {
				s.leader.phase = "registering"
			}
			s.publish()
		}
	case *registerResult:
		s.registered(ctx, msg)
	case *writeDone:
		if msg.op != s.writing {
			return // from an earlier incarnation
		}
		s.writing = nil
		s.written(ctx, msg.op, msg.err)
		if s.reconcileDue && s.writing == nil && len(s.blocks) == 0 {
			s.requestReconcile()
		}
		s.kick()
		s.publish()
		s.flushDeferred()
	case *crashMsg:
		s.cell.seen.Add(1)
		panic("stream actor: crash requested")
	case *timerMsg:
		if msg.inc != s {
			return
		}
		s.tick(ctx)
	}
}

func (s *streamActor) usable() error {
	switch s.state {
	case "not-found":
		s.requestPassivation()
		return streams.Errorf(pb.ErrorCode_STREAM_NOT_FOUND, "stream %s not found", s.id)
	case "load-error":
		s.requestPassivation()
		return streams.Errorf(pb.ErrorCode_UNAVAILABLE, "stream %s failed to load: %v", s.id, s.loadErr)
	}
	return nil
}

// load rebuilds the view from the store and reconciles it with the chain.
func (s *streamActor) load() {
	ctx, cancel := s.ioCtx()
	defer cancel()
	v, rec, err := loadView(ctx, s.n.store, s.id, s.n.cfg.Streams.RecencyWindow)
	if errors.Is(err, store.ErrStreamNotFound) {
		s.state = "not-found"
		return
	}
	if err != nil {
		s.state, s.loadErr = "load-error", err
		s.log.Error("loading stream", "err", err)
		return
	}
	s.state, s.v, s.tip = "live", v, v
	s.replicas = make([]common.Address, len(rec.Nodes))
	for i, b := range rec.Nodes {
		s.replicas[i] = common.BytesToAddress(b)
	}
	s.lastRegisteredAt = rec.CreatedAtChainBlock
	s.n.m.MinipoolTotal.Add(float64(s.poolLen()))
	for _, ev := range v.Minipool() {
		s.accepted[ev.Hash] = s.n.now()
	}
	s.reconcile(ctx)
}

// loadView restores a stream's view from the store.
func loadView(ctx context.Context, st store.Store, id streams.StreamID, window int64) (*streams.View, *pb.StreamRecord, error) {
	rec, err := st.StreamRecord(ctx, id[:])
	if err != nil {
		return nil, nil, err
	}
	snap, err := st.LatestSnapshot(ctx, id[:])
	if err != nil {
		return nil, nil, fmt.Errorf("latest snapshot: %w", err)
	}
	snapMb, err := decodeStored(snap)
	if err != nil {
		return nil, nil, fmt.Errorf("snapshot block %d: %w", snap.Num, err)
	}
	last, err := st.LastMiniblock(ctx, id[:])
	if err != nil {
		return nil, nil, fmt.Errorf("last miniblock: %w", err)
	}
	from := max(0, min(snap.Num, last.Num-window))
	stored, err := st.ReadMiniblocks(ctx, id[:], from, last.Num+1)
	if err != nil {
		return nil, nil, fmt.Errorf("read miniblocks: %w", err)
	}
	since := make([]*streams.ParsedMiniblock, 0, len(stored))
	for _, b := range stored {
		if b.Num == snap.Num {
			since = append(since, snapMb)
			continue
		}
		mb, err := decodeStored(b)
		if err != nil {
			return nil, nil, fmt.Errorf("miniblock %d: %w", b.Num, err)
		}
		since = append(since, mb)
	}
	mp, err := st.LoadMinipool(ctx, id[:])
	if err != nil {
		return nil, nil, fmt.Errorf("minipool: %w", err)
	}
	pool := make([]*streams.ParsedEvent, 0, len(mp.Events))
	for _, pe := range mp.Events {
		ev, err := streams.ParseEnvelopeBytes(pe.Data)
		if err != nil {
			return nil, nil, fmt.Errorf("minipool event %x: %w", pe.Hash, err)
		}
		pool = append(pool, ev)
	}
	v, err := streams.RestoreView(snapMb, since, pool)
	if err != nil {
		return nil, nil, fmt.Errorf("restore view: %w", err)
	}
	if v.Generation() != mp.Generation {
		return nil, nil, fmt.Errorf("minipool generation %d, view generation %d", mp.Generation, v.Generation())
	}
	return v, rec, nil
}

// decodeStored parses a stored block, putting back the snapshot when the
// store kept it apart from the block bytes.
func decodeStored(b store.Miniblock) (*streams.ParsedMiniblock, error) {
	pmb := &pb.Miniblock{}
	if err := proto.Unmarshal(b.Data, pmb); err != nil {
		return nil, err
	}
	if pmb.Snapshot == nil && len(b.Snapshot) > 0 {
		pmb.Snapshot = &pb.Snapshot{}
		if err := proto.Unmarshal(b.Snapshot, pmb.Snapshot); err != nil {
			return nil, err
		}
	}
	return streams.ParseMiniblock(pmb)
}

// encodeBlock is what the store keeps for a block.
func encodeBlock(mb *streams.ParsedMiniblock, included [][]byte) (store.Miniblock, error) {
	data, err := proto.Marshal(mb.Proto)
	if err != nil {
		return store.Miniblock{}, err
	}
	out := store.Miniblock{Num: mb.Header.MiniblockNum, Hash: mb.Hash.Bytes(), Data: data, Included: included}
	if mb.Proto.Snapshot != nil {
		if out.Snapshot, err = streams.EncodeSnapshot(mb.Proto.Snapshot); err != nil {
			return store.Miniblock{}, err
		}
	}
	return out, nil
}

// reconcile compares the view with the chain: it learns when the last block
// was registered (its randao elects the next leader), applies blocks that
// the chain registered but the store missed (a crash between registration
// and write: the leader staged them), and re-registers blocks the chain
// lost (a crash of the chain's own persistence).
func (s *streamActor) reconcile(ctx context.Context) {
	s.behind = false
	rec, err := s.n.chain.Stream(ctx, s.id)
	if err != nil {
		s.log.Warn("reading stream from chain", "err", err)
		return
	}
	last := s.v.LastBlock().Header.MiniblockNum
	switch {
	case rec.LastMiniblockNum == last:
		if rec.LastMiniblockHash != s.v.LastBlock().Hash {
			s.markBehind(fmt.Errorf("chain has block %d as %s, we have %s", last, rec.LastMiniblockHash, s.v.LastBlock().Hash))
			return
		}
		s.lastRegisteredAt = rec.LastRegisteredAt
	case rec.LastMiniblockNum > last:
		for num := last + 1; num <= rec.LastMiniblockNum; num++ {
			if err := s.applyStaged(ctx, num); err != nil {
				s.markBehind(fmt.Errorf("chain is at block %d, we are at %d: %w", rec.LastMiniblockNum, num-1, err))
				return
			}
		}
		s.lastRegisteredAt = rec.LastRegisteredAt
	default:
		// The chain lost registrations we applied: register them again.
		for num := rec.LastMiniblockNum + 1; num <= last; num++ {
			mb := s.block(num)
			if mb == nil {
				s.markBehind(fmt.Errorf("chain is at block %d and block %d is no longer in memory", rec.LastMiniblockNum, num))
				return
			}
			res, err := s.n.chain.RegisterMiniblocks(ctx, []chainlink.Registration{registration(mb)})
			if err != nil || len(res) != 1 || !res[0].OK {
				s.markBehind(fmt.Errorf("re-registering block %d: %v", num, err))
				return
			}
			s.lastRegisteredAt = res[0].Block
		}
	}
}

// requestReconcile reconciles now, or once the store write in flight and the
// registered blocks waiting for theirs are done.
func (s *streamActor) requestReconcile() {
	if s.writing != nil || len(s.blocks) > 0 {
		s.reconcileDue = true
		return
	}
	s.reconcileDue = false
	ctx, cancel := s.ioCtx()
	defer cancel()
	s.reconcile(ctx)
	s.publish()
}

func (s *streamActor) block(num int64) *streams.ParsedMiniblock {
	for _, mb := range s.v.RecentBlocks() {
		if mb.Header.MiniblockNum == num {
			return mb
		}
	}
	return nil
}

func (s *streamActor) applyStaged(ctx context.Context, num int64) error {
	h, _, err := s.n.chain.MiniblockHash(ctx, s.id, num)
	if err != nil {
		return err
	}
	sb, err := s.n.store.StagedBlock(ctx, s.id[:], h[:])
	if err != nil {
		return fmt.Errorf("block %d (%s) not staged: %w", num, h, err)
	}
	mb, err := decodeStored(store.Miniblock{Num: sb.Num, Hash: sb.Hash, Data: sb.Data})
	if err != nil {
		return err
	}
	if err := s.verifyOnChain(ctx, mb); err != nil {
		return err
	}
	nv, dropped, err := s.v.Apply(mb)
	if err != nil {
		return err
	}
	enc, err := encodeBlock(mb, includedHashes(mb, dropped))
	if err != nil {
		return err
	}
	// WriteMiniblock also drops the block's staged copy.
	if err := s.n.store.WriteMiniblock(ctx, s.id[:], enc); err != nil {
		return err
	}
	s.n.m.MinipoolTotal.Sub(float64(s.poolLen()))
	s.v, s.tip = nv, nv
	s.n.m.MinipoolTotal.Add(float64(s.poolLen()))
	s.log.Info("applied staged block after restart", "num", num)
	return nil
}

func (s *streamActor) markBehind(err error) {
	s.behind = true
	s.log.Error("stream is behind the chain; not producing blocks", "err", err)
}

func registration(mb *streams.ParsedMiniblock) chainlink.Registration {
	return chainlink.Registration{
		StreamID: [32]byte(mb.Header.StreamId),
		PrevNum:  mb.Header.MiniblockNum - 1,
		PrevHash: common.BytesToHash(mb.Header.PrevMiniblockHash),
		Hash:     mb.Hash,
		Round:    mb.Header.Round,
	}
}

func includedHashes(mb *streams.ParsedMiniblock, dropped []*streams.ParsedEvent) [][]byte {
	out := make([][]byte, 0, len(mb.Events)+len(dropped))
	for _, ev := range mb.Events {
		out = append(out, ev.Hash.Bytes())
	}
	for _, ev := range dropped {
		out = append(out, ev.Hash.Bytes())
	}
	return out
}

func (s *streamActor) poolLen() int {
	if s.v == nil {
		return 0
	}
	return s.v.MinipoolLen()
}

// addEvent checks ev against the tip and queues it for the next write.
func (s *streamActor) addEvent(req *addEventReq) {
	if err := s.usable(); err != nil {
		req.reply <- addEventResp{err: err}
		return
	}
	now := s.n.now()
	if err := s.tip.CanAddEvent(s.n.cfg.Streams, req.ev, now); err != nil {
		s.n.m.EventsRejected.WithLabelValues(streams.CodeOf(err).String()).Inc()
		req.reply <- addEventResp{err: err}
		return
	}
	s.tip = s.tip.AddEvent(req.ev)
	s.queued = append(s.queued, &pendingEvent{ev: req.ev, reply: req.reply, accepted: now})
}

// kick starts the next store write if none is in flight: registered blocks
// first, then a batch of queued events.
func (s *streamActor) kick() {
	if s.writing != nil || s.state != "live" {
		return
	}
	switch {
	case len(s.blocks) > 0:
		r := s.blocks[0]
		s.blocks = s.blocks[1:]
		nv, dropped, err := s.v.Apply(r.mb)
		if err != nil {
			// A registered block we cannot apply: the core and the
			// chain disagree. Stop producing and say so.
			s.markBehind(fmt.Errorf("registered block %d does not apply: %w", r.mb.Header.MiniblockNum, err))
			s.leader = nil
			s.kick()
			return
		}
		// Events whose previous-miniblock reference fell out of the recency
		// window can never be sealed: drop them at this boundary, in the
		// same store write.
		nv, stale := nv.PruneMinipool(s.n.cfg.Streams)
		if len(dropped)+len(stale) > 0 {
			s.log.Debug("dropping minipool events at block boundary", "invalid", len(dropped), "stale", len(stale))
		}
		s.start(&writeOp{block: r, next: nv, included: includedHashes(r.mb, append(dropped, stale...))})
	case len(s.queued) > 0:
		n := min(len(s.queued), s.n.cfg.MaxWriteBatch)
		batch := make([]*pendingEvent, n)
		copy(batch, s.queued)
		s.queued = append(s.queued[:0:0], s.queued[n:]...)
		s.start(&writeOp{events: batch, gen: s.v.Generation()})
	}
}

func (s *streamActor) start(op *writeOp) {
	op.done = make(chan struct{})
	s.writing = op
	st, id, sys, self, timeout := s.n.store, s.id, s.n.sys, s.self, s.n.cfg.IOTimeout
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		err := op.run(ctx, st, id)
		op.err = err
		close(op.done)
		sys.Root.Send(self, &writeDone{op: op, err: err})
	}()
}

func (op *writeOp) run(ctx context.Context, st store.Store, id streams.StreamID) error {
	if op.block != nil {
		enc, err := encodeBlock(op.block.mb, op.included)
		if err != nil {
			return err
		}
		// WriteMiniblock also drops the block's staged copy.
		return st.WriteMiniblock(ctx, id[:], enc)
	}
	evs := make([]store.PoolEvent, len(op.events))
	for i, pe := range op.events {
		data, err := proto.Marshal(pe.ev.Envelope)
		if err != nil {
			return err
		}
		evs[i] = store.PoolEvent{Hash: pe.ev.Hash.Bytes(), Data: data}
	}
	return st.AppendEvents(ctx, id[:], op.gen, evs)
}

// written handles the end of a store write.
func (s *streamActor) written(ctx actor.Context, op *writeOp, err error) {
	if op.block == nil {
		if err != nil {
			s.log.Error("appending events", "events", len(op.events), "err", err)
			fail := streams.Errorf(pb.ErrorCode_UNAVAILABLE, "store write failed: %v", err)
			for _, pe := range op.events {
				pe.reply <- addEventResp{err: fail}
			}
			s.rebuildTip()
			return
		}
		now := s.n.now()
		for _, pe := range op.events {
			s.v = s.v.AddEvent(pe.ev)
			s.accepted[pe.ev.Hash] = now
			pe.reply <- addEventResp{gen: op.gen}
			s.notify(Update{StreamID: s.id, Event: pe.ev.Envelope})
		}
		s.n.m.EventsAdded.Add(float64(len(op.events)))
		s.n.m.MinipoolTotal.Add(float64(len(op.events)))
		// A stream that was idle need not wait for the next head: the
		// election only depends on the last head, so lead now.
		s.maybeLead(ctx)
		return
	}

	mb := op.block.mb
	num := mb.Header.MiniblockNum
	if s.leader != nil && s.leader.num <= num {
		s.leader = nil
	}
	if err != nil {
		// The block is registered and staged: reload from the store and
		// let reconcile apply it.
		s.log.Error("writing miniblock", "num", num, "err", err)
		s.reload()
		return
	}
	before := s.poolLen()
	s.v = op.next
	s.n.m.MinipoolTotal.Add(float64(s.poolLen() - before))
	s.lastRegisteredAt = op.block.res.Block
	s.n.m.MiniblocksSealed.Inc()
	now := s.n.now()
	for _, ev := range mb.Events {
		if t, ok := s.accepted[ev.Hash]; ok {
			s.n.m.SealLatency.Observe(now.Sub(t).Seconds())
			delete(s.accepted, ev.Hash)
		}
	}
	if len(s.accepted) > s.poolLen() {
		for h := range s.accepted {
			if s.v.PoolEvent(h) == nil {
				delete(s.accepted, h)
			}
		}
	}
	s.rebuildTip()
	s.notify(Update{StreamID: s.id, Miniblock: mb.Proto})
	s.log.Debug("miniblock applied", "num", num, "events", len(mb.Events))
	s.maybeLead(ctx)
}

// rebuildTip recomputes the tip from the durable view and the queued events,
// rejecting those the new state no longer admits. Called with no write in flight.
func (s *streamActor) rebuildTip() {
	t := s.v
	now := s.n.now()
	keep := s.queued[:0]
	for _, pe := range s.queued {
		if err := t.CanAddEvent(s.n.cfg.Streams, pe.ev, now); err != nil {
			pe.reply <- addEventResp{err: err}
			continue
		}
		t = t.AddEvent(pe.ev)
		keep = append(keep, pe)
	}
	s.queued = keep
	s.tip = t
}

// reload drops in-memory state and loads the stream again.
func (s *streamActor) reload() {
	fail := streams.Errorf(pb.ErrorCode_UNAVAILABLE, "stream reloaded after a store error")
	for _, pe := range s.queued {
		pe.reply <- addEventResp{err: fail}
	}
	s.queued, s.blocks = nil, nil
	s.n.m.MinipoolTotal.Sub(float64(s.poolLen()))
	s.load()
}

func (s *streamActor) notify(u Update) {
	s.n.observe(u)
	for sub := range s.subs {
		if !sub.deliver(u) {
			delete(s.subs, sub)
		}
	}
}

func (s *streamActor) flushDeferred() {
	if s.writing != nil && s.writing.block != nil {
		return
	}
	d := s.deferred
	s.deferred = nil
	for _, m := range d {
		if r, ok := m.(*getStreamReq); ok {
			s.getStream(r)
		}
	}
}

func (s *streamActor) getStream(req *getStreamReq) {
	ctx, cancel := s.ioCtx()
	defer cancel()
	resp, err := s.readStream(ctx)
	req.reply <- getStreamResp{resp: resp, err: err}
}

func (s *streamActor) readStream(ctx context.Context) (*pb.GetStreamResponse, error) {
	snap, err := s.n.store.LatestSnapshot(ctx, s.id[:])
	if err != nil {
		return nil, err
	}
	last := s.v.LastBlock().Header.MiniblockNum
	stored, err := s.n.store.ReadMiniblocks(ctx, s.id[:], min(snap.Num, last), last+1)
	if err != nil {
		return nil, err
	}
	resp := &pb.GetStreamResponse{StreamId: s.id.Bytes(), Generation: s.v.Generation()}
	for _, b := range stored {
		if b.Num == snap.Num {
			b.Snapshot = snap.Snapshot
		}
		m := &pb.Miniblock{}
		if err := proto.Unmarshal(b.Data, m); err != nil {
			return nil, err
		}
		if m.Snapshot == nil && len(b.Snapshot) > 0 {
			m.Snapshot = &pb.Snapshot{}
			if err := proto.Unmarshal(b.Snapshot, m.Snapshot); err != nil {
				return nil, err
			}
		}
		resp.Miniblocks = append(resp.Miniblocks, m)
	}
	for _, ev := range s.v.Minipool() {
		resp.Minipool = append(resp.Minipool, ev.Envelope)
	}
	for _, r := range s.replicas {
		resp.Nodes = append(resp.Nodes, r.Bytes())
	}
	return resp, nil
}

// shutdown runs before a restart or a stop: it waits for the write in
// flight and fails every request still waiting.
func (s *streamActor) shutdown(reason error) {
	if s.timer != nil {
		s.timer.Stop()
	}
	defer func() { s.n.m.MinipoolTotal.Sub(float64(s.poolLen())) }()
	if op := s.writing; op != nil {
		<-op.done
		if op.block == nil {
			for _, pe := range op.events {
				if op.err == nil {
					pe.reply <- addEventResp{gen: op.gen} // durable: the reload will find it
				} else {
					pe.reply <- addEventResp{err: reason}
				}
			}
		}
		s.writing = nil
	}
	for _, pe := range s.queued {
		pe.reply <- addEventResp{err: reason}
	}
	s.queued = nil
	for _, m := range s.deferred {
		if r, ok := m.(*getStreamReq); ok {
			r.reply <- getStreamResp{err: reason}
		}
	}
	s.deferred = nil
	for sub := range s.subs {
		sub.fail(reason)
	}
	s.subs = map[*Subscription]struct{}{}
}

// schedule arms the actor's own timer; the tick arrives as a message.
func (s *streamActor) schedule() {
	d := s.n.cfg.IdleTimeout / 2
	sys, self := s.n.sys, s.self
	msg := &timerMsg{inc: s}
	s.timer = time.AfterFunc(d, func() { sys.Root.Send(self, msg) })
}

func (s *streamActor) tick(ctx actor.Context) {
	s.schedule()
	if s.leader != nil && s.n.now().Sub(s.leader.since) > s.n.cfg.VoteTimeout+2*s.n.cfg.IOTimeout {
		s.log.Warn("leader status stuck; clearing", "num", s.leader.num, "phase", s.leader.phase)
		s.leader = nil
	}
	if s.n.now().Sub(s.lastActive) < s.n.cfg.IdleTimeout {
		return
	}
	if s.state == "live" && (s.writing != nil || len(s.queued) > 0 || len(s.blocks) > 0 ||
		s.leader != nil || len(s.subs) > 0 || s.poolLen() > 0) {
		return
	}
	s.requestPassivation()
}

func (s *streamActor) requestPassivation() {
	s.n.sys.Root.Send(s.n.registry, &passivateReq{id: s.id, pid: s.self, seen: s.cell.seen.Load()})
}

// publish refreshes what the debug endpoint shows.
func (s *streamActor) publish() {
	i := ActorInfo{Kind: KindStream, StreamID: s.id.String(), State: s.state, Subscribers: len(s.subs), Behind: s.behind}
	if s.v != nil {
		lb := s.v.LastBlock()
		i.MinipoolSize = s.v.MinipoolLen()
		i.Generation = s.v.Generation()
		i.LastMiniblockNum = lb.Header.MiniblockNum
		i.LastMiniblockHash = lb.Hash.Hex()
	}
	if s.leader != nil {
		i.Leader = s.leader.phase
	}
	s.cell.set(i)
}
