package actors

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// Catch-up: the sync mode of a stream actor, a shell around
// streams.Syncer. A stream more than syncThreshold blocks behind the
// chain's registered head (found at load, or by a live stream that saw a
// block far past its generation or could not fetch the blocks it lacks)
// leaves live production: its replica is dropped (waiting clients get
// UNAVAILABLE) and a Syncer takes over. The actor feeds it what happens
// and carries out its effects off the actor: range requests and status
// requests to peers, chain reads (the stream's head, registrations),
// staging (store.Staging), ordered block writes (one SyncApply in flight),
// bans (node-wide, visible in Node.SyncStatus and GET /debug/sync). The
// machine decides everything else: windowed requests, peer ranking, hedges
// near the head, verification in height order, bans. When it reports the
// stream caught up (the durable head reached the chain's), the actor
// reloads the stream from the store, as at start, and goes live; the
// replica's own fetch path takes the few blocks sealed meanwhile.

const (
	syncThreshold = 8 // blocks behind the chain before a stream syncs by ranges
	syncHeadEvery = time.Second
	syncLogEvery  = 5 * time.Second
	// syncAgainAfter: a stream that just went live goes back to sync no
	// sooner than this (the want waits for a later input).
	syncAgainAfter = 10 * time.Second
)

// syncState is a stream actor's sync mode.
type syncState struct {
	epoch    uint64
	m        *streams.Syncer
	reason   string
	replicas []common.Address
	started  time.Time
	startNum int64
	timer    *time.Timer // the machine's SyncSetTimer
	ticker   *time.Timer // head re-read and progress log
	timerGen uint64
	apply    *syncApplyJob // the SyncApply in flight
	headAsk  bool
	lastLog  time.Time
	logNum   int64
	rate     float64 // blocks/s over the last log interval
	done     bool
	// what the gauges show for this stream now
	shown syncShown
}

type syncShown struct {
	applied, remaining int64
	inflight, staged   int
	peers              map[string]int
}

type syncApplyJob struct {
	stop context.CancelFunc
	done chan struct{}
}

// syncMsg is a Syncer input (or a shell tick), tagged with the actor
// incarnation and the sync epoch that started it.
type syncMsg struct {
	inc   *streamActor
	epoch uint64
	in    any // streams.SyncInput, syncTimer or syncHeadTick
}

type syncTimer struct{ gen uint64 }
type syncHeadTick struct{}

// shouldSync reports whether a stream at local with the chain at target
// syncs by ranges.
func shouldSync(local, target int64, replicas []common.Address) bool {
	return len(replicas) > 1 && target-local > syncThreshold
}

func (n *Node) syncConfig(replicas []common.Address) streams.SyncConfig {
	c := streams.DefaultSyncConfig()
	c.Streams = n.cfg.Streams
	c.Replicas = replicas
	c.Workers = runtime.GOMAXPROCS(0)
	// Below a peer's p2p MaxPeerRequests (16 by default), leaving room for
	// its votes and fetches: more would be refused RESOURCE_EXHAUSTED.
	c.MaxInFlightPerPeer = 12
	if n.cfg.SyncTune != nil {
		n.cfg.SyncTune(&c)
	}
	now := n.now()
	for _, a := range replicas {
		if a != n.addr && !n.syncs().banned(a, now) {
			c.Peers = append(c.Peers, a)
		}
	}
	return c
}

// enterSync puts the loaded actor into sync mode from view v, whose last
// block the chain registered at lastRegisteredAt (0: unknown, taken from
// the next block's header); staged are this node's staged blocks past v
// (sync_staged.go), used before any peer is asked.
func (s *streamActor) enterSync(v *streams.View, replicas []common.Address, lastRegisteredAt uint64, reason string, staged []*pb.Miniblock) {
	now := s.n.now()
	m, err := streams.NewSyncer(s.n.syncConfig(replicas), v, lastRegisteredAt)
	if err != nil {
		s.log.Error("starting catch-up", "err", err)
		s.state, s.loadErr = "load-error", err
		return
	}
	s.syncEpoch++
	st := &syncState{epoch: s.syncEpoch, m: m, reason: reason, replicas: replicas, started: now,
		startNum: v.LastBlock().Num(), lastLog: now, logNum: v.LastBlock().Num()}
	s.sync, s.state = st, "syncing"
	s.n.syncs().addSyncing(s.id.String(), syncing{pid: s.self, inc: s, epoch: st.epoch, replicas: replicas})
	s.n.m.Sync.Syncing.Inc()
	s.log.Info("stream syncing from peers", "reason", reason, "local", v.LastBlock().Num(), "staged", len(staged))
	s.armSyncTicker()
	s.syncEffects(st, m.Start(now))
	if len(staged) > 0 && !st.done {
		// Before the chain's head is read, so before any range is asked.
		s.syncStep(st, streams.SyncLocalBlocks{Blocks: staged})
	}
	s.syncPublish()
	s.observeSync(SyncStarted)
}

