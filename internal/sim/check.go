package sim

import (
	"github.com/ethereum/go-ethereum/common"

	"github.com/towns-node/node/streams"
)

// checker holds the truth of a run and tests the invariants after every
// step. Its oracle is a View advanced only by registered blocks that pass
// streams.VerifyWithChain against the simulated chain's facts, whatever
// the replicas were told or configured with; membership is reduced here,
// from the events the clients made, independently of package streams.
type checker struct {
	s      *Sim
	oracle *streams.View
	valid  map[int64]error // verdict per registered block
	haltAt int64           // first registered block that fails verification, 0 none

	stateAt  map[int64]common.Hash             // I4: the oracle's snapshot hash at n
	memberAt map[int64]map[common.Address]bool // I6: members (user key hash) after block n
	members  map[int]bool                      // current truth, as of the oracle's last block
	sealedIn map[common.Hash]int64             // I3: event -> registered block

	events   map[common.Hash]madeEvent
	acks     map[common.Hash]*ack
	ackOrder []common.Hash
	open     []common.Hash        // acked, not yet in a stored registered block
	rejected map[common.Hash]bool // dropped as invalid by an applied block
	dirty    bool
}

type madeEvent struct {
	user int
	op   op
}

type ack struct {
	node     int
	step     int
	liar     bool // a majority only with the Byzantine replica's word
	safe     bool
	rejected bool
}

func newChecker(s *Sim) *checker {
	return &checker{s: s, valid: map[int64]error{}, stateAt: map[int64]common.Hash{}, memberAt: map[int64]map[common.Address]bool{},
		members: map[int]bool{}, sealedIn: map[common.Hash]int64{}, events: map[common.Hash]madeEvent{},
		acks: map[common.Hash]*ack{}, rejected: map[common.Hash]bool{}}
}

func (c *checker) start() {
	v, err := streams.NewView(c.s.genesis)
	if err != nil {
		panic(err)
	}
	c.oracle = v
	c.members[0] = true
	c.memberAt[0] = map[common.Address]bool{userAddrs[0]: true}
	c.stateAt[0] = snapHash(v)
	for _, ev := range c.s.genesis.Events {
		c.sealedIn[ev.Hash] = 0
	}
}

func snapHash(v *streams.View) common.Hash {
	h, err := streams.SnapshotHash(v.Snapshot())
	if err != nil {
		panic(err)
	}
	return h
}

// made records an event a client created.
func (c *checker) made(ev *streams.ParsedEvent, user int, o op) {
	c.events[ev.Hash] = madeEvent{user: user, op: o}
}

func (c *checker) maj() int { return streams.Majority(len(c.s.replicas)) }

// registered judges a block the chain accepted: the oracle verifies it as
// an honest replica must before applying it.
func (c *checker) registered(num int64, mb *streams.ParsedMiniblock, at uint64) {
	s := c.s
	if c.haltAt != 0 {
		return // the chain moved past a block no honest replica can apply
	}
	prev := s.chain.regs[num-1]
	facts := streams.ChainFacts{PrevHash: prev.hash, PrevBlock: prev.at, PrevRandao: s.chain.randao(prev.at),
		Hash: mb.Hash, RegisteredAt: at, RoundBlocks: roundBlocks,
		HeadNumber: s.chain.head, HeadTime: uint64(s.now.Unix())}
	err := streams.VerifyWithChain(c.oracle, s.replicaConfig(nodeKeys[0]).Streams, s.replicas, mb, facts)
	c.valid[num] = err
	if err != nil && s.reencoded[mb.Hash] {
		s.failf("snapshot-encoding", "block %d carries its snapshot in another valid encoding and fails verification: %v", num, err)
		return
	}
	if err != nil {
		// A Byzantine elected leader registered a block that fails the
		// rules: the chain does not check contents, so the stream halts
		// here. Safety still holds if no honest replica applies it.
		c.haltAt = num
		s.stats.ByzInvalidRegistered++
		s.stats.Halted = true
		return
	}
	nv, err := c.oracle.ApplyMiniblock(mb)
	if err != nil {
		s.failf("oracle", "block %d verified but does not apply: %v", num, err)
		return
	}
	c.oracle = nv
	c.stateAt[num] = snapHash(nv)
	for _, ev := range mb.Events {
		if prior, dup := c.sealedIn[ev.Hash]; dup {
			s.failf("I3", "event %s sealed in block %d and again in block %d", ev.Hash, prior, num)
			return
		}
		c.sealedIn[ev.Hash] = num
		if m, ok := c.events[ev.Hash]; ok {
			switch m.op {
			case opJoin:
				c.members[m.user] = true
			case opLeave:
				delete(c.members, m.user)
			}
		}
	}
	ms := map[common.Address]bool{}
	for u := range c.members {
		ms[userAddrs[u]] = true
	}
	c.memberAt[num] = ms
	s.stats.Blocks++
}

