package sim

import (
	"crypto/ecdsa"
	"fmt"
	"slices"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// node is one node of the network and, for a replica of the stream, the
// shell around its streams.Replica: it carries out the machine's effects on
// the simulated store, network and chain, and feeds the results back as
// inputs, as the stream actor does. A crash ends an incarnation (epoch):
// answers addressed to an older one are dropped.
type node struct {
	s       *Sim
	idx     int
	key     *ecdsa.PrivateKey
	addr    common.Address
	replica bool
	byz     *byzantine

	up    bool
	epoch int
	r     *streams.Replica
	st    *store

	timerSeq int
	inflight func() error // the store write in flight, for a torn write at a crash
	votes    map[streams.ReqID]func(*pb.VoteResponse)
	clients  map[streams.ReqID]*request
	nextReq  streams.ReqID

	head     streams.ChainHead
	haveHead bool
}

// restart brings the node up; a replica rebuilds its machine from its
// durable store and the chain, as the stream actor's load does.
func (n *node) restart() {
	s := n.s
	n.up = true
	n.epoch++
	n.votes = map[streams.ReqID]func(*pb.VoteResponse){}
	n.clients = map[streams.ReqID]*request{}
	n.inflight = nil
	if !n.replica {
		return
	}
	v, err := n.st.restore(s.replicaConfig(n.key).Streams.RecencyWindow)
	if err != nil {
		s.failf("restore", "node %d cannot rebuild its view from its store: %v", n.idx, err)
		return
	}
	r, err := streams.NewReplica(s.replicaConfig(n.key), n.addr, s.replicas, v, s.chain.createdAt)
	if err != nil {
		s.failf("restore", "node %d: %v", n.idx, err)
		return
	}
	// As the stream actor's load: stored minipool events the restored
	// view leaves out are rejects, still voted for until a block lists them.
	var rejects []*streams.ParsedEvent
	for _, ev := range n.st.pool {
		if !v.HasEvent(ev.Hash) {
			rejects = append(rejects, ev)
		}
	}
	r.AddRejects(rejects)
	n.r = r
	if n.byz != nil && n.byz.mode&byzFalseAnnounce != 0 {
		n.byzAnnounceLoop()
	}
	last := v.LastBlock().Num()
	cs := s.chain.state(n.st, last)
	at := s.chain.createdAt
	switch {
	case cs.LastNum == last:
		at = cs.LastRegisteredAt
	case cs.AfterRegisteredAt != 0:
		at = cs.AfterRegisteredAt
	}
	n.step(s.chain.readRandao(at))
	n.step(cs)
	if s.chain.head > 1 {
		n.head = streams.ChainHead{Number: s.chain.head, Time: uint64(s.now.Unix()), Interval: blockTime}
		n.haveHead = true
		n.step(n.head)
	}
}

// crash stops the node: what is not durable is gone; the write in flight
// may have reached the disk without its answer (a torn write).
func (n *node) crash() {
	s := n.s
	if n.inflight != nil && s.chance(0.5) {
		if n.inflight() == nil {
			s.stats.TornWrites++
			s.chk.storeChanged()
		}
	}
	n.inflight = nil
	n.up = false
	n.epoch++
	n.r = nil
	n.votes = nil
	ids := make([]streams.ReqID, 0, len(n.clients))
	for id := range n.clients {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		s.cl.failed(n.clients[id], errTimeout)
	}
	n.clients = nil
}

// step feeds the machine one input and carries out its effects.
func (n *node) step(in streams.Input) {
	if !n.up || n.r == nil {
		return
	}
	prev := n.r.View()
	if n.byz != nil {
		n.byz.note(in)
	}
	effs := n.r.Step(n.s.now, in)
	if debugHook != nil {
		n.s.debugf("node %d <- %T %s", n.idx, in, brief(in))
		for _, e := range effs {
			n.s.debugf("   node %d -> %T %s", n.idx, e, brief(e))
		}
	}
	n.handle(effs, prev)
}

func (n *node) storeDelay() time.Duration {
	return n.s.between(500*time.Microsecond, 15*time.Millisecond)
}

// write runs a store write after the store's latency, then answers the
// machine; a crash before that loses it (or tears it).
func (n *node) write(kind string, apply func() error, answer func(error) streams.Input) {
	s := n.s
	ep := n.epoch
	n.inflight = apply
	s.after(n.storeDelay(), kind, n.idx, func() {
		if n.epoch != ep {
			return
		}
		n.inflight = nil
		err := errDisk
		if !s.chance(s.sc.storeErr) {
			if err = apply(); err == nil {
				s.chk.storeChanged()
			}
		}
		n.step(answer(err))
	})
}

func (n *node) others() []*node {
	var out []*node
	for _, p := range n.s.nodes {
		if p != n && p.replica {
			out = append(out, p)
		}
	}
	return out
}

func (n *node) handle(effs []streams.Effect, prev *streams.View) {
	s := n.s
	for _, e := range effs {
		switch e := e.(type) {
		case streams.PersistEvents:
			n.write("persist-events", func() error { return n.st.appendEvents(e.Generation, e.Events) },
				func(err error) streams.Input { return streams.WriteDone{Write: e.Write, Err: err} })
		case streams.PersistBlock:
			n.write("persist-block", func() error {
				removed, err := n.st.writeBlock(e.Block, e.Included)
				for _, ev := range removed {
					s.chk.reject(n, e.Block.Num(), ev)
				}
				return err
			},
				func(err error) streams.Input { return streams.WriteDone{Write: e.Write, Err: err} })
		case streams.StageBlock:
			ep := n.epoch
			s.after(n.storeDelay(), "staged", n.idx, func() {
				if n.epoch != ep {
					return
				}
				var err error
				if s.chance(s.sc.storeErr) {
					err = errDisk
				} else {
					n.st.stage(e.Block)
				}
				n.step(streams.Staged{Hash: e.Block.Hash, Err: err})
			})
		case streams.RegisterBlock:
			if n.byz != nil {
				n.byzRegister(e)
				continue
			}
			s.chain.submit(n, e.Block, e.Round)
		case streams.PublishEvent:
			for _, p := range n.others() {
				s.net.send(n.idx, p.idx, "event", func(p *node) { p.step(streams.PeerEvent{From: n.addr, Event: e.Event}) })
			}
		case streams.PublishPool:
			n.announce(e.Generation, e.Hashes)
		case streams.PublishBlock:
			for _, p := range n.others() {
				s.net.send(n.idx, p.idx, "block", func(p *node) { p.step(streams.BlockReceived{From: n.addr, Block: e.Block}) })
			}
		case streams.SendVoteRequest:
			n.askVote(e)
		case streams.AnswerVote:
			if reply := n.votes[e.Req]; reply != nil {
				delete(n.votes, e.Req)
				resp := e.Response
				if n.byz != nil {
					resp = n.byzVote(resp)
				}
				reply(resp)
			}
		case streams.FetchEvents:
			n.fetchEvents(e)
		case streams.FetchBlocks:
			n.fetchBlocks(e)
		case streams.ReadRandao:
			rr := s.chain.readRandao(e.ChainBlock)
			n.later("randao", rr)
		case streams.ReadRegistration:
			if e.Num >= 0 && e.Num < int64(len(s.chain.regs)) {
				r := s.chain.regs[e.Num]
				n.later("registration", streams.Registered{Num: e.Num, Hash: r.hash, ChainBlock: r.at})
			}
		case streams.SyncChain:
			ep, after := n.epoch, e.After
			s.after(s.chain.delay(), "chain-state", n.idx, func() {
				if n.epoch == ep {
					n.step(s.chain.state(n.st, after))
				}
			})
		case streams.AnswerClient:
			if req := n.clients[e.Req]; req != nil {
				delete(n.clients, e.Req)
				s.cl.answered(n, req, e)
			}
		case streams.SetTimer:
			n.timerSeq++
			seq, ep := n.timerSeq, n.epoch
			s.at(e.At, "tick", n.idx, func() {
				if n.epoch == ep && n.timerSeq == seq {
					n.step(streams.Tick{})
				}
			})
		case streams.BlockApplied:
			s.chk.applied(n, e, prev)
		case streams.EventsDurable:
			s.chk.durable(n, e.Events)
		case streams.Penalize, streams.EventRejected, streams.BlockRejected, streams.LeaderEnded, streams.Behind:
			// Logs and metrics in the node; the checker judges outcomes.
		}
	}
}

// later answers the machine after the chain client's latency.
func (n *node) later(kind string, in streams.Input) {
	ep := n.epoch
	n.s.after(n.s.chain.delay(), kind, n.idx, func() {
		if n.epoch == ep {
			n.step(in)
		}
	})
}

func (n *node) announce(gen int64, hashes []common.Hash) {
	for _, p := range n.others() {
		n.s.net.send(n.idx, p.idx, "pool", func(p *node) {
			p.step(streams.PoolAnnounce{From: n.addr, Generation: gen, Hashes: hashes})
		})
	}
}

func (n *node) askVote(e streams.SendVoteRequest) {
	s := n.s
	to := s.nodeByAddr(e.To)
	s.net.call(n.idx, to.idx, "vote", func(peer *node, reply func(any)) {
		if peer.r == nil {
			reply(&pb.VoteResponse{Error: &pb.Error{Code: pb.ErrorCode_UNAVAILABLE, Message: "no replica"}})
			return
		}
		peer.nextReq++
		id := peer.nextReq
		peer.votes[id] = func(resp *pb.VoteResponse) { reply(resp) }
		peer.step(streams.VoteRequested{From: n.addr, Req: id, Request: e.Request})
	}, func(resp any, err error) {
		if err != nil {
			n.step(streams.VoteAnswered{From: e.To, Err: err})
			return
		}
		n.step(streams.VoteAnswered{From: e.To, Response: resp.(*pb.VoteResponse)})
	})
}

// fetchEvents asks a peer for events; it serves what its durable view's
// minipool holds, as the node's FetchEvents handler does.
func (n *node) fetchEvents(e streams.FetchEvents) {
	s := n.s
	to := s.nodeByAddr(e.From)
	s.net.call(n.idx, to.idx, "fetch-events", func(peer *node, reply func(any)) {
		var evs []*streams.ParsedEvent
		if peer.r != nil && peer.byz == nil {
			for _, h := range e.Hashes {
				if ev := peer.r.View().PoolEvent(h); ev != nil {
					evs = append(evs, ev)
				}
			}
		} else if peer.r != nil {
			evs = peer.byzServeEvents(e.Hashes)
		}
		reply(evs)
	}, func(resp any, err error) {
		if err != nil {
			n.step(streams.EventsFetched{From: e.From, Hashes: e.Hashes, Err: err})
			return
		}
		n.step(streams.EventsFetched{From: e.From, Hashes: e.Hashes, Events: resp.([]*streams.ParsedEvent)})
	})
}

// fetchBlocks asks a peer for a range of its stored blocks (at most 64).
func (n *node) fetchBlocks(e streams.FetchBlocks) {
	s := n.s
	to := s.nodeByAddr(e.From)
	s.net.call(n.idx, to.idx, "fetch-blocks", func(peer *node, reply func(any)) {
		var bs []*streams.ParsedMiniblock
		hi := min(e.ToNum, e.FromNum+64, peer.st.generation())
		for num := max(e.FromNum, 0); num < hi; num++ {
			bs = append(bs, peer.st.blocks[num])
		}
		if peer.byz != nil {
			bs = peer.byzServeBlocks(max(e.FromNum, 0), e.ToNum, bs)
		}
		reply(bs)
	}, func(resp any, err error) {
		if err != nil {
			n.step(streams.BlocksFetched{From: e.From, Err: err})
			return
		}
		n.step(streams.BlocksFetched{From: e.From, Blocks: resp.([]*streams.ParsedMiniblock)})
	})
}

func brief(x any) string {
	switch x := x.(type) {
	case streams.ClientEvent:
		return x.Event.Hash.Hex()[:10]
	case streams.PeerEvent:
		return x.Event.Hash.Hex()[:10]
	case streams.PoolAnnounce:
		s := fmt.Sprintf("from %s gen %d:", x.From.Hex()[:6], x.Generation)
		for _, h := range x.Hashes {
			s += " " + h.Hex()[:10]
		}
		return s
	case streams.PersistEvents:
		s := fmt.Sprintf("gen %d:", x.Generation)
		for _, e := range x.Events {
			s += " " + e.Hash.Hex()[:10]
		}
		return s
	case streams.PublishPool:
		s := fmt.Sprintf("gen %d:", x.Generation)
		for _, h := range x.Hashes {
			s += " " + h.Hex()[:10]
		}
		return s
	case streams.Registered:
		return fmt.Sprintf("%d %s at %d", x.Num, x.Hash.Hex()[:10], x.ChainBlock)
	case streams.BlockReceived:
		return fmt.Sprintf("%d %s from %s", x.Block.Num(), x.Block.Hash.Hex()[:10], x.From.Hex()[:6])
	case streams.RegisterDone:
		return fmt.Sprintf("%d %s ok=%v at %d err=%v", x.Num, x.Hash.Hex()[:10], x.OK, x.ChainBlock, x.Err)
	case streams.RegisterBlock:
		return fmt.Sprintf("%d %s round %d", x.Block.Num(), x.Block.Hash.Hex()[:10], x.Round)
	case streams.ReadRegistration:
		return fmt.Sprint(x.Num)
	case streams.ReadRandao:
		return fmt.Sprint(x.ChainBlock)
	case streams.RandaoRead:
		return fmt.Sprint(x.ChainBlock, x.Err)
	case streams.LeaderEnded:
		return fmt.Sprint(x.Num, x.Round, x.Err)
	case streams.BlockRejected:
		return fmt.Sprint(x.Num, x.Hash.Hex()[:10], x.Err)
	case streams.EventRejected:
		return fmt.Sprint(x.Hash.Hex()[:10], " ", x.Err)
	case streams.Behind:
		return fmt.Sprint(x.Err)
	case streams.AnswerVote:
		return fmt.Sprint(x.Response.GetError())
	case streams.VoteRequested:
		return fmt.Sprint(x.Request.GetMiniblockNum(), " round ", x.Request.GetRound())
	case streams.WriteDone:
		return fmt.Sprint(x.Write, x.Err)
	case streams.AnswerClient:
		return fmt.Sprint(x.Held, x.Err)
	case streams.BlockApplied:
		s := fmt.Sprint(x.Block.Num(), " events ", len(x.Block.Events), " dropped")
		for _, e := range x.Dropped {
			s += " " + e.Hash.Hex()[:10]
		}
		s += " stale"
		for _, e := range x.Stale {
			s += " " + e.Hash.Hex()[:10]
		}
		return s
	case streams.PersistBlock:
		s := fmt.Sprint(x.Block.Num(), " included")
		for _, h := range x.Included {
			s += " " + common.BytesToHash(h).Hex()[:10]
		}
		return s
	}
	return ""
}