// leaveLiveForSync drops the live replica and starts sync mode; called
// between inputs (never inside apply), with no store write in flight.
func (s *streamActor) leaveLiveForSync(reason string) {
	r := s.r
	v, replicas := r.View(), r.Replicas()
	err := streams.Errorf(pb.ErrorCode_UNAVAILABLE, "stream %s is syncing from peers: %s", s.id, reason)
	s.apply(r.Fail(err))
	for req, c := range s.clients {
		c.reply <- addEventResp{err: err}
		delete(s.clients, req)
	}
	for req, ch := range s.voters {
		ch <- &pb.VoteResponse{Error: errProto(err)}
		delete(s.voters, req)
	}
	if s.timer != nil {
		s.timer.Stop()
	}
	s.timerGen++
	s.n.m.MinipoolTotal.Sub(float64(s.pool))
	s.pool = 0
	s.r = nil
	s.enterSync(v, replicas, 0, reason, nil)
}

// maybeSync is checked after each input of a live stream: a replica that
// cannot follow the chain (streams.Behind) or that saw a block far past its
// generation goes back to sync once its store write is done.
func (s *streamActor) maybeSync() {
	if s.syncWant == "" || s.state != "live" || s.r == nil || s.write != nil {
		return
	}
	if s.n.now().Sub(s.syncEnded) < syncAgainAfter {
		return // just caught up: a cause sync cannot fix must not reload the stream in a loop
	}
	reason := s.syncWant
	s.syncWant = ""
	s.leaveLiveForSync(reason)
}

// gap notes a block num seen by a live stream; past the threshold the
// stream goes back to sync.
func (s *streamActor) gap(num int64) {
	if s.r != nil && len(s.r.Replicas()) > 1 && num > s.r.View().Generation()+syncThreshold && s.syncWant == "" {
		s.syncWant = fmt.Sprintf("saw block %d at generation %d", num, s.r.View().Generation())
	}
}

// syncRequest handles a forwarded request while the stream syncs: reads
// are served from the durable view, writes and votes are refused.
func (s *streamActor) syncRequest(m any) {
	st := s.sync
	v := st.m.Durable()
	busy := streams.Errorf(pb.ErrorCode_UNAVAILABLE, "stream %s is syncing: at %d of %d", s.id, v.LastBlock().Num(), st.m.Status().ChainHead)
	switch msg := m.(type) {
	case *viewReq:
		msg.reply <- viewResp{view: v, replicas: st.replicas}
	case *blockMsg:
		if msg.mb.Num() > st.m.Status().ChainHead && !st.headAsk {
			s.readSyncHead(st) // the peer's word is a hint: the chain says where the head is
		}
	case *registeredMsg:
		if !msg.wake && msg.reg.Num > st.m.Status().ChainHead && !st.headAsk {
			s.readSyncHead(st)
		}
	case *peerEventMsg, *poolMsg, *blockRawMsg, *unsubscribeReq:
		// Dropped: what matters arrives in blocks.
	default:
		failRequest(m, busy)
	}
}

// onSync takes a sync result or tick.
func (s *streamActor) onSync(msg *syncMsg) {
	st := s.sync
	if msg.inc != s || st == nil || msg.epoch != st.epoch || st.done {
		return
	}
	now := s.n.now()
	s.lastActive = now // a syncing stream is never idle
	switch in := msg.in.(type) {
	case syncTimer:
		if in.gen != st.timerGen {
			return
		}
		s.syncStep(st, streams.SyncTick{})
	case syncHeadTick:
		s.armSyncTicker()
		if !st.headAsk {
			s.readSyncHead(st)
		}
		if now.Sub(st.lastLog) >= syncLogEvery {
			s.syncLog(now)
			s.observeSync(SyncProgressed)
		}
	case streams.SyncChainHead:
		st.headAsk = false
		s.syncStep(st, in)
	case streams.SyncApplied:
		st.apply = nil
		s.syncStep(st, in)
	case streams.SyncInput:
		s.syncStep(st, in)
	}
	if !st.done {
		s.syncPublish()
	}
}

