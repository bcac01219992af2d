package actors

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/chainlink"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/store"
	"github.com/towns-node/node/streams"
)

// This file carries out a stream actor's effects: every piece of I/O runs
// on a goroutine of its own (Node.goIO) and reports back as a message.

// loadedMsg is the outcome of loading a stream: its durable view and the
// chain's view of it, read together so the machine starts reconciled.
type loadedMsg struct {
	inc       *streamActor
	view      *streams.View
	rejects   []*streams.ParsedEvent
	replicas  []common.Address
	createdAt uint64
	chain     streams.ChainState
	randao    common.Hash
	randaoAt  uint64
	randaoOK  bool
	staged    []*pb.Miniblock // staged blocks past the view, when it loads behind (sync_staged.go)
	err       error
}

// replicaInput carries the result of I/O back to the actor that started it.
type replicaInput struct {
	inc *streamActor
	in  streams.Input
}

// replicaTick is the replica's timer firing.
type replicaTick struct {
	inc *streamActor
	gen uint64
}

func (s *streamActor) send(in streams.Input) {
	s.n.sys.Root.Send(s.self, &replicaInput{inc: s, in: in})
}

func (s *streamActor) startLoad() {
	n, id, inc, self := s.n, s.id, s, s.self
	n.goIO(func() {
		ctx, cancel := n.ioCtx()
		defer cancel()
		msg := &loadedMsg{inc: inc}
		v, rec, rejects, err := loadViewRejects(ctx, n.store, id, n.cfg.Streams.RecencyWindow)
		if errors.Is(err, store.ErrStreamNotFound) {
			if err = adopt(ctx, n, id); err == nil {
				v, rec, rejects, err = loadViewRejects(ctx, n.store, id, n.cfg.Streams.RecencyWindow)
			}
		}
		if err != nil {
			msg.err = err
			n.sys.Root.Send(self, msg)
			return
		}
		msg.view, msg.createdAt, msg.rejects = v, rec.CreatedAtChainBlock, rejects
		for _, b := range rec.Nodes {
			msg.replicas = append(msg.replicas, common.BytesToAddress(b))
		}
		if len(msg.replicas) > 1 {
			// Joined before the stream serves anything: gossip published
			// once a peer sees this replica live reaches it.
			if err := n.net.JoinStream(id); err != nil {
				n.log.Warn("joining stream topic", "stream", id, "err", err)
			}
		}
		msg.chain = n.chainForLoad(ctx, id, v.LastBlock(), msg.replicas, rec.CreatedAtChainBlock)
		at := rec.CreatedAtChainBlock
		switch {
		case msg.chain.Err != nil:
		case msg.chain.LastNum == v.LastBlock().Num():
			at = msg.chain.LastRegisteredAt
		case msg.chain.AfterRegisteredAt != 0:
			at = msg.chain.AfterRegisteredAt
		}
		if r, err := n.randao.get(ctx, n.chain, at); err == nil {
			msg.randao, msg.randaoAt, msg.randaoOK = r, at, true
		}
		if msg.chain.Err == nil && shouldSync(v.LastBlock().Num(), msg.chain.LastNum, msg.replicas) {
			msg.staged = n.readStaged(ctx, id, v.Generation())
		}
		n.sys.Root.Send(self, msg)
	})
}

