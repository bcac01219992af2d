package actors

import (
	"errors"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/ethereum/go-ethereum/common"

	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/store"
	"github.com/towns-node/node/streams"
)

// streamActor is the shell around one stream's streams.Replica: it feeds
// the machine what happens (client and peer messages, chain heads, the
// outcomes of I/O, its timer) and carries out the effects the machine
// returns. It owns no protocol decision. I/O (store, chain, network) runs
// on goroutines it starts; each result comes back as a message, so Receive
// never blocks on I/O (only shutdown waits for the store write in flight).
type streamActor struct {
	n      *Node
	id     streams.StreamID
	cell   *statusCell
	writer *actor.PID
	self   *actor.PID
	log    *slog.Logger

	state   string // "loading", "live", "not-found", "load-error"
	loadErr error
	r       *streams.Replica
	early   []any // requests that arrived while loading
	// earlyAdds counts the client events in early (MaxPendingClients).
	earlyAdds int
	head      *headMsg

	nextReq     streams.ReqID
	clients     map[streams.ReqID]*clientReq
	voters      map[streams.ReqID]chan *pb.VoteResponse
	write       *ioWrite // the store write in flight
	deferred    []any    // reads that wait for a block write to finish
	accepted    map[common.Hash]time.Time
	subs        map[*Subscription]struct{}
	pool        int // minipool size last added to MinipoolTotal
	joined      bool
	lastFrom    common.Address // where the last applied block came from
	replicaHex  []string       // the replicas as the debug endpoint shows them
	lastFromHex string         // lastFrom.Hex(), "" until needed
	// behindSent is the last Behind told to the registry (heads.go).
	behindSent bool

	timer      *time.Timer // the replica's timer
	timerGen   uint64
	idle       *time.Timer // the passivation tick
	lastActive time.Time

	// sync mode (sync.go): set while the stream catches up from peers
	sync      *syncState
	syncEpoch uint64
	syncWant  string    // a live stream that must go back to sync, and why
	syncEnded time.Time // when sync mode last ended
}

type clientReq struct {
	reply chan addEventResp
	hash  common.Hash
}

// ioWrite is the store write a stream actor has in flight.
type ioWrite struct {
	id    streams.WriteID
	block bool
	done  chan struct{} // closed when the write returned
	err   error         // its outcome, set before done closes
}

func newStreamActor(n *Node, id streams.StreamID, cell *statusCell, writer *actor.PID, head *headMsg) *streamActor {
	return &streamActor{
		n:        n,
		id:       id,
		cell:     cell,
		writer:   writer,
		log:      n.log.With("stream", id),
		head:     head,
		clients:  map[streams.ReqID]*clientReq{},
		voters:   map[streams.ReqID]chan *pb.VoteResponse{},
		accepted: map[common.Hash]time.Time{},
		subs:     map[*Subscription]struct{}{},
	}
}