func (s *streamActor) syncStep(st *syncState, in streams.SyncInput) {
	s.syncEffects(st, st.m.Step(s.n.now(), in))
}

// syncEffects carries out the machine's effects in order.
func (s *streamActor) syncEffects(st *syncState, effs []streams.SyncEffect) {
	var stage []streams.SyncStage
	for _, e := range effs {
		if st.done {
			return
		}
		switch e := e.(type) {
		case streams.SyncRequestRange:
			s.askRange(st, e)
		case streams.SyncAskStatus:
			for _, p := range e.Peers {
				s.askStatus(st, p)
			}
		case streams.SyncReadChainHead:
			s.readSyncHead(st)
		case streams.SyncReadRegistrations:
			s.readRegistrations(st, e.From, e.To)
		case streams.SyncBan:
			s.banPeer(e)
		case streams.SyncStage:
			stage = append(stage, e)
		case streams.SyncOrphan:
			s.orphan(st, e.Hashes)
		case streams.SyncApply:
			s.applyBlocks(st, e)
		case streams.SyncCaughtUp:
			s.caughtUp(st)
			return
		case streams.SyncBackToSync:
			// The machine is dropped once caught up: a live stream that
			// falls behind starts a new one (maybeSync).
		case streams.SyncStalled:
			s.log.Warn("catch-up made no progress", "local", e.Local, "chain_head", e.ChainHead, "err", e.Err)
		case streams.SyncSetTimer:
			s.setSyncTimer(st, e.At)
		}
	}
	if len(stage) > 0 {
		s.stageBlocks(st, stage)
	}
}

func (s *streamActor) syncLog(now time.Time) {
	st := s.sync
	ss := st.m.Status()
	dt := now.Sub(st.lastLog).Seconds()
	if dt > 0 {
		st.rate = float64(ss.Durable-st.logNum) / dt
	}
	st.lastLog, st.logNum = now, ss.Durable
	eta := "unknown"
	if st.rate > 0 {
		eta = time.Duration(float64(ss.Remaining) / st.rate * float64(time.Second)).Round(time.Second).String()
	}
	s.log.Info("syncing", "local", ss.Durable, "chain_head", ss.ChainHead, "remaining", ss.Remaining,
		"blocks_per_s", fmt.Sprintf("%.1f", st.rate), "eta", eta,
		"node_blocks_per_s", fmt.Sprintf("%.1f", s.n.SyncStatus().BlocksPS),
		"in_flight", ss.InFlight, "staged", ss.Staged, "peers", ss.PeersUsable, "banned", ss.PeersBanned)
}

func (s *streamActor) banPeer(e streams.SyncBan) {
	detail := ""
	if e.Err != nil {
		detail = e.Err.Error()
	}
	if s.n.syncs().ban(e.Peer, string(e.Reason), detail, s.n.now().Add(e.For)) {
		s.n.m.Sync.Bans.WithLabelValues(string(e.Reason)).Inc()
		s.log.Warn("peer banned from catch-up", "peer", e.Peer, "reason", e.Reason, "for", e.For, "err", e.Err)
	}
}

// caughtUp ends sync mode: the stream reloads from the store and goes live.
func (s *streamActor) caughtUp(st *syncState) {
	ss := st.m.Status()
	now := s.n.now()
	s.syncPublish() // the last writes count too
	s.observeSync(SyncCaughtUp)
	s.stopSync()
	s.log.Info("stream caught up; going live", "head", ss.Durable, "synced", ss.Durable-st.startNum,
		"took", now.Sub(st.started).Round(time.Millisecond))
	s.state = "loading"
	s.startLoad()
}

// stopSync ends sync mode (caught up, or the actor stops); it waits for the
// block write in flight.
func (s *streamActor) stopSync() {
	st := s.sync
	if st == nil {
		return
	}
	st.done = true
	s.sync = nil
	s.syncEnded = s.n.now()
	st.timerGen++
	if st.timer != nil {
		st.timer.Stop()
	}
	if st.ticker != nil {
		st.ticker.Stop()
	}
	if j := st.apply; j != nil {
		j.stop()
		<-j.done
	}
	m := s.n.m.Sync
	m.Syncing.Dec()
	m.Remaining.Sub(float64(st.shown.remaining))
	m.InFlight.Sub(float64(st.shown.inflight))
	m.Staged.Sub(float64(st.shown.staged))
	for k, c := range st.shown.peers {
		m.Peers.WithLabelValues(k).Sub(float64(c))
	}
	s.n.syncs().done(s.id.String())
}