// adopt takes up a stream the chain placed on this node that its store
// does not hold (a stream created at another node): it fetches the genesis
// from the other replicas in chain order, checks it against the chain's
// genesis hash and the genesis rules, and stores it. store.ErrStreamNotFound
// when the chain has no such stream or does not place it here.
func adopt(ctx context.Context, n *Node, id streams.StreamID) error {
	if _, lone := n.net.(nopNetwork); lone {
		return store.ErrStreamNotFound
	}
	rec, err := n.chain.Stream(ctx, id)
	if errors.Is(err, chainlink.ErrStreamNotFound) {
		return store.ErrStreamNotFound
	}
	if err != nil {
		return fmt.Errorf("chain: %w", err)
	}
	if !slices.Contains(rec.Nodes, n.addr) {
		return store.ErrStreamNotFound
	}
	_, createdAt, err := n.chain.MiniblockHash(ctx, id, 0)
	if err != nil {
		return fmt.Errorf("chain: genesis registration: %w", err)
	}
	err = fmt.Errorf("no replica served the genesis of %s", id)
	// A node that has just started may not be connected to any replica yet
	// (the others admit it once they reread the node registry): a pass in
	// which no peer answered is tried again, a few times, before the load
	// fails. A peer that answered without the genesis ends the wait.
	for pass, wait := 0, 200*time.Millisecond; ; pass, wait = pass+1, wait*2 {
		answered, aerr := adoptOnce(ctx, n, id, rec, createdAt)
		if !errors.Is(aerr, errNoGenesisServed) {
			return aerr // adopted, or a genesis that fails the rules, or the store
		}
		if answered || pass == 3 || ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}

// errNoGenesisServed: no peer served a genesis in one pass of adoptOnce.
var errNoGenesisServed = errors.New("no genesis served")

// adoptOnce asks each source once. answered says whether any peer answered
// at all (with or without the genesis), as opposed to none being reachable.
func adoptOnce(ctx context.Context, n *Node, id streams.StreamID, rec chainlink.StreamRecord, createdAt uint64) (answered bool, err error) {
	for _, peer := range adoptSources(ctx, n, rec.Nodes) {
		resp, ferr := n.net.MiniblockRange(ctx, peer, &pb.MiniblockRangeRequest{StreamId: id.Bytes(), FromInclusive: 0, ToExclusive: 1})
		if ferr == nil && resp.GetError() != nil {
			ferr = streams.FromProto(resp.Error)
		}
		if ferr == nil || resp.GetError() != nil {
			answered = true
		}
		if ferr != nil || len(resp.Miniblocks) == 0 {
			n.log.Debug("fetching genesis", "stream", id, "peer", peer, "err", ferr)
			continue
		}
		mb, perr := streams.ParseMiniblock(resp.Miniblocks[0])
		if perr != nil || mb.Hash != rec.GenesisHash {
			n.log.Warn("peer served a genesis that is not the chain's", "stream", id, "peer", peer, "err", perr)
			continue
		}
		v, verr := streams.NewView(mb)
		if verr != nil {
			n.log.Warn("registered genesis fails the rules", "stream", id, "err", verr)
			return true, verr
		}
		sr := &pb.StreamRecord{StreamId: id.Bytes(), Settings: v.Settings(), GenesisHash: mb.Hash.Bytes(), CreatedAtChainBlock: createdAt}
		for _, a := range rec.Nodes {
			sr.Nodes = append(sr.Nodes, a.Bytes())
		}
		enc, eerr := encodeBlock(mb, nil)
		if eerr != nil {
			return true, eerr
		}
		if serr := n.store.CreateStream(ctx, sr, enc); serr != nil && !errors.Is(serr, store.ErrStreamExists) {
			return true, fmt.Errorf("store: %w", serr)
		}
		n.log.Info("adopted stream placed here", "stream", id, "from", peer)
		return true, nil
	}
	return answered, errNoGenesisServed
}

// adoptSources lists the peers to ask for a genesis: the other replicas in
// chain order, then the other registered nodes (the stream's creator need
// not be one of its replicas; the genesis is checked against the chain
// whoever serves it).
func adoptSources(ctx context.Context, n *Node, replicas []common.Address) []common.Address {
	var out []common.Address
	for _, a := range replicas {
		if a != n.addr {
			out = append(out, a)
		}
	}
	recs, err := n.chain.Nodes(ctx)
	if err != nil {
		return out
	}
	for _, r := range recs {
		if r.Address != n.addr && !slices.Contains(replicas, r.Address) {
			out = append(out, r.Address)
		}
	}
	return out
}

// maxAhead bounds the registered blocks one chain read looks at.
const maxAhead = 64

// readChainState reads the chain's record of a stream and, for the blocks
// it has beyond after, their registrations and staged copies.
func readChainState(ctx context.Context, n *Node, id streams.StreamID, after int64, createdAt uint64) streams.ChainState {
	rec, err := n.chain.Stream(ctx, id)
	if err != nil {
		return streams.ChainState{Err: err}
	}
	cs := streams.ChainState{LastNum: rec.LastMiniblockNum, LastHash: rec.LastMiniblockHash, LastRegisteredAt: rec.LastRegisteredAt}
	n.chainRecs.saw(id, cs.LastNum, cs.LastHash, cs.LastRegisteredAt)
	if rec.LastMiniblockNum <= after {
		return cs
	}
	if after == 0 {
		cs.AfterRegisteredAt = createdAt
	}
	if _, at, err := n.chain.MiniblockHash(ctx, id, after); err == nil {
		cs.AfterRegisteredAt = at
	}
	for num := after + 1; num <= rec.LastMiniblockNum && num <= after+maxAhead; num++ {
		h, at, err := n.chain.MiniblockHash(ctx, id, num)
		if err != nil {
			break
		}
		cb := streams.ChainBlock{Registered: streams.Registered{Num: num, Hash: h, ChainBlock: at}}
		if sb, err := n.store.StagedBlock(ctx, id[:], h[:]); err == nil {
			// Only verified blocks are staged (this node's own proposals,
			// blocks a sync parsed in full), so the copy is trusted as the
			// rest of the own store is: hashes checked, no signature
			// recovered (the leader's staged block came back here once
			// per sealed block, every event recovered again).
			if mb, err := decodeOwn(store.Miniblock{Num: sb.Num, Hash: sb.Hash, Data: sb.Data}); err == nil {
				cb.Staged = mb
			}
		}
		cs.Ahead = append(cs.Ahead, cb)
	}
	return cs
}

// apply carries out effects in order.
func (s *streamActor) apply(effs []streams.Effect) {
	var pubs []func(context.Context)
	var batch []*pb.Envelope // PublishEvent effects, sent as one message
	bp, batching := s.n.net.(eventsPublisher)
	now := s.n.now()
	for _, e := range effs {
		switch e := e.(type) {
		case streams.PersistEvents:
			evs := make([]store.PoolEvent, len(e.Events))
			for i, ev := range e.Events {
				evs[i] = store.PoolEvent{Hash: ev.Hash.Bytes(), Data: mustMarshal(ev.Envelope)}
			}
			gen := e.Generation
			s.startWrite(e.Write, false, func(ctx context.Context) error {
				return s.n.store.AppendEvents(ctx, s.id[:], gen, evs)
			})
		case streams.PersistBlock:
			enc, err := encodeBlock(e.Block, e.Included)
			s.startWrite(e.Write, true, func(ctx context.Context) error {
				if err != nil {
					return err
				}
				// WriteMiniblock also drops the block's staged copy.
				return s.n.store.WriteMiniblock(ctx, s.id[:], enc)
			})
		case streams.StageBlock:
			s.n.m.MinipoolEvents.Observe(float64(s.r.View().MinipoolLen()))
			mb := e.Block
			s.goIO(func(ctx context.Context) streams.Input {
				err := s.n.store.StageBlock(ctx, store.StagedBlock{
					StreamID: s.id.Bytes(),
					Num:      mb.Header.MiniblockNum,
					Hash:     mb.Hash.Bytes(),
					Parent:   mb.Header.PrevMiniblockHash,
					Data:     mustMarshal(mb.Proto),
				})
				if err != nil {
					err = fmt.Errorf("staging block: %w", err)
				}
				return streams.Staged{Hash: mb.Hash, Err: err}
			})
		case streams.RegisterBlock:
			s.n.sys.Root.Send(s.writer, &registerReq{mb: e.Block, round: e.Round, replyTo: s.self})
		case streams.PublishEvent:
			if rm, ok := s.n.net.(eventRememberer); ok {
				rm.RememberEvent(e.Event)
			}
			if batching {
				if batch == nil {
					// Published where the first event of the batch was, so
					// the events still go out before the announcement.
					pubs = append(pubs, func(ctx context.Context) { s.logPub(bp.PublishEvents(ctx, s.id, batch)) })
				}
				batch = append(batch, e.Event.Envelope)
				continue
			}
			msg := &pb.NewEventReceived{StreamId: s.id.Bytes(), Event: e.Event.Envelope, Sender: s.n.addr.Bytes()}
			pubs = append(pubs, func(ctx context.Context) { s.logPub(s.n.net.PublishEvent(ctx, s.id, msg)) })
		case streams.PublishPool:
			msg := &pb.NewEventInPool{StreamId: s.id.Bytes(), Node: s.n.addr.Bytes(), Generation: e.Generation}
			for _, h := range e.Hashes {
				msg.Hashes = append(msg.Hashes, h.Bytes())
			}
			pubs = append(pubs, func(ctx context.Context) { s.logPub(s.n.net.PublishPool(ctx, s.id, msg)) })
		case streams.PublishBlock:
			msg := &pb.NewMiniblock{Miniblock: e.Block.Proto}
			pubs = append(pubs, func(ctx context.Context) { s.logPub(s.n.net.PublishMiniblock(ctx, s.id, msg)) })
		case streams.SendVoteRequest:
			to, req := e.To, e.Request
			s.goIO(func(ctx context.Context) streams.Input {
				t0 := time.Now()
				resp, err := s.n.net.RequestVote(ctx, to, req)
				s.n.m.VoteLatency.Observe(time.Since(t0).Seconds())
				return streams.VoteAnswered{From: to, Response: resp, Err: err}
			})
		case streams.AnswerVote:
			if ch := s.voters[e.Req]; ch != nil {
				delete(s.voters, e.Req)
				ch <- e.Response
			}
		case streams.FetchEvents:
			s.n.m.Fetches.WithLabelValues(string(e.Reason)).Inc()
			from, hashes := e.From, e.Hashes
			s.goIO(func(ctx context.Context) streams.Input {
				return fetchEvents(ctx, s.n.net, s.id, from, hashes)
			})
		case streams.FetchBlocks:
			s.n.m.Fetches.WithLabelValues("blocks").Inc()
			f := e
			s.goIO(func(ctx context.Context) streams.Input {
				return fetchBlocks(ctx, s.n.net, s.id, f)
			})
		case streams.ReadRandao:
			at := e.ChainBlock
			s.goIO(func(ctx context.Context) streams.Input {
				r, err := s.n.randao.get(ctx, s.n.chain, at)
				return streams.RandaoRead{ChainBlock: at, Randao: r, Err: err}
			})
		case streams.ReadRegistration:
			num := e.Num
			s.goIO(func(ctx context.Context) streams.Input {
				h, at, err := s.n.chain.MiniblockHash(ctx, s.id, num)
				if err != nil {
					return nil // not registered (yet): the chain watch will tell
				}
				return streams.Registered{Num: num, Hash: h, ChainBlock: at}
			})
		case streams.SyncChain:
			after := e.After
			s.goIO(func(ctx context.Context) streams.Input {
				return readChainState(ctx, s.n, s.id, after, 0)
			})
		case streams.AnswerClient:
			c := s.clients[e.Req]
			if c == nil {
				continue
			}
			delete(s.clients, e.Req)
			if e.Err != nil {
				s.n.m.EventsRejected.WithLabelValues(streams.CodeOf(e.Err).String()).Inc()
			} else {
				s.n.m.EventsAdded.Inc()
				s.accepted[c.hash] = now
			}
			c.reply <- addEventResp{gen: e.Generation, held: e.Held, err: e.Err}
		case streams.SetTimer:
			s.setTimer(e.At)
		case streams.Penalize:
			s.log.Warn("peer misbehaved", "peer", e.Peer, "err", e.Reason)
		case streams.EventRejected:
			s.log.Debug("peer event rejected", "from", e.From, "event", e.Hash, "err", e.Err)
		case streams.BlockRejected:
			s.n.m.BlocksRejected.WithLabelValues(streams.CodeOf(e.Err).String()).Inc()
			s.log.Warn("miniblock rejected", "from", e.From, "num", e.Num, "hash", e.Hash, "err", e.Err)
		case streams.EventsDurable:
			for _, ev := range e.Events {
				s.notify(Update{StreamID: s.id, Event: ev.Envelope})
			}
		case streams.BlockApplied:
			s.blockApplied(e, now)
		case streams.Behind:
			s.log.Warn("stream is behind the chain; going back to sync", "err", e.Err)
			if s.syncWant == "" {
				s.syncWant = e.Err.Error()
			}
		case streams.LeaderEnded:
			s.log.Debug("leader gave up", "num", e.Num, "round", e.Round, "err", e.Err)
		}
	}
	if len(pubs) > 0 {
		s.n.goIO(func() {
			ctx, cancel := s.n.ioCtx()
			defer cancel()
			for _, p := range pubs {
				p(ctx)
			}
		})
	}
}

func (s *streamActor) logPub(err error) {
	if err != nil {
		s.log.Debug("publishing", "err", err)
	}
}

func (s *streamActor) blockApplied(e streams.BlockApplied, now time.Time) {
	mb := e.Block
	if s.lastFrom != e.From {
		s.lastFrom, s.lastFromHex = e.From, ""
	}
	s.n.m.MiniblocksSealed.Inc()
	if e.From != s.n.addr {
		s.n.m.BlocksReceived.Inc()
	}
	for _, ev := range mb.Events {
		if t, ok := s.accepted[ev.Hash]; ok {
			s.n.m.SealLatency.Observe(now.Sub(t).Seconds())
			delete(s.accepted, ev.Hash)
		}
	}
	for _, l := range [][]*streams.ParsedEvent{e.Dropped, e.Stale} {
		for _, ev := range l {
			delete(s.accepted, ev.Hash)
		}
	}
	if n := len(e.Dropped) + len(e.Stale); n > 0 {
		s.log.Debug("dropping minipool events at block boundary", "invalid", len(e.Dropped), "stale", len(e.Stale))
	}
	s.relayPushed(mb)
	s.notify(Update{StreamID: s.id, Miniblock: mb.Proto, PoolLen: s.r.View().MinipoolLen(), BlockNum: mb.Header.MiniblockNum})
	s.log.Debug("miniblock applied", "num", mb.Header.MiniblockNum, "events", len(mb.Events), "from", e.From)
}

// startWrite runs one store write off the actor.
func (s *streamActor) startWrite(id streams.WriteID, block bool, fn func(context.Context) error) {
	w := &ioWrite{id: id, block: block, done: make(chan struct{})}
	s.write = w
	s.n.goIO(func() {
		ctx, cancel := s.n.ioCtx()
		defer cancel()
		err := fn(ctx)
		w.err = err
		close(w.done)
		s.send(streams.WriteDone{Write: id, Err: err})
	})
}

// goIO runs fn off the actor and feeds its result (if any) back.
func (s *streamActor) goIO(fn func(context.Context) streams.Input) {
	s.n.goIO(func() {
		ctx, cancel := s.n.ioCtx()
		defer cancel()
		if in := fn(ctx); in != nil {
			s.send(in)
		}
	})
}

func (s *streamActor) setTimer(at time.Time) {
	if s.timer != nil {
		s.timer.Stop()
	}
	s.timerGen++
	d := max(at.Sub(s.n.now()), 0)
	sys, self, msg := s.n.sys, s.self, &replicaTick{inc: s, gen: s.timerGen}
	s.timer = time.AfterFunc(d, func() { sys.Root.Send(self, msg) })
}

func fetchEvents(ctx context.Context, net Network, id streams.StreamID, from common.Address, hashes []common.Hash) streams.Input {
	req := &pb.FetchEventsRequest{StreamId: id.Bytes()}
	for _, h := range hashes {
		req.Hashes = append(req.Hashes, h.Bytes())
	}
	out := streams.EventsFetched{From: from, Hashes: hashes}
	resp, err := net.FetchEvents(ctx, from, req)
	if err == nil && resp.GetError() != nil {
		err = streams.FromProto(resp.Error)
	}
	if err != nil {
		out.Err = err
		return out
	}
	for _, env := range resp.Events {
		// Parsed here, off the actor: one signature recovery per event.
		if ev, err := streams.ParseEnvelope(env); err == nil {
			out.Events = append(out.Events, ev)
		}
	}
	return out
}

func fetchBlocks(ctx context.Context, net Network, id streams.StreamID, f streams.FetchBlocks) streams.Input {
	out := streams.BlocksFetched{From: f.From}
	resp, err := net.MiniblockRange(ctx, f.From, &pb.MiniblockRangeRequest{StreamId: id.Bytes(), FromInclusive: f.FromNum, ToExclusive: f.ToNum})
	if err == nil && resp.GetError() != nil {
		err = streams.FromProto(resp.Error)
	}
	if err != nil {
		out.Err = err
		return out
	}
	for _, b := range resp.Miniblocks {
		mb, err := streams.ParseMiniblock(b)
		if err != nil {
			break
		}
		out.Blocks = append(out.Blocks, mb)
	}
	return out
}

// readStream answers a GetStream off the actor, from the durable view
// taken now (blocks up to its last are never rewritten). A block written
// meanwhile may carry a newer snapshot than the view's: the read is then
// retried on the actor, with the newer view.
func (s *streamActor) readStream(req *getStreamReq) {
	v, replicas := s.r.View(), s.r.Replicas()
	st, id, self := s.n.store, s.id, s.self
	s.n.goIO(func() {
		ctx, cancel := s.n.ioCtx()
		defer cancel()
		resp, err := readStream(ctx, st, id, v, replicas)
		if errors.Is(err, errReadRaced) {
			s.n.sys.Root.Send(self, &retryRead{req: req})
			return
		}
		req.reply <- getStreamResp{resp: resp, err: err}
	})
}

// retryRead re-runs a getStreamReq whose read raced a block write.
type retryRead struct{ req *getStreamReq }

var errReadRaced = errors.New("read raced a block write")

func readStream(ctx context.Context, st store.Store, id streams.StreamID, v *streams.View, replicas []common.Address) (*pb.GetStreamResponse, error) {
	snap, err := st.LatestSnapshot(ctx, id[:])
	if err != nil {
		return nil, err
	}
	last := v.LastBlock().Header.MiniblockNum
	if snap.Num > last {
		return nil, errReadRaced
	}
	stored, err := st.ReadMiniblocks(ctx, id[:], snap.Num, last+1)
	if err != nil {
		return nil, err
	}
	resp := &pb.GetStreamResponse{StreamId: id.Bytes(), Generation: v.Generation()}
	for _, b := range stored {
		if b.Num == snap.Num {
			b.Snapshot = snap.Snapshot
		}
		m := &pb.Miniblock{}
		if err := proto.Unmarshal(b.Data, m); err != nil {
			return nil, err
		}
		if len(b.Snapshot) > 0 { // the store's copy: the exact bytes the header hashes
			m.Snapshot = b.Snapshot
		}
		resp.Miniblocks = append(resp.Miniblocks, m)
	}
	for _, ev := range v.Minipool() {
		resp.Minipool = append(resp.Minipool, ev.Envelope)
	}
	for _, r := range replicas {
		resp.Nodes = append(resp.Nodes, r.Bytes())
	}
	return resp, nil
}

// loadView restores a stream's view from the store.
func loadView(ctx context.Context, st store.Store, id streams.StreamID, window int64) (*streams.View, *pb.StreamRecord, error) {
	v, rec, _, err := loadViewRejects(ctx, st, id, window)
	return v, rec, err
}

// loadViewRejects is loadView that also returns the stored minipool events
// the restored view left out as no longer valid: the replica's rejects.
func loadViewRejects(ctx context.Context, st store.Store, id streams.StreamID, window int64) (*streams.View, *pb.StreamRecord, []*streams.ParsedEvent, error) {
	rec, err := st.StreamRecord(ctx, id[:])
	if err != nil {
		return nil, nil, nil, err
	}
	snap, err := st.LatestSnapshot(ctx, id[:])
	if err != nil {
		return nil, nil, nil, fmt.Errorf("latest snapshot: %w", err)
	}
	snapMb, err := decodeOwn(snap)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("snapshot block %d: %w", snap.Num, err)
	}
	// What the view needs: the blocks after the snapshot, and those of
	// the recency window before it (duplicate detection), each read once.
	after, err := st.ReadMiniblocks(ctx, id[:], snap.Num+1, math.MaxInt64)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("read miniblocks: %w", err)
	}
	lastNum := snap.Num
	if len(after) > 0 {
		lastNum = after[len(after)-1].Num
	}
	var before []store.Miniblock
	if from := max(0, lastNum-window); from < snap.Num {
		if before, err = st.ReadMiniblocks(ctx, id[:], from, snap.Num); err != nil {
			return nil, nil, nil, fmt.Errorf("read miniblocks: %w", err)
		}
	}
	since := make([]*streams.ParsedMiniblock, 0, len(before)+1+len(after))
	for i, b := range slices.Concat(before, []store.Miniblock{snap}, after) {
		if i == len(before) {
			since = append(since, snapMb)
			continue
		}
		mb, err := decodeOwn(b)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("miniblock %d: %w", b.Num, err)
		}
		since = append(since, mb)
	}
	mp, err := st.LoadMinipool(ctx, id[:])
	if err != nil {
		return nil, nil, nil, fmt.Errorf("minipool: %w", err)
	}
	pool := make([]*streams.ParsedEvent, 0, len(mp.Events))
	for _, pe := range mp.Events {
		ev, err := streams.ParseStoredEnvelopeBytes(pe.Data)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("minipool event %x: %w", pe.Hash, err)
		}
		pool = append(pool, ev)
	}
	v, err := streams.RestoreView(snapMb, since, pool)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("restore view: %w", err)
	}
	if v.Generation() != mp.Generation {
		return nil, nil, nil, fmt.Errorf("minipool generation %d, view generation %d", mp.Generation, v.Generation())
	}
	var rejects []*streams.ParsedEvent
	for _, ev := range pool {
		if !v.HasEvent(ev.Hash) {
			rejects = append(rejects, ev)
		}
	}
	return v, rec, rejects, nil
}