func (s *streamActor) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		s.self = ctx.Self()
		s.lastActive = s.n.now()
		s.state = "loading"
		s.startLoad()
		s.schedule()
		s.publish()
	case *actor.Restarting:
		s.shutdown(streams.Errorf(pb.ErrorCode_UNAVAILABLE, "stream actor restarting"))
	case *actor.Stopping:
		s.shutdown(errStopped)

	case *loadedMsg:
		if msg.inc == s {
			s.loaded(ctx, msg)
		}
	case *timerMsg:
		if msg.inc == s {
			s.tick()
		}
	case *headMsg:
		s.head = msg
		if s.state == "live" {
			s.step(streams.ChainHead{Number: msg.head.Number, Time: msg.head.Time, Interval: msg.interval, Seen: msg.at})
		}
		s.reportHeads()
	case *replicaInput:
		if msg.inc == s && s.r != nil {
			s.ioDone(msg.in)
		}
	case *replicaTick:
		if msg.inc == s && msg.gen == s.timerGen && s.r != nil {
			s.step(streams.Tick{})
		}
	case *retryRead:
		if s.state == "live" {
			s.request(msg.req)
		} else {
			msg.req.reply <- getStreamResp{err: errStopped}
		}
	case *registerResult:
		if msg.res.OK {
			s.n.chainRecs.saw(s.id, msg.mb.Header.MiniblockNum, msg.mb.Hash, msg.res.Block)
		}
		if s.r != nil {
			s.step(streams.RegisterDone{Num: msg.res.Num, Hash: msg.mb.Hash, OK: msg.res.OK, ChainBlock: msg.res.Block, Err: msg.res.Err})
		}
	case *syncMsg:
		s.onSync(msg)
	case *crashMsg:
		s.cell.seen.Add(1)
		panic("stream actor: crash requested")
	case *holdMsg:
		s.cell.seen.Add(1)
		msg.hold()
	case *addEventReq, *viewReq, *getStreamReq, *subscribeReq, *unsubscribeReq,
		*peerEventMsg, *poolMsg, *blockMsg, *blockRawMsg, *voteReqMsg, *registeredMsg:
		// Requests the registry forwarded (and counted). Each is
		// activity, reads included: a stream that is only read stays live
		// instead of passivating and reloading every idle timeout.
		s.cell.seen.Add(1)
		s.lastActive = s.n.now()
		if add, ok := msg.(*addEventReq); ok {
			if n := s.n.cfg.MaxPendingClients; n > 0 && len(s.clients)+s.earlyAdds >= n {
				// Full: refused at once, never queued; nothing of it is stored.
				add.reply <- addEventResp{err: streams.Errorf(pb.ErrorCode_RESOURCE_EXHAUSTED,
					"stream %s has %d client events waiting for their ack, limit %d: retry later", s.id, len(s.clients)+s.earlyAdds, n)}
				return
			}
		}
		if s.state == "loading" {
			if s.queueFull(msg, s.early, queueLoading) {
				return
			}
			if _, ok := msg.(*addEventReq); ok {
				s.earlyAdds++
			}
			s.early = append(s.early, msg)
			return
		}
		s.request(msg)
	}
}

