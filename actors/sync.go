package actors

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// Catch-up: the sync mode of a stream actor. A stream more than
// syncThreshold blocks behind the chain's registered head (found at load,
// or by a live stream that sees a gap or cannot fetch the blocks it lacks)
// leaves live production: its replica is dropped (waiting clients get
// UNAVAILABLE), and the actor fetches ranges of miniblocks from the
// stream's other replicas, stages them (store.Staging), and applies the
// processable ones (NextProcessable: parent = last applied) in height
// order, each verified against its parent and the chain's registration
// before it is written. Fetching, parsing (signature recovery, in
// parallel), staging and processing all run off the actor; results come
// back as messages. Once the local head reaches the chain's registered
// head the actor reloads the stream from the store and goes live; the
// replica's own fetch path takes the last few blocks.
//
// Peers: each replica is asked its (lowest, highest) block on entry and
// every syncStatusEvery; a peer whose range is inconsistent (lowest >
// highest, or a highest that goes down), that serves a block failing
// verification, or blocks of another stream, is banned node-wide for
// syncBanFor. A peer that times out or lacks a range is skipped for that
// range, which goes to the next peer at once. Peers are ranked by the
// blocks/s they served.

const (
	syncThreshold    = 8    // blocks behind the chain before a stream syncs by ranges
	syncRangeBlocks  = 64   // blocks per range request (the server's maxRange)
	syncWindow       = 1024 // blocks requested ahead of the next to apply
	syncPeerInflight = 8    // range requests in flight per peer
	syncProcessBatch = 256  // blocks one processing job applies at most
	syncTickEvery    = 500 * time.Millisecond
	syncStatusEvery  = 10 * time.Second
	syncLogEvery     = 5 * time.Second
	syncBanFor       = time.Minute
	syncRangeTimeout = 10 * time.Second
)

// Ban reasons (node_sync_bans_total{reason}).
const (
	banInconsistent = "inconsistent_status"
	banBadBlock     = "bad_block"
	banForeign      = "foreign_block"
)

type syncPeer struct {
	addr     common.Address
	known    bool
	lowest   int64
	highest  int64
	inflight int
	blocks   int           // blocks served
	busy     time.Duration // time spent serving them
	statusAt time.Time
	asking   bool // status request in flight
}

// rate is the blocks/s the peer served (unknown peers rank as fast, so
// each is tried).
func (p *syncPeer) rate() float64 {
	if p.blocks == 0 || p.busy <= 0 {
		return 1e9
	}
	return float64(p.blocks) / p.busy.Seconds()
}

type syncRange struct {
	from, to int64
	peer     common.Address // asked now, zero if none
	tried    map[common.Address]bool
}

// syncState is a stream actor's sync mode.
type syncState struct {
	epoch     uint64
	reason    string
	v         *streams.View // last applied (durable)
	replicas  []common.Address
	createdAt uint64
	target    int64 // chain's registered head
	peers     map[common.Address]*syncPeer
	ranges    []*syncRange                   // not yet staged, by from
	cursor    int64                          // first number not in ranges nor staged
	served    map[common.Hash]common.Address // staged block -> peer that served it
	parsed    map[common.Hash]*streams.ParsedMiniblock
	stagedMax int64
	inflight  int
	procBusy  bool
	procStop  context.CancelFunc
	procDone  chan struct{}
	timer     *time.Timer
	started   time.Time
	startNum  int64
	lastLog   time.Time
	logNum    int64
	lastGain  time.Time
	rate      float64 // blocks/s, smoothed
	rateAt    time.Time
	rateNum   int64
	reading   bool // target read in flight
	done      bool
	// what the gauges show for this stream now
	remainingShown int64
	peersShown     map[string]int
}

// syncMsg is a result or timer of sync mode, tagged with the actor
// incarnation and the sync epoch that started it.
type syncMsg struct {
	inc   *streamActor
	epoch uint64
	in    any
}

type syncTargetRead struct {
	last int64
	err  error
}