// decodeStoredProto decodes a stored block, putting back the snapshot when
// the store kept it apart from the block bytes: the store's copy is the
// exact bytes the header hashes. Not parsed: for serving to a peer that
// verifies it itself.
func decodeStoredProto(b store.Miniblock) (*pb.Miniblock, error) {
	pmb := &pb.Miniblock{}
	if err := proto.Unmarshal(b.Data, pmb); err != nil {
		return nil, err
	}
	if len(b.Snapshot) > 0 {
		pmb.Snapshot = b.Snapshot
	}
	return pmb, nil
}

// decodeOwn decodes and parses a block from this node's own store: no
// signature is recovered (streams.ParseStoredMiniblock), the hashes and the
// hash chain (RestoreView applies each block to its parent) are checked.
func decodeOwn(b store.Miniblock) (*streams.ParsedMiniblock, error) {
	pmb, err := decodeStoredProto(b)
	if err != nil {
		return nil, err
	}
	return streams.ParseStoredMiniblock(pmb)
}

// encodeBlock is what the store keeps for a block.
func encodeBlock(mb *streams.ParsedMiniblock, included [][]byte) (store.Miniblock, error) {
	data, err := proto.Marshal(mb.Proto)
	if err != nil {
		return store.Miniblock{}, err
	}
	out := store.Miniblock{Num: mb.Header.MiniblockNum, Hash: mb.Hash.Bytes(), Data: data, Included: included}
	if len(mb.Proto.Snapshot) != 0 {
		out.Snapshot = mb.Proto.Snapshot // the bytes the header hashes, never re-encoded
	}
	return out, nil
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
