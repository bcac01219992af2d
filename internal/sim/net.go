package sim

import (
	"time"
)

// network carries node-to-node messages: each is lost, delayed (which
// reorders) or duplicated as the scenario draws, and a partition drops
// whatever crosses it until it heals. A message to a node that is down when
// it arrives is lost.
type network struct {
	s     *Sim
	group []int // partition group per node; all equal when healed
}

func newNetwork(s *Sim) *network {
	return &network{s: s, group: make([]int, s.sc.nodes)}
}

func (nw *network) reachable(a, b int) bool { return nw.group[a] == nw.group[b] }

// partition splits the nodes in two groups (one may be a lone node).
func (nw *network) partition() {
	s := nw.s
	for i := range nw.group {
		nw.group[i] = 0
	}
	cut := 1 + s.rng.IntN(len(nw.group)-1)
	for _, i := range s.rng.Perm(len(nw.group))[:cut] {
		nw.group[i] = 1
	}
}

func (nw *network) heal() {
	for i := range nw.group {
		nw.group[i] = 0
	}
}

func (nw *network) delay() time.Duration {
	s := nw.s
	if s.chance(s.sc.slow) {
		return s.between(100*time.Millisecond, 700*time.Millisecond)
	}
	return s.between(time.Millisecond, 40*time.Millisecond)
}

// send delivers fn at node to, unless the message is lost; it reports
// whether it went out (a lost message is not known to the sender).
func (nw *network) send(from, to int, kind string, fn func(*node)) bool {
	s := nw.s
	if !nw.reachable(from, to) || s.chance(s.sc.loss) {
		return false
	}
	n := s.nodes[to]
	deliver := func() {
		if n.up {
			fn(n)
		}
	}
	s.after(nw.delay(), kind, to, deliver)
	if s.chance(s.sc.dup) {
		s.after(nw.delay(), kind+"(dup)", to, deliver)
	}
	return true
}

// rpcTimeout is when a request that got no answer fails at the caller.
const rpcTimeout = 600 * time.Millisecond

// call is a request from node from to node to: serve runs at to and
// returns the answer (nil: it answers later through the reply it is given,
// or never); done gets the answer back at from, or an error after
// rpcTimeout. Exactly one of done's calls happens, and only while from's
// incarnation lives.
func (nw *network) call(from, to int, kind string, serve func(peer *node, reply func(any)), done func(resp any, err error)) {
	s := nw.s
	caller := s.nodes[from]
	epoch := caller.epoch
	finished := false
	finish := func(resp any, err error) {
		if finished || caller.epoch != epoch || !caller.up {
			return
		}
		finished = true
		done(resp, err)
	}
	s.after(rpcTimeout, kind+"-timeout", from, func() { finish(nil, errTimeout) })
	nw.send(from, to, kind, func(peer *node) {
		serve(peer, func(resp any) {
			nw.send(to, from, kind+"-reply", func(*node) { finish(resp, nil) })
		})
	})
}