// applied checks a block a replica applied: the registered one (I1), one
// that verified (I5), the state every replica reaches at n (I4) and
// membership as of n (I6).
func (c *checker) applied(n *node, e streams.BlockApplied, prev *streams.View) {
	s := c.s
	if n.byz != nil {
		return
	}
	mb := e.Block
	num := mb.Num()
	if num >= int64(len(s.chain.regs)) || s.chain.regs[num].hash != mb.Hash {
		s.failf("I1", "node %d applied block %d %s, the chain registered %s", n.idx, num, mb.Hash, c.regHash(num))
		return
	}
	if err, ok := c.valid[num]; !ok || err != nil {
		s.failf("I5", "node %d applied block %d that fails verification: %v", n.idx, num, err)
		return
	}
	if prev.Generation() != num {
		s.failf("I5", "node %d applied block %d on a view at generation %d", n.idx, num, prev.Generation())
		return
	}
	v := n.r.View()
	if v.LastBlock().Num() != num {
		s.failf("I4", "node %d reported block %d applied, its view is at %d", n.idx, num, v.LastBlock().Num())
		return
	}
	if h := snapHash(v); h != c.stateAt[num] {
		s.failf("I4", "node %d state at block %d is %s, the verified chain gives %s", n.idx, num, h, c.stateAt[num])
		return
	}
	ms := c.memberAt[num]
	for u, a := range userAddrs {
		if v.IsMember(a) != ms[a] {
			s.failf("I6", "node %d after block %d: user %d member=%v, the sealed joins and leaves say %v", n.idx, num, u, v.IsMember(a), ms[a])
			return
		}
	}
	for _, list := range [][]*streams.ParsedEvent{e.Dropped, e.Stale} {
		for _, ev := range list {
			c.reject(n, num, ev)
		}
	}
}

// reject takes an event a block made invalid: if it was acked, the block
// lists it as rejected, and it must really be invalid. An event once made
// invalid by a block it missed (its author not a member after some block
// from its reference on) stays a reject (docs/protocol.md, "Rejects"),
// even if its author rejoins before a later block lists it.
func (c *checker) reject(n *node, num int64, ev *streams.ParsedEvent) {
	s := c.s
	if _, sealed := c.sealedIn[ev.Hash]; sealed {
		return // sealed earlier: a stale copy
	}
	m, mine := c.events[ev.Hash]
	if mine && m.op == opMessage && c.memberThrough(m.user, ev.Event.PrevMiniblockNum, num) &&
		num-ev.Event.PrevMiniblockNum <= s.replicaConfig(nodeKeys[0]).Streams.RecencyWindow {
		s.failf("rejected", "node %d dropped event %s of member %d at block %d though it is still valid", n.idx, ev.Hash, m.user, num)
		return
	}
	c.rejected[ev.Hash] = true
	if a := c.acks[ev.Hash]; a != nil {
		a.rejected = true
	}
}

// memberThrough reports whether user was a member after every registered
// block from..to: no block in between made a message of theirs invalid.
func (c *checker) memberThrough(user int, from, to int64) bool {
	for b := max(from, 0); b <= to; b++ {
		if !c.memberAt[b][userAddrs[user]] {
			return false
		}
	}
	return true
}

func (c *checker) regHash(num int64) common.Hash {
	if num < int64(len(c.s.chain.regs)) {
		return c.s.chain.regs[num].hash
	}
	return common.Hash{}
}

// durable checks I6 at admission: a message became durable at a replica
// only if its author was a member as of that replica's last block.
func (c *checker) durable(n *node, evs []*streams.ParsedEvent) {
	s := c.s
	if n.byz != nil {
		return
	}
	num := n.r.View().LastBlock().Num()
	ms := c.memberAt[num]
	for _, ev := range evs {
		if m, ok := c.events[ev.Hash]; ok && m.op == opMessage && !ms[userAddrs[m.user]] {
			s.failf("I6", "node %d admitted a message of user %d, not a member as of block %d", n.idx, m.user, num)
			return
		}
	}
}

