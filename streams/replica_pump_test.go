package streams

import (
	"crypto/ecdsa"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/proto/pb"
)

// pump is a tiny deterministic network for Replica tests: k replicas of
// one stream, a fake chain (compare-and-swap registrations, a head number,
// randao per block), a store that always succeeds unless told otherwise,
// and one FIFO queue of deliveries. No goroutines: the test drives it.
type pump struct {
	t     testing.TB
	w     *world
	now   time.Time
	nodes []*pnode
	queue []delivery
	// drop, when set, loses a delivery (gossip loss, a dead node).
	drop func(d delivery) bool

	head     uint64
	chainReg map[int64]Registered
	chainTop int64
	answers  map[ReqID]AnswerClient
	nextReq  ReqID
	trace    []string
	votes    map[ReqID]common.Address // vote request id -> leader asking
	failNext map[int]bool             // node index -> fail its next store write
	// watchFirst delivers the chain watch's Registered before the chain
	// writer's RegisterDone; lostAnswers drops RegisterDone entirely.
	watchFirst, lostAnswers bool
}

type pnode struct {
	idx    int
	addr   common.Address
	key    *ecdsa.PrivateKey
	r      *Replica
	timer  time.Time
	effs   []Effect
	fetchN int
	staged map[common.Hash]*ParsedMiniblock // what its store staged
}

type delivery struct {
	from, to int // node indexes; -1 from the chain or the store
	in       Input
}

const pumpRoundBlocks = 4

func pumpRandao(n uint64) common.Hash {
	return crypto.Keccak256Hash(binary.BigEndian.AppendUint64([]byte("randao"), n))
}

func newPump(t testing.TB, k int) *pump {
	t.Helper()
	w := newWorld(t, k)
	id := channelID("pump")
	in := &pb.Inception{StreamId: id.Bytes(), Settings: &pb.StreamSettings{ReplicationFactor: uint32(k), MinEventsPerSnapshot: 100},
		SpaceId: testStreamID(pb.StreamType_STREAM_TYPE_SPACE, "s").Bytes()}
	w.create(id, testKey("alice"), in)
	p := &pump{t: t, w: w, now: t0, head: 10, chainReg: map[int64]Registered{}, answers: map[ReqID]AnswerClient{},
		votes: map[ReqID]common.Address{}, failNext: map[int]bool{}}
	p.chainReg[0] = Registered{Num: 0, Hash: w.view.LastBlock().Hash, ChainBlock: 10}
	for i, key := range w.nodes {
		cfg := DefaultReplicaConfig()
		cfg.Key = key
		cfg.RoundBlocks = pumpRoundBlocks
		r, err := NewReplica(cfg, w.replicas[i], w.replicas, w.view, 10)
		require.NoError(t, err)
		n := &pnode{idx: i, addr: w.replicas[i], key: key, r: r}
		p.nodes = append(p.nodes, n)
		p.handle(n, r.Start(p.now))
	}
	p.run()
	return p
}

func (p *pump) index(a common.Address) int {
	for i, n := range p.nodes {
		if n.addr == a {
			return i
		}
	}
	return -1
}

func (p *pump) send(from, to int, in Input) {
	p.queue = append(p.queue, delivery{from: from, to: to, in: in})
}

func (p *pump) broadcast(from int, in Input) {
	for i := range p.nodes {
		if i != from {
			p.send(from, i, in)
		}
	}
}

// run delivers until the queue is empty.
func (p *pump) run() {
	p.t.Helper()
	for steps := 0; len(p.queue) > 0; steps++ {
		require.Less(p.t, steps, 100000, "pump does not settle")
		d := p.queue[0]
		p.queue = p.queue[1:]
		if p.drop != nil && p.drop(d) {
			continue
		}
		n := p.nodes[d.to]
		p.handle(n, n.r.Step(p.now, d.in))
	}
}

// advance moves the clock by d, firing due timers (and what they cause)
// in small steps.
func (p *pump) advance(d time.Duration) {
	p.t.Helper()
	end := p.now.Add(d)
	for {
		var next time.Time
		for _, n := range p.nodes {
			if !n.timer.IsZero() && (next.IsZero() || n.timer.Before(next)) {
				next = n.timer
			}
		}
		if next.IsZero() || next.After(end) {
			break
		}
		if next.After(p.now) {
			p.now = next
		}
		for _, n := range p.nodes {
			if !n.timer.IsZero() && !n.timer.After(p.now) {
				n.timer = time.Time{}
				p.send(-1, n.idx, Tick{})
			}
		}
		p.run()
	}
	p.now = end
}

// newHead mines a chain block and tells every node.
func (p *pump) newHead() {
	p.head++
	p.now = p.now.Add(time.Second)
	for i := range p.nodes {
		p.send(-1, i, ChainHead{Number: p.head, Time: uint64(p.now.Unix())})
	}
	p.run()
}