type syncStatusRead struct {
	peer            common.Address
	lowest, highest int64
	err             error
}

type syncRangeRead struct {
	peer     common.Address
	from, to int64
	blocks   []*streams.ParsedMiniblock
	elapsed  time.Duration
	bad      error // a block that does not parse or is not of this stream
	err      error
}

type syncProcessed struct {
	v       *streams.View
	applied int
	badHash common.Hash
	bad     error
	err     error
}

type syncTick struct{}

// shouldSync reports whether a stream at local with the chain at target
// syncs by ranges.
func shouldSync(local, target int64, replicas []common.Address) bool {
	return len(replicas) > 1 && target-local > syncThreshold
}

// enterSync puts the loaded actor into sync mode from view v.
func (s *streamActor) enterSync(v *streams.View, replicas []common.Address, createdAt uint64, target int64, reason string) {
	now := s.n.now()
	s.syncEpoch++
	st := &syncState{
		epoch: s.syncEpoch, reason: reason, v: v, replicas: replicas, createdAt: createdAt,
		target: target, peers: map[common.Address]*syncPeer{},
		served: map[common.Hash]common.Address{}, parsed: map[common.Hash]*streams.ParsedMiniblock{},
		cursor: v.Generation(), started: now, startNum: v.LastBlock().Num(), lastLog: now, logNum: v.LastBlock().Num(),
		lastGain: now, rateAt: now, rateNum: v.LastBlock().Num(),
	}
	for _, a := range replicas {
		if a != s.n.addr {
			st.peers[a] = &syncPeer{addr: a}
		}
	}
	s.sync, s.state = st, "syncing"
	s.n.m.Sync.Syncing.Inc()
	s.log.Info("stream syncing from peers", "reason", reason, "local", v.LastBlock().Num(), "target", target, "peers", len(st.peers))
	for _, p := range st.peers {
		s.askStatus(st, p)
	}
	s.syncSchedule()
	s.armSyncTick()
	s.syncPublish()
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
	s.enterSync(v, replicas, 0, v.LastBlock().Num()+syncThreshold+1, reason)
	s.readSyncTarget(s.sync)
}

