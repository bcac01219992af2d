package sim

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// chain is the Towns chain as the stream sees it: a block every blockTime,
// a randao per block, and the stream registry. A registration is included
// in the next block; it succeeds when it is the compare-and-swap on
// (number, previous hash) and its sender is the leader elected for
// (stream, number, round) from the randao of the block that registered
// number-1, in a round that has begun: round <= (block - lastRegisteredAt)/R.
type chain struct {
	s         *Sim
	head      uint64
	createdAt uint64
	regs      []reg // by miniblock number; regs[0] is the creation
	pending   []submission
}

type reg struct {
	hash common.Hash
	at   uint64
	mb   *streams.ParsedMiniblock
}

type submission struct {
	n     *node
	epoch int
	mb    *streams.ParsedMiniblock
	round uint32
}

func newChain(s *Sim) *chain { return &chain{s: s} }

func (c *chain) start() {
	c.head, c.createdAt = 1, 1
	c.regs = []reg{{hash: c.s.genesis.Hash, at: 1, mb: c.s.genesis}}
	c.s.after(blockTime, "mine", -1, c.mine)
}

func (c *chain) randao(b uint64) common.Hash {
	var buf [16]byte
	binary.BigEndian.PutUint64(buf[:8], c.s.cfg.Seed)
	binary.BigEndian.PutUint64(buf[8:], b)
	return crypto.Keccak256Hash([]byte("sim-randao"), buf[:])
}

func (c *chain) last() (int64, reg) { return int64(len(c.regs) - 1), c.regs[len(c.regs)-1] }

// delay is the chain client's latency (RPC to the chain, log delivery).
func (c *chain) delay() time.Duration { return c.s.between(2*time.Millisecond, 60*time.Millisecond) }

// submit sends a registration to the chain-writer; it lands in the next block.
func (c *chain) submit(n *node, mb *streams.ParsedMiniblock, round uint32) {
	sub := submission{n: n, epoch: n.epoch, mb: mb, round: round}
	c.s.after(c.delay(), "chain-submit", n.idx, func() { c.pending = append(c.pending, sub) })
}

// check is the registry contract's rule for a registration in block head.
func (c *chain) check(sub submission) (bool, error) {
	h := sub.mb.Header
	num, top := c.last()
	if h.MiniblockNum != num+1 || common.BytesToHash(h.PrevMiniblockHash) != top.hash {
		return false, nil // failed swap
	}
	want := streams.ElectLeader(c.randao(top.at), c.s.id, h.MiniblockNum, sub.round, c.s.replicas)
	if want != sub.n.addr {
		return false, streams.Errorf(pb.ErrorCode_BAD_LEADER, "chain: %s is not the leader of %d round %d", sub.n.addr, h.MiniblockNum, sub.round)
	}
	if r := streams.RoundAt(top.at, c.head, roundBlocks); sub.round > r {
		return false, streams.Errorf(pb.ErrorCode_BAD_LEADER, "chain: round %d has not begun (round %d)", sub.round, r)
	}
	return true, nil
}

func (c *chain) mine() {
	s := c.s
	c.head++
	subs := c.pending
	c.pending = nil
	for _, sub := range subs {
		ok, err := c.check(sub)
		num := sub.mb.Header.MiniblockNum
		if ok {
			c.regs = append(c.regs, reg{hash: sub.mb.Hash, at: c.head, mb: sub.mb})
			s.chk.registered(num, sub.mb, c.head)
			r := streams.Registered{Num: num, Hash: sub.mb.Hash, ChainBlock: c.head}
			for _, n := range s.nodes {
				if n.replica && !s.cfg.NoChainWatch {
					c.tell(n, "registered", r)
				}
			}
		}
		n, ep := sub.n, sub.epoch
		done := streams.RegisterDone{Num: num, Hash: sub.mb.Hash, OK: ok, ChainBlock: c.head, Err: err}
		s.after(c.delay(), "register-done", n.idx, func() {
			if n.epoch == ep {
				n.step(done)
			}
		})
	}
	head := streams.ChainHead{Number: c.head, Time: uint64(s.now.Unix()), Interval: blockTime}
	for _, n := range s.nodes {
		c.tell(n, "head", head)
	}
	s.after(blockTime, "mine", -1, c.mine)
}

// tell delivers a chain fact to a node's current incarnation, if it is up
// when it arrives.
func (c *chain) tell(n *node, kind string, in streams.Input) {
	if c.s.chance(c.s.sc.loss / 3) {
		return // a gap in the node's log subscription
	}
	ep := n.epoch
	c.s.after(c.delay(), kind, n.idx, func() {
		if n.epoch == ep && n.up {
			if h, ok := in.(streams.ChainHead); ok {
				n.head, n.haveHead = h, true
			}
			n.step(in)
		}
	})
}

// state is what the stream actor's readChainState returns for a replica
// whose last block is after, with the staged copies of its store.
func (c *chain) state(st *store, after int64) streams.ChainState {
	num, top := c.last()
	cs := streams.ChainState{LastNum: num, LastHash: top.hash, LastRegisteredAt: top.at}
	if num <= after {
		return cs
	}
	if after == 0 {
		cs.AfterRegisteredAt = c.createdAt
	}
	if after >= 0 && after < int64(len(c.regs)) {
		cs.AfterRegisteredAt = c.regs[after].at
	}
	for n := after + 1; n <= num && n <= after+64; n++ {
		r := c.regs[n]
		cb := streams.ChainBlock{Registered: streams.Registered{Num: n, Hash: r.hash, ChainBlock: r.at}}
		if sb := st.staged[r.hash]; sb != nil {
			cb.Staged = sb
		}
		cs.Ahead = append(cs.Ahead, cb)
	}
	return cs
}

func (c *chain) readRandao(b uint64) streams.RandaoRead {
	if b > c.head {
		return streams.RandaoRead{ChainBlock: b, Err: fmt.Errorf("chain: block %d is past the head %d", b, c.head)}
	}
	return streams.RandaoRead{ChainBlock: b, Randao: c.randao(b)}
}