// request handles a forwarded request once the stream is loaded.
func (s *streamActor) request(m any) {
	if s.state == "syncing" {
		s.syncRequest(m)
		return
	}
	switch msg := m.(type) {
	case *addEventReq:
		s.lastActive = s.n.now()
		if err := s.usable(); err != nil {
			msg.reply <- addEventResp{err: err}
			return
		}
		s.nextReq++
		s.clients[s.nextReq] = &clientReq{reply: msg.reply, hash: msg.ev.Hash}
		s.step(streams.ClientEvent{Req: s.nextReq, Event: msg.ev})
	case *viewReq:
		if err := s.usable(); err != nil {
			msg.reply <- viewResp{err: err}
			return
		}
		if s.write != nil && s.write.block {
			if !s.queueFull(msg, s.deferred, queueDeferred) {
				s.deferred = append(s.deferred, msg)
			}
			return
		}
		msg.reply <- viewResp{view: s.r.View(), replicas: s.r.Replicas()}
	case *getStreamReq:
		if err := s.usable(); err != nil {
			msg.reply <- getStreamResp{err: err}
			return
		}
		if s.write != nil && s.write.block {
			if !s.queueFull(msg, s.deferred, queueDeferred) {
				s.deferred = append(s.deferred, msg)
			}
			return
		}
		s.readStream(msg)
	case *subscribeReq:
		if err := s.usable(); err != nil {
			msg.reply <- err
			return
		}
		if msg.withView && s.write != nil && s.write.block {
			if !s.queueFull(msg, s.deferred, queueDeferred) {
				s.deferred = append(s.deferred, msg)
			}
			return
		}
		s.subs[msg.sub] = struct{}{}
		if msg.withView {
			msg.view = s.r.View()
		}
		msg.reply <- nil
		s.publish()
	case *unsubscribeReq:
		delete(s.subs, msg.sub)
		s.publish()
	case *peerEventMsg:
		if s.state == "live" {
			s.lastActive = s.n.now()
			s.step(streams.PeerEvent{From: msg.from, Event: msg.ev})
		}
	case *poolMsg:
		if s.state == "live" {
			hashes := make([]common.Hash, 0, len(msg.msg.Hashes))
			for _, h := range msg.msg.Hashes {
				if len(h) == common.HashLength {
					hashes = append(hashes, common.Hash(h))
				}
			}
			s.step(streams.PoolAnnounce{From: msg.from, Generation: msg.msg.Generation, Hashes: hashes})
		}
	case *blockMsg:
		if s.state == "live" {
			s.gap(msg.mb.Num())
			s.step(streams.BlockReceived{From: msg.from, Block: msg.mb})
		}
	case *registeredMsg:
		if s.state == "live" && !msg.wake {
			s.step(msg.reg)
		}
	case *blockRawMsg:
		if s.state != "live" {
			return
		}
		mb, err := streams.ParseMiniblockKnown(msg.mb, s.r.PoolEvent)
		if err != nil {
			s.n.m.BlocksRejected.WithLabelValues(streams.CodeOf(err).String()).Inc()
			s.log.Warn("miniblock does not parse", "from", msg.from, "err", err)
			return
		}
		s.step(streams.BlockReceived{From: msg.from, Block: mb})
	case *voteReqMsg:
		if err := s.usable(); err != nil {
			msg.reply <- &pb.VoteResponse{Error: &pb.Error{Code: streams.CodeOf(err), Message: err.Error()}}
			return
		}
		s.nextReq++
		s.voters[s.nextReq] = msg.reply
		s.step(streams.VoteRequested{From: msg.from, Req: s.nextReq, Request: msg.req})
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

// loaded takes the outcome of the load: the machine starts from the
// durable view and the chain state read with it, then the requests that
// waited are handled.
func (s *streamActor) loaded(ctx actor.Context, msg *loadedMsg) {
	switch {
	case errors.Is(msg.err, store.ErrStreamNotFound):
		s.state = "not-found"
	case msg.err != nil:
		s.state, s.loadErr = "load-error", msg.err
		s.log.Error("loading stream", "err", msg.err)
	default:
		r, err := streams.NewReplica(s.n.replicaConfig(), s.n.addr, msg.replicas, msg.view, msg.createdAt)
		if err != nil {
			s.state, s.loadErr = "load-error", err
			s.log.Error("starting replica", "err", err)
			break
		}
		if shouldSync(msg.view.LastBlock().Num(), msg.chain.LastNum, msg.replicas) && msg.chain.Err == nil {
			s.joined = true // the loader joined the topic
			s.enterSync(msg.view, msg.replicas, syncRegisteredAt(msg), "loaded behind the chain", msg.staged)
			break
		}
		r.AddRejects(msg.rejects)
		s.r, s.state = r, "live"
		now := s.n.now()
		for _, ev := range msg.view.Minipool() {
			s.accepted[ev.Hash] = now
		}
		if len(msg.replicas) > 1 {
			s.joined = true // the loader joined the topic
		}
		if msg.randaoOK {
			s.step(streams.RandaoRead{ChainBlock: msg.randaoAt, Randao: msg.randao})
		}
		s.step(msg.chain)
		if s.head != nil {
			s.step(streams.ChainHead{Number: s.head.head.Number, Time: s.head.head.Time, Interval: s.head.interval, Seen: s.head.at})
		}
	}
	early := s.early
	s.early, s.earlyAdds = nil, 0
	for _, m := range early {
		s.request(m)
	}
	s.publish()
}

// step feeds the machine one input and carries out its effects.
func (s *streamActor) step(in streams.Input) {
	s.apply(s.r.Step(s.n.now(), in))
	if p := s.r.View().MinipoolLen(); p != s.pool {
		s.n.m.MinipoolTotal.Add(float64(p - s.pool))
		s.pool = p
	}
	if s.write == nil || !s.write.block {
		s.flushDeferred()
	}
	s.maybeSync()
	if s.r == nil {
		return // gone back to sync
	}
	if _, hot := in.(streams.ClientEvent); !hot {
		s.publish() // a client event changes what shows once its write returns
	}
	if s.behindSent && !s.r.Behind() {
		s.reportHeads() // caught up between the heads of its backoff
	}
}

// ioDone takes the result of I/O the actor started.
func (s *streamActor) ioDone(in streams.Input) {
	if wd, ok := in.(streams.WriteDone); ok && s.write != nil && s.write.id == wd.Write {
		s.write = nil
	}
	s.step(in)
}

func (s *streamActor) flushDeferred() {
	d := s.deferred
	s.deferred = nil
	for _, m := range d {
		s.request(m)
	}
}

func (s *streamActor) notify(u Update) {
	s.n.observe(u)
	for sub := range s.subs {
		if !sub.deliver(u) {
			delete(s.subs, sub)
		}
	}
}

// shutdown runs before a restart or a stop: it waits for the store write
// in flight and fails every request still waiting.
func (s *streamActor) shutdown(reason error) {
	s.stopSync()
	if s.idle != nil {
		s.idle.Stop()
	}
	if s.timer != nil {
		s.timer.Stop()
	}
	s.timerGen++
	s.n.m.MinipoolTotal.Sub(float64(s.pool))
	s.pool = 0
	if s.r != nil {
		if w := s.write; w != nil {
			<-w.done
			if id, gen, reqs := s.r.WaitingOn(); id == w.id {
				lone := len(s.r.Replicas()) == 1
				for _, req := range reqs {
					c := s.clients[req]
					delete(s.clients, req)
					if w.err == nil && lone {
						c.reply <- addEventResp{gen: gen, held: 1} // durable: the reload will find it
					} else {
						c.reply <- addEventResp{err: reason}
					}
				}
			}
			s.write = nil
		}
		s.apply(s.r.Fail(reason))
	}
	for req, c := range s.clients {
		c.reply <- addEventResp{err: reason}
		delete(s.clients, req)
	}
	for req, ch := range s.voters {
		ch <- &pb.VoteResponse{Error: &pb.Error{Code: streams.CodeOf(reason), Message: reason.Error()}}
		delete(s.voters, req)
	}
	for _, m := range append(s.early, s.deferred...) {
		failRequest(m, reason)
	}
	s.early, s.deferred, s.earlyAdds = nil, nil, 0
	for sub := range s.subs {
		sub.fail(reason)
	}
	s.subs = map[*Subscription]struct{}{}
	if s.joined {
		s.joined = false
		net, id := s.n.net, s.id
		s.n.goIO(func() { net.LeaveStream(id) })
	}
}

func failRequest(m any, err error) {
	switch r := m.(type) {
	case *addEventReq:
		r.reply <- addEventResp{err: err}
	case *viewReq:
		r.reply <- viewResp{err: err}
	case *getStreamReq:
		r.reply <- getStreamResp{err: err}
	case *subscribeReq:
		r.reply <- err
	case *voteReqMsg:
		r.reply <- &pb.VoteResponse{Error: &pb.Error{Code: streams.CodeOf(err), Message: err.Error()}}
	}
}

// schedule arms the passivation tick; it arrives as a message.
func (s *streamActor) schedule() {
	sys, self, msg := s.n.sys, s.self, &timerMsg{inc: s}
	s.idle = time.AfterFunc(s.n.cfg.IdleTimeout/2, func() { sys.Root.Send(self, msg) })
}

func (s *streamActor) tick() {
	s.schedule()
	if s.n.now().Sub(s.lastActive) < s.n.cfg.IdleTimeout || s.state == "syncing" {
		return
	}
	if s.state == "loading" {
		return // a slow load holds requests in early: they are answered first
	}
	if s.state == "live" && (s.write != nil || len(s.subs) > 0 || len(s.clients) > 0 || !s.r.Idle()) {
		return
	}
	s.requestPassivation()
}

func (s *streamActor) requestPassivation() {
	s.n.sys.Root.Send(s.n.registry, &passivateReq{id: s.id, pid: s.self, seen: s.cell.seen.Load()})
}

// publish refreshes what the debug endpoint shows.
func (s *streamActor) publish() {
	if s.sync != nil {
		s.syncPublish()
		return
	}
	i := ActorInfo{Kind: KindStream, StreamID: s.id.String(), State: s.state, Subscribers: len(s.subs)}
	if s.r != nil {
		st := s.r.Status()
		i.MinipoolSize = st.MinipoolLen
		i.Generation = st.Generation
		i.LastMiniblockNum = st.LastNum
		i.LastMiniblockHash = st.LastHash.Hex()
		i.Leader = st.Leader
		i.Behind = st.Behind
		i.PendingAcks, i.Fetching, i.HeldBlocks = st.PendingAcks, st.Missing, st.HeldBlocks
		if rs := s.r.Replicas(); len(rs) > 1 {
			if len(s.replicaHex) != len(rs) { // computed once: Hex hashes
				s.replicaHex = make([]string, len(rs))
				for j, a := range rs {
					s.replicaHex[j] = a.Hex()
				}
			}
			i.Replicas = s.replicaHex
			if s.lastFrom != (common.Address{}) {
				if s.lastFromHex == "" {
					s.lastFromHex = s.lastFrom.Hex()
				}
				i.LastBlockFrom = s.lastFromHex
			}
		}
	}
	s.cell.set(i)
}
