package streams

import (
	"bytes"
	"slices"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/towns-node/node/proto/pb"
)

// This file is the Syncer's peers (status, bans, ranking) and requests
// (window, chunks, in-flight caps), and what it shows of itself.

type syncPeer struct {
	addr            common.Address
	lowest, highest int64
	haveStatus      bool
	bannedUntil     time.Time
	inflight        int
	cantFrom        int64 // answered "don't have" from here on, until its next status; -1 none
	rate            float64
	latency         time.Duration
	samples         int
}

type syncReq struct {
	id       SyncReqID
	peer     common.Address
	from, to int64
	chunk    int64
	sent     time.Time
	deadline time.Time
}

// optimisticRate is the blocks/s assumed of a peer not measured yet, so
// that every peer is tried early.
const optimisticRate = 1e6

// --- peers -----------------------------------------------------------------

func (s *Syncer) peer(a common.Address) *syncPeer {
	if p := s.peers[a]; p != nil {
		return p
	}
	p := &syncPeer{addr: a, cantFrom: -1, lowest: -1, highest: -1}
	s.peers[a] = p
	i, _ := slices.BinarySearchFunc(s.order, a, func(x, y common.Address) int { return bytes.Compare(x[:], y[:]) })
	s.order = slices.Insert(s.order, i, a)
	return p
}

func (p *syncPeer) banned(now time.Time) bool { return p.bannedUntil.After(now) }

// sample folds one answer (blocks in elapsed) into the peer's rate and
// latency.
func (p *syncPeer) sample(blocks int, elapsed time.Duration) {
	elapsed = max(elapsed, time.Millisecond)
	rate := float64(blocks) / elapsed.Seconds()
	if p.samples == 0 {
		p.rate, p.latency = rate, elapsed
	} else {
		const a = 0.3
		p.rate = (1-a)*p.rate + a*rate
		p.latency = time.Duration((1-a)*float64(p.latency) + a*float64(elapsed))
	}
	p.samples++
}

// inflightCap is how many ranges p may have outstanding: 2 until it has
// answered, doubling with each answer up to max (a slow start, so a peer
// not measured yet cannot take the whole window).
func (p *syncPeer) inflightCap(limit int) int {
	if p.samples >= 4 {
		return limit
	}
	return min(limit, 2<<p.samples)
}

// cost is the expected time for p to serve one more range of n blocks.
func (p *syncPeer) cost(n int) float64 {
	rate, lat := optimisticRate, 0.0
	if p.samples > 0 {
		rate, lat = max(p.rate, 0.01), p.latency.Seconds()
	}
	return lat + float64((p.inflight+1)*n)/rate
}

func (s *Syncer) askStatus(now time.Time) {
	s.statusDue, s.statusAt = now.Add(s.cfg.StatusEvery), now
	var ask []common.Address
	for _, a := range s.order {
		if !s.peers[a].banned(now) {
			ask = append(ask, a)
		}
	}
	if len(ask) > 0 {
		s.emit(SyncAskStatus{Peers: ask})
	}
}

func (s *Syncer) askStatusOf(a common.Address) { s.emit(SyncAskStatus{Peers: []common.Address{a}}) }

func (s *Syncer) peerStatus(now time.Time, in SyncPeerStatus) {
	p := s.peer(in.Peer)
	if p.banned(now) {
		return
	}
	if in.Err != nil {
		p.haveStatus = false
		return
	}
	switch {
	case in.Lowest > in.Highest || in.Lowest < 0:
		s.ban(now, p, BanLyingHeight, Errorf(pb.ErrorCode_BAD_MINIBLOCK_NUM, "status (%d, %d): lowest above highest", in.Lowest, in.Highest))
		return
	case p.haveStatus && in.Highest < p.highest:
		s.ban(now, p, BanLyingHeight, Errorf(pb.ErrorCode_BAD_MINIBLOCK_NUM, "status highest %d, it said %d before", in.Highest, p.highest))
		return
	}
	p.lowest, p.highest, p.haveStatus = in.Lowest, in.Highest, true
	p.cantFrom = -1
	for _, sk := range s.skip {
		delete(sk, p.addr)
	}
}

func (s *Syncer) ban(now time.Time, p *syncPeer, why BanReason, err error) {
	if p.addr == (common.Address{}) || p.banned(now) {
		return
	}
	p.bannedUntil = now.Add(s.cfg.BanFor)
	p.haveStatus = false
	p.highest, p.lowest = -1, -1
	s.bans[why]++
	for _, id := range s.reqIDs() {
		if r := s.reqs[id]; r.peer == p.addr {
			s.dropReq(r)
		}
	}
	s.emit(SyncBan{Peer: p.addr, Reason: why, For: s.cfg.BanFor, Until: p.bannedUntil, Err: err})
}

func (s *Syncer) usablePeers() int {
	n := 0
	for _, p := range s.peers {
		if p.haveStatus && !p.banned(s.lastSeen) {
			n++
		}
	}
	return n
}

// --- requests --------------------------------------------------------------

func (s *Syncer) chunkOf(n int64) int64 { return n - n%int64(s.cfg.RangeSize) }