func (p *pump) handle(n *pnode, effs []Effect) {
	for _, e := range effs {
		n.effs = append(n.effs, e)
		p.trace = append(p.trace, fmt.Sprintf("%d %T", n.idx, e))
		switch e := e.(type) {
		case PersistEvents:
			var err error
			if p.failNext[n.idx] {
				p.failNext[n.idx], err = false, fmt.Errorf("disk full")
			}
			p.send(-1, n.idx, WriteDone{Write: e.Write, Err: err})
		case PersistBlock:
			p.send(-1, n.idx, WriteDone{Write: e.Write})
		case StageBlock:
			if n.staged == nil {
				n.staged = map[common.Hash]*ParsedMiniblock{}
			}
			n.staged[e.Block.Hash] = e.Block
			p.send(-1, n.idx, Staged{Hash: e.Block.Hash})
		case RegisterBlock:
			h := e.Block.Header
			num := h.MiniblockNum
			top := p.chainReg[p.chainTop]
			if num != p.chainTop+1 || common.BytesToHash(h.PrevMiniblockHash) != top.Hash {
				p.send(-1, n.idx, RegisterDone{Num: num, Hash: e.Block.Hash, ChainBlock: p.head + 1})
				continue
			}
			reg := Registered{Num: num, Hash: e.Block.Hash, ChainBlock: p.head + 1}
			p.chainReg[num], p.chainTop = reg, num
			done := RegisterDone{Num: num, Hash: e.Block.Hash, OK: true, ChainBlock: reg.ChainBlock}
			if !p.watchFirst && !p.lostAnswers {
				p.send(-1, n.idx, done)
			}
			for i := range p.nodes { // every node watches the chain (the registrant too)
				p.send(-1, i, reg)
			}
			if p.watchFirst && !p.lostAnswers {
				p.send(-1, n.idx, done)
			}
		case PublishEvent:
			p.broadcast(n.idx, PeerEvent{From: n.addr, Event: e.Event})
		case PublishPool:
			p.broadcast(n.idx, PoolAnnounce{From: n.addr, Generation: e.Generation, Hashes: e.Hashes})
		case PublishBlock:
			p.broadcast(n.idx, BlockReceived{From: n.addr, Block: e.Block})
		case SendVoteRequest:
			p.nextReq++
			p.votes[p.nextReq] = n.addr
			p.send(n.idx, p.index(e.To), VoteRequested{From: n.addr, Req: p.nextReq, Request: e.Request})
		case AnswerVote:
			p.send(n.idx, p.index(e.To), VoteAnswered{From: n.addr, Response: e.Response})
		case FetchEvents:
			n.fetchN++
			peer := p.nodes[p.index(e.From)]
			var evs []*ParsedEvent
			for _, h := range e.Hashes {
				if ev := peer.r.v.PoolEvent(h); ev != nil {
					evs = append(evs, ev)
				}
			}
			p.send(peer.idx, n.idx, EventsFetched{From: e.From, Hashes: e.Hashes, Events: evs})
		case FetchBlocks:
			peer := p.nodes[p.index(e.From)]
			var bs []*ParsedMiniblock
			for _, mb := range peer.r.v.RecentBlocks() {
				if mb.Num() >= e.FromNum && mb.Num() < e.ToNum {
					bs = append(bs, mb)
				}
			}
			p.send(peer.idx, n.idx, BlocksFetched{From: e.From, Blocks: bs})
		case ReadRandao:
			p.send(-1, n.idx, RandaoRead{ChainBlock: e.ChainBlock, Randao: pumpRandao(e.ChainBlock)})
		case ReadRegistration:
			if reg, ok := p.chainReg[e.Num]; ok {
				p.send(-1, n.idx, reg)
			}
		case SyncChain:
			top := p.chainReg[p.chainTop]
			cs := ChainState{LastNum: p.chainTop, LastHash: top.Hash, LastRegisteredAt: top.ChainBlock,
				AfterRegisteredAt: p.chainReg[e.After].ChainBlock}
			for num := e.After + 1; num <= p.chainTop; num++ {
				reg := p.chainReg[num]
				cs.Ahead = append(cs.Ahead, ChainBlock{Registered: reg, Staged: n.staged[reg.Hash]})
			}
			p.send(-1, n.idx, cs)
		case AnswerClient:
			p.answers[e.Req] = e
		case SetTimer:
			n.timer = e.At
		}
	}
}

// post submits a message event by alice at node i and returns its request id.
func (p *pump) post(i int, text string) (ReqID, *ParsedEvent) {
	p.t.Helper()
	ev := p.event(p.nodes[i].r.v, testKey("alice"), text)
	p.nextReq++
	req := p.nextReq
	p.send(-1, i, ClientEvent{Req: req, Event: ev})
	p.run()
	return req, ev
}

func (p *pump) event(v *View, key *ecdsa.PrivateKey, text string) *ParsedEvent {
	ev := &pb.StreamEvent{
		StreamId:          v.StreamID().Bytes(),
		PrevMiniblockHash: v.LastBlock().Hash.Bytes(),
		PrevMiniblockNum:  v.LastBlock().Num(),
		CreatedAtMs:       p.now.UnixMilli(),
	}
	setPayload(ev, message(pb.StreamType_STREAM_TYPE_CHANNEL, text))
	return p.w.sign(key, ev)
}

// effectsOf returns the effects of type T node i emitted so far.
func effectsOf[T Effect](n *pnode) []T {
	var out []T
	for _, e := range n.effs {
		if x, ok := e.(T); ok {
			out = append(out, x)
		}
	}
	return out
}

// converged checks I1/I4: every node at the same last block, with the
// registered hash and the same state.
func (p *pump) converged() int64 {
	p.t.Helper()
	a := p.nodes[0].r.v
	for _, n := range p.nodes[1:] {
		require.Equal(p.t, a.LastBlock().Hash, n.r.v.LastBlock().Hash, "node %d last block", n.idx)
	}
	for num, reg := range p.chainReg {
		for _, n := range p.nodes {
			if mb := n.r.recentBlock(num); mb != nil {
				require.Equal(p.t, reg.Hash, mb.Hash, "node %d block %d is the registered one", n.idx, num)
			}
		}
	}
	return a.LastBlock().Num()
}
