package sim

import (
	"encoding/binary"
	"time"

	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// clients are the users of the stream. Each post is a real signed event
// (streams.SignEvent) referencing the last block of the node it goes to, at
// a random node; a refused or unanswered post may be sent again, the same
// envelope, to another node.
type clients struct {
	s       *Sim
	salt    uint64
	waiting int // requests without an answer
}

type op int

const (
	opMessage op = iota
	opJoin
	opLeave
)

func (o op) String() string { return [...]string{"message", "join", "leave"}[o] }

// request is one AddEvent of a client at a node.
type request struct {
	ev    *streams.ParsedEvent
	user  int
	op    op
	node  int
	tries int
}

func newClients(s *Sim) *clients { return &clients{s: s} }

func (c *clients) start() {
	c.s.after(c.s.sc.postEvery, "post", -1, c.tick)
}

func (c *clients) tick() {
	s := c.s
	if !s.chaos {
		return
	}
	c.post()
	s.after(s.between(s.sc.postEvery/2, s.sc.postEvery*3/2), "post", -1, c.tick)
}

func (c *clients) post() {
	s := c.s
	n := s.nodes[s.rng.IntN(len(s.nodes))]
	u := s.rng.IntN(numUsers)
	if !n.up || n.r == nil {
		s.stats.Refused++ // connection refused, or not a replica
		return
	}
	v := n.r.View()
	member := v.IsMember(userAddrs[u])
	o := opMessage
	switch x := s.rng.IntN(20); {
	case !member && x < 15:
		o = opJoin
	case member && u != 0 && x == 0:
		o = opLeave
	}
	ev := c.event(v, u, o)
	s.chk.made(ev, u, o)
	s.act("user %d posts %s %s at node %d", u, o, ev.Hash.Hex()[:10], n.idx)
	c.send(n, &request{ev: ev, user: u, op: o, node: n.idx})
}

func (c *clients) event(v *streams.View, u int, o op) *streams.ParsedEvent {
	s := c.s
	c.salt++
	ev := &pb.StreamEvent{
		StreamId:          s.id.Bytes(),
		PrevMiniblockHash: v.LastBlock().Hash.Bytes(),
		PrevMiniblockNum:  v.LastBlock().Num(),
		CreatedAtMs:       s.now.UnixMilli(),
		Salt:              binary.BigEndian.AppendUint64(nil, c.salt),
	}
	var p pb.ChannelPayload
	switch o {
	case opJoin, opLeave:
		mop := pb.MembershipOp_MEMBERSHIP_OP_JOIN
		if o == opLeave {
			mop = pb.MembershipOp_MEMBERSHIP_OP_LEAVE
		}
		p.Content = &pb.ChannelPayload_Membership{Membership: &pb.Membership{Op: mop, UserAddress: userAddrs[u].Bytes()}}
	default:
		p.Content = &pb.ChannelPayload_Message{Message: &pb.EncryptedData{Ciphertext: []byte("hello")}}
	}
	ev.Payload = &pb.StreamEvent_ChannelPayload{ChannelPayload: &p}
	env, err := streams.SignEvent(userKeys[u], ev)
	if err != nil {
		panic(err)
	}
	// The node parses what the client sent: hash and signature checked.
	pe, err := streams.ParseEnvelope(env)
	if err != nil {
		panic(err)
	}
	return pe
}

func (c *clients) send(n *node, req *request) {
	s := c.s
	req.node, req.tries = n.idx, req.tries+1
	s.stats.Posted++
	if n.byz != nil {
		// A client of a Byzantine node learns nothing trustworthy; the
		// simulator keeps clients on honest nodes and counts it refused.
		s.stats.Refused++
		return
	}
	n.nextReq++
	id := n.nextReq
	n.clients[id] = req
	c.waiting++
	n.step(streams.ClientEvent{Req: id, Event: req.ev})
}

// answered takes a node's AnswerClient.
func (c *clients) answered(n *node, req *request, a streams.AnswerClient) {
	s := c.s
	c.waiting--
	if a.Err == nil {
		s.stats.Acked++
		s.chk.acked(n, req)
		return
	}
	switch streams.CodeOf(a.Err) {
	case pb.ErrorCode_QUORUM_NOT_REACHED, pb.ErrorCode_UNAVAILABLE:
		c.retry(req)
	default:
		s.stats.Refused++
	}
}

// failed is a request whose node went away before answering.
func (c *clients) failed(req *request, err error) {
	c.waiting--
	c.retry(req)
}

// retry sends the same envelope again, to a random node, while the load
// lasts.
func (c *clients) retry(req *request) {
	s := c.s
	if !s.chaos || req.tries >= 3 || !s.chance(0.6) {
		s.stats.Refused++
		return
	}
	s.after(s.between(200*time.Millisecond, 2*time.Second), "repost", -1, func() {
		n := s.nodes[s.rng.IntN(len(s.nodes))]
		if !n.up || n.r == nil {
			s.stats.Refused++
			return
		}
		s.act("user %d reposts %s at node %d", req.user, req.ev.Hash.Hex()[:10], n.idx)
		c.send(n, req)
	})
}