func (s *Syncer) firstChunk() int64 { return s.chunkOf(s.tip.Generation()) }

func (s *Syncer) reqIDs() []SyncReqID {
	ids := make([]SyncReqID, 0, len(s.reqs))
	for id := range s.reqs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func (s *Syncer) dropReq(r *syncReq) {
	delete(s.reqs, r.id)
	s.chunkReq[r.chunk] = slices.DeleteFunc(s.chunkReq[r.chunk], func(id SyncReqID) bool { return id == r.id })
	if len(s.chunkReq[r.chunk]) == 0 {
		delete(s.chunkReq, r.chunk)
	}
	if p := s.peers[r.peer]; p != nil && p.inflight > 0 {
		p.inflight--
	}
}

func (s *Syncer) skipFor(chunk int64, a common.Address) {
	if s.skip[chunk] == nil {
		s.skip[chunk] = map[common.Address]bool{}
	}
	s.skip[chunk][a] = true
}

// request asks for the missing blocks of the window, lowest first.
func (s *Syncer) request(now time.Time) {
	if !s.haveHead {
		return
	}
	base := s.tip.Generation()
	end := min(s.head.Num+1, base+s.cfg.Window) // exclusive
	size := int64(s.cfg.RangeSize)
	first := s.chunkOf(base)
	for c := range s.skip {
		if c < first {
			delete(s.skip, c)
		}
	}
	for c := first; c < end; c += size {
		lo, hi := max(c, base), min(c+size, end)
		m := int64(-1)
		for n := lo; n < hi; n++ {
			if len(s.held[n]) == 0 {
				m = n
				break
			}
		}
		if m < 0 {
			continue
		}
		live := s.chunkReq[c]
		want := 1
		if hi-1 >= s.head.Num-s.cfg.NearHead {
			want = 2
		}
		if c == first && len(live) == 1 && !s.reqs[live[0]].sent.Add(s.cfg.HedgeAfter).After(now) {
			want = 2
		}
		for len(s.chunkReq[c]) < want {
			p := s.pickPeer(c, m, int(hi-m))
			if p == nil {
				break
			}
			s.nextReq++
			r := &syncReq{id: s.nextReq, peer: p.addr, from: m, to: hi, chunk: c, sent: now, deadline: now.Add(s.cfg.RequestTimeout)}
			s.reqs[r.id] = r
			s.chunkReq[c] = append(s.chunkReq[c], r.id)
			p.inflight++
			s.emit(SyncRequestRange{Peer: p.addr, Req: r.id, From: m, To: hi})
		}
	}
}

// pickPeer returns the usable peer that can serve block m of chunk c
// soonest, or nil.
func (s *Syncer) pickPeer(c, m int64, n int) *syncPeer {
	var best *syncPeer
	bestCost := 0.0
	for _, a := range s.order {
		p := s.peers[a]
		if !p.haveStatus || p.banned(s.lastSeen) || p.inflight >= p.inflightCap(s.cfg.MaxInFlightPerPeer) ||
			p.highest < m || p.lowest > m || (p.cantFrom >= 0 && m >= p.cantFrom) || s.skip[c][a] {
			continue
		}
		if slices.ContainsFunc(s.chunkReq[c], func(id SyncReqID) bool { return s.reqs[id].peer == a }) {
			continue
		}
		if cost := p.cost(n); best == nil || cost < bestCost {
			best, bestCost = p, cost
		}
	}
	return best
}

// --- inspection ------------------------------------------------------------

// Phase is where the machine is.
func (s *Syncer) Phase() SyncPhase { return s.phase }

// Durable is the written view.
func (s *Syncer) Durable() *View { return s.durable }

// Status describes the machine.
func (s *Syncer) Status() SyncStatus {
	st := SyncStatus{
		Phase:     s.phase,
		Durable:   s.durable.LastBlock().Num(),
		Verified:  s.tip.LastBlock().Num(),
		ChainHead: -1,
		InFlight:  len(s.reqs),
		Applied:   s.applied,
		Bans:      map[BanReason]int{},
	}
	if s.haveHead {
		st.ChainHead = s.head.Num
		st.Remaining = max(s.head.Num-st.Durable, 0)
	}
	for _, cs := range s.held {
		st.Staged += len(cs)
	}
	for _, p := range s.peers {
		switch {
		case p.banned(s.lastSeen):
			st.PeersBanned++
		case p.haveStatus:
			st.PeersUsable++
		default:
			st.PeersNoInfo++
		}
	}
	for k, v := range s.bans {
		st.Bans[k] = v
	}
	return st
}

// Peers describes every peer, in address order.
func (s *Syncer) Peers() []SyncPeerInfo {
	out := make([]SyncPeerInfo, 0, len(s.order))
	for _, a := range s.order {
		p := s.peers[a]
		i := SyncPeerInfo{Peer: a, Lowest: p.lowest, Highest: p.highest, HaveStatus: p.haveStatus, InFlight: p.inflight,
			BlocksPerSec: p.rate, Latency: p.latency}
		if p.banned(s.lastSeen) {
			i.BannedUntil = p.bannedUntil
		}
		out = append(out, i)
	}
	return out
}
