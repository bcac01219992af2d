package streams

import (
	"container/heap"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/proto/pb"
)

// This file is the test harness of the Syncer: a chain of real signed
// miniblocks, mock peers with behaviours, and a simulated clock that
// delivers their answers.

// syncChain is a stream of real blocks and the chain's registrations.
type syncChain struct {
	w      *world
	v0     *View // the genesis view
	blocks []*ParsedMiniblock
	regs   []Registered
}

// buildSyncChain seals n blocks of perBlock messages each on a channel
// with 3 replicas. Block k's header names chain block k (world.proposal),
// so block k is registered at chain block k+1.
func buildSyncChain(t testing.TB, n, perBlock int) *syncChain {
	t.Helper()
	w := newWorld(t, 3)
	id := channelID("sync")
	w.create(id, alice, &pb.Inception{StreamId: id.Bytes(), Settings: settings(10), SpaceId: testStreamID(space, "s").Bytes()})
	c := &syncChain{w: w, v0: w.view, blocks: []*ParsedMiniblock{w.view.LastBlock()}}
	for i := 1; i <= n; i++ {
		for j := range perBlock {
			w.add(w.event(alice, message(channel, fmt.Sprintf("block %d message %d", i, j))))
		}
		c.blocks = append(c.blocks, w.seal())
	}
	for i, mb := range c.blocks {
		c.regs = append(c.regs, Registered{Num: int64(i), Hash: mb.Hash, ChainBlock: uint64(i + 1)})
	}
	return c
}

func (c *syncChain) head() SyncChainHead {
	r := c.regs[len(c.regs)-1]
	return SyncChainHead{Num: r.Num, Hash: r.Hash, ChainBlock: r.ChainBlock}
}

// fork returns blocks from..end re-signed by their elected leaders with
// another timestamp and linked to each other: validly signed, not
// registered.
func (c *syncChain) fork(t testing.TB, from int64) []*pb.Miniblock {
	return c.forkEdit(t, from, nil)
}

// forkEdit is fork with edit applied to each header before it is signed
// (by the leader the header then names).
func (c *syncChain) forkEdit(t testing.TB, from int64, edit func(n int64, h *pb.MiniblockHeader)) []*pb.Miniblock {
	t.Helper()
	var out []*pb.Miniblock
	prev := c.blocks[from-1].Hash
	for n := from; n < int64(len(c.blocks)); n++ {
		raw := proto.Clone(c.blocks[n].Proto).(*pb.Miniblock)
		h := &pb.MiniblockHeader{}
		require.NoError(t, proto.Unmarshal(raw.Header, h))
		h.TimestampMs += 7
		h.PrevMiniblockHash = prev.Bytes()
		if edit != nil {
			edit(n, h)
		}
		b, err := marshal.Marshal(h)
		require.NoError(t, err)
		hash := MiniblockHash(b)
		raw.Header, raw.Hash = b, hash.Bytes()
		raw.Signature, err = cryptoSign(hash, c.w.keyOf(common.BytesToAddress(h.Leader)))
		require.NoError(t, err)
		_, err = ParseMiniblock(raw)
		require.NoError(t, err, "a fork block parses")
		out = append(out, raw)
		prev = hash
	}
	return out
}

// peerKind is how a mock peer behaves.
type peerKind int

const (
	honest    peerKind = iota
	liar               // claims a huge height, then a lower one; serves nothing
	withhold           // honest status, answers "don't have" to every range
	badSig             // serves blocks with an event signature broken
	wrongHash          // serves a validly signed fork of every block but the genesis
	slow               // honest but answers ranges after longer than the timeout
	mute               // never answers a range
)

type mockPeer struct {
	addr    common.Address
	kind    peerKind
	latency time.Duration
	blocks  []*pb.Miniblock // by number
	maxResp int             // blocks per answer, 0: all asked
	noServe func(from, to int64) bool
}

func (p *mockPeer) serve(from, to int64) SyncRange {
	if p.kind == withhold || p.kind == liar || (p.noServe != nil && p.noServe(from, to)) {
		return SyncRange{Peer: p.addr, DontHave: true}
	}
	var out []*pb.Miniblock
	for n := from; n < to && n < int64(len(p.blocks)); n++ {
		if p.maxResp > 0 && len(out) == p.maxResp {
			break
		}
		out = append(out, p.blocks[n])
	}
	if len(out) == 0 {
		return SyncRange{Peer: p.addr, DontHave: true}
	}
	return SyncRange{Peer: p.addr, Blocks: out}
}

func newPeer(t testing.TB, c *syncChain, name string, kind peerKind, latency time.Duration) *mockPeer {
	p := &mockPeer{addr: addrOf(testKey("peer/" + name)), kind: kind, latency: latency}
	for _, mb := range c.blocks {
		p.blocks = append(p.blocks, mb.Proto)
	}
	switch kind {
	case badSig:
		for n := 1; n < len(p.blocks); n++ {
			raw := proto.Clone(p.blocks[n]).(*pb.Miniblock)
			raw.Events[0].Signature[3] ^= 0x40
			p.blocks[n] = raw
		}
	case wrongHash:
		copy(p.blocks[1:], c.fork(t, 1))
	}
	return p
}

// simEvent is an input due at a time.
type simEvent struct {
	at  time.Time
	seq int
	in  SyncInput
}

type simQueue []simEvent

