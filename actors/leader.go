package actors

import (
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/ethereum/go-ethereum/common"

	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/store"
	"github.com/towns-node/node/streams"
)

// maybeLead checks, on a chain head, whether miniblock Generation() is due
// and this node is its elected leader; if so it asks the registry for a
// leader actor.
func (s *streamActor) maybeLead(ctx actor.Context) {
	if s.state != "live" || !s.haveHead || s.leader != nil || s.behind || len(s.blocks) > 0 ||
		(s.writing != nil && s.writing.block != nil) || s.v.MinipoolLen() == 0 {
		return
	}
	if !s.randaoOK || s.randaoAt != s.lastRegisteredAt {
		cctx, cancel := s.ioCtx()
		randao, err := s.n.randao.get(cctx, s.n.chain, s.lastRegisteredAt)
		cancel()
		if err != nil {
			s.log.Warn("reading randao", "block", s.lastRegisteredAt, "err", err)
			return
		}
		s.randao, s.randaoAt, s.randaoOK = randao, s.lastRegisteredAt, true
	}
	num := s.v.Generation()
	round := streams.RoundAt(s.lastRegisteredAt, s.head.Number, s.n.cfg.RoundBlocks)
	if streams.ElectLeader(s.randao, s.id, num, round, s.replicas) != s.n.addr {
		return
	}
	s.n.m.MinipoolEvents.Observe(float64(s.v.MinipoolLen()))
	now := s.n.now()
	var delay time.Duration
	if s.headInterval > 0 {
		delay = time.Duration(float64(s.headInterval)*s.n.cfg.VoteAt) - now.Sub(s.headAt)
	}
	s.leader = &leaderState{num: num, round: round, phase: "voting", since: now}
	cell := newStatusCell(ActorInfo{Kind: KindLeader, StreamID: s.id.String(), Generation: num, Leader: "voting"})
	l := &leaderActor{
		n:          s.n,
		id:         s.id,
		num:        num,
		round:      round,
		chainBlock: s.lastRegisteredAt,
		randao:     s.randao,
		replicas:   s.replicas,
		stream:     s.self,
		writer:     s.writer,
		view:       s.v,
		cell:       cell,
		votes:      map[common.Address]*pb.Vote{},
		delay:      delay,
	}
	props := actor.PropsFromProducer(func() actor.Actor { return l }, actor.WithMailbox(cell.mailboxProducer()))
	s.n.sys.Root.Send(s.n.registry, &spawnLeader{
		name:  fmt.Sprintf("leader-%s-%d-r%d", s.id, num, round),
		props: props,
		info:  cell,
	})
	s.publish()
}

// answerVote is this replica's side of pb.VoteRequest.
func (s *streamActor) answerVote(ctx actor.Context, msg *voteRequest) {
	resp := &pb.VoteResponse{}
	var view *streams.View
	switch {
	case s.state != "live":
		resp.Error = &pb.Error{Code: pb.ErrorCode_STREAM_NOT_FOUND, Message: "stream not loaded"}
	case msg.req.MiniblockNum != s.v.Generation() ||
		common.BytesToHash(msg.req.PrevMiniblockHash) != s.v.LastBlock().Hash:
		resp.Error = &pb.Error{Code: pb.ErrorCode_BAD_MINIBLOCK_NUM,
			Message: fmt.Sprintf("vote asked for %d, generation is %d", msg.req.MiniblockNum, s.v.Generation())}
	default:
		v, err := s.v.Vote(s.n.key)
		if err != nil {
			resp.Error = &pb.Error{Code: streams.CodeOf(err), Message: err.Error()}
		} else {
			resp.Vote = v
			view = s.v
		}
	}
	ctx.Send(msg.replyTo, &voteResponse{resp: resp, view: view})
}

// registered handles the chain-writer's outcome for a block this node led.
func (s *streamActor) registered(ctx actor.Context, r *registerResult) {
	num := r.mb.Header.MiniblockNum
	if r.res.OK {
		if s.state != "live" || num != s.v.Generation()+int64(len(s.blocks)) {
			s.log.Warn("registered block does not follow; reconciling", "num", num)
			s.requestReconcile()
			return
		}
		s.blocks = append(s.blocks, r)
		if s.leader != nil {
			s.leader.phase = "applying"
		}
		s.kick()
		s.publish()
		return
	}
	if s.leader != nil && s.leader.num == num {
		s.leader = nil
	}
	if r.res.Err != nil {
		s.log.Warn("registering miniblock", "num", num, "err", r.res.Err)
		s.publish()
		return
	}
	// A failed swap: someone else moved the stream, or we are stale.
	s.log.Warn("chain refused miniblock (compare-and-swap)", "num", num)
	s.requestReconcile()
	s.publish()
}

