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
	// counted: the request holds a place in the registry's queue
	// (admission.go), which the registry frees when it takes it.
	counted bool
}

// addEventReq carries an event that was parsed and signature-checked by the
// caller. The answer comes once the event is durable or rejected.
type addEventReq struct {
	ev    *streams.ParsedEvent
	reply chan addEventResp
}

type addEventResp struct {
	gen  int64
	held int // replicas that held it when answered
	err  error
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
	// withView asks for the durable view as of the subscription, set in
	// view before reply: updates after it are exactly the ones delivered.
	withView bool
	view     *streams.View
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

// headsReport is a stream actor telling the registry, on a chain head,
// that it has no work for heads (idle) or that it is behind the chain.
// seen is as in passivateReq: a report that crossed a forwarded message
// does not stop the heads.
type headsReport struct {
	id     streams.StreamID
	pid    *actor.PID
	seen   uint64
	idle   bool
	behind bool
}

// closeStreams asks the registry to stop every stream actor and to spawn
// none any more; done closes once the last one stopped (Node.Stop).
type closeStreams struct{ done chan struct{} }

// registerReq asks the chain-writer to register a signed header.
type registerReq struct {
	mb      *streams.ParsedMiniblock
	round   uint32 // the election round the leader led in
	replyTo *actor.PID
}

// registerResult is the chain-writer's outcome for one registerReq.
type registerResult struct {
	mb  *streams.ParsedMiniblock
	res chainlink.RegistrationResult
}

// timerMsg is a stream actor's own scheduled tick.
type timerMsg struct{ inc *streamActor }

// flushMsg is the chain-writer's own scheduled tick.
type flushMsg struct{}

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

// crashMsg makes a stream actor panic; tests use it to check supervision.
type crashMsg struct{}

// Messages from peers, forwarded by the registry (see handler.go).
type peerEventMsg struct {
	from common.Address
	ev   *streams.ParsedEvent
}

type poolMsg struct {
	from common.Address
	msg  *pb.NewEventInPool
}

type blockMsg struct {
	from common.Address
	mb   *streams.ParsedMiniblock
}

// registeredMsg is a registration from the chain watch, or (wake) only a
// reason to load the stream.
type registeredMsg struct {
	reg  streams.Registered
	wake bool
}

// blockRawMsg is a block as received, parsed by the stream actor.
type blockRawMsg struct {
	from common.Address
	mb   *pb.Miniblock
}

// voteReqMsg is a peer's vote request; reply gets exactly one answer.
type voteReqMsg struct {
	from  common.Address
	req   *pb.VoteRequest
	reply chan *pb.VoteResponse
}
