package actors

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/ethereum/go-ethereum/common"

	"github.com/towns-node/node/chainlink"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// Messages between actors. Requests from outside the actor system carry a
// buffered reply channel (capacity 1), so an actor never blocks on a reply
// and no protoactor future sits on the hot path.

// toStream asks the registry to deliver msg to the stream actor of id,
// spawning (or reloading) it when needed.
type toStream struct {
	id  streams.StreamID
	msg any
}

// addEventReq carries an event that was parsed and signature-checked by the
// caller. The answer comes once the event is durable or rejected.
type addEventReq struct {
	ev    *streams.ParsedEvent
	reply chan addEventResp
}

type addEventResp struct {
	gen int64
	err error
}

// viewReq asks for the stream's durable view.
type viewReq struct {
	reply chan viewResp
}

type viewResp struct {
	view     *streams.View
	replicas []common.Address
	err      error
}

// getStreamReq asks for the latest snapshot, the blocks since and the minipool.
type getStreamReq struct {
	reply chan getStreamResp
}

type getStreamResp struct {
	resp *pb.GetStreamResponse
	err  error
}

type subscribeReq struct {
	sub   *Subscription
	reply chan error
}

type unsubscribeReq struct {
	sub *Subscription
}

// headMsg is a new chain head, broadcast by the registry with its local
// arrival time and the average interval between heads (zero until known).
type headMsg struct {
	head     chainlink.Head
	at       time.Time
	interval time.Duration
}

// passivateReq is a stream actor asking the registry to stop it. seen is the
// number of registry-delivered messages it has handled; the registry stops it
// only if none is still in its mailbox.
type passivateReq struct {
	id   streams.StreamID
	pid  *actor.PID
	seen uint64
}

// spawnLeader asks the registry to spawn and track a leader actor.
type spawnLeader struct {
	name  string
	props *actor.Props
	info  *statusCell
	reply *actor.PID // receives leaderSpawned
}

type leaderSpawned struct {
	num int64
	pid *actor.PID
	err error
}

// voteRequest is pb.VoteRequest addressed to a replica's stream actor.
// replyTo receives a voteResponse.
type voteRequest struct {
	req     *pb.VoteRequest
	replyTo *actor.PID
}

// voteResponse is pb.VoteResponse from a replica. view is set only by the
// local replica: the leader proposes from the freshest local view.
type voteResponse struct {
	resp *pb.VoteResponse
	view *streams.View
}

// leaderDone reports the end of a leader actor: the block handed to the
// chain-writer, or why none was.
type leaderDone struct {
	num int64
	mb  *streams.ParsedMiniblock
	err error
}

// registerReq asks the chain-writer to register a signed header.
type registerReq struct {
	mb      *streams.ParsedMiniblock
	replyTo *actor.PID
}

// registerResult is the chain-writer's outcome for one registerReq.
type registerResult struct {
	mb  *streams.ParsedMiniblock
	res chainlink.RegistrationResult
}

// writeDone reports the end of a store write started by a stream actor.
type writeDone struct {
	op  *writeOp
	err error
}

// timerMsg is a stream actor's own scheduled tick.
type timerMsg struct{ inc *streamActor }

// flushMsg is the chain-writer's own scheduled tick.
type flushMsg struct{}

// leaderTimeout is a leader actor's own scheduled deadline.
type leaderTimeout struct{}

// startVoting is a leader actor's own scheduled start of the vote.
type startVoting struct{}

// listReq and describeReq are the debug endpoint's questions.
type listReq struct {
	reply chan []ActorInfo
}

type describeReq struct {
	name  string
	reply chan describeResp
}

type describeResp struct {
	info ActorInfo
	ok   bool
}

// pendingEvent is an accepted event waiting for its store write.
type pendingEvent struct {
	ev       *streams.ParsedEvent
	reply    chan addEventResp
	accepted time.Time
}

// crashMsg makes a stream actor panic; tests use it to check supervision.
type crashMsg struct{}