// leaderActor leads one (stream, height): it asks every replica for a vote,
// waits for a majority or VoteTimeout, proposes the block from the votes,
// stages it in the store and hands it to the chain-writer.
type leaderActor struct {
	n          *Node
	id         streams.StreamID
	num        int64
	round      uint32
	chainBlock uint64
	randao     common.Hash
	replicas   []common.Address
	stream     *actor.PID
	writer     *actor.PID
	view       *streams.View
	cell       *statusCell

	delay time.Duration // before asking for votes
	votes map[common.Address]*pb.Vote
	timer *time.Timer
	done  bool
}

func (l *leaderActor) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		if l.delay <= 0 {
			l.askVotes(ctx)
			return
		}
		l.setPhase("waiting")
		sys, self := l.n.sys, ctx.Self()
		l.timer = time.AfterFunc(l.delay, func() { sys.Root.Send(self, &startVoting{}) })

	case *startVoting:
		l.askVotes(ctx)

	case *voteResponse:
		if l.done {
			return
		}
		if msg.resp.Error != nil {
			l.finish(ctx, nil, streams.FromProto(msg.resp.Error))
			return
		}
		pv, err := streams.ParseVote(msg.resp.Vote)
		if err != nil {
			l.n.log.Warn("bad vote", "stream", l.id, "err", err)
			return
		}
		l.votes[pv.Voter] = msg.resp.Vote
		if msg.view != nil {
			l.view = msg.view
		}
		if len(l.votes) >= streams.Majority(len(l.replicas)) {
			l.propose(ctx)
		}

	case *leaderTimeout:
		if !l.done {
			l.finish(ctx, nil, streams.Errorf(pb.ErrorCode_QUORUM_NOT_REACHED,
				"%d of %d votes after %s", len(l.votes), len(l.replicas), l.n.cfg.VoteTimeout))
		}

	case *actor.Stopped:
		if l.timer != nil {
			l.timer.Stop()
		}
	}
}

// askVotes sends pb.VoteRequest to every replica and arms the vote timeout.
func (l *leaderActor) askVotes(ctx actor.Context) {
	if l.timer != nil {
		l.timer.Stop()
	}
	req := &pb.VoteRequest{
		StreamId:          l.id.Bytes(),
		MiniblockNum:      l.num,
		PrevMiniblockHash: l.view.LastBlock().Hash.Bytes(),
		Round:             l.round,
		Leader:            l.n.addr.Bytes(),
	}
	for _, r := range l.replicas {
		if r == l.n.addr {
			ctx.Send(l.stream, &voteRequest{req: req, replyTo: ctx.Self()})
		}
		// Remote replicas get the same request over p2p once it exists.
	}
	sys, self := l.n.sys, ctx.Self()
	l.timer = time.AfterFunc(l.n.cfg.VoteTimeout, func() { sys.Root.Send(self, &leaderTimeout{}) })
	l.setPhase("voting")
}

func (l *leaderActor) setPhase(p string) {
	i := l.cell.get()
	i.Leader = p
	l.cell.set(i)
}

func (l *leaderActor) propose(ctx actor.Context) {
	l.setPhase("proposing")
	votes := make([]*pb.Vote, 0, len(l.votes))
	for _, r := range l.replicas { // replica order: deterministic votes hash
		if v, ok := l.votes[r]; ok {
			votes = append(votes, v)
		}
	}
	if missing := l.view.MissingFromVotes(votes, len(l.replicas)); len(missing) > 0 {
		// Fetching events from peers comes with p2p; the block seals
		// what this node holds.
		l.n.log.Debug("leader lacks voted events", "stream", l.id, "missing", len(missing))
	}
	mb, err := l.view.Propose(l.n.cfg.Streams, streams.Proposal{
		Key:        l.n.key,
		Replicas:   l.replicas,
		ChainBlock: l.chainBlock,
		Randao:     l.randao,
		Round:      l.round,
		Now:        l.n.now(),
		Votes:      votes,
	})
	if err != nil {
		l.finish(ctx, nil, err)
		return
	}
	// Stage before registering: if the node dies after the chain accepts
	// the block but before the stream actor writes it, the reload finds it.
	sctx, cancel := context_(l.n)
	err = l.n.store.StageBlock(sctx, store.StagedBlock{
		StreamID: l.id.Bytes(),
		Num:      mb.Header.MiniblockNum,
		Hash:     mb.Hash.Bytes(),
		Parent:   mb.Header.PrevMiniblockHash,
		Data:     mustMarshal(mb.Proto),
	})
	cancel()
	if err != nil {
		l.finish(ctx, nil, fmt.Errorf("staging block: %w", err))
		return
	}
	ctx.Send(l.writer, &registerReq{mb: mb, replyTo: l.stream})
	l.finish(ctx, mb, nil)
}

func (l *leaderActor) finish(ctx actor.Context, mb *streams.ParsedMiniblock, err error) {
	l.done = true
	if l.timer != nil {
		l.timer.Stop()
	}
	ctx.Send(l.stream, &leaderDone{num: l.num, mb: mb, err: err})
	ctx.Stop(ctx.Self())
}