func (s *streamActor) setSyncTimer(st *syncState, at time.Time) {
	if st.timer != nil {
		st.timer.Stop()
	}
	st.timerGen++
	d := max(at.Sub(s.n.now()), 0)
	sys, self, msg := s.n.sys, s.self, &syncMsg{inc: s, epoch: st.epoch, in: syncTimer{gen: st.timerGen}}
	st.timer = time.AfterFunc(d, func() { sys.Root.Send(self, msg) })
}

func (s *streamActor) armSyncTicker() {
	st := s.sync
	sys, self, msg := s.n.sys, s.self, &syncMsg{inc: s, epoch: st.epoch, in: syncHeadTick{}}
	st.ticker = time.AfterFunc(syncHeadEvery, func() { sys.Root.Send(self, msg) })
}

// syncIO runs fn off the actor; its result, if any, comes back as a syncMsg.
func (s *streamActor) syncIO(st *syncState, fn func(context.Context) any) {
	inc, epoch, self := s, st.epoch, s.self
	s.n.goIO(func() {
		ctx, cancel := s.n.ioCtx()
		defer cancel()
		if out := fn(ctx); out != nil {
			s.n.sys.Root.Send(self, &syncMsg{inc: inc, epoch: epoch, in: out})
		}
	})
}

// syncPublish refreshes the debug view and the gauges.
func (s *streamActor) syncPublish() {
	st := s.sync
	if st == nil {
		return
	}
	ss := st.m.Status()
	m := s.n.m.Sync
	if d := ss.Applied - st.shown.applied; d > 0 {
		m.Applied.Add(float64(d))
		s.n.syncs().addApplied(int(d))
	}
	st.shown.applied = ss.Applied
	m.Remaining.Add(float64(ss.Remaining - st.shown.remaining))
	m.InFlight.Add(float64(ss.InFlight - st.shown.inflight))
	m.Staged.Add(float64(ss.Staged - st.shown.staged))
	st.shown.remaining, st.shown.inflight, st.shown.staged = ss.Remaining, ss.InFlight, ss.Staged
	peers := map[string]int{"ready": ss.PeersUsable, "unknown": ss.PeersNoInfo, "banned": ss.PeersBanned}
	if st.shown.peers == nil {
		st.shown.peers = map[string]int{}
	}
	for k, c := range peers {
		m.Peers.WithLabelValues(k).Add(float64(c - st.shown.peers[k]))
		st.shown.peers[k] = c
	}
	p := SyncProgress{
		StreamID: s.id.String(), Local: ss.Durable, Target: ss.ChainHead, Remaining: ss.Remaining,
		BlocksPS: st.rate, InFlight: ss.InFlight, Staged: ss.Staged, Peers: ss.PeersUsable + ss.PeersNoInfo + ss.PeersBanned,
		Banned: ss.PeersBanned, Reason: st.reason, Since: st.started.UTC().Format(time.RFC3339),
	}
	if st.rate > 0 {
		p.ETA = time.Duration(float64(ss.Remaining) / st.rate * float64(time.Second)).Round(time.Second).String()
	}
	s.n.syncs().setProgress(p)
	v := st.m.Durable()
	i := ActorInfo{Kind: KindStream, StreamID: s.id.String(), State: s.state, Generation: v.Generation(),
		LastMiniblockNum: v.LastBlock().Num(), LastMiniblockHash: v.LastBlock().Hash.Hex(), Sync: &p}
	for _, a := range st.replicas {
		i.Replicas = append(i.Replicas, a.Hex())
	}
	s.cell.set(i)
}

// errDontHave says a peer's answer means it lacks the range.
func errDontHave(err error) bool {
	switch streams.CodeOf(err) {
	case pb.ErrorCode_STREAM_NOT_FOUND, pb.ErrorCode_NOT_FOUND, pb.ErrorCode_OUT_OF_RANGE, pb.ErrorCode_NOT_REPLICA:
		return true
	}
	return false
}

// syncRegisteredAt is the chain block that registered the loaded view's
// last block, as the load read it (0: unknown).
func syncRegisteredAt(msg *loadedMsg) uint64 {
	switch {
	case msg.chain.LastNum == msg.view.LastBlock().Num():
		return msg.chain.LastRegisteredAt
	case msg.view.LastBlock().Num() == 0:
		return msg.createdAt
	}
	return msg.chain.AfterRegisteredAt
}