// maybeSync is checked after each input of a live stream: a replica that
// cannot follow the chain (streams.Behind) or that saw a block far past its
// generation goes back to sync once its store write is done.
func (s *streamActor) maybeSync() {
	if s.syncWant == "" || s.state != "live" || s.r == nil || s.write != nil {
		return
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
// are served from the synced view, writes and votes are refused.
func (s *streamActor) syncRequest(m any) {
	st := s.sync
	busy := streams.Errorf(pb.ErrorCode_UNAVAILABLE, "stream %s is syncing: at %d of %d", s.id, st.v.LastBlock().Num(), st.target)
	switch msg := m.(type) {
	case *viewReq:
		msg.reply <- viewResp{view: st.v, replicas: st.replicas}
	case *blockMsg:
		s.syncHint(msg.mb.Num())
	case *registeredMsg:
		if !msg.wake {
			s.syncHint(msg.reg.Num)
		}
	case *peerEventMsg, *poolMsg, *blockRawMsg, *unsubscribeReq:
		// Dropped: what matters arrives in blocks.
	default:
		failRequest(m, busy)
	}
}

// syncHint takes a block number a peer or the chain mentioned: the target
// is re-read when it is past it.
func (s *streamActor) syncHint(num int64) {
	if st := s.sync; st != nil && num > st.target {
		s.readSyncTarget(st)
	}
}

// onSync takes a sync result or tick.
func (s *streamActor) onSync(m *syncMsg) {
	st := s.sync
	if m.inc != s || st == nil || m.epoch != st.epoch || st.done {
		return
	}
	now := s.n.now()
	switch in := m.in.(type) {
	case syncTick:
		s.armSyncTick()
		s.syncTickNow(now)
	case syncTargetRead:
		st.reading = false
		if in.err != nil {
			s.log.Debug("reading the chain's head of the stream", "err", in.err)
		} else if in.last > st.target || in.last < st.target {
			st.target = in.last
		}
	case syncStatusRead:
		s.statusRead(st, now, in)
	case syncRangeRead:
		s.rangeRead(st, now, in)
	case syncProcessed:
		s.processed(st, now, in)
	}
	if st.done {
		return
	}
	s.syncSchedule()
	s.syncPublish()
	s.maybeLive(now)
}

func (s *streamActor) syncTickNow(now time.Time) {
	st := s.sync
	s.lastActive = now // a syncing stream is never idle
	if !st.reading {
		s.readSyncTarget(st)
	}
	for _, p := range st.peers {
		if !p.asking && now.Sub(p.statusAt) >= syncStatusEvery {
			s.askStatus(st, p)
		}
	}
	if now.Sub(st.lastLog) >= syncLogEvery {
		s.syncLog(now)
	}
}

func (s *streamActor) syncLog(now time.Time) {
	st := s.sync
	local := st.v.LastBlock().Num()
	dt := now.Sub(st.lastLog).Seconds()
	rate := 0.0
	if dt > 0 {
		rate = float64(local-st.logNum) / dt
	}
	st.lastLog, st.logNum = now, local
	remaining := max(st.target-local, 0)
	eta := "unknown"
	if rate > 0 {
		eta = (time.Duration(float64(remaining) / rate * float64(time.Second))).Round(time.Second).String()
	}
	total := s.n.SyncStatus().BlocksPS
	s.log.Info("syncing", "local", local, "target", st.target, "remaining", remaining,
		"blocks_per_s", fmt.Sprintf("%.1f", rate), "eta", eta, "node_blocks_per_s", fmt.Sprintf("%.1f", total),
		"in_flight", st.inflight, "staged", len(st.parsed))
}

// askStatus asks a peer for its (lowest, highest) block of the stream.
func (s *streamActor) askStatus(st *syncState, p *syncPeer) {
	p.asking = true
	p.statusAt = s.n.now()
	to, id := p.addr, s.id
	s.syncIO(st, func(ctx context.Context) any {
		resp, err := s.n.net.StreamStatus(ctx, to, &pb.StreamStatusRequest{StreamId: id.Bytes()})
		if err == nil && resp.GetError() != nil {
			err = streams.FromProto(resp.Error)
		}
		if err != nil {
			return syncStatusRead{peer: to, err: err}
		}
		lowest := resp.GetFirstMiniblockNum()
		return syncStatusRead{peer: to, lowest: lowest, highest: resp.GetLastMiniblockNum()}
	})
}

func (s *streamActor) statusRead(st *syncState, now time.Time, in syncStatusRead) {
	p := st.peers[in.peer]
	if p == nil {
		return
	}
	p.asking = false
	if in.err != nil {
		s.log.Debug("peer status", "peer", in.peer, "err", in.err)
		return
	}
	switch {
	case in.lowest < 0 || in.lowest > in.highest:
		s.banPeer(in.peer, banInconsistent, fmt.Sprintf("reported blocks %d to %d", in.lowest, in.highest))
		return
	case p.known && in.highest < p.highest:
		s.banPeer(in.peer, banInconsistent, fmt.Sprintf("highest block went down from %d to %d", p.highest, in.highest))
		return
	}
	p.known, p.lowest, p.highest = true, in.lowest, in.highest
	if in.highest > st.target && !st.reading {
		s.readSyncTarget(st) // the peer's word is a hint; the chain says where the head is
	}
}

func (s *streamActor) banPeer(peer common.Address, reason, detail string) {
	if s.n.syncs().ban(peer, reason, detail, s.n.now().Add(syncBanFor)) {
		s.n.m.Sync.Bans.WithLabelValues(reason).Inc()
		s.log.Warn("peer banned from catch-up", "peer", peer, "reason", reason, "detail", detail, "for", syncBanFor)
	}
}

func (s *streamActor) readSyncTarget(st *syncState) {
	st.reading = true
	id := s.id
	s.syncIO(st, func(ctx context.Context) any {
		rec, err := s.n.chain.Stream(ctx, id)
		if err != nil {
			return syncTargetRead{err: err}
		}
		return syncTargetRead{last: rec.LastMiniblockNum}
	})
}

// syncSchedule fills the window with ranges and hands them to peers, and
// starts processing when it is idle and something is staged.
func (s *streamActor) syncSchedule() {
	st := s.sync
	now := s.n.now()
	next := st.v.Generation()
	limit := min(st.target+1, next+syncWindow)
	if st.cursor < next {
		st.cursor = next
	}
	for st.cursor < limit {
		to := min(st.cursor+syncRangeBlocks, limit)
		st.ranges = append(st.ranges, &syncRange{from: st.cursor, to: to, tried: map[common.Address]bool{}})
		st.cursor = to
	}
	sh := s.n.syncs()
	for _, r := range st.ranges {
		if r.peer != (common.Address{}) {
			continue
		}
		var best *syncPeer
		for _, p := range st.peers {
			if r.tried[p.addr] || p.inflight >= syncPeerInflight || sh.banned(p.addr, now) {
				continue
			}
			if p.known && (p.highest < r.from || p.lowest > r.from) {
				continue
			}
			if best == nil || p.rate() > best.rate() || (p.rate() == best.rate() && p.inflight < best.inflight) {
				best = p
			}
		}
		if best == nil {
			if len(r.tried) > 0 && s.allTried(r, now) {
				r.tried = map[common.Address]bool{} // every peer failed it once: start over on the next pass
			}
			continue
		}
		s.askRange(st, best, r)
	}
	if !st.procBusy && len(st.parsed) > 0 {
		s.startProcess(st)
	}
}

func (s *streamActor) allTried(r *syncRange, now time.Time) bool {
	for _, p := range s.sync.peers {
		if !r.tried[p.addr] && !s.n.syncs().banned(p.addr, now) {
			return false
		}
	}
	return true
}

func (s *streamActor) askRange(st *syncState, p *syncPeer, r *syncRange) {
	r.peer = p.addr
	p.inflight++
	st.inflight++
	s.n.m.Sync.InFlight.Inc()
	s.n.m.Fetches.WithLabelValues("sync").Inc()
	to, id, from, end := p.addr, s.id, r.from, r.to
	s.syncIO(st, func(ctx context.Context) any {
		ctx, cancel := context.WithTimeout(ctx, syncRangeTimeout)
		defer cancel()
		t0 := time.Now()
		out := syncRangeRead{peer: to, from: from, to: end}
		resp, err := s.n.net.MiniblockRange(ctx, to, &pb.MiniblockRangeRequest{StreamId: id.Bytes(), FromInclusive: from, ToExclusive: end})
		if err == nil && resp.GetError() != nil {
			err = streams.FromProto(resp.Error)
		}
		if err != nil {
			out.err, out.elapsed = err, time.Since(t0)
			return out
		}
		out.blocks, out.bad = parseRange(resp.Miniblocks, id, from, end)
		out.elapsed = time.Since(t0)
		if len(out.blocks) > 0 {
			if err := s.stageBlocks(ctx, out.blocks); err != nil {
				out.blocks, out.err = nil, err
			}
		}
		return out
	})
}

func (s *streamActor) rangeRead(st *syncState, now time.Time, in syncRangeRead) {
	st.inflight--
	s.n.m.Sync.InFlight.Dec()
	p := st.peers[in.peer]
	if p != nil {
		p.inflight--
	}
	var r *syncRange
	for _, x := range st.ranges {
		if x.from == in.from && x.peer == in.peer {
			r = x
			break
		}
	}
	if in.bad != nil {
		reason := banBadBlock
		if streams.CodeOf(in.bad) == pb.ErrorCode_BAD_STREAM_ID {
			reason = banForeign
		}
		s.banPeer(in.peer, reason, in.bad.Error())
	}
	outcome := "ok"
	switch {
	case in.err != nil:
		outcome = "error"
		s.log.Debug("range request failed", "peer", in.peer, "from", in.from, "to", in.to, "err", in.err)
	case len(in.blocks) == 0:
		outcome = "empty"
	case int64(len(in.blocks)) < in.to-in.from:
		outcome = "short"
	}
	s.n.m.Sync.Requests.WithLabelValues(outcome).Inc()
	if p != nil && len(in.blocks) > 0 {
		p.blocks += len(in.blocks)
		p.busy += in.elapsed
	}
	next := st.v.Generation()
	for _, mb := range in.blocks {
		if mb.Num() < next {
			continue
		}
		if _, ok := st.parsed[mb.Hash]; !ok {
			st.parsed[mb.Hash] = mb
			s.n.m.Sync.Staged.Inc()
		}
		st.served[mb.Hash] = in.peer
		st.stagedMax = max(st.stagedMax, mb.Num())
	}
	if r == nil {
		return
	}
	got := int64(len(in.blocks))
	if got == r.to-r.from {
		st.ranges = slices.DeleteFunc(st.ranges, func(x *syncRange) bool { return x == r })
		return
	}
	// Short, empty or failed: the rest goes to another peer at once.
	r.from += got
	r.tried[in.peer] = true
	r.peer = common.Address{}
}

// startProcess hands the staged blocks to one processing job.
func (s *streamActor) startProcess(st *syncState) {
	st.procBusy = true
	ctx, cancel := context.WithCancel(s.n.ioCtxt)
	st.procStop = cancel
	done := make(chan struct{})
	st.procDone = done
	v, replicas, known := st.v, st.replicas, st.parsed
	cache := make(map[common.Hash]*streams.ParsedMiniblock, min(len(known), syncProcessBatch))
	next := v.Generation()
	for h, mb := range known {
		if mb.Num() < next+syncProcessBatch {
			cache[h] = mb
		}
	}
	inc, epoch := s, st.epoch
	s.n.goIO(func() {
		defer close(done)
		defer cancel()
		res := s.process(ctx, v, replicas, cache)
		s.n.sys.Root.Send(s.self, &syncMsg{inc: inc, epoch: epoch, in: res})
	})
}

func (s *streamActor) processed(st *syncState, now time.Time, in syncProcessed) {
	st.procBusy = false
	st.procStop, st.procDone = nil, nil
	if in.applied > 0 {
		st.v = in.v
		st.lastGain = now
		s.n.m.Sync.Applied.Add(float64(in.applied))
		s.n.syncs().addApplied(in.applied)
		next := st.v.Generation()
		for h, mb := range st.parsed {
			if mb.Num() < next {
				delete(st.parsed, h)
				delete(st.served, h)
				s.n.m.Sync.Staged.Dec()
			}
		}
		if dt := now.Sub(st.rateAt).Seconds(); dt >= 1 {
			st.rate = float64(st.v.LastBlock().Num()-st.rateNum) / dt
			st.rateAt, st.rateNum = now, st.v.LastBlock().Num()
		}
	}
	if in.bad != nil {
		peer := st.served[in.badHash]
		num := int64(-1)
		if mb := st.parsed[in.badHash]; mb != nil {
			num = mb.Num()
			delete(st.parsed, in.badHash)
			delete(st.served, in.badHash)
			s.n.m.Sync.Staged.Dec()
		}
		s.n.m.BlocksRejected.WithLabelValues(streams.CodeOf(in.bad).String()).Inc()
		if peer != (common.Address{}) {
			s.banPeer(peer, banBadBlock, in.bad.Error())
		}
		if num >= 0 {
			s.refetch(st, num)
		}
	}
	if in.err != nil {
		s.log.Warn("applying synced blocks", "err", in.err)
	}
	// Blocks staged before one that failed may still wait: run again.
}

// refetch asks for block num again (from a peer that did not serve the bad copy).
func (s *streamActor) refetch(st *syncState, num int64) {
	for _, r := range st.ranges {
		if r.from <= num && num < r.to {
			return
		}
	}
	st.ranges = append(st.ranges, &syncRange{from: num, to: num + 1, tried: map[common.Address]bool{}})
	slices.SortFunc(st.ranges, func(a, b *syncRange) int { return int(a.from - b.from) })
}

// maybeLive switches to live production once the local head reaches the
// chain's registered head (the chain, not the peers, says where it is):
// the actor reloads the stream from the store, as at start.
func (s *streamActor) maybeLive(now time.Time) {
	st := s.sync
	if st.procBusy || st.reading || st.v.LastBlock().Num() < st.target {
		return
	}
	s.stopSync()
	s.log.Info("stream caught up; going live", "head", st.v.LastBlock().Num(),
		"synced", st.v.LastBlock().Num()-st.startNum, "took", now.Sub(st.started).Round(time.Millisecond))
	s.state = "loading"
	s.startLoad()
}

// stopSync ends sync mode (caught up, or the actor stops); it waits for a
// processing job in flight, which writes to the store.
func (s *streamActor) stopSync() {
	st := s.sync
	if st == nil {
		return
	}
	st.done = true
	s.sync = nil
	if st.timer != nil {
		st.timer.Stop()
	}
	if st.procStop != nil {
		st.procStop()
		<-st.procDone
	}
	s.n.m.Sync.Syncing.Dec()
	s.n.m.Sync.InFlight.Sub(float64(st.inflight))
	s.n.m.Sync.Staged.Sub(float64(len(st.parsed)))
	s.n.m.Sync.Remaining.Sub(float64(st.remainingShown))
	for k, c := range st.peersShown {
		s.n.m.Sync.Peers.WithLabelValues(k).Sub(float64(c))
	}
	s.n.syncs().done(s.id.String())
}

func (s *streamActor) armSyncTick() {
	st := s.sync
	sys, self, msg := s.n.sys, s.self, &syncMsg{inc: s, epoch: st.epoch, in: syncTick{}}
	st.timer = time.AfterFunc(syncTickEvery, func() { sys.Root.Send(self, msg) })
}

// syncIO runs fn off the actor; its result comes back as a syncMsg.
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
	local := st.v.LastBlock().Num()
	remaining := max(st.target-local, 0)
	s.n.m.Sync.Remaining.Add(float64(remaining - st.remainingShown))
	st.remainingShown = remaining
	now := s.n.now()
	states := map[string]int{"ready": 0, "unknown": 0, "banned": 0}
	for _, p := range st.peers {
		switch {
		case s.n.syncs().banned(p.addr, now):
			states["banned"]++
		case p.known:
			states["ready"]++
		default:
			states["unknown"]++
		}
	}
	if st.peersShown == nil {
		st.peersShown = map[string]int{}
	}
	for k, c := range states {
		s.n.m.Sync.Peers.WithLabelValues(k).Add(float64(c - st.peersShown[k]))
		st.peersShown[k] = c
	}
	banned := states["banned"]
	p := SyncProgress{
		StreamID: s.id.String(), Local: local, Target: st.target, Remaining: remaining,
		BlocksPS: st.rate, InFlight: st.inflight, Staged: len(st.parsed), Peers: len(st.peers), Banned: banned,
		Reason: st.reason, Since: st.started.UTC().Format(time.RFC3339),
	}
	if st.rate > 0 {
		p.ETA = time.Duration(float64(remaining) / st.rate * float64(time.Second)).Round(time.Second).String()
	}
	s.n.syncs().setProgress(p)
	i := ActorInfo{Kind: KindStream, StreamID: s.id.String(), State: s.state, Generation: st.v.Generation(),
		LastMiniblockNum: local, LastMiniblockHash: st.v.LastBlock().Hash.Hex(), Sync: &p}
	for _, a := range st.replicas {
		i.Replicas = append(i.Replicas, a.Hex())
	}
	s.cell.set(i)
}