// holders counts the honest replicas whose store holds h (minipool or a
// stored block), and whether one of them stored it in a block.
func (c *checker) holders(h common.Hash) (int, bool) {
	held, inBlock := 0, false
	for _, n := range c.s.nodes {
		if !n.replica || n.byz != nil {
			continue
		}
		if n.st.holds(h) {
			held++
		}
		if n.st.sealed[h] {
			inBlock = true
		}
	}
	return held, inBlock
}

// need is how many honest holders an acked event must have: a majority,
// less the replicas that may have lied about holding it.
func (c *checker) need() int { return c.maj() - c.s.byzReplicas() }

// acked checks that an event was durable on a majority when its client was
// told so.
func (c *checker) acked(n *node, req *request) {
	s := c.s
	h := req.ev.Hash
	if c.acks[h] != nil {
		return
	}
	held, inBlock := c.holders(h)
	a := &ack{node: n.idx, step: s.steps, safe: inBlock, rejected: c.rejected[h]}
	c.acks[h] = a
	c.ackOrder = append(c.ackOrder, h)
	if !inBlock && !a.rejected {
		// (An event a registered block already made invalid is acked by a
		// replica that has not applied that block yet: it is listed as
		// rejected, which is what the client learns.)
		if held < c.need() {
			s.failf("ack", "node %d acked event %s held durably by %d honest replicas of %d (majority %d)", n.idx, h, held, len(s.replicas), c.maj())
			return
		}
		a.liar = held < c.maj()
		if a.liar {
			s.stats.LiarAcked++
		}
		c.open = append(c.open, h)
	}
}

func (c *checker) storeChanged() { c.dirty = true }

// afterStep re-checks, after a store changed, that no acked event left the
// durable state of a majority (I2 while running).
func (c *checker) afterStep() {
	if !c.dirty {
		return
	}
	c.dirty = false
	s := c.s
	keep := c.open[:0]
	for _, h := range c.open {
		a := c.acks[h]
		if a.rejected {
			continue
		}
		held, inBlock := c.holders(h)
		if inBlock {
			a.safe = true
			continue
		}
		if held < c.need() {
			s.failf("I2", "acked event %s is durable on %d honest replicas only (need %d)", h, held, c.need())
			return
		}
		keep = append(keep, h)
	}
	c.open = keep
}

// quiet reports whether the run can end: every honest replica up at the
// chain's last block (or at a halt), every acked event sealed or rejected,
// no client waiting.
func (c *checker) quiet() bool {
	s := c.s
	if s.cl.waiting > 0 {
		return false
	}
	top := int64(len(s.chain.regs) - 1)
	if c.haltAt != 0 {
		top = c.haltAt - 1
	}
	for _, n := range s.nodes {
		if !n.replica || n.byz != nil {
			continue
		}
		if !n.up || n.r == nil || n.r.View().LastBlock().Num() != top {
			return false
		}
	}
	for h, a := range c.acks {
		if _, ok := c.sealedIn[h]; !ok && !a.rejected && !a.liar && c.haltAt == 0 {
			return false
		}
	}
	return true
}

// final is the end check, after the quiet period: every honest replica
// converged on the chain, and every acked event sealed or rejected.
func (c *checker) final() {
	s := c.s
	top := int64(len(s.chain.regs) - 1)
	if c.haltAt != 0 {
		top = c.haltAt - 1
	}
	for _, n := range s.nodes {
		if !n.replica || n.byz != nil {
			continue
		}
		if !n.up || n.r == nil {
			s.failf("final", "node %d is not up after the quiet period", n.idx)
			return
		}
		if last := n.r.View().LastBlock(); last.Num() != top || last.Hash != s.chain.regs[top].hash {
			s.failf("final", "node %d is at block %d, the chain at %d after %s of quiet (status %+v)", n.idx, last.Num(), top, s.cfg.QuietFor, n.r.Status())
			return
		}
	}
	for _, h := range c.ackOrder {
		a := c.acks[h]
		if _, ok := c.sealedIn[h]; ok {
			s.stats.Sealed++
			continue
		}
		switch {
		case a.rejected:
			s.stats.Rejected++
		case a.liar, c.haltAt != 0:
			// Exempt: acked on a Byzantine replica's word, or the stream
			// halted at a block a Byzantine leader registered.
		default:
			held, _ := c.holders(h)
			s.failf("final", "event %s acked by node %d at step %d is neither sealed nor rejected (held by %d honest replicas)", h, a.node, a.step, held)
			return
		}
	}
}
