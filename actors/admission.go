package actors

import (
	"sync/atomic"

	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// Admission: the bounds on what waits in front of an actor
// (docs/reliability.md, "Limits").
//
// The actors' mailboxes are protoactor's unbounded ones, on purpose.
// protoactor's bounded mailboxes do one of two things when full:
// actor.Bounded blocks the sender (its ring buffer's Put waits for room),
// and actor.BoundedDropping drops the oldest queued message. A blocked
// sender is a p2p or RPC goroutine, or the registry itself, stuck behind
// one slow stream; a dropped message is a request never answered, or an
// I/O completion the actor waits for forever. So the bound is a count
// taken before the message is sent, and a request over it is refused at
// once, before anything of it is stored:
//
//   - the registry's mailbox: at most MaxRegistryQueue requests from
//     outside the actor system (toStream) wait in it; toStream refuses the
//     next one itself, in the caller's goroutine;
//   - a stream actor's mailbox: the registry forwards a request only while
//     fewer than MaxStreamQueue of the messages it forwarded to that actor
//     are unhandled (sent - seen, the counts passivation already keeps),
//     or buffered while the actor stops;
//   - a stream actor's own queues: the requests it holds while it loads
//     (early) and the reads it defers while a block write is in flight
//     (deferred), each at most MaxStreamQueue.
//
// A refused request with a reply channel gets RESOURCE_EXHAUSTED; a refused
// gossip message (an event, an announcement, a block) is dropped and
// counted: gossip is lossy by design and a replica fetches what it misses.
// A pushed block (PushBlock) is answered before the registry takes it, so a
// push refused at a full stream queue is dropped the same way; the block is
// fetched once its registration is seen.
// Nothing acked is ever refused: an ack is an answer to a request that was
// admitted. Never refused, so that no actor waits on a message that was
// turned away: what an actor sends itself (I/O completions, timers), chain
// heads and registrations from the chain watch, unsubscriptions, and the
// registry's own bookkeeping.

// refusable says whether m, sent to a stream actor from outside, may be
// refused at a full queue.
func refusable(m any) bool {
	switch m.(type) {
	case *addEventReq, *viewReq, *getStreamReq, *subscribeReq,
		*peerEventMsg, *poolMsg, *blockMsg, *blockRawMsg, *voteReqMsg:
		return true
	}
	return false
}

// Queue names, the label of Metrics.QueueRefused.
const (
	queueRegistry = "registry"
	queueStream   = "stream"
	queueLoading  = "loading"
	queueDeferred = "deferred"
)

// refuse answers m RESOURCE_EXHAUSTED (or drops it, when it has no reply)
// and counts it.
func (n *Node) refuse(m any, queue string, held, limit int, id streams.StreamID) {
	n.m.QueueRefused.WithLabelValues(queue).Inc()
	failRequest(m, streams.Errorf(pb.ErrorCode_RESOURCE_EXHAUSTED,
		"%s queue of stream %s holds %d requests, limit %d: retry later", queue, id, held, limit))
}

// registryQueue counts the requests toStream put in the registry's mailbox
// that the registry has not taken yet.
type registryQueue struct{ n atomic.Int64 }

// admit takes a place for one request; false when limit are waiting.
func (q *registryQueue) admit(limit int) (int, bool) {
	if limit <= 0 {
		return 0, true
	}
	if v := q.n.Add(1); v > int64(limit) {
		q.n.Add(-1)
		return int(v - 1), false
	}
	return 0, true
}

func (q *registryQueue) taken() { q.n.Add(-1) }

// streamQueueFull says whether the registry must refuse a refusable
// request for e: MaxStreamQueue forwarded messages unhandled, or as many
// buffered while e stops.
func (r *registry) streamQueueFull(e *streamEntry) (int, bool) {
	limit := r.n.cfg.MaxStreamQueue
	if limit <= 0 {
		return 0, false
	}
	if e.stopping {
		return len(e.buffer), len(e.buffer) >= limit
	}
	held := int(e.sent - e.cell.seen.Load())
	return held, held >= limit
}

// queueFull says whether a stream actor's own queue q (early or deferred)
// is full for m; it refuses m when it is.
func (s *streamActor) queueFull(m any, q []any, name string) bool {
	limit := s.n.cfg.MaxStreamQueue
	if limit <= 0 || len(q) < limit || !refusable(m) {
		return false
	}
	s.n.refuse(m, name, len(q), limit, s.id)
	return true
}

// holdMsg blocks the actor that receives it until release closes, after
// closing held (tests: a stream actor or the registry that is busy).
type holdMsg struct {
	held    chan struct{}
	release <-chan struct{}
}

func (h *holdMsg) hold() {
	close(h.held)
	<-h.release
}