func (q simQueue) Len() int { return len(q) }
func (q simQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q simQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *simQueue) Push(x any)   { *q = append(*q, x.(simEvent)) }
func (q *simQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

// syncSim drives a Syncer against mock peers on a simulated clock.
type syncSim struct {
	t       testing.TB
	c       *syncChain
	s       *Syncer
	peers   map[common.Address]*mockPeer
	now     time.Time
	q       simQueue
	seq     int
	timerAt time.Time
	rng     *rand.Rand

	regsErr  bool // the chain answers registration reads with an error
	head     SyncChainHead
	written  []*ParsedMiniblock
	bans     map[common.Address]BanReason
	banList  []SyncBan
	requests []SyncRequestRange
	caught   *SyncCaughtUp
	backs    []SyncBackToSync
	stalls   int
	maxHeld  int
	effects  []SyncEffect
	steps    int
}

func newSyncSim(t testing.TB, c *syncChain, cfg SyncConfig, seed uint64, peers ...*mockPeer) *syncSim {
	t.Helper()
	sim := &syncSim{t: t, c: c, peers: map[common.Address]*mockPeer{}, now: t0, rng: rand.New(rand.NewPCG(seed, 1)),
		head: c.head(), bans: map[common.Address]BanReason{}}
	cfg.Replicas = c.w.replicas
	cfg.Peers = nil
	for _, p := range peers {
		sim.peers[p.addr] = p
		cfg.Peers = append(cfg.Peers, p.addr)
	}
	s, err := NewSyncer(cfg, c.v0, 0)
	require.NoError(t, err)
	sim.s = s
	return sim
}

func (sim *syncSim) at(d time.Duration, in SyncInput) {
	sim.seq++
	heap.Push(&sim.q, simEvent{at: sim.now.Add(d), seq: sim.seq, in: in})
}

// jitter is up to 20% more than d.
func (sim *syncSim) jitter(d time.Duration) time.Duration {
	return d + time.Duration(sim.rng.Int64N(int64(d)/5+1))
}

func (sim *syncSim) handle(effs []SyncEffect) {
	for _, e := range effs {
		sim.effects = append(sim.effects, e)
		switch e := e.(type) {
		case SyncRequestRange:
			sim.requests = append(sim.requests, e)
			p := sim.peers[e.Peer]
			if p == nil || p.kind == mute {
				continue
			}
			r := p.serve(e.From, e.To)
			r.Req = e.Req
			sim.at(sim.jitter(p.latency), r)
		case SyncAskStatus:
			for _, a := range e.Peers {
				p := sim.peers[a]
				lat := sim.jitter(5 * time.Millisecond)
				switch p.kind {
				case liar:
					sim.at(lat, SyncPeerStatus{Peer: a, Lowest: 0, Highest: 100 * sim.head.Num})
					// It then says less, unasked.
					sim.at(lat+time.Millisecond, SyncPeerStatus{Peer: a, Lowest: 0, Highest: 2})
				default:
					sim.at(lat, SyncPeerStatus{Peer: a, Lowest: 0, Highest: int64(len(p.blocks) - 1)})
				}
			}
		case SyncReadChainHead:
			sim.at(time.Millisecond, sim.head)
		case SyncReadRegistrations:
			if sim.regsErr {
				sim.at(time.Millisecond, SyncRegistered{From: e.From, To: e.To, Err: fmt.Errorf("chain down")})
				continue
			}
			var regs []Registered
			for n := e.From; n < e.To && n <= sim.head.Num; n++ {
				regs = append(regs, sim.c.regs[n])
			}
			sim.at(time.Millisecond, SyncRegistered{From: e.From, To: e.To, Regs: regs})
		case SyncApply:
			for _, b := range e.Blocks {
				num := b.Block.Num()
				require.Equal(sim.t, sim.c.blocks[num].Hash, b.Block.Hash, "block %d written is the registered one", num)
				require.Equal(sim.t, int64(len(sim.written)+1), num, "blocks written in height order")
				sim.written = append(sim.written, b.Block)
			}
			sim.at(time.Millisecond, SyncApplied{Write: e.Write, Written: len(e.Blocks)})
		case SyncSetTimer:
			sim.timerAt = e.At
			sim.seq++
			heap.Push(&sim.q, simEvent{at: e.At, seq: sim.seq, in: SyncTick{}})
		case SyncBan:
			require.NotContains(sim.t, sim.bans, e.Peer, "a peer is banned once")
			sim.bans[e.Peer] = e.Reason
			sim.banList = append(sim.banList, e)
		case SyncCaughtUp:
			sim.caught = &e
		case SyncBackToSync:
			sim.backs = append(sim.backs, e)
		case SyncStalled:
			sim.stalls++
		}
	}
	if st := sim.s.Status(); st.Staged > sim.maxHeld {
		sim.maxHeld = st.Staged
	}
}

// run starts the syncer and delivers inputs until it is caught up, the
// queue drains, or limit of simulated time passes.
func (sim *syncSim) run(limit time.Duration) {
	sim.t.Helper()
	sim.handle(sim.s.Start(sim.now))
	sim.loop(limit)
}

func (sim *syncSim) loop(limit time.Duration) {
	end := sim.now.Add(limit)
	for sim.q.Len() > 0 && sim.caught == nil {
		e := heap.Pop(&sim.q).(simEvent)
		if e.at.After(end) {
			return
		}
		if _, ok := e.in.(SyncTick); ok && !e.at.Equal(sim.timerAt) {
			continue // replaced
		}
		sim.now = e.at
		sim.steps++
		require.Less(sim.t, sim.steps, 1_000_000, "runaway")
		sim.handle(sim.s.Step(sim.now, e.in))
	}
}

func (sim *syncSim) banned() map[common.Address]BanReason { return sim.bans }
